// See include/gradus_activations.h.
#include "gradus_activations.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

// e^x by Cephes's expf: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 polynomial, times 2^n built
// in the exponent bits. Arguments are clamped to [-87.3, 88.7] (outside, the result would be subnormal
// or infinite); a NaN fails both comparisons and propagates through the polynomial.
static inline __attribute__((always_inline)) float exp_f32(float x) {
    x = x < -87.3f ? -87.3f : x;
    x = x > 88.7f ? 88.7f : x;
    const float n = rintf(x * 1.44269504088896341f);
    float r = fmaf(n, -0.693359375f, x);
    r = fmaf(n, 2.12194440e-4f, r);
    float p = 1.9875691500e-4f;
    p = fmaf(p, r, 1.3981999507e-3f);
    p = fmaf(p, r, 8.3334519073e-3f);
    p = fmaf(p, r, 4.1665795894e-2f);
    p = fmaf(p, r, 1.6666665459e-1f);
    p = fmaf(p, r, 5.0000001201e-1f);
    p = fmaf(p, r * r, r) + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

static inline __attribute__((always_inline)) float sigmoid_f32(float x) { return 1.0f / (1.0f + exp_f32(-x)); }

// Cephes's tanhf: an odd polynomial for |x| < 0.625, 1 − 2/(e^{2|x|} + 1) with the sign of x above.
static inline __attribute__((always_inline)) float tanh_f32(float x) {
    const float a = fabsf(x);
    const float z = x * x;
    float p = -5.70498872745e-3f;
    p = fmaf(p, z, 2.06390887954e-2f);
    p = fmaf(p, z, -5.37397155531e-2f);
    p = fmaf(p, z, 1.33314422036e-1f);
    p = fmaf(p, z, -3.33332819422e-1f);
    const float small = copysignf(fmaf(p * z, a, a), x);   // odd, and keeps the sign of -0
    const float large = copysignf(1.0f - 2.0f / (exp_f32(2.0f * a) + 1.0f), x);
    return a < 0.625f ? small : large;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void sigmoid_avx2(const float *x, float *y, long n) { for (long i = 0; i < n; i++) y[i] = sigmoid_f32(x[i]); }

__attribute__((target("avx2,fma")))
static void tanh_avx2(const float *x, float *y, long n) { for (long i = 0; i < n; i++) y[i] = tanh_f32(x[i]); }

static int has_avx2_fma(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cached;
}
#endif

void gradus_sigmoid_f32(const float *x, float *y, long n) {
#if defined(__x86_64__)
    if (has_avx2_fma()) { sigmoid_avx2(x, y, n); return; }
#endif
    for (long i = 0; i < n; i++) y[i] = sigmoid_f32(x[i]);
}

void gradus_tanh_f32(const float *x, float *y, long n) {
#if defined(__x86_64__)
    if (has_avx2_fma()) { tanh_avx2(x, y, n); return; }
#endif
    for (long i = 0; i < n; i++) y[i] = tanh_f32(x[i]);
}
