// OpenBLAS: cblas_sgemm and friends, plus its thread controls.
#include <cblas.h>
