// See include/gradus_quantize.h. AVX-512 where the processor has it, else SSE2 (every x86-64 processor)
// where available: without -ffast-math the compiler keeps a min/max reduction scalar (NaN ordering),
// 4-8x slower on one-sample inference.
#include "gradus_quantize.h"
#include "gradus_activations.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static int range_with_zero_sse(const float *x, long n, float *low, float *high) {
    float lo = 0.0f, hi = 0.0f;
    int nan = 0;
    long i = 0;
#if defined(__SSE2__)
    __m128 vlo = _mm_setzero_ps(), vhi = _mm_setzero_ps(), vnan = _mm_setzero_ps();
    for (; i + 4 <= n; i += 4) {
        const __m128 v = _mm_loadu_ps(x + i);
        vlo = _mm_min_ps(vlo, v);
        vhi = _mm_max_ps(vhi, v);
        vnan = _mm_or_ps(vnan, _mm_cmpunord_ps(v, v));
    }
    float l[4], h[4];
    _mm_storeu_ps(l, vlo);
    _mm_storeu_ps(h, vhi);
    for (int j = 0; j < 4; j++) {
        lo = l[j] < lo ? l[j] : lo;
        hi = h[j] > hi ? h[j] : hi;
    }
    nan = _mm_movemask_ps(vnan) != 0;
#endif
    for (; i < n; i++) {
        const float v = x[i];
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        nan |= v != v;
    }
    *low = lo;
    *high = hi;
    return !nan;
}

static void quantize_u8_sse(const float *x, long n, float inverse_scale, float zero_point, float top, uint8_t *out) {
    long i = 0;
#if defined(__SSE2__)
    // cvtps rounds to nearest, ties to even (the default MXCSR mode); the clamp keeps the packs exact.
    const __m128 s = _mm_set1_ps(inverse_scale), z = _mm_set1_ps(zero_point), t = _mm_set1_ps(top), zero = _mm_setzero_ps();
    for (; i + 16 <= n; i += 16) {
        __m128i q[4];
        for (int j = 0; j < 4; j++) {
            __m128 v = _mm_cvtepi32_ps(_mm_cvtps_epi32(_mm_mul_ps(_mm_loadu_ps(x + i + 4 * j), s)));
            v = _mm_min_ps(_mm_max_ps(_mm_add_ps(v, z), zero), t);
            q[j] = _mm_cvtps_epi32(v);
        }
        const __m128i lowHalf = _mm_packs_epi32(q[0], q[1]), highHalf = _mm_packs_epi32(q[2], q[3]);
        _mm_storeu_si128((__m128i *)(out + i), _mm_packus_epi16(lowHalf, highHalf));
    }
#endif
    // Adding and subtracting 1.5 * 2^23 rounds to the nearest integer, ties to even, in the default
    // rounding mode, for magnitudes up to 2^22; the scaled activations lie within ±255.
    const float magic = 12582912.0f;
    for (; i < n; i++) {
        float v = x[i] * inverse_scale;
        v = (v + magic) - magic;
        v += zero_point;
        v = v < 0.0f ? 0.0f : v;
        v = v > top ? top : v;
        out[i] = (uint8_t)(int32_t)v;
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

static int has_avx512bw(void) {
    static int known = -1;
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    }
    return known && !gradus_portable_kernels_get();
}

// 16 lanes; the masked tail loads zeros, which the range includes anyway.
__attribute__((target("avx512f,avx512bw")))
static int range_with_zero_avx512(const float *x, long n, float *low, float *high) {
    __m512 lo = _mm512_setzero_ps(), hi = lo;
    __mmask16 nan = 0;
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 v = _mm512_loadu_ps(x + i);
        lo = _mm512_min_ps(lo, v);
        hi = _mm512_max_ps(hi, v);
        nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    }
    if (i < n) {
        const __mmask16 tail = (__mmask16)((1u << (n - i)) - 1u);
        const __m512 v = _mm512_maskz_loadu_ps(tail, x + i);
        lo = _mm512_min_ps(lo, v);
        hi = _mm512_max_ps(hi, v);
        nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    }
    *low = _mm512_reduce_min_ps(lo);
    *high = _mm512_reduce_max_ps(hi);
    return nan == 0;
}

