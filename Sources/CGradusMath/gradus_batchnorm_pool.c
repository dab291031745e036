// See include/gradus_batchnorm.h (batch normalization, ReLU and 2×2 max pooling in one pass).
//
// Per window the forward keeps one byte, `code`: the winner's place (0 top left, 1 top right, 2 bottom
// left, 3 bottom right, PyTorch's scan order) and BNP_STOPPED when the winner's value is ≤ 0, where the
// ReLU stops the gradient (a NaN passes it, as PyTorch's threshold_backward). The backward passes read
// the pooled gradient and these bytes instead of a full-size gradient: the gradient that reaches the
// normalization is the window's gradient at its winner and 0 elsewhere.
#include "gradus_batchnorm.h"
#include "activation_math.h"
#include "pool2x2_windows.h"
#include <stdint.h>

// No contraction of a·b + c into one rounding: the pooled values must be the separate normalization's
// and ReLU's bit for bit (gradus_batchnorm.c compiles its normalize pass the same way).
#pragma STDC FP_CONTRACT OFF
#if defined(__FAST_MATH__)
#error "gradus_batchnorm_pool.c must not be built with -ffast-math: clang then contracts into FMA despite the pragma"
#endif

#define BNP_STOPPED 4
// Windows summed in Float32 vectors before the partial sums go into a double.
#define BNP_BLOCK 2048
// How far ahead the backward passes prefetch (bnp_prefetch_planes).
#define BNP_PREFETCH_BYTES 4096

#define BNP_T float
#define BNP_SFX f32
#include "batchnorm_pool_template.h"
#undef BNP_T
#undef BNP_SFX

#define BNP_T double
#define BNP_SFX f64
#include "batchnorm_pool_template.h"
#undef BNP_T
#undef BNP_SFX

// Float32 with AVX-512: 16 windows of a row pair at a time, the rows' even and odd columns separated
// by the permutations of pool2x2_windows.h (as in gradus_pooling.c), the tail of each row masked.
#if defined(__x86_64__)

// max((x − center)·scale + shift, 0) as bnp_relu_ (v < 0 ? 0 : v keeps NaN and −0).
__attribute__((target("avx512f"), always_inline)) static inline __m512 bnp_relu_avx512(__m512 x, __m512 c, __m512 s, __m512 b) {
    const __m512 v = _mm512_add_ps(_mm512_mul_ps(_mm512_sub_ps(x, c), s), b);
    return _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ), _mm512_setzero_ps());
}

// The codes of `n` ≤ 16 windows as 32-bit lanes (0 beyond n), by a masked byte load: a copy of a short
// tail through the stack made the narrow rows of small images (4 or 8 windows) several times slower
// (the vector load then waits for the bytes' stores to retire).
__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline)) static inline __m512i bnp_codes(const uint8_t *co, __mmask16 in) {
    return _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(in, co));
}

// Whether the AVX-512 copies may run: they use AVX512BW and AVX512VL for the codes besides AVX512F (every
// AVX-512 processor of ours has the three).
static int bnp_has_avx512(void) {
    static int known = -1;
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    }
    return known && gradus_has_avx512f();
}

__attribute__((target("avx512f,avx512bw,avx512vl")))
static void bnp_forward_avx512_f32(const float *x, long planes, long stride, long h, long w, float center, float scale,
                                   float shift, float *y, uint8_t *codes, long ostride) {
    const long oh = h / 2, ow = w / 2;
    const __m512i even = POOL2X2_EVEN_LANES, odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const __m512 cv = _mm512_set1_ps(center), sv = _mm512_set1_ps(scale), bv = _mm512_set1_ps(shift);
    for (long p = 0; p < planes; p++) {
        for (long oy = 0; oy < oh; oy++) {
            const float *r0 = x + p * stride + 2 * oy * w, *r1 = r0 + w;
            float *yo = y + p * ostride + oy * ow;
            uint8_t *co = codes + p * ostride + oy * ow;
            for (long ox = 0; ox < ow; ox += 16) {
                const long n = ow - ox < 16 ? ow - ox : 16;
                const __mmask16 lo = pool2x2_low_mask(n), hi = pool2x2_high_mask(n), out = (__mmask16)((1u << n) - 1);
                const __m512 r0lo = bnp_relu_avx512(_mm512_maskz_loadu_ps(lo, r0 + 2 * ox), cv, sv, bv);
                const __m512 r0hi = bnp_relu_avx512(_mm512_maskz_loadu_ps(hi, r0 + 2 * ox + 16), cv, sv, bv);
                const __m512 r1lo = bnp_relu_avx512(_mm512_maskz_loadu_ps(lo, r1 + 2 * ox), cv, sv, bv);
                const __m512 r1hi = bnp_relu_avx512(_mm512_maskz_loadu_ps(hi, r1 + 2 * ox + 16), cv, sv, bv);
                const __m512 a = _mm512_permutex2var_ps(r0lo, even, r0hi), b = _mm512_permutex2var_ps(r0lo, odd, r0hi);
                const __m512 c = _mm512_permutex2var_ps(r1lo, even, r1hi), d = _mm512_permutex2var_ps(r1lo, odd, r1hi);
                __m512i at;
                const __m512 best = pool2x2_winner(a, b, c, d, &at);
                const __mmask16 stopped = _mm512_cmp_ps_mask(best, _mm512_setzero_ps(), _CMP_LE_OQ);
                at = _mm512_mask_or_epi32(at, stopped, at, _mm512_set1_epi32(BNP_STOPPED));
                _mm512_mask_storeu_ps(yo + ox, out, best);
                _mm512_mask_cvtepi32_storeu_epi8(co + ox, out, at);
            }
        }
    }
}

