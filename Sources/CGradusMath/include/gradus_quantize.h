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

/// y[r][j] = acc[r][j] * (scale * channel_scales[j]) + (bias ? bias[j] : 0), rows × n row-major.
void gradus_dequantize_rows(const int32_t *acc, long rows, long n, float scale, const float *channel_scales,
                            const float *bias, float *y);

#endif
