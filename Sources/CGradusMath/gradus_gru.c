// See include/gradus_gru.h. Laid out as gradus_lstm.c: one row at a time, every array a separate
// restrict parameter so that the loops vectorize without run-time overlap checks.
#include "gradus_gru.h"
#include "activation_math.h"

static inline __attribute__((always_inline))
void forward_row(long hidden, const float *restrict xr, const float *restrict xz, const float *restrict xn,
                 const float *restrict hr, const float *restrict hz, const float *restrict hn,
                 const float *restrict h, float *restrict out,
                 float *restrict sr, float *restrict sz, float *restrict sn, float *restrict shn) {
    for (long j = 0; j < hidden; j++) {
        const float r = sigmoid_f32(xr[j] + hr[j]), z = sigmoid_f32(xz[j] + hz[j]);
        const float n = tanh_f32(xn[j] + r * hn[j]);
        out[j] = n + z * (h[j] - n);
        sr[j] = r; sz[j] = z; sn[j] = n; shn[j] = hn[j];
    }
}

static inline __attribute__((always_inline))
void backward_row(long hidden, const float *restrict dOut, const float *restrict h,
                  const float *restrict sr, const float *restrict sz, const float *restrict sn, const float *restrict shn,
                  float *restrict dxr, float *restrict dxz, float *restrict dxn,
                  float *restrict dhr, float *restrict dhz, float *restrict dhn, float *restrict dh) {
    for (long j = 0; j < hidden; j++) {
        const float r = sr[j], z = sz[j], n = sn[j], d = dOut[j];
        const float dn = d * (1.0f - z) * (1.0f - n * n);
        const float dz = d * (h[j] - n) * z * (1.0f - z);
        const float dr = dn * shn[j] * r * (1.0f - r);
        dxr[j] = dr; dxz[j] = dz; dxn[j] = dn;
        dhr[j] = dr; dhz[j] = dz; dhn[j] = dn * r;
        dh[j] = d * z;
    }
}

static inline __attribute__((always_inline))
void forward_rows(long rows, long hidden, const float *projected, const float *hiddenGates, const float *h,
                  float *out, float *saved) {
    for (long r = 0; r < rows; r++) {
        const float *x = projected + r * 3 * hidden, *g = hiddenGates + r * 3 * hidden;
        float *s = saved + r * 4 * hidden;
        forward_row(hidden, x, x + hidden, x + 2 * hidden, g, g + hidden, g + 2 * hidden, h + r * hidden,
                    out + r * hidden, s, s + hidden, s + 2 * hidden, s + 3 * hidden);
    }
}

static inline __attribute__((always_inline))
void backward_rows(long rows, long hidden, const float *gradOut, const float *h, const float *saved,
                   float *gradProjected, float *gradHiddenGates, float *gradH) {
    for (long r = 0; r < rows; r++) {
        const float *s = saved + r * 4 * hidden;
        float *dx = gradProjected + r * 3 * hidden, *dg = gradHiddenGates + r * 3 * hidden;
        backward_row(hidden, gradOut + r * hidden, h + r * hidden, s, s + hidden, s + 2 * hidden, s + 3 * hidden,
                     dx, dx + hidden, dx + 2 * hidden, dg, dg + hidden, dg + 2 * hidden, gradH + r * hidden);
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void forward_avx2(long rows, long hidden, const float *projected, const float *hiddenGates, const float *h,
                         float *out, float *saved) {
    forward_rows(rows, hidden, projected, hiddenGates, h, out, saved);
}

__attribute__((target("avx2,fma")))
static void backward_avx2(long rows, long hidden, const float *gradOut, const float *h, const float *saved,
                          float *gradProjected, float *gradHiddenGates, float *gradH) {
    backward_rows(rows, hidden, gradOut, h, saved, gradProjected, gradHiddenGates, gradH);
}
#endif

void gradus_gru_cell_forward_f32(long rows, long hidden, const float *projected, const float *hiddenGates,
                                 const float *h, float *out, float *saved) {
#if defined(__x86_64__)
    if (gradus_has_avx2_fma()) { forward_avx2(rows, hidden, projected, hiddenGates, h, out, saved); return; }
#endif
    forward_rows(rows, hidden, projected, hiddenGates, h, out, saved);
}

void gradus_gru_cell_backward_f32(long rows, long hidden, const float *gradOut, const float *h, const float *saved,
                                  float *gradProjected, float *gradHiddenGates, float *gradH) {
#if defined(__x86_64__)
    if (gradus_has_avx2_fma()) {
        backward_avx2(rows, hidden, gradOut, h, saved, gradProjected, gradHiddenGates, gradH);
        return;
    }
#endif
    backward_rows(rows, hidden, gradOut, h, saved, gradProjected, gradHiddenGates, gradH);
}
