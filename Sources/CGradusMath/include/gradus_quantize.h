// Elementwise loops of dynamic int8 quantization (Sources/Gradus/Quantization/DynamicQuantization.swift),
// written in C so that they vectorize: Swift's rounding calls rintf through the PLT per element, which
// cost more than the integer product itself on one-sample inference.
#ifndef GRADUS_QUANTIZE_H
#define GRADUS_QUANTIZE_H
#include <stdint.h>

/// The smallest and largest of x[0..<n] and 0; returns 0 when some value is NaN (1 otherwise).
/// Infinities come back in low/high.
int gradus_range_with_zero(const float *x, long n, float *low, float *high);

/// out[i] = clamp(round_half_even(x[i] * inverse_scale) + zero_point, 0, top), for |x[i] * inverse_scale| ≤ 2^22.
void gradus_quantize_u8(const float *x, long n, float inverse_scale, float zero_point, float top, uint8_t *out);

/// y[r][j] = acc[r][j] * (scale * channel_scales[j]) + (bias ? bias[j] : 0), rows × n row-major, then
/// max(y, 0) when relu is nonzero (NaN stays NaN, as torch.relu).
void gradus_dequantize_rows(const int32_t *acc, long rows, long n, float scale, const float *channel_scales,
                            const float *bias, int relu, float *y);

#endif

#ifndef GRADUS_QUANTIZE_VNNI_H
#define GRADUS_QUANTIZE_VNNI_H
/// Whether gradus_gemv_u8s8s32 can run (AVX512_VNNI and AVX512BW).
int gradus_gemv_u8s8s32_available(void);

/// out[j] = Σ_p x[p] · w[j·k + p] for j < n: one activation row (unsigned 8-bit) against n weight rows
/// (signed 8-bit, row-major, k per row), exact in 32 bits for k < 2^16. Hand-written because oneDNN's
/// integer product takes 2.2 µs for mlp_infer_b1's [1, 784]·[784, 256] where VNNI dot products need ~1.
void gradus_gemv_u8s8s32(long n, long k, const uint8_t *x, const int8_t *w, int32_t *out);
#endif
