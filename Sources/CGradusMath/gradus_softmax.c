// See include/gradus_softmax.h.
#include "gradus_softmax.h"
#include "activation_math.h"

#define LANES 16

// e^x for softmax: Cephes's exp, exactly 0 below the normal range (e^-87.3 ≈ 1.2e-38) and +∞ above it.
static inline __attribute__((always_inline)) float softmax_exp(float x) {
    float e = exp_f32(x);
    e = x < -87.3f ? 0.0f : e;
    return x > 88.7f ? INFINITY : e;
}

static inline __attribute__((always_inline)) float row_max(const float *restrict x, long n) {
    float part[LANES];
    for (int j = 0; j < LANES; j++) part[j] = -INFINITY;
    long i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int j = 0; j < LANES; j++) part[j] = x[i + j] > part[j] ? x[i + j] : part[j];
    float m = -INFINITY;
    for (int j = 0; j < LANES; j++) m = part[j] > m ? part[j] : m;
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

static inline __attribute__((always_inline)) float sum_lanes(const float part[LANES]) {
    float s = 0;
    for (int j = 0; j < LANES; j++) s += part[j];
    return s;
}

static inline __attribute__((always_inline))
void forward_row(const float *restrict x, float *restrict y, long n, int log_output) {
    float m = row_max(x, n);
    // A row of -inf only: subtract nothing (e^-inf = 0, the sum 0, the result NaN as in PyTorch). A
    // +inf maximum stays, so that inf − inf makes the row NaN, as PyTorch's softmax does.
    if (m == -INFINITY) m = 0;
    float part[LANES] = {0};
    long i = 0;
    if (log_output) {
        for (; i + LANES <= n; i += LANES)
            for (int j = 0; j < LANES; j++) part[j] += softmax_exp(x[i + j] - m);
        float s = sum_lanes(part);
        for (; i < n; i++) s += softmax_exp(x[i] - m);
        // (x − max) − log Σ, not x − (max + log Σ): a large common offset would round away digits.
        const float ls = logf(s);
        for (long k = 0; k < n; k++) y[k] = (x[k] - m) - ls;
    } else {
        for (; i + LANES <= n; i += LANES)
            for (int j = 0; j < LANES; j++) {
                const float e = softmax_exp(x[i + j] - m);
                y[i + j] = e;
                part[j] += e;
            }
        float s = sum_lanes(part);
        for (; i < n; i++) {
            const float e = softmax_exp(x[i] - m);
            y[i] = e;
            s += e;
        }
        const float r = 1.0f / s;
        for (long k = 0; k < n; k++) y[k] *= r;
    }
}

static inline __attribute__((always_inline))
void backward_row(const float *restrict y, const float *restrict g, float *restrict dx, long n, int log_output) {
    float part[LANES] = {0};
    long i = 0;
    if (log_output) {
        for (; i + LANES <= n; i += LANES)
            for (int j = 0; j < LANES; j++) part[j] += g[i + j];
        float s = sum_lanes(part);
        for (; i < n; i++) s += g[i];
        for (long k = 0; k < n; k++) dx[k] = g[k] - softmax_exp(y[k]) * s;
    } else {
        for (; i + LANES <= n; i += LANES)
            for (int j = 0; j < LANES; j++) part[j] += g[i + j] * y[i + j];
        float s = sum_lanes(part);
        for (; i < n; i++) s += g[i] * y[i];
        for (long k = 0; k < n; k++) dx[k] = y[k] * (g[k] - s);
    }
}

static inline __attribute__((always_inline))
void forward_rows(const float *x, float *y, long rows, long n, int log_output) {
    for (long r = 0; r < rows; r++) forward_row(x + r * n, y + r * n, n, log_output);
}

static inline __attribute__((always_inline))
void backward_rows(const float *y, const float *g, float *dx, long rows, long n, int log_output) {
    for (long r = 0; r < rows; r++) backward_row(y + r * n, g + r * n, dx + r * n, n, log_output);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void forward_rows_avx2(const float *x, float *y, long rows, long n, int log_output) {
    forward_rows(x, y, rows, n, log_output);
}

__attribute__((target("avx2,fma")))
static void backward_rows_avx2(const float *y, const float *g, float *dx, long rows, long n, int log_output) {
    backward_rows(y, g, dx, rows, n, log_output);
}
#endif

void gradus_softmax_rows_f32(const float *x, float *y, long rows, long n, int log_output) {
#if defined(__x86_64__)
    if (gradus_has_avx2_fma()) { forward_rows_avx2(x, y, rows, n, log_output); return; }
#endif
    forward_rows(x, y, rows, n, log_output);
}

void gradus_softmax_backward_rows_f32(const float *y, const float *g, float *dx, long rows, long n, int log_output) {
#if defined(__x86_64__)
    if (gradus_has_avx2_fma()) { backward_rows_avx2(y, g, dx, rows, n, log_output); return; }
#endif
    backward_rows(y, g, dx, rows, n, log_output);
}
