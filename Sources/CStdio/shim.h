// C's standard output stream, which Swift 6 cannot name (a mutable C global).
#include <stdio.h>

/// Makes standard output line-buffered, as on a terminal, when it is a file or a pipe.
static inline void tessera_line_buffer_stdout(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
}
