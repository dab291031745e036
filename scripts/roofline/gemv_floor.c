// The floor of one-sample inference for mlp_infer_b1: its first layer (a 256x784 float matrix times a
// vector, 0.8 MB streamed from L2) by OpenBLAS's sgemv and by Gradus's own kernels, compiled from the
// library's source so that what is measured is what runs: the four-row kernel over the row-major
// weight (gradus_sgemv_rows, the model's own path) and the weight packed in panels of 16 rows, column
// by column, four panels per pass (gradus_sgemv_panels: an InferencePlan's row products); then the
// three layers of mlp_infer_b1 through the packed kernel. 20,000 calls each, four runs.
//
//   gcc -O2 -ISources/CGradusMath/include scripts/roofline/gemv_floor.c Sources/CGradusMath/gradus_gemv.c \
//       Sources/CGradusMath/gradus_activations.c -o /tmp/gemv_floor -lopenblas -lm \
//     && OPENBLAS_CORETYPE=SkylakeX /tmp/gemv_floor
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "gradus_gemv.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *packed(int rows, int cols, const float *m) {
    const long count = gradus_sgemv_packed_count(rows, cols);
    float *p = aligned_alloc(64, ((sizeof(float) * count + 63) / 64) * 64);
    gradus_sgemv_pack_panels(rows, cols, m, cols, p);
    return p;
}

static float *filled(long n) {
    float *m = aligned_alloc(64, ((sizeof(float) * n + 63) / 64) * 64);
    for (long i = 0; i < n; i++) m[i] = (float)((i * 37) % 101) * 0.01f - 0.5f;
    return m;
}

static long panels(int rows) { return (rows + GRADUS_SGEMV_PANEL - 1) / GRADUS_SGEMV_PANEL; }

int main(void) {
    const int layers[3][2] = {{256, 784}, {128, 256}, {10, 128}}, calls = 20000;
    openblas_set_num_threads(1);
    float *m[3], *p[3];
    for (int l = 0; l < 3; l++) {
        m[l] = filled((long)layers[l][0] * layers[l][1]);
        p[l] = packed(layers[l][0], layers[l][1], m[l]);
    }
    float *x = filled(1024), *y = malloc(sizeof(float) * 1024), *h1 = malloc(sizeof(float) * 256), *h2 = malloc(sizeof(float) * 128);
    const int rows = layers[0][0], cols = layers[0][1];
    const double bytes = 4.0 * rows * cols;
    for (int run = 0; run < 4; run++) {
        double t = now();
        for (int i = 0; i < calls; i++) cblas_sgemv(CblasRowMajor, CblasNoTrans, rows, cols, 1, m[0], cols, x, 1, 0, y, 1);
        const double blas = (now() - t) / calls;
        t = now();
        for (int i = 0; i < calls; i++) gradus_sgemv_rows(rows, cols, m[0], cols, x, 0, y);
        const double four = (now() - t) / calls;
        t = now();
        for (int i = 0; i < calls; i++) gradus_sgemv_panels(rows, cols, p[0], x, NULL, 0, 0, 0, panels(rows), y);
        const double pack = (now() - t) / calls;
        t = now();
        for (int i = 0; i < calls; i++) {
            gradus_sgemv_panels(256, 784, p[0], x, NULL, 1, 0, 0, panels(256), h1);
            gradus_sgemv_panels(128, 256, p[1], h1, NULL, 1, 0, 0, panels(128), h2);
            gradus_sgemv_panels(10, 128, p[2], h2, NULL, 0, 0, 0, panels(10), y);
        }
        const double mlp = (now() - t) / calls;
        printf("openblas_sgemv %.2f us (%.0f GB/s)  sgemv_rows %.2f us (%.0f GB/s)  sgemv_panels %.2f us (%.0f GB/s)  "
               "mlp_infer_b1's three layers %.2f us\n", blas * 1e6, bytes / blas / 1e9, four * 1e6, bytes / four / 1e9,
               pack * 1e6, bytes / pack / 1e9, mlp * 1e6);
    }
    return 0;
}
