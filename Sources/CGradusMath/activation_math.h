// Scalar exp, sigmoid and tanh built from arithmetic only, inlined into the vectorized loops of
// gradus_activations.c and gradus_lstm.c (a private header, not part of the module).
#ifndef GRADUS_ACTIVATION_MATH_H
#define GRADUS_ACTIVATION_MATH_H
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

int gradus_has_avx2_fma(void);
// Whether the AVX-512 Foundation copies of kernels may run: the processor has AVX512F and the portable
// kernels are not asked for (KernelTesting.withPortableKernels). x86-64 only (gradus_pooling.c).
int gradus_has_avx512f(void);

#endif
