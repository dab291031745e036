// The FP32 fused multiply-add peak of one core: twelve independent AVX-512 FMA chains (enough to
// cover the FMA latency on both ports), 200 million FMAs, five runs. The ceiling for sgemm_N.
//
//   gcc -O2 scripts/roofline/fma_peak.c -o /tmp/fma_peak && /tmp/fma_peak
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

__attribute__((target("avx512f"))) static double gflops(long steps) {
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

int main(void) {
    for (int r = 0; r < 5; r++) printf("fma_peak %.1f GFLOP/s threads=1\n", gflops(200000000 / 12));
    return 0;
}
