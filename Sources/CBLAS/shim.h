// Brings OpenBLAS's CBLAS interface (and openblas_set_num_threads) into Swift.
// Debian: apt-get install libopenblas-dev; pkg-config "openblas" gives the include path.
#include <cblas.h>
