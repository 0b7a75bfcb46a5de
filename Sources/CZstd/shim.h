// zstd. Its function-like macros do not import; use ZSTD_compressBound() and friends.
#include <zstd.h>
#include <zstd_errors.h>
