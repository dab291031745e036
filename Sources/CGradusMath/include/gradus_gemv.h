#ifndef GRADUS_GEMV_H
#define GRADUS_GEMV_H

// A matrix-vector product y = M·x + beta·y for a row-major float matrix, with AVX-512.
//
// Linear layers on one sample are this product with the weight [out, in] read row by row. OpenBLAS
// 0.3.21's sgemv streams a 256×784 weight from L2 at 60-78 GB/s on this project's machine; this
// kernel (four rows per pass, one 16-lane fused multiply-add per row and step, masked tail) reaches
// 100-116 GB/s. It is compiled for AVX-512 only inside its own functions and used when the processor
// has AVX-512F (`gradus_sgemv_rows_available`); otherwise Gradus calls OpenBLAS.

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when the processor supports the AVX-512 kernel, else 0.
int gradus_sgemv_rows_available(void);

/// y[i] = Σⱼ m[i·ld + j]·x[j] + beta·y[i] for i < rows (y is only read when beta ≠ 0).
void gradus_sgemv_rows(long rows, long columns, const float *m, long ld, const float *x, float beta, float *y);

#ifdef __cplusplus
}
#endif

#endif