// The SSE2 loop's arithmetic 16 lanes at a time; the clamp keeps the unsigned narrowing exact.
__attribute__((target("avx512f,avx512bw")))
static void quantize_u8_avx512(const float *x, long n, float inverse_scale, float zero_point, float top, uint8_t *out) {
    const __m512 s = _mm512_set1_ps(inverse_scale), z = _mm512_set1_ps(zero_point), t = _mm512_set1_ps(top);
    const __m512 zero = _mm512_setzero_ps();
    for (long i = 0; i < n; i += 16) {
        const __mmask16 mask = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1u);
        __m512 v = _mm512_cvtepi32_ps(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(mask, x + i), s)));
        v = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(v, z), zero), t);
        _mm512_mask_cvtusepi32_storeu_epi8(out + i, mask, _mm512_cvtps_epi32(v));
    }
}
#endif

int gradus_range_with_zero(const float *x, long n, float *low, float *high) {
#if defined(__x86_64__)
    if (has_avx512bw()) return range_with_zero_avx512(x, n, low, high);
#endif
    return range_with_zero_sse(x, n, low, high);
}

void gradus_quantize_u8(const float *x, long n, float inverse_scale, float zero_point, float top, uint8_t *out) {
#if defined(__x86_64__)
    if (has_avx512bw()) { quantize_u8_avx512(x, n, inverse_scale, zero_point, top, out); return; }
#endif
    quantize_u8_sse(x, n, inverse_scale, zero_point, top, out);
}

void gradus_dequantize_rows(const int32_t *acc, long rows, long n, float scale, const float *channel_scales,
                            const float *bias, int relu, float *y) {
    for (long r = 0; r < rows; r++) {
        const int32_t *a = acc + r * n;
        float *out = y + r * n;
        if (bias) {
            for (long j = 0; j < n; j++) out[j] = (float)a[j] * (scale * channel_scales[j]) + bias[j];
        } else {
            for (long j = 0; j < n; j++) out[j] = (float)a[j] * (scale * channel_scales[j]);
        }
        // The products are finite here (finite activations and weights), so max is exact.
        if (relu) for (long j = 0; j < n; j++) out[j] = out[j] < 0.0f ? 0.0f : out[j];
    }
}

long gradus_s8_panels_count(long n, long k) {
    const long panels = (n + GRADUS_S8_PANEL - 1) / GRADUS_S8_PANEL, groups = (k + 3) / 4;
    return panels * groups * GRADUS_S8_PANEL * 4;
}

void gradus_s8_pack_panels(long n, long k, const int8_t *w, int8_t *packed) {
    const long panels = (n + GRADUS_S8_PANEL - 1) / GRADUS_S8_PANEL, groups = (k + 3) / 4;
    for (long p = 0; p < panels; p++) {
        for (long g = 0; g < groups; g++) {
            int8_t *block = packed + (p * groups + g) * GRADUS_S8_PANEL * 4;
            for (long lane = 0; lane < GRADUS_S8_PANEL; lane++) {
                const long row = p * GRADUS_S8_PANEL + lane;
                for (long t = 0; t < 4; t++) {
                    const long column = g * 4 + t;
                    block[lane * 4 + t] = row < n && column < k ? w[row * k + column] : 0;
                }
            }
        }
    }
}

// One output: the integer sum with the zero point's correction, scaled, biased, rectified. The same
// expression (no fused multiply-add) as gradus_dequantize_rows, so both give identical results.
static inline float dequantized(int32_t sum, int32_t zero_point, int32_t row_sum, float scale, float channel_scale,
                                const float *bias, long row, int relu) {
    float v = (float)(sum - zero_point * row_sum) * (scale * channel_scale);
    if (bias) v = v + bias[row];
    return relu && v < 0.0f ? 0.0f : v;
}

