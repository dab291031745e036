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

#if defined(__x86_64__)
#include <immintrin.h>

int gradus_gemv_u8s8s32_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") ? 1 : 0;
}

__attribute__((target("avx512f,avx512bw,avx512vnni")))
void gradus_gemv_u8s8s32(long n, long k, const uint8_t *x, const int8_t *w, int32_t *out) {
    const long full = k & ~63L;
    const __mmask64 tail = (k - full) == 0 ? 0 : (~0ULL >> (64 - (k - full)));
    long j = 0;
    // Four weight rows per pass: each 64-byte block of x is loaded once for the four.
    for (; j + 4 <= n; j += 4) {
        const int8_t *w0 = w + j * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
        for (long p = 0; p < full; p += 64) {
            const __m512i xv = _mm512_loadu_si512((const void *)(x + p));
            a0 = _mm512_dpbusd_epi32(a0, xv, _mm512_loadu_si512((const void *)(w0 + p)));
            a1 = _mm512_dpbusd_epi32(a1, xv, _mm512_loadu_si512((const void *)(w1 + p)));
            a2 = _mm512_dpbusd_epi32(a2, xv, _mm512_loadu_si512((const void *)(w2 + p)));
            a3 = _mm512_dpbusd_epi32(a3, xv, _mm512_loadu_si512((const void *)(w3 + p)));
        }
        if (tail) {
            const __m512i xv = _mm512_maskz_loadu_epi8(tail, x + full);
            a0 = _mm512_dpbusd_epi32(a0, xv, _mm512_maskz_loadu_epi8(tail, w0 + full));
            a1 = _mm512_dpbusd_epi32(a1, xv, _mm512_maskz_loadu_epi8(tail, w1 + full));
            a2 = _mm512_dpbusd_epi32(a2, xv, _mm512_maskz_loadu_epi8(tail, w2 + full));
            a3 = _mm512_dpbusd_epi32(a3, xv, _mm512_maskz_loadu_epi8(tail, w3 + full));
        }
        out[j] = _mm512_reduce_add_epi32(a0);
        out[j + 1] = _mm512_reduce_add_epi32(a1);
        out[j + 2] = _mm512_reduce_add_epi32(a2);
        out[j + 3] = _mm512_reduce_add_epi32(a3);
    }
    for (; j < n; j++) {
        const int8_t *wr = w + j * k;
        __m512i a = _mm512_setzero_si512();
        for (long p = 0; p < full; p += 64) {
            a = _mm512_dpbusd_epi32(a, _mm512_loadu_si512((const void *)(x + p)), _mm512_loadu_si512((const void *)(wr + p)));
        }
        if (tail) a = _mm512_dpbusd_epi32(a, _mm512_maskz_loadu_epi8(tail, x + full), _mm512_maskz_loadu_epi8(tail, wr + full));
        out[j] = _mm512_reduce_add_epi32(a);
    }
}
#else
int gradus_gemv_u8s8s32_available(void) { return 0; }
void gradus_gemv_u8s8s32(long n, long k, const uint8_t *x, const int8_t *w, int32_t *out) {
    for (long j = 0; j < n; j++) {
        int32_t s = 0;
        for (long p = 0; p < k; p++) s += (int32_t)x[p] * (int32_t)w[j * k + p];
        out[j] = s;
    }
}
#endif
