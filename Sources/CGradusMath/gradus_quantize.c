// See include/gradus_quantize.h. SSE2 (every x86-64 processor) where available: without -ffast-math the
// compiler keeps a min/max reduction scalar (NaN ordering), 4-8x slower on one-sample inference.
#include "gradus_quantize.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

int gradus_range_with_zero(const float *x, long n, float *low, float *high) {
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

void gradus_quantize_u8(const float *x, long n, float inverse_scale, float zero_point, float top, uint8_t *out) {
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

void gradus_dequantize_rows(const int32_t *acc, long rows, long n, float scale, const float *channel_scales,
                            const float *bias, float *y) {
    for (long r = 0; r < rows; r++) {
        const int32_t *a = acc + r * n;
        float *out = y + r * n;
        if (bias) {
            for (long j = 0; j < n; j++) out[j] = (float)a[j] * (scale * channel_scales[j]) + bias[j];
        } else {
            for (long j = 0; j < n; j++) out[j] = (float)a[j] * (scale * channel_scales[j]);
        }
    }
}
