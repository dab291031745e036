// bfloat16 products through oneDNN's matmul primitive (Debian libdnnl-dev), for mixed-precision
// training (Sources/Gradus/Tensor/MixedPrecision.swift). oneDNN's C API offers sgemm and integer gemm
// functions but no bfloat16 one, so this wraps the primitive: memory descriptors with the callers'
// strides, a matmul with an optional sum post-op (beta = 1), executed on the calling thread.
#ifndef GRADUS_BF16_H
#define GRADUS_BF16_H
#include <stdint.h>

/// Whether oneDNN runs bfloat16 products with native instructions here (AVX512_BF16 or AMX).
int gradus_bf16_native(void);

/// out[i] = x[i] rounded to bfloat16 (nearest, ties to even; NaN stays a quiet NaN), as the upper 16
/// bits of a Float32.
void gradus_round_to_bf16(const float *x, long n, uint16_t *out);

/// gradus_round_to_bf16 without AVX-512 (what processors without it run; tests call it directly).
void gradus_round_to_bf16_portable(const float *x, long n, uint16_t *out);

/// c = op(a)·op(b) + beta·c with a, b in bfloat16 (row-major, leading dimensions as stored), c in
/// Float32, accumulation in Float32; beta is 0 or 1. Returns 0 on success, oneDNN's status otherwise
/// (nothing written).
int gradus_bf16_gemm(long m, long n, long k, const uint16_t *a, long lda, int trans_a,
                     const uint16_t *b, long ldb, int trans_b, float beta, float *c, long ldc);
#endif

#ifndef GRADUS_PRECISION_SCOPE_H
#define GRADUS_PRECISION_SCOPE_H
/// The calling thread's Float32 product precision scope (0: the process-wide setting, 1: highest,
/// 2: medium), set by MatrixProductBackend.withFloat32Precision and carried to worker threads by
/// WorkerPool; a C thread-local because Swift has no cheap one.
int gradus_precision_scope_get(void);
void gradus_precision_scope_set(int scope);
#endif
