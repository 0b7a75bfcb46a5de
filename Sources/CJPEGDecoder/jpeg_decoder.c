#include "CJPEGDecoder.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

/// libjpeg's error manager extended with the jump target and the status to return after the jump.
typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf recovery;
    tessera_jpeg_status status;
    char message[JMSG_LENGTH_MAX];
} recovering_error_manager;

static void record_and_jump(j_common_ptr cinfo, tessera_jpeg_status status) {
    recovering_error_manager *manager = (recovering_error_manager *)cinfo->err;
    manager->status = status;
    (*cinfo->err->format_message)(cinfo, manager->message);
    longjmp(manager->recovery, 1);
}

/// Replaces libjpeg's default error_exit, which prints and calls exit().
static void error_exit(j_common_ptr cinfo) {
    record_and_jump(cinfo, TESSERA_JPEG_LIBRARY_ERROR);
}

/// Warnings about the file's framing rather than its pixels, which PIL and djpeg decode through:
/// stray bytes between segments, a JFIF revision from the future, an unknown Adobe transform.
static int is_harmless_warning(int code) {
    return code == JWRN_EXTRANEOUS_DATA || code == JWRN_JFIF_MAJOR || code == JWRN_ADOBE_XFORM;
}

/// Other warnings (msg_level -1) signal corrupt data: libjpeg would otherwise pad a truncated image
/// with grey and report success. Trace messages (msg_level >= 0) are ignored.
static void emit_message(j_common_ptr cinfo, int msg_level) {
    if (msg_level < 0 && !is_harmless_warning(cinfo->err->msg_code)) {
        record_and_jump(cinfo, TESSERA_JPEG_CORRUPT_DATA);
    }
}

/// A progressive JPEG may hold thousands of scans, each a pass over the whole image: a file of a few
/// kilobytes then decodes for minutes (libjpeg-turbo's LJT-01-003). Real encoders write about ten.
enum { maximum_scans = 1000 };

/// libjpeg's progress hook (called as it reads and writes rows): refuses a file past `maximum_scans`.
static void limit_scans(j_common_ptr cinfo) {
    j_decompress_ptr decompress = (j_decompress_ptr)cinfo;
    if (cinfo->is_decompressor && decompress->input_scan_number > maximum_scans) {
        recovering_error_manager *manager = (recovering_error_manager *)cinfo->err;
        manager->status = TESSERA_JPEG_CORRUPT_DATA;
        snprintf(manager->message, sizeof(manager->message), "more than %d progressive scans", maximum_scans);
        longjmp(manager->recovery, 1);
    }
}

static void copy_message(const char *source, char *message, size_t message_capacity) {
    if (message == NULL || message_capacity == 0) {
        return;
    }
    snprintf(message, message_capacity, "%s", source);
}

/// Shared body of both entry points: reads the header, and when `output` is non-NULL decodes into it.
static tessera_jpeg_status run(const unsigned char *data, size_t size, unsigned char *output,
                               size_t output_capacity, tessera_jpeg_geometry *geometry,
                               char *message, size_t message_capacity) {
    struct jpeg_decompress_struct cinfo;
    recovering_error_manager manager;
    struct jpeg_progress_mgr progress;
    memset(&cinfo, 0, sizeof(cinfo));
    memset(&manager, 0, sizeof(manager));
    memset(&progress, 0, sizeof(progress));
    cinfo.err = jpeg_std_error(&manager.base);
    manager.base.error_exit = error_exit;
    manager.base.emit_message = emit_message;
    progress.progress_monitor = limit_scans;

    if (setjmp(manager.recovery) != 0) {
        jpeg_destroy_decompress(&cinfo);
        copy_message(manager.message, message, message_capacity);
        return manager.status;
    }

    jpeg_create_decompress(&cinfo);
    cinfo.progress = &progress;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    (void)jpeg_read_header(&cinfo, TRUE);

    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo.out_color_space = JCS_GRAYSCALE;
        break;
    case JCS_YCbCr:
    case JCS_RGB:
        cinfo.out_color_space = JCS_RGB;
        break;
    default:
        snprintf(manager.message, sizeof(manager.message),
                 "JPEG colour space %d (CMYK or YCCK) has no greyscale or RGB output",
                 (int)cinfo.jpeg_color_space);
        jpeg_destroy_decompress(&cinfo);
        copy_message(manager.message, message, message_capacity);
        return TESSERA_JPEG_UNSUPPORTED_COLOR_SPACE;
    }

    jpeg_calc_output_dimensions(&cinfo);
    geometry->width = (int)cinfo.output_width;
    geometry->height = (int)cinfo.output_height;
    geometry->components = cinfo.output_components;
    if (output == NULL) {
        jpeg_destroy_decompress(&cinfo);
        return TESSERA_JPEG_OK;
    }

    size_t row_bytes = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    if (row_bytes != 0 && output_capacity / row_bytes < (size_t)cinfo.output_height) {
        snprintf(manager.message, sizeof(manager.message),
                 "output buffer of %zu bytes is smaller than %zu x %u", output_capacity, row_bytes,
                 (unsigned)cinfo.output_height);
        jpeg_destroy_decompress(&cinfo);
        copy_message(manager.message, message, message_capacity);
        return TESSERA_JPEG_BUFFER_TOO_SMALL;
    }

    (void)jpeg_start_decompress(&cinfo);
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = output + (size_t)cinfo.output_scanline * row_bytes;
        (void)jpeg_read_scanlines(&cinfo, &row, 1);
    }
    (void)jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return TESSERA_JPEG_OK;
}

tessera_jpeg_status tessera_jpeg_read_geometry(const unsigned char *data, size_t size,
                                               tessera_jpeg_geometry *geometry,
                                               char *message, size_t message_capacity) {
    return run(data, size, NULL, 0, geometry, message, message_capacity);
}

tessera_jpeg_status tessera_jpeg_decode(const unsigned char *data, size_t size,
                                        unsigned char *output, size_t output_capacity,
                                        tessera_jpeg_geometry *geometry,
                                        char *message, size_t message_capacity) {
    return run(data, size, output, output_capacity, geometry, message, message_capacity);
}
