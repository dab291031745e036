// See include/gradus_pooling.h.
#include "gradus_pooling.h"
#include "activation_math.h"
#include "gradus_activations.h"
#include "pool2x2_windows.h"
#include <math.h>
#include <string.h>

#define POOL_T float
#define POOL_SFX f32
#include "pooling_template.h"
#undef POOL_T
#undef POOL_SFX

#define POOL_T double
#define POOL_SFX f64
#include "pooling_template.h"
#undef POOL_T
#undef POOL_SFX

// 2×2 pooling of Float32 with AVX-512: 16 windows of a row pair at a time, the two rows' even and odd
// columns separated by permutations, the tail of each row masked. The compiler's vectorization of
// pool2x2_ needs whole vectors of windows per row, which images of 8 to 32 columns rarely give: it was
// no faster than the scalar loop on cnn_c3_b64.
#if defined(__x86_64__)
#include <immintrin.h>

int gradus_has_avx512f(void) {
    static int known = -1;
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx512f");
    }
    return known && !gradus_portable_kernels_get();
}

__attribute__((target("avx512f")))
static void pool2x2_avx512_f32(const float *x, long planes, long h, long w, long outH, long outW, float *y,
                               int32_t *winners) {
    const __m512i even = POOL2X2_EVEN_LANES, odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const __m512i one = _mm512_set1_epi32(1), width = _mm512_set1_epi32((int32_t)w);
    for (long p = 0; p < planes; p++) {
        const float *xp = x + p * h * w;
        for (long oy = 0; oy < outH; oy++) {
            const float *r0 = xp + 2 * oy * w, *r1 = r0 + w;
            float *yo = y + (p * outH + oy) * outW;
            int32_t *wo = winners + (p * outH + oy) * outW;
            for (long ox = 0; ox < outW; ox += 16) {
                const long n = outW - ox < 16 ? outW - ox : 16;
                const __mmask16 lo = pool2x2_low_mask(n), hi = pool2x2_high_mask(n), out = (__mmask16)((1u << n) - 1);
                const __m512 r0lo = _mm512_maskz_loadu_ps(lo, r0 + 2 * ox), r0hi = _mm512_maskz_loadu_ps(hi, r0 + 2 * ox + 16);
                const __m512 r1lo = _mm512_maskz_loadu_ps(lo, r1 + 2 * ox), r1hi = _mm512_maskz_loadu_ps(hi, r1 + 2 * ox + 16);
                const __m512 a = _mm512_permutex2var_ps(r0lo, even, r0hi), b = _mm512_permutex2var_ps(r0lo, odd, r0hi);
                const __m512 c = _mm512_permutex2var_ps(r1lo, even, r1hi), d = _mm512_permutex2var_ps(r1lo, odd, r1hi);
                __m512i place;
                const __m512 best = pool2x2_winner(a, b, c, d, &place);
                // The winner's index in the plane: its window's top left, + 1 on the right, + w below.
                __m512i at = _mm512_add_epi32(_mm512_set1_epi32((int32_t)(2 * oy * w + 2 * ox)), even);
                at = _mm512_add_epi32(at, _mm512_and_si512(place, one));
                at = _mm512_mask_add_epi32(at, _mm512_cmpge_epi32_mask(place, _mm512_set1_epi32(2)), at, width);
                _mm512_mask_storeu_ps(yo + ox, out, best);
                _mm512_mask_storeu_epi32(wo + ox, out, at);
            }
        }
    }
}

// The backward pass of pool2x2_avx512_f32: each input element written once, with its window's gradient
// where it won and 0 elsewhere (rows and columns that belong to no window too), without zeroing first.
__attribute__((target("avx512f")))
static void pool2x2_backward_avx512_f32(const float *dy, const int32_t *winners, long planes, long h, long w,
                                        long outH, long outW, float *dx) {
    const __m512i even = POOL2X2_EVEN_LANES, first = POOL2X2_FIRST_COLUMNS, second = POOL2X2_SECOND_COLUMNS;
    for (long p = 0; p < planes; p++) {
        float *d = dx + p * h * w;
        for (long oy = 0; oy < outH; oy++) {
            float *r0 = d + 2 * oy * w, *r1 = r0 + w;
            const float *g = dy + (p * outH + oy) * outW;
            const int32_t *at = winners + (p * outH + oy) * outW;
            for (long ox = 0; ox < outW; ox += 16) {
                const long n = outW - ox < 16 ? outW - ox : 16;
                const __mmask16 lo = pool2x2_low_mask(n), hi = pool2x2_high_mask(n), in = (__mmask16)((1u << n) - 1);
                const __m512 gv = _mm512_maskz_loadu_ps(in, g + ox);
                const __m512i top = _mm512_add_epi32(_mm512_set1_epi32((int32_t)(2 * oy * w + 2 * ox)), even);
                const __m512i offset = _mm512_sub_epi32(_mm512_maskz_loadu_epi32(in, at + ox), top);
                const __m512 ga = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(offset, _mm512_setzero_si512()), gv);
                const __m512 gb = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(offset, _mm512_set1_epi32(1)), gv);
                const __m512 gc = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(offset, _mm512_set1_epi32((int32_t)w)), gv);
                const __m512 gd = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(offset, _mm512_set1_epi32((int32_t)w + 1)), gv);
                _mm512_mask_storeu_ps(r0 + 2 * ox, lo, _mm512_permutex2var_ps(ga, first, gb));
                _mm512_mask_storeu_ps(r0 + 2 * ox + 16, hi, _mm512_permutex2var_ps(ga, second, gb));
                _mm512_mask_storeu_ps(r1 + 2 * ox, lo, _mm512_permutex2var_ps(gc, first, gd));
                _mm512_mask_storeu_ps(r1 + 2 * ox + 16, hi, _mm512_permutex2var_ps(gc, second, gd));
            }
            for (long ix = 2 * outW; ix < w; ix++) r0[ix] = r1[ix] = 0;   // an odd last column
        }
        if (2 * outH < h) memset(d + 2 * outH * w, 0, (size_t)((h - 2 * outH) * w) * sizeof(float));
    }
}
#endif

void gradus_maxpool2d_f32(const float *x, long planes, long h, long w, const gradus_pool_window *window,
                          float *y, int32_t *winners) {
#if defined(__x86_64__)
    if (is_2x2_f32(h, w, window) && gradus_has_avx512f()) {
        pool2x2_avx512_f32(x, planes, h, w, window->outH, window->outW, y, winners);
        return;
    }
#endif
    maxpool_f32(x, planes, h, w, window, y, winners);
}

void gradus_maxpool2d_f64(const double *x, long planes, long h, long w, const gradus_pool_window *window,
                          double *y, int32_t *winners) {
    maxpool_f64(x, planes, h, w, window, y, winners);
}

void gradus_maxpool2d_backward_f32(const float *dy, const int32_t *winners, long planes, long h, long w,
                                   const gradus_pool_window *window, float *dx) {
#if defined(__x86_64__)
    if (is_2x2_f32(h, w, window) && gradus_has_avx512f()) {
        pool2x2_backward_avx512_f32(dy, winners, planes, h, w, window->outH, window->outW, dx);
        return;
    }
#endif
    maxpool_backward_f32(dy, winners, planes, window->outH * window->outW, h * w, dx);
}

void gradus_maxpool2d_backward_f64(const double *dy, const int32_t *winners, long planes, long h, long w,
                                   const gradus_pool_window *window, double *dx) {
    maxpool_backward_f64(dy, winners, planes, window->outH * window->outW, h * w, dx);
}