// Software prefetch of `bytes` from `p` into L1. A channel's planes are short runs (4 KB down to 256 B in
// cnn_c3_b64) one whole sample apart, and x has left the caches by the backward: the hardware
// prefetchers, which stop at page ends, restart on every plane, and each run waits for memory.
__attribute__((always_inline)) static inline void bnp_prefetch(const void *p, long bytes) {
    const uintptr_t end = (uintptr_t)p + (uintptr_t)bytes;
    for (uintptr_t line = (uintptr_t)p & ~(uintptr_t)63; line < end; line += 64) _mm_prefetch((const char *)line, _MM_HINT_T0);
}

// The same for lines about to be written (PREFETCHW: the line arrives ready to be modified, so that the
// stores into dx, which would each wait for their line, do not). Input gradients of cnn_c3_b64's blocks:
// 600 → 300 µs on [64, 128, 8, 8], 660 → 360 on [64, 32, 32, 32] from cold caches.
__attribute__((target("prfchw"), always_inline)) static inline void bnp_prefetch_write(void *p, long bytes) {
    const uintptr_t end = (uintptr_t)p + (uintptr_t)bytes;
    for (uintptr_t line = (uintptr_t)p & ~(uintptr_t)63; line < end; line += 64) _m_prefetchw((void *)line);
}

// How many planes ahead the backward passes prefetch: about 4 KB ahead, at least the next plane (the sums
// of cnn_c3_b64's blocks from cold caches: 1,050 → 370 µs on [64, 32, 32, 32], 910 → 550 on [64, 128, 8, 8];
// 2 KB to 16 KB ahead all within 15% of that).
static inline long bnp_prefetch_planes(long h, long w) {
    const long bytes = h * w * (long)sizeof(float);
    const long planes = BNP_PREFETCH_BYTES / (bytes > 0 ? bytes : 1);
    return planes < 1 ? 1 : planes > 16 ? 16 : planes;
}

// Σ of a Float32 vector's lanes, in double.
__attribute__((target("avx512f"), always_inline)) static inline double bnp_hsum(__m512 v) {
    return _mm512_reduce_add_pd(_mm512_add_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(v)),
                                              _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)))));
}

