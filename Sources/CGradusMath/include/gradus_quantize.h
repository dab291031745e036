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

#ifndef GRADUS_QUANTIZE_PANELS_H
#define GRADUS_QUANTIZE_PANELS_H
// One activation row against int8 weights packed once into panels of 16 output rows, four inputs per
// lane (the layout of AVX512-VNNI's `vpdpbusd`: one 64-byte load holds 16 rows × 4 inputs), with the
// zero point's correction, the scales, bias and ReLU applied as each panel is stored.
//
// Hand-written: oneDNN's integer product (`dnnl_gemm_u8s8s32`) takes 2.2 µs for mlp_infer_b1's
// [1, 784]·[784, 256], where this needs 0.9 (AMD Zen 5: weights 200 KB from L2 at 230 GB/s, no
// horizontal sums); libxsmm has no u8·s8 matrix-vector kernel with per-channel scales.

/// Output rows per packed panel.
#define GRADUS_S8_PANEL 16

/// Bytes of an [n, k] int8 matrix packed by gradus_s8_pack_panels (rows rounded up to 16, inputs to 4).
long gradus_s8_panels_count(long n, long k);

/// Packs w ([n, k] row-major int8) as panels of 16 rows: for panel p and group g of four inputs, 64 bytes
/// holding, for each lane j < 16, w[16p + j][4g ..< 4g + 4] (zeros past row n and input k). `packed`
/// holds gradus_s8_panels_count bytes, 64-byte aligned.
void gradus_s8_pack_panels(long n, long k, const int8_t *w, int8_t *packed);

/// Whether gradus_s8_panels runs its AVX512-VNNI kernel here (AVX512_VNNI and AVX512BW); otherwise it
/// runs portable C.
int gradus_s8_panels_vnni_available(void);

/// y[j] = act((Σ_p x[p]·w[j][p] − zero_point·row_sums[j]) · (scale·channel_scales[j]) + bias[j]) for j < n,
/// over packed weights; the sums are exact in 32 bits for k ≤ 2^16. `x` holds k activations and must be
/// readable up to k rounded up to 4 (the padding's weights are 0). `bias` may be NULL; with `relu`,
/// values below 0 become 0 (NaN stays NaN). The arithmetic is gradus_dequantize_rows's, bit for bit.
void gradus_s8_panels(long n, long k, const int8_t *packed, const uint8_t *x, int32_t zero_point, const int32_t *row_sums,
                      float scale, const float *channel_scales, const float *bias, int relu, float *y);
#endif
