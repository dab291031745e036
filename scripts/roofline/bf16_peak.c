// The bfloat16 dot-product peak of one core (AVX512_BF16's VDPBF16PS: 16 lanes, each 2 products summed
// into Float32, 64 flops per instruction) beside the Float32 FMA peak, both with twelve independent
// chains. Whether bf16 products can beat Float32 at all on this processor without AMX: on AMD Zen 4 the
// bf16 rate is twice the FMA rate, on Intel Xeons (Sapphire/Emerald Rapids) with AMX hidden it is half.
//
//   gcc -O2 scripts/roofline/bf16_peak.c -o /tmp/bf16_peak && /tmp/bf16_peak
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

__attribute__((target("avx512f"))) static double fma_gflops(long steps) {
    __m512 acc[12];
    const __m512 b = _mm512_set1_ps(1.0000001f), c = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) acc[i] = _mm512_set1_ps((float)i);
    double t = now();
    for (long k = 0; k < steps; k++) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) acc[i] = _mm512_fmadd_ps(acc[i], b, c);
    }
    double dt = now() - t;
    float sink = 0;
    for (int i = 0; i < 12; i++) sink += _mm512_reduce_add_ps(acc[i]);
    if (sink == 12345.0f) printf(" ");   // keeps the chains alive
    return steps * 12.0 * 16 * 2 / dt / 1e9;
}

__attribute__((target("avx512f,avx512bf16"))) static double bf16_gflops(long steps) {
    __m512 acc[12];
    const __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80), b = (__m512bh)_mm512_set1_epi16(0x3400);
    for (int i = 0; i < 12; i++) acc[i] = _mm512_set1_ps((float)i);
    double t = now();
    for (long k = 0; k < steps; k++) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
    }
    double dt = now() - t;
    float sink = 0;
    for (int i = 0; i < 12; i++) sink += _mm512_reduce_add_ps(acc[i]);
    if (sink == 12345.0f) printf(" ");
    return steps * 12.0 * 16 * 4 / dt / 1e9;
}

int main(void) {
    if (!__builtin_cpu_supports("avx512bf16")) { printf("bf16_peak: no AVX512_BF16 on this processor\n"); return 0; }
    for (int r = 0; r < 5; r++) {
        double f = fma_gflops(200000000 / 12), h = bf16_gflops(200000000 / 12);
        printf("fp32_fma %.1f GFLOP/s  bf16_dot %.1f GFLOP/s  ratio %.2f threads=1\n", f, h, h / f);
    }
    return 0;
}
