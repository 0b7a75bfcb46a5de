// Baseline JPEG decompression through libjpeg, with setjmp/longjmp error recovery so that a corrupt
// stream returns a status and libjpeg's message instead of ending the process (Swift cannot setjmp).
#ifndef TESSERA_CJPEGDECODER_H
#define TESSERA_CJPEGDECODER_H

#include <stddef.h>

/// Outcome of a call; every value other than TESSERA_JPEG_OK comes with a message.
typedef enum {
    TESSERA_JPEG_OK = 0,
    /// libjpeg stopped with a fatal error (not a JPEG, unsupported precision, bad marker...).
    TESSERA_JPEG_LIBRARY_ERROR = 1,
    /// libjpeg warned about corrupt data (premature end, data after a marker); the decode is refused.
    TESSERA_JPEG_CORRUPT_DATA = 2,
    /// The image uses a colour space with no 1- or 3-channel output (CMYK, YCCK).
    TESSERA_JPEG_UNSUPPORTED_COLOR_SPACE = 3,
    /// The output buffer is smaller than width * height * components.
    TESSERA_JPEG_BUFFER_TOO_SMALL = 4,
} tessera_jpeg_status;

/// Size of the decoded image: components is 1 (greyscale) or 3 (RGB; YCbCr is converted by libjpeg).
typedef struct {
    int width;
    int height;
    int components;
} tessera_jpeg_geometry;

/// Reads the header of the JPEG stream `data` (`size` bytes) into `geometry`.
/// On failure writes a NUL-terminated message of at most `message_capacity` bytes.
tessera_jpeg_status tessera_jpeg_read_geometry(const unsigned char *data, size_t size,
                                               tessera_jpeg_geometry *geometry,
                                               char *message, size_t message_capacity);

/// Decodes the JPEG stream into `output` (row-major, interleaved, 8 bits per sample), filling
/// `geometry`. `output_capacity` must be at least width * height * components bytes.
tessera_jpeg_status tessera_jpeg_decode(const unsigned char *data, size_t size,
                                        unsigned char *output, size_t output_capacity,
                                        tessera_jpeg_geometry *geometry,
                                        char *message, size_t message_capacity);

#endif