__attribute__((target("avx512f,avx512bw,avx512vl")))
static void bnp_grad_sums_avx512_f32(const float *dy, const uint8_t *codes, long ostride, const float *x, long planes,
                                     long stride, long h, long w, float center, float scale, double *sumdy,
                                     double *sumdyxhat) {
    const long oh = h / 2, ow = w / 2;
    const __m512i even = POOL2X2_EVEN_LANES, odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const __m512 cv = _mm512_set1_ps(center), kv = _mm512_set1_ps(scale);
    double s = 0, q = 0;
    __m512 sv = _mm512_setzero_ps(), qv = _mm512_setzero_ps();
    long pending = 0;
    const long ahead = bnp_prefetch_planes(h, w);
    for (long p = 0; p < planes; p++) {
        for (long oy = 0; oy < oh; oy++) {
            const float *r0 = x + p * stride + 2 * oy * w, *r1 = r0 + w;
            const float *g = dy + p * ostride + oy * ow;
            const uint8_t *co = codes + p * ostride + oy * ow;
            if (p + ahead < planes) {
                bnp_prefetch(r0 + ahead * stride, 2 * w * (long)sizeof(float));
                bnp_prefetch(g + ahead * ostride, ow * (long)sizeof(float));
                bnp_prefetch(co + ahead * ostride, ow);
            }
            for (long ox = 0; ox < ow; ox += 16) {
                const long n = ow - ox < 16 ? ow - ox : 16;
                const __mmask16 lo = pool2x2_low_mask(n), hi = pool2x2_high_mask(n), in = (__mmask16)((1u << n) - 1);
                const __m512 gv = _mm512_maskz_loadu_ps(in, g + ox);
                const __m512i code = bnp_codes(co + ox, in);
                const __m512 x0lo = _mm512_maskz_loadu_ps(lo, r0 + 2 * ox), x0hi = _mm512_maskz_loadu_ps(hi, r0 + 2 * ox + 16);
                const __m512 x1lo = _mm512_maskz_loadu_ps(lo, r1 + 2 * ox), x1hi = _mm512_maskz_loadu_ps(hi, r1 + 2 * ox + 16);
                __m512 xs = _mm512_permutex2var_ps(x0lo, even, x0hi);
                xs = _mm512_mask_mov_ps(xs, _mm512_cmpeq_epi32_mask(code, _mm512_set1_epi32(1)),
                                        _mm512_permutex2var_ps(x0lo, odd, x0hi));
                xs = _mm512_mask_mov_ps(xs, _mm512_cmpeq_epi32_mask(code, _mm512_set1_epi32(2)),
                                        _mm512_permutex2var_ps(x1lo, even, x1hi));
                xs = _mm512_mask_mov_ps(xs, _mm512_cmpeq_epi32_mask(code, _mm512_set1_epi32(3)),
                                        _mm512_permutex2var_ps(x1lo, odd, x1hi));
                const __mmask16 live = _mm512_mask_cmplt_epu32_mask(in, code, _mm512_set1_epi32(BNP_STOPPED));
                sv = _mm512_mask_add_ps(sv, live, sv, gv);
                qv = _mm512_mask_add_ps(qv, live, qv, _mm512_mul_ps(gv, _mm512_mul_ps(_mm512_sub_ps(xs, cv), kv)));
                pending += n;
            }
            if (pending >= BNP_BLOCK) {
                s += bnp_hsum(sv);
                q += bnp_hsum(qv);
                sv = qv = _mm512_setzero_ps();
                pending = 0;
            }
        }
    }
    *sumdy = s + bnp_hsum(sv);
    *sumdyxhat = q + bnp_hsum(qv);
}

// dx of one vector of columns: g·a + ((x − center)·scale)·b + c with the batch's statistics, g·a without
// (the order and roundings of batchnorm_template.h's grad-input and scale bodies).
__attribute__((target("avx512f"), always_inline))
static inline void bnp_store_dx(float *o, const float *r, __mmask16 m, __m512 g, __m512 cv, __m512 sv, __m512 av, __m512 bv,
                                __m512 kv, int statistics) {
    if (!m) return;
    __m512 v = _mm512_mul_ps(g, av);
    if (statistics) {
        const __m512 xhat = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, r), cv), sv);
        v = _mm512_add_ps(_mm512_add_ps(v, _mm512_mul_ps(xhat, bv)), kv);
    }
    _mm512_mask_storeu_ps(o, m, v);
}

