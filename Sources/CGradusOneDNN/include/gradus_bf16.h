// bfloat16 products through oneDNN's matmul primitive (Debian libdnnl-dev), for mixed-precision
// training (Sources/Gradus/Tensor/MixedPrecision.swift). oneDNN's C API offers sgemm and integer gemm
// functions but no bfloat16 one, so this wraps the primitive: memory descriptors with the callers'
// strides, a matmul with an optional sum post-op (beta = 1), executed on the calling thread.
#ifndef GRADUS_BF16_H
#define GRADUS_BF16_H
#include <stdint.h>

/// Whether oneDNN runs bfloat16 products with native instructions here (AVX512_BF16 or AMX).
int gradus_bf16_native(void);

/// How many times more flops this core's AVX512_BF16 dot products (VDPBF16PS, twelve independent chains)
/// compute per second than its Float32 FMAs, measured once (about 1 ms) at the first call; 0 without
/// AVX512_BF16. About 2 on AMD Zen 4/5, 0.5 on Intel Sapphire/Emerald Rapids (which leave bf16 speed to AMX).
double gradus_bf16_dot_speedup(void);

/// One timing of each: the flops per second of `steps` rounds of twelve independent Float32 FMA chains
/// (zmm) into *fma, and of twelve VDPBF16PS chains into *bf16 (0 where the instructions are missing).
/// What gradus_bf16_dot_speedup takes the best of; scripts/roofline/bf16_peak.c prints them.
void gradus_bf16_rates(long steps, double *fma, double *bf16);

/// Whether oneDNN runs bfloat16 products on AMX here.
int gradus_bf16_amx(void);

/// out[i] = x[i] rounded to bfloat16 (nearest, ties to even; NaN stays a quiet NaN), as the upper 16
/// bits of a Float32.
void gradus_round_to_bf16(const float *x, long n, uint16_t *out);

/// gradus_round_to_bf16 on a chosen path (tests compare them): 2 AVX512_BF16's conversion (subnormals
/// through the integer form), 1 the AVX-512 integer form, 0 portable C, -1 the best this processor
/// runs; a path the processor lacks falls back to the best it has.
void gradus_round_to_bf16_with(const float *x, long n, uint16_t *out, int path);

/// The path gradus_round_to_bf16 takes on this processor (2, 1 or 0 as above).
int gradus_round_to_bf16_best(void);

/// The columns [first, last) of `rows` rows `ld` floats apart at x rounded as gradus_round_to_bf16 rounds
/// them into out (same layout), and each column's sum over the rows into sums[first..<last]: Float32
/// additions from 0 in row order, the order of a column sum computed alone. One pass where a linear
/// layer's backward read its output gradient twice (rounding for the products, the bias gradient).
/// `path` as for gradus_round_to_bf16_with.
void gradus_round_to_bf16_column_sums(const float *x, long rows, long ld, long first, long last,
                                      uint16_t *out, float *sums, int path);

/// Elements of bfloat16 scratch a thread keeps between products (64 MiB); larger requests are
/// allocated and freed each time.
#define GRADUS_BF16_SCRATCH_KEPT (1L << 25)

/// Room for `count` bfloat16 values: the calling thread's kept buffer (grown as needed) or, above
/// GRADUS_BF16_SCRATCH_KEPT, a new allocation; NULL when memory ran out. Valid until the thread's next
/// acquire; hand it back with gradus_bf16_scratch_release.
uint16_t *gradus_bf16_scratch_acquire(long count);

/// Ends the use of a buffer from gradus_bf16_scratch_acquire (frees it unless it is the thread's kept one).
void gradus_bf16_scratch_release(uint16_t *buffer);

/// c = op(a)·op(b) + beta·c with a, b in bfloat16 (row-major, leading dimensions as stored), c in
/// Float32, accumulation in Float32; beta is 0 or 1. The calling thread keeps the primitives of its last
/// 32 shapes (with strides, transposition and beta) for the next products. Returns 0 on success, oneDNN's status otherwise
/// (nothing written).
int gradus_bf16_gemm(long m, long n, long k, const uint16_t *a, long lda, int trans_a,
                     const uint16_t *b, long ldb, int trans_b, float beta, float *c, long ldc);

/// gradus_bf16_gemm plus a bias row: c = op(a)·op(b) + bias + beta·c, `bias` holding n Float32 values
/// added to every row by the product itself (NULL: none). A linear layer's output then needs no bias
/// rows written first and read back by the product.
int gradus_bf16_gemm_bias(long m, long n, long k, const uint16_t *a, long lda, int trans_a,
                          const uint16_t *b, long ldb, int trans_b, float beta, const float *bias, float *c, long ldc);

/// c = op(a)·op(b) + bias (in every row) with a, b, bias and c in Float32, through the same kept
/// matmul primitives as the bfloat16 products: a linear layer's forward product, which with dnnl_sgemm
/// needed rows filled with the bias first and read back (beta 1). Returns 0 on success, oneDNN's status
/// otherwise (nothing written).
int gradus_f32_gemm_bias(long m, long n, long k, const float *a, long lda, int trans_a,
                         const float *b, long ldb, int trans_b, const float *bias, float *c, long ldc);
#endif

#ifndef GRADUS_PRECISION_SCOPE_H
#define GRADUS_PRECISION_SCOPE_H
/// The calling thread's Float32 product precision scope (0: the process-wide setting, 1: highest,
/// 2: medium), set by MatrixProductBackend.withFloat32Precision and carried to worker threads by
/// WorkerPool; a C thread-local because Swift has no cheap one.
int gradus_precision_scope_get(void);
void gradus_precision_scope_set(int scope);

/// The calling thread's thread-count scope (0: the process-wide count), set by Threading.withCount.
int gradus_thread_count_scope_get(void);
void gradus_thread_count_scope_set(int count);
#endif
