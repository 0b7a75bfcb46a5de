// LAPACK through its C interface (Debian: liblapacke-dev, calling OpenBLAS's LAPACK).
#include <lapacke.h>
