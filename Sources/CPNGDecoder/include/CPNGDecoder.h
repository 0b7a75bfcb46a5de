// 16-bit PNG with alpha through libpng's low-level API, with setjmp/longjmp error recovery (Swift
// cannot setjmp). libpng's simplified API premultiplies 16-bit colour by alpha, which cannot be
// undone exactly; this path returns the stored samples.
#ifndef TESSERA_CPNGDECODER_H
#define TESSERA_CPNGDECODER_H

#include <stddef.h>
#include <stdint.h>

/// Outcome of a call; every value other than TESSERA_PNG_OK comes with a message.
typedef enum {
    TESSERA_PNG_OK = 0,
    /// libpng stopped with an error (bad CRC, truncated stream, not a PNG...).
    TESSERA_PNG_LIBRARY_ERROR = 1,
    /// The stream is not a 16-bit image with an alpha channel or a tRNS chunk.
    TESSERA_PNG_NOT_SIXTEEN_BIT_ALPHA = 2,
    /// The output buffer holds fewer than width * height * channels samples.
    TESSERA_PNG_BUFFER_TOO_SMALL = 3,
} tessera_png_status;

/// Size of the decoded image: channels is 2 (grey + alpha) or 4 (RGBA).
typedef struct {
    uint32_t width;
    uint32_t height;
    int channels;
} tessera_png_geometry;

/// Decodes the 16-bit PNG stream `data` (`size` bytes) with alpha (an alpha channel, or tRNS made
/// into one) into `output` (`output_capacity` samples): row-major, interleaved, native-endian
/// samples as stored, their layout in `geometry`. On failure writes a NUL-terminated message of at
/// most `message_capacity` bytes.
tessera_png_status tessera_png_decode_sixteen_bit_alpha(const unsigned char *data, size_t size,
                                                        uint16_t *output, size_t output_capacity,
                                                        tessera_png_geometry *geometry,
                                                        char *message, size_t message_capacity);

#endif
