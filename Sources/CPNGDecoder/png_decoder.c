#include "CPNGDecoder.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

/// The stream libpng reads from, and where its error message goes.
typedef struct {
    const unsigned char *data;
    size_t size;
    size_t offset;
    char message[256];
} reader_state;

static void read_from_memory(png_structp png, png_bytep target, png_size_t length) {
    reader_state *state = (reader_state *)png_get_io_ptr(png);
    if (length > state->size - state->offset) {
        png_error(png, "read beyond end of data");
    }
    memcpy(target, state->data + state->offset, length);
    state->offset += length;
}

/// Replaces libpng's default error handler, which prints; libpng longjmps after it returns.
static void record_error(png_structp png, png_const_charp text) {
    reader_state *state = (reader_state *)png_get_error_ptr(png);
    snprintf(state->message, sizeof(state->message), "%s", text);
    png_longjmp(png, 1);
}

/// Warnings (e.g. a bad ancillary chunk) do not stop the decode, as in the simplified API.
static void ignore_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static tessera_png_status fail(tessera_png_status status, const char *text, char *message, size_t capacity) {
    if (message != NULL && capacity > 0) {
        snprintf(message, capacity, "%s", text);
    }
    return status;
}

tessera_png_status tessera_png_decode_sixteen_bit_alpha(const unsigned char *data, size_t size,
                                                        uint16_t *output, size_t output_capacity,
                                                        tessera_png_geometry *geometry,
                                                        char *message, size_t message_capacity) {
    reader_state state;
    memset(&state, 0, sizeof(state));
    state.data = data;
    state.size = size;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &state, record_error, ignore_warning);
    if (png == NULL) {
        return fail(TESSERA_PNG_LIBRARY_ERROR, "png_create_read_struct failed", message, message_capacity);
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        return fail(TESSERA_PNG_LIBRARY_ERROR, "png_create_info_struct failed", message, message_capacity);
    }
    // Rows are read into this array, allocated after the header; volatile so that it survives the longjmp.
    png_bytep *volatile rows = NULL;
    // setjmp stands alone in the condition, the only forms C11 7.13.1.1 allows.
    if (setjmp(png_jmpbuf(png)) != 0) {
        png_free(png, rows);
        png_destroy_read_struct(&png, &info, NULL);
        return fail(TESSERA_PNG_LIBRARY_ERROR, state.message, message, message_capacity);
    }
    png_set_read_fn(png, &state, read_from_memory);
    png_read_info(png, info);

    int color_type = png_get_color_type(png, info);
    int has_trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    int has_alpha = (color_type & PNG_COLOR_MASK_ALPHA) != 0 || has_trns;
    if (png_get_bit_depth(png, info) != 16 || !has_alpha) {
        png_destroy_read_struct(&png, &info, NULL);
        return fail(TESSERA_PNG_NOT_SIXTEEN_BIT_ALPHA, "not a 16-bit PNG with alpha", message, message_capacity);
    }
    if (has_trns) {
        png_set_tRNS_to_alpha(png);
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    png_set_swap(png);  // PNG stores 16-bit samples big endian
#endif
    (void)png_set_interlace_handling(png);
    png_read_update_info(png, info);

    geometry->width = png_get_image_width(png, info);
    geometry->height = png_get_image_height(png, info);
    geometry->channels = png_get_channels(png, info);
    size_t row_samples = (size_t)geometry->width * (size_t)geometry->channels;
    if (row_samples != 0 && output_capacity / row_samples < geometry->height) {
        png_destroy_read_struct(&png, &info, NULL);
        return fail(TESSERA_PNG_BUFFER_TOO_SMALL, "output buffer too small", message, message_capacity);
    }
    rows = png_malloc(png, sizeof(png_bytep) * (geometry->height == 0 ? 1 : geometry->height));
    for (uint32_t row = 0; row < geometry->height; row++) {
        rows[row] = (png_bytep)(output + (size_t)row * row_samples);
    }
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_free(png, rows);
    png_destroy_read_struct(&png, &info, NULL);
    return TESSERA_PNG_OK;
}
