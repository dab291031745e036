// The floor of one-sample inference for mlp_infer_b1: its first layer (a 256x784 float matrix times a
// vector, 0.8 MB streamed from L2) by OpenBLAS's sgemv, by a plain AVX-512 loop (four rows per pass,
// gradus_sgemv_rows in Sources/CGradusMath/gradus_gemv.c: the model's own path) and over the matrix
// packed in panels of 16 rows, column by column (gradus_sgemv_panels: an InferencePlan's row
// products), one panel per pass and four per pass sharing the broadcasts, 20,000 calls each, four runs.
//
//   gcc -O2 scripts/roofline/gemv_floor.c -o /tmp/gemv_floor -lopenblas && OPENBLAS_CORETYPE=SkylakeX /tmp/gemv_floor
#include <cblas.h>
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

__attribute__((target("avx512f"))) static void rows4(int rows, int cols, const float *m, const float *x, float *y) {
    for (int r = 0; r + 4 <= rows; r += 4) {
        const float *m0 = m + (long)r * cols, *m1 = m0 + cols, *m2 = m1 + cols, *m3 = m2 + cols;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int c = 0; c < cols; c += 16) {   // cols is a multiple of 16 here
            __m512 xv = _mm512_loadu_ps(x + c);
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(m0 + c), xv, a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(m1 + c), xv, a1);
            a2 = _mm512_fmadd_ps(_mm512_loadu_ps(m2 + c), xv, a2);
            a3 = _mm512_fmadd_ps(_mm512_loadu_ps(m3 + c), xv, a3);
        }
        y[r] = _mm512_reduce_add_ps(a0); y[r + 1] = _mm512_reduce_add_ps(a1);
        y[r + 2] = _mm512_reduce_add_ps(a2); y[r + 3] = _mm512_reduce_add_ps(a3);
    }
}

// Panels of 16 rows stored column by column: p[(r/16·cols + c)·16 + r%16] = m[r·cols + c].
__attribute__((target("avx512f"))) static void panels16(int rows, int cols, const float *p, const float *x, float *y) {
    for (int r = 0; r < rows; r += 16) {
        const float *q = p + (long)r * cols;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int c = 0; c < cols; c += 4) {    // cols is a multiple of 4 here
            a0 = _mm512_fmadd_ps(_mm512_load_ps(q + c * 16), _mm512_set1_ps(x[c]), a0);
            a1 = _mm512_fmadd_ps(_mm512_load_ps(q + c * 16 + 16), _mm512_set1_ps(x[c + 1]), a1);
            a2 = _mm512_fmadd_ps(_mm512_load_ps(q + c * 16 + 32), _mm512_set1_ps(x[c + 2]), a2);
            a3 = _mm512_fmadd_ps(_mm512_load_ps(q + c * 16 + 48), _mm512_set1_ps(x[c + 3]), a3);
        }
        _mm512_storeu_ps(y + r, _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
    }
}

// Four panels per pass sharing each broadcast of x[c] (gradus_sgemv_panels's main loop since the twelfth session).
__attribute__((target("avx512f"))) static void panels16x4(int rows, int cols, const float *p, const float *x, float *y) {
    for (int r = 0; r < rows; r += 64) {   // rows is a multiple of 64 here
        const float *q0 = p + (long)r * cols, *q1 = q0 + 16 * cols, *q2 = q1 + 16 * cols, *q3 = q2 + 16 * cols;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int c = 0; c < cols; c += 2) {
            const __m512 x0 = _mm512_set1_ps(x[c]), x1 = _mm512_set1_ps(x[c + 1]);
            const long o = (long)c * 16;
            a0 = _mm512_fmadd_ps(_mm512_load_ps(q0 + o), x0, a0);
            a1 = _mm512_fmadd_ps(_mm512_load_ps(q1 + o), x0, a1);
            a2 = _mm512_fmadd_ps(_mm512_load_ps(q2 + o), x0, a2);
            a3 = _mm512_fmadd_ps(_mm512_load_ps(q3 + o), x0, a3);
            b0 = _mm512_fmadd_ps(_mm512_load_ps(q0 + o + 16), x1, b0);
            b1 = _mm512_fmadd_ps(_mm512_load_ps(q1 + o + 16), x1, b1);
            b2 = _mm512_fmadd_ps(_mm512_load_ps(q2 + o + 16), x1, b2);
            b3 = _mm512_fmadd_ps(_mm512_load_ps(q3 + o + 16), x1, b3);
        }
        _mm512_storeu_ps(y + r, _mm512_add_ps(a0, b0));
        _mm512_storeu_ps(y + r + 16, _mm512_add_ps(a1, b1));
        _mm512_storeu_ps(y + r + 32, _mm512_add_ps(a2, b2));
        _mm512_storeu_ps(y + r + 48, _mm512_add_ps(a3, b3));
    }
}

int main(void) {
    const int rows = 256, cols = 784, calls = 20000;
    openblas_set_num_threads(1);
    float *m = aligned_alloc(64, sizeof(float) * rows * cols), *x = aligned_alloc(64, sizeof(float) * 1024);
    float *p = aligned_alloc(64, sizeof(float) * rows * cols), *y = malloc(sizeof(float) * rows);
    for (int i = 0; i < rows * cols; i++) m[i] = (float)((i * 37) % 101) * 0.01f - 0.5f;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) p[((r / 16) * cols + c) * 16 + r % 16] = m[r * cols + c];
    for (int i = 0; i < cols; i++) x[i] = (float)(i % 13) * 0.1f;
    const double bytes = 4.0 * rows * cols;
    for (int run = 0; run < 4; run++) {
        double t = now();
        for (int i = 0; i < calls; i++) cblas_sgemv(CblasRowMajor, CblasNoTrans, rows, cols, 1, m, cols, x, 1, 0, y, 1);
        double blas = (now() - t) / calls;
        t = now();
        for (int i = 0; i < calls; i++) rows4(rows, cols, m, x, y);
        double avx = (now() - t) / calls;
        t = now();
        for (int i = 0; i < calls; i++) panels16(rows, cols, p, x, y);
        double packed = (now() - t) / calls;
        t = now();
        for (int i = 0; i < calls; i++) panels16x4(rows, cols, p, x, y);
        double four = (now() - t) / calls;
        printf("openblas_sgemv %.2f us (%.0f GB/s)  avx512_rows4 %.2f us (%.0f GB/s)  avx512_panels16 %.2f us (%.0f GB/s)  "
               "panels16x4 %.2f us (%.0f GB/s)\n", blas * 1e6, bytes / blas / 1e9, avx * 1e6, bytes / avx / 1e9,
               packed * 1e6, bytes / packed / 1e9, four * 1e6, bytes / four / 1e9);
    }
    return 0;
}