__attribute__((target("avx512f,avx512bw,avx512vl,prfchw")))
static void bnp_grad_input_avx512_f32(const float *dy, const uint8_t *codes, long ostride, const float *x, float *dx, long planes,
                                      long stride, long h, long w, float center, float scale, float a, float b, float c,
                                      int statistics) {
    const long oh = h / 2, ow = w / 2;
    const __m512i first = POOL2X2_FIRST_COLUMNS, second = POOL2X2_SECOND_COLUMNS;
    const __m512 cv = _mm512_set1_ps(center), sv = _mm512_set1_ps(scale), av = _mm512_set1_ps(a), bv = _mm512_set1_ps(b),
                 kv = _mm512_set1_ps(c);
    const long ahead = bnp_prefetch_planes(h, w);
    for (long p = 0; p < planes; p++) {
        const float *xp = x + p * stride;
        float *dp = dx + p * stride;
        for (long oy = 0; oy < oh; oy++) {
            const float *r0 = xp + 2 * oy * w, *r1 = r0 + w;
            float *o0 = dp + 2 * oy * w, *o1 = o0 + w;
            const float *g = dy + p * ostride + oy * ow;
            const uint8_t *co = codes + p * ostride + oy * ow;
            if (p + ahead < planes) bnp_prefetch_write(o0 + ahead * stride, 2 * w * (long)sizeof(float));
            for (long ox = 0; ox < ow; ox += 16) {
                const long n = ow - ox < 16 ? ow - ox : 16;
                const __mmask16 lo = pool2x2_low_mask(n), hi = pool2x2_high_mask(n), in = (__mmask16)((1u << n) - 1);
                const __m512 gv = _mm512_maskz_loadu_ps(in, g + ox);
                const __m512i code = bnp_codes(co + ox, in);
                const __m512 ga = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(code, _mm512_setzero_si512()), gv);
                const __m512 gb = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(code, _mm512_set1_epi32(1)), gv);
                const __m512 gc = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(code, _mm512_set1_epi32(2)), gv);
                const __m512 gd = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(code, _mm512_set1_epi32(3)), gv);
                const long col = 2 * ox;
                bnp_store_dx(o0 + col, r0 + col, lo, _mm512_permutex2var_ps(ga, first, gb), cv, sv, av, bv, kv, statistics);
                bnp_store_dx(o0 + col + 16, r0 + col + 16, hi, _mm512_permutex2var_ps(ga, second, gb), cv, sv, av, bv, kv, statistics);
                bnp_store_dx(o1 + col, r1 + col, lo, _mm512_permutex2var_ps(gc, first, gd), cv, sv, av, bv, kv, statistics);
                bnp_store_dx(o1 + col + 16, r1 + col + 16, hi, _mm512_permutex2var_ps(gc, second, gd), cv, sv, av, bv, kv, statistics);
            }
            // An odd last column belongs to no window.
            for (long ix = 2 * ow; ix < w; ix++) {
                o0[ix] = statistics ? 0.0f * a + ((r0[ix] - center) * scale) * b + c : 0.0f * a;
                o1[ix] = statistics ? 0.0f * a + ((r1[ix] - center) * scale) * b + c : 0.0f * a;
            }
        }
        // An odd last row likewise.
        for (long ix = 2 * oh * w; ix < h * w; ix++)
            dp[ix] = statistics ? 0.0f * a + ((xp[ix] - center) * scale) * b + c : 0.0f * a;
    }
}
#endif

void gradus_bn_relu_pool2x2_f32(const float *x, long planes, long stride, long h, long w, float center, float scale, float shift,
                                float *y, uint8_t *codes, long ostride) {
#if defined(__x86_64__)
    if (bnp_has_avx512()) {
        bnp_forward_avx512_f32(x, planes, stride, h, w, center, scale, shift, y, codes, ostride);
        return;
    }
#endif
    bnp_plain_forward_f32(x, planes, stride, h, w, center, scale, shift, y, codes, ostride);
}

void gradus_bn_relu_pool2x2_f64(const double *x, long planes, long stride, long h, long w, double center, double scale,
                                double shift, double *y, uint8_t *codes, long ostride) {
    bnp_plain_forward_f64(x, planes, stride, h, w, center, scale, shift, y, codes, ostride);
}

void gradus_bn_relu_pool2x2_grad_sums_f32(const float *dy, const uint8_t *codes, long ostride, const float *x, long planes,
                                          long stride, long h, long w, float center, float scale, double *sumdy,
                                          double *sumdyxhat) {
#if defined(__x86_64__)
    if (bnp_has_avx512()) {
        bnp_grad_sums_avx512_f32(dy, codes, ostride, x, planes, stride, h, w, center, scale, sumdy, sumdyxhat);
        return;
    }
#endif
    bnp_plain_grad_sums_f32(dy, codes, ostride, x, planes, stride, h, w, center, scale, sumdy, sumdyxhat);
}

void gradus_bn_relu_pool2x2_grad_sums_f64(const double *dy, const uint8_t *codes, long ostride, const double *x, long planes,
                                          long stride, long h, long w, double center, double scale, double *sumdy,
                                          double *sumdyxhat) {
    bnp_plain_grad_sums_f64(dy, codes, ostride, x, planes, stride, h, w, center, scale, sumdy, sumdyxhat);
}

void gradus_bn_relu_pool2x2_grad_input_f32(const float *dy, const uint8_t *codes, long ostride, const float *x, float *dx,
                                           long planes, long stride, long h, long w, float center, float scale, float a, float b,
                                           float c, int statistics) {
#if defined(__x86_64__)
    if (bnp_has_avx512()) {
        bnp_grad_input_avx512_f32(dy, codes, ostride, x, dx, planes, stride, h, w, center, scale, a, b, c, statistics);
        return;
    }
#endif
    bnp_plain_grad_input_f32(dy, codes, ostride, x, dx, planes, stride, h, w, center, scale, a, b, c, statistics);
}

void gradus_bn_relu_pool2x2_grad_input_f64(const double *dy, const uint8_t *codes, long ostride, const double *x, double *dx,
                                           long planes, long stride, long h, long w, double center, double scale, double a,
                                           double b, double c, int statistics) {
    bnp_plain_grad_input_f64(dy, codes, ostride, x, dx, planes, stride, h, w, center, scale, a, b, c, statistics);
}