static void s8_panels_portable(long n, long k, const int8_t *packed, const uint8_t *x, int32_t zero_point,
                               const int32_t *row_sums, float scale, const float *channel_scales, const float *bias,
                               int relu, float *y) {
    const long panels = (n + GRADUS_S8_PANEL - 1) / GRADUS_S8_PANEL, groups = (k + 3) / 4;
    for (long p = 0; p < panels; p++) {
        int32_t acc[GRADUS_S8_PANEL] = {0};
        for (long g = 0; g < groups; g++) {
            const int8_t *block = packed + (p * groups + g) * GRADUS_S8_PANEL * 4;
            for (long lane = 0; lane < GRADUS_S8_PANEL; lane++) {
                for (long t = 0; t < 4; t++) acc[lane] += (int32_t)x[g * 4 + t] * (int32_t)block[lane * 4 + t];
            }
        }
        for (long lane = 0; lane < GRADUS_S8_PANEL && p * GRADUS_S8_PANEL + lane < n; lane++) {
            const long row = p * GRADUS_S8_PANEL + lane;
            y[row] = dequantized(acc[lane], zero_point, row_sums[row], scale, channel_scales[row], bias, row, relu);
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

int gradus_s8_panels_vnni_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") ? 1 : 0;
}

// Stores one panel's 16 sums as outputs (masked past row n): (sum − z·Σq)·(s·sᵢ) + b, then ReLU.
// _mm512_max_ps(0, v) returns v when v is NaN, as torch.relu.
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static inline void store_panel(__m512i sum, long first_row, long n, int32_t zero_point, const int32_t *row_sums,
                               float scale, const float *channel_scales, const float *bias, int relu, float *y) {
    const long left = n - first_row;
    const __mmask16 mask = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
    const __m512i corrected = _mm512_sub_epi32(sum, _mm512_mullo_epi32(_mm512_set1_epi32(zero_point),
                                                                       _mm512_maskz_loadu_epi32(mask, row_sums + first_row)));
    const __m512 scales = _mm512_mul_ps(_mm512_set1_ps(scale), _mm512_maskz_loadu_ps(mask, channel_scales + first_row));
    __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(corrected), scales);
    if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, bias + first_row));
    if (relu) v = _mm512_max_ps(_mm512_setzero_ps(), v);
    _mm512_mask_storeu_ps(y + first_row, mask, v);
}

static inline int32_t four_activations(const uint8_t *x) {
    int32_t v;
    __builtin_memcpy(&v, x, 4);
    return v;
}

