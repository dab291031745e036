// Brings oneDNN's C interface into Swift (Debian: apt-get install libdnnl-dev; the package ships no
// pkg-config file, so the header is found on the default include path and the module links "dnnl").
// Gradus uses dnnl_sgemm for Float32 matrix products (see Sources/Gradus/Tensor/MatrixProductBackend.swift).
#include <oneapi/dnnl/dnnl.h>
