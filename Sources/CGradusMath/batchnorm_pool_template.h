// The plain bodies of gradus_batchnorm_pool.c's kernels for one element type, included once per type
// with BNP_T (float or double) and BNP_SFX (f32 or f64). gradus_batchnorm_pool.c exports them, and
// runs an AVX-512 copy of the Float32 ones where the processor has it.

#define BNP_CAT2(a, b) a##b
#define BNP_CAT(a, b) BNP_CAT2(a, b)
#define BNP_NAME(base) BNP_CAT(base, BNP_SFX)

// The ReLU of the normalized value (x − center)·scale + shift, in the order and roundings of
// batchnorm_template.h's normalize body (BN_AFFINE, then v < 0 ? 0 : v; no contraction into FMA in
// this file), so that the pooled values are those of the separate operations bit for bit.
static inline BNP_T BNP_NAME(bnp_relu_)(BNP_T x, BNP_T center, BNP_T scale, BNP_T shift) {
    const BNP_T v = (x - center) * scale + shift;
    return v < 0 ? (BNP_T)0 : v;
}

static void BNP_NAME(bnp_plain_forward_)(const BNP_T *x, long planes, long stride, long h, long w, BNP_T center,
                                         BNP_T scale, BNP_T shift, BNP_T *y, uint8_t *codes, long ostride) {
    const long oh = h / 2, ow = w / 2;
    for (long p = 0; p < planes; p++) {
        for (long oy = 0; oy < oh; oy++) {
            const BNP_T *r0 = x + p * stride + 2 * oy * w, *r1 = r0 + w;
            BNP_T *yo = y + p * ostride + oy * ow;
            uint8_t *co = codes + p * ostride + oy * ow;
            for (long ox = 0; ox < ow; ox++) {
                const BNP_T v[4] = {BNP_NAME(bnp_relu_)(r0[2 * ox], center, scale, shift),
                                    BNP_NAME(bnp_relu_)(r0[2 * ox + 1], center, scale, shift),
                                    BNP_NAME(bnp_relu_)(r1[2 * ox], center, scale, shift),
                                    BNP_NAME(bnp_relu_)(r1[2 * ox + 1], center, scale, shift)};
                BNP_T best = v[0];
                int at = 0;
                for (int k = 1; k < 4; k++) {
                    if (POOL_TAKES(v[k], best)) {
                        best = v[k];
                        at = k;
                    }
                }
                yo[ox] = best;
                co[ox] = (uint8_t)(best <= 0 ? at | BNP_STOPPED : at);
            }
        }
    }
}

static void BNP_NAME(bnp_plain_grad_sums_)(const BNP_T *dy, const uint8_t *codes, long ostride, const BNP_T *x, long planes,
                                           long stride, long h, long w, BNP_T center, BNP_T scale, double *sumdy,
                                           double *sumdyxhat) {
    const long oh = h / 2, ow = w / 2;
    double s = 0, q = 0;
    for (long p = 0; p < planes; p++) {
        for (long oy = 0; oy < oh; oy++) {
            const BNP_T *r0 = x + p * stride + 2 * oy * w, *r1 = r0 + w;
            const BNP_T *g = dy + p * ostride + oy * ow;
            const uint8_t *co = codes + p * ostride + oy * ow;
            BNP_T st = 0, qt = 0;
            for (long ox = 0; ox < ow; ox++) {
                const int code = co[ox];
                if (code & BNP_STOPPED) continue;
                const BNP_T xv = (code & 2 ? r1 : r0)[2 * ox + (code & 1)];
                st += g[ox];
                qt += g[ox] * ((xv - center) * scale);
            }
            s += (double)st;
            q += (double)qt;
        }
    }
    *sumdy = s;
    *sumdyxhat = q;
}

static void BNP_NAME(bnp_plain_grad_input_)(const BNP_T *dy, const uint8_t *codes, long ostride, const BNP_T *x, BNP_T *dx,
                                            long planes, long stride, long h, long w, BNP_T center, BNP_T scale, BNP_T a,
                                            BNP_T b, BNP_T c, int statistics) {
    const long oh = h / 2, ow = w / 2;
    for (long p = 0; p < planes; p++) {
        for (long iy = 0; iy < h; iy++) {
            const BNP_T *r = x + p * stride + iy * w;
            BNP_T *o = dx + p * stride + iy * w;
            const long oy = iy / 2;
            const int row = (int)(iy & 1) * 2;
            // An odd last row belongs to no window: its gradient through the pooling is 0.
            const BNP_T *g = oy < oh ? dy + p * ostride + oy * ow : NULL;
            const uint8_t *co = oy < oh ? codes + p * ostride + oy * ow : NULL;
            for (long ix = 0; ix < w; ix++) {
                const long ox = ix / 2;
                const BNP_T gi = g && ox < ow && co[ox] == (row | (int)(ix & 1)) ? g[ox] : (BNP_T)0;
                o[ix] = statistics ? gi * a + ((r[ix] - center) * scale) * b + c : gi * a;
            }
        }
    }
}

#undef BNP_NAME
#undef BNP_CAT
#undef BNP_CAT2
