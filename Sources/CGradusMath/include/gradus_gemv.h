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

/// Rows per panel of a packed matrix (one AVX-512 vector of outputs).
#define GRADUS_SGEMV_PANEL 16

/// Elements of a [rows, columns] matrix packed by `gradus_sgemv_pack_panels` (rows rounded up to panels).
long gradus_sgemv_packed_count(long rows, long columns);

/// Packs a row-major matrix into panels of GRADUS_SGEMV_PANEL rows stored column by column:
/// packed[(p·columns + c)·16 + j] = m[(p·16 + j)·ld + c], zeros past the last row. `packed` holds
/// `gradus_sgemv_packed_count` floats, 64-byte aligned.
void gradus_sgemv_pack_panels(long rows, long columns, const float *m, long ld, float *packed);

/// y[i] = act(Σⱼ M[i, j]·x[j] + bias[i]) for the rows of panels [first_panel, end_panel) of a packed
/// matrix; `bias` may be NULL; with `relu`, values below zero become 0 (or are multiplied by
/// `negative_slope` when it is not 0), NaN kept. Writes no row at or past `rows`.
///
/// Why panels: a one-sample linear layer streams its whole weight from L2 once per call. Read as rows
/// (four at a time) that is four streams; packed, it is one, and on AMD Zen 5 (one core, 256×784 weight)
/// it runs at 150-190 GB/s against 120-125 for the row kernel (scripts/roofline/gemv_floor.c).
void gradus_sgemv_panels(long rows, long columns, const float *packed, const float *x, const float *bias,
                         int relu, float negative_slope, long first_panel, long end_panel, float *y);

#ifdef __cplusplus
}
#endif

#endif