// Four panels (64 outputs) per pass, two accumulators each over even and odd groups of four inputs:
// eight independent dot-product chains hide VNNI's latency; each broadcast of four activations is
// used by the four panels.
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void s8_panels_vnni(long n, long k, const int8_t *packed, const uint8_t *x, int32_t zero_point,
                           const int32_t *row_sums, float scale, const float *channel_scales, const float *bias,
                           int relu, float *y) {
    const long panels = (n + GRADUS_S8_PANEL - 1) / GRADUS_S8_PANEL, groups = (k + 3) / 4;
    const long stride = groups * 64;   // bytes per panel
    long p = 0;
    for (; p + 4 <= panels; p += 4) {
        const int8_t *w0 = packed + p * stride, *w1 = w0 + stride, *w2 = w1 + stride, *w3 = w2 + stride;
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        long g = 0;
        for (; g + 2 <= groups; g += 2) {
            const __m512i x0 = _mm512_set1_epi32(four_activations(x + 4 * g));
            const __m512i x1 = _mm512_set1_epi32(four_activations(x + 4 * g + 4));
            const long o = g * 64;
            a0 = _mm512_dpbusd_epi32(a0, x0, _mm512_load_si512((const void *)(w0 + o)));
            a1 = _mm512_dpbusd_epi32(a1, x0, _mm512_load_si512((const void *)(w1 + o)));
            a2 = _mm512_dpbusd_epi32(a2, x0, _mm512_load_si512((const void *)(w2 + o)));
            a3 = _mm512_dpbusd_epi32(a3, x0, _mm512_load_si512((const void *)(w3 + o)));
            b0 = _mm512_dpbusd_epi32(b0, x1, _mm512_load_si512((const void *)(w0 + o + 64)));
            b1 = _mm512_dpbusd_epi32(b1, x1, _mm512_load_si512((const void *)(w1 + o + 64)));
            b2 = _mm512_dpbusd_epi32(b2, x1, _mm512_load_si512((const void *)(w2 + o + 64)));
            b3 = _mm512_dpbusd_epi32(b3, x1, _mm512_load_si512((const void *)(w3 + o + 64)));
        }
        if (g < groups) {
            const __m512i x0 = _mm512_set1_epi32(four_activations(x + 4 * g));
            const long o = g * 64;
            a0 = _mm512_dpbusd_epi32(a0, x0, _mm512_load_si512((const void *)(w0 + o)));
            a1 = _mm512_dpbusd_epi32(a1, x0, _mm512_load_si512((const void *)(w1 + o)));
            a2 = _mm512_dpbusd_epi32(a2, x0, _mm512_load_si512((const void *)(w2 + o)));
            a3 = _mm512_dpbusd_epi32(a3, x0, _mm512_load_si512((const void *)(w3 + o)));
        }
        store_panel(_mm512_add_epi32(a0, b0), p * 16, n, zero_point, row_sums, scale, channel_scales, bias, relu, y);
        store_panel(_mm512_add_epi32(a1, b1), p * 16 + 16, n, zero_point, row_sums, scale, channel_scales, bias, relu, y);
        store_panel(_mm512_add_epi32(a2, b2), p * 16 + 32, n, zero_point, row_sums, scale, channel_scales, bias, relu, y);
        store_panel(_mm512_add_epi32(a3, b3), p * 16 + 48, n, zero_point, row_sums, scale, channel_scales, bias, relu, y);
    }
    for (; p < panels; p++) {
        const int8_t *w0 = packed + p * stride;
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
        long g = 0;
        for (; g + 4 <= groups; g += 4) {
            const long o = g * 64;
            a0 = _mm512_dpbusd_epi32(a0, _mm512_set1_epi32(four_activations(x + 4 * g)), _mm512_load_si512((const void *)(w0 + o)));
            a1 = _mm512_dpbusd_epi32(a1, _mm512_set1_epi32(four_activations(x + 4 * g + 4)), _mm512_load_si512((const void *)(w0 + o + 64)));
            a2 = _mm512_dpbusd_epi32(a2, _mm512_set1_epi32(four_activations(x + 4 * g + 8)), _mm512_load_si512((const void *)(w0 + o + 128)));
            a3 = _mm512_dpbusd_epi32(a3, _mm512_set1_epi32(four_activations(x + 4 * g + 12)), _mm512_load_si512((const void *)(w0 + o + 192)));
        }
        for (; g < groups; g++) {
            a0 = _mm512_dpbusd_epi32(a0, _mm512_set1_epi32(four_activations(x + 4 * g)), _mm512_load_si512((const void *)(w0 + g * 64)));
        }
        const __m512i sum = _mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3));
        store_panel(sum, p * 16, n, zero_point, row_sums, scale, channel_scales, bias, relu, y);
    }
}
#else
int gradus_s8_panels_vnni_available(void) { return 0; }
#endif

void gradus_s8_panels(long n, long k, const int8_t *packed, const uint8_t *x, int32_t zero_point, const int32_t *row_sums,
                      float scale, const float *channel_scales, const float *bias, int relu, float *y) {
#if defined(__x86_64__)
    static int vnni = -1;
    if (vnni < 0) vnni = gradus_s8_panels_vnni_available();
    if (vnni && !gradus_portable_kernels_get()) {
        s8_panels_vnni(n, k, packed, x, zero_point, row_sums, scale, channel_scales, bias, relu, y);
        return;
    }
#endif
    s8_panels_portable(n, k, packed, x, zero_point, row_sums, scale, channel_scales, bias, relu, y);
}
