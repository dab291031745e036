// See include/gradus_gemv.h.
#include "gradus_gemv.h"

#if defined(__x86_64__)
#include <immintrin.h>

int gradus_sgemv_rows_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
}

__attribute__((target("avx512f")))
static inline float finish(__m512 acc, float beta, const float *y) {
    float s = _mm512_reduce_add_ps(acc);
    return beta == 0.0f ? s : s + beta * *y;
}

__attribute__((target("avx512f")))
void gradus_sgemv_rows(long rows, long columns, const float *m, long ld, const float *x, float beta, float *y) {
    const long full = columns & ~15L;
    const __mmask16 tail = (__mmask16)((1u << (columns - full)) - 1u);
    long r = 0;
    // Four rows per pass: each step loads 16 elements of x once and of each row once.
    for (; r + 4 <= rows; r += 4) {
        const float *m0 = m + r * ld, *m1 = m0 + ld, *m2 = m1 + ld, *m3 = m2 + ld;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (long c = 0; c < full; c += 16) {
            const __m512 xv = _mm512_loadu_ps(x + c);
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(m0 + c), xv, a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(m1 + c), xv, a1);
            a2 = _mm512_fmadd_ps(_mm512_loadu_ps(m2 + c), xv, a2);
            a3 = _mm512_fmadd_ps(_mm512_loadu_ps(m3 + c), xv, a3);
        }
        if (tail) {
            const __m512 xv = _mm512_maskz_loadu_ps(tail, x + full);
            a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, m0 + full), xv, a0);
            a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, m1 + full), xv, a1);
            a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, m2 + full), xv, a2);
            a3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, m3 + full), xv, a3);
        }
        y[r] = finish(a0, beta, y + r);
        y[r + 1] = finish(a1, beta, y + r + 1);
        y[r + 2] = finish(a2, beta, y + r + 2);
        y[r + 3] = finish(a3, beta, y + r + 3);
    }
    for (; r < rows; r++) {
        const float *mr = m + r * ld;
        __m512 a = _mm512_setzero_ps();
        for (long c = 0; c < full; c += 16) a = _mm512_fmadd_ps(_mm512_loadu_ps(mr + c), _mm512_loadu_ps(x + c), a);
        if (tail) a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, mr + full), _mm512_maskz_loadu_ps(tail, x + full), a);
        y[r] = finish(a, beta, y + r);
    }
}

#else

int gradus_sgemv_rows_available(void) { return 0; }

void gradus_sgemv_rows(long rows, long columns, const float *m, long ld, const float *x, float beta, float *y) {
    for (long r = 0; r < rows; r++) {
        float s = 0;
        for (long c = 0; c < columns; c++) s += m[r * ld + c] * x[c];
        y[r] = beta == 0.0f ? s : s + beta * y[r];
    }
}

#endif
