// See include/gradus_lstm.h.
#include "gradus_lstm.h"
#include "activation_math.h"

// One row. Every array is a separate parameter marked restrict (LLVM honours `noalias` on parameters,
// not on local pointers), so that the loop vectorizes without run-time overlap checks; with them,
// the checks sent every row down the scalar loop.
static inline __attribute__((always_inline))
void forward_row(long hidden, const float *restrict gi, const float *restrict gf, const float *restrict gg,
                 const float *restrict go, const float *restrict c, float *restrict h2, float *restrict c2,
                 float *restrict si, float *restrict sf, float *restrict sg, float *restrict so, float *restrict st) {
    for (long j = 0; j < hidden; j++) {
        const float i = sigmoid_f32(gi[j]), f = sigmoid_f32(gf[j]), g = tanh_f32(gg[j]), o = sigmoid_f32(go[j]);
        const float cNew = f * c[j] + i * g;
        const float t = tanh_f32(cNew);
        c2[j] = cNew;
        h2[j] = o * t;
        si[j] = i; sf[j] = f; sg[j] = g; so[j] = o; st[j] = t;
    }
}

static inline __attribute__((always_inline))
void backward_row(long hidden, const float *restrict dh, const float *restrict dcOut, const float *restrict c,
                  const float *restrict si, const float *restrict sf, const float *restrict sg, const float *restrict so,
                  const float *restrict st, float *restrict di, float *restrict df, float *restrict dg,
                  float *restrict dO, float *restrict dc) {
    for (long j = 0; j < hidden; j++) {
        const float i = si[j], f = sf[j], g = sg[j], o = so[j], t = st[j];
        const float dcTotal = dcOut[j] + dh[j] * o * (1.0f - t * t);
        dO[j] = dh[j] * t * o * (1.0f - o);
        di[j] = dcTotal * g * i * (1.0f - i);
        df[j] = dcTotal * c[j] * f * (1.0f - f);
        dg[j] = dcTotal * i * (1.0f - g * g);
        dc[j] = dcTotal * f;
    }
}

static inline __attribute__((always_inline))
void forward_rows(long rows, long hidden, const float *gates, const float *c, float *out, float *saved) {
    for (long r = 0; r < rows; r++) {
        const float *g = gates + r * 4 * hidden;
        float *o = out + r * 2 * hidden, *s = saved + r * 5 * hidden;
        forward_row(hidden, g, g + hidden, g + 2 * hidden, g + 3 * hidden, c + r * hidden, o, o + hidden,
                    s, s + hidden, s + 2 * hidden, s + 3 * hidden, s + 4 * hidden);
    }
}

static inline __attribute__((always_inline))
void backward_rows(long rows, long hidden, const float *gradOut, const float *c, const float *saved,
                   float *gradGates, float *gradC) {
    for (long r = 0; r < rows; r++) {
        const float *d = gradOut + r * 2 * hidden, *s = saved + r * 5 * hidden;
        float *gg = gradGates + r * 4 * hidden;
        backward_row(hidden, d, d + hidden, c + r * hidden, s, s + hidden, s + 2 * hidden, s + 3 * hidden,
                     s + 4 * hidden, gg, gg + hidden, gg + 2 * hidden, gg + 3 * hidden, gradC + r * hidden);
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void forward_avx2(long rows, long hidden, const float *gates, const float *c, float *out, float *saved) {
    forward_rows(rows, hidden, gates, c, out, saved);
}

__attribute__((target("avx2,fma")))
static void backward_avx2(long rows, long hidden, const float *gradOut, const float *c, const float *saved,
                          float *gradGates, float *gradC) {
    backward_rows(rows, hidden, gradOut, c, saved, gradGates, gradC);
}
#endif

void gradus_lstm_cell_forward_f32(long rows, long hidden, const float *gates, const float *c, float *out, float *saved) {
#if defined(__x86_64__)
    if (gradus_has_avx2_fma()) { forward_avx2(rows, hidden, gates, c, out, saved); return; }
#endif
    forward_rows(rows, hidden, gates, c, out, saved);
}

void gradus_lstm_cell_backward_f32(long rows, long hidden, const float *gradOut, const float *c, const float *saved,
                                   float *gradGates, float *gradC) {
#if defined(__x86_64__)
    if (gradus_has_avx2_fma()) { backward_avx2(rows, hidden, gradOut, c, saved, gradGates, gradC); return; }
#endif
    backward_rows(rows, hidden, gradOut, c, saved, gradGates, gradC);
}
