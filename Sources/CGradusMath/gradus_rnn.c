// See include/gradus_rnn.h. Laid out as gradus_lstm.c: restrict parameters so that the loops vectorize
// without run-time overlap checks, an AVX2+FMA copy chosen at run time.
#include "gradus_rnn.h"
#include "activation_math.h"

static inline __attribute__((always_inline))
void forward_tanh(long count, const float *restrict x, const float *restrict g, float *restrict out) {
    for (long i = 0; i < count; i++) out[i] = tanh_f32(x[i] + g[i]);
}

static inline __attribute__((always_inline))
void forward_relu(long count, const float *restrict x, const float *restrict g, float *restrict out) {
    for (long i = 0; i < count; i++) {
        const float v = x[i] + g[i];
        out[i] = v < 0.0f ? 0.0f : v;
    }
}

static inline __attribute__((always_inline))
void backward_tanh(long count, const float *restrict d, const float *restrict y, float *restrict dx) {
    for (long i = 0; i < count; i++) dx[i] = d[i] * (1.0f - y[i] * y[i]);
}

static inline __attribute__((always_inline))
void backward_relu(long count, const float *restrict d, const float *restrict y, float *restrict dx) {
    for (long i = 0; i < count; i++) {
        const float di = d[i], yi = y[i];
        dx[i] = yi <= 0.0f ? 0.0f : di;
    }
}

static inline __attribute__((always_inline))
void forward_any(long count, const float *x, const float *g, float *out, int relu) {
    if (relu) forward_relu(count, x, g, out); else forward_tanh(count, x, g, out);
}

static inline __attribute__((always_inline))
void backward_any(long count, const float *d, const float *y, float *dx, int relu) {
    if (relu) backward_relu(count, d, y, dx); else backward_tanh(count, d, y, dx);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void forward_avx2(long count, const float *x, const float *g, float *out, int relu) {
    forward_any(count, x, g, out, relu);
}

__attribute__((target("avx2,fma")))
static void backward_avx2(long count, const float *d, const float *y, float *dx, int relu) {
    backward_any(count, d, y, dx, relu);
}
#endif

void gradus_rnn_cell_forward_f32(long count, const float *projected, const float *hiddenGates, float *out, int relu) {
#if defined(__x86_64__)
    if (gradus_has_avx2_fma()) { forward_avx2(count, projected, hiddenGates, out, relu); return; }
#endif
    forward_any(count, projected, hiddenGates, out, relu);
}

void gradus_rnn_cell_backward_f32(long count, const float *gradOut, const float *out, float *gradPre, int relu) {
#if defined(__x86_64__)
    if (gradus_has_avx2_fma()) { backward_avx2(count, gradOut, out, gradPre, relu); return; }
#endif
    backward_any(count, gradOut, out, gradPre, relu);
}
