// The bodies of gradus_pooling.c's kernels for one element type, included once per type with
//   POOL_T (float or double) and POOL_SFX (f32 or f64).
// The forward body is always inlined into a plain and an AVX2 wrapper; gradus_pooling.c defines the
// exported functions on top.

#define POOL_CAT2(a, b) a##b
#define POOL_CAT(a, b) POOL_CAT2(a, b)
#define POOL_NAME(base) POOL_CAT(base, POOL_SFX)

// 2×2 windows with stride 2, no padding or dilation: branch-free, so that the compiler vectorizes it.
static inline __attribute__((always_inline))
void POOL_NAME(pool2x2_)(const POOL_T *restrict x, long w, long outH, long outW, POOL_T *restrict y,
                         int32_t *restrict winners) {
    for (long oy = 0; oy < outH; oy++) {
        const POOL_T *restrict r0 = x + 2 * oy * w, *restrict r1 = r0 + w;
        POOL_T *restrict yo = y + oy * outW;
        int32_t *restrict wo = winners + oy * outW;
        const int32_t top = (int32_t)(2 * oy * w), bottom = (int32_t)((2 * oy + 1) * w);
        for (long ox = 0; ox < outW; ox++) {
            const POOL_T a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
            const int32_t left = (int32_t)(2 * ox);
            POOL_T best = a;
            int32_t at = top + left;
            const int tb = POOL_TAKES(b, best);
            best = tb ? b : best;
            at = tb ? top + left + 1 : at;
            const int tc = POOL_TAKES(c, best);
            best = tc ? c : best;
            at = tc ? bottom + left : at;
            const int td = POOL_TAKES(d, best);
            best = td ? d : best;
            at = td ? bottom + left + 1 : at;
            yo[ox] = best;
            wo[ox] = at;
        }
    }
}

// Any window, clipped to the input (padding never wins).
static inline __attribute__((always_inline))
void POOL_NAME(pool_windows_)(const POOL_T *restrict x, long h, long w, const gradus_pool_window *g,
                              POOL_T *restrict y, int32_t *restrict winners) {
    for (long oy = 0; oy < g->outH; oy++) {
        const long y0 = oy * g->strideH - g->padH;
        for (long ox = 0; ox < g->outW; ox++) {
            const long x0 = ox * g->strideW - g->padW;
            POOL_T best = -INFINITY;
            long at = -1;
            for (long ky = 0; ky < g->kernelH; ky++) {
                const long iy = y0 + ky * g->dilationH;
                if (iy < 0 || iy >= h) continue;
                for (long kx = 0; kx < g->kernelW; kx++) {
                    const long ix = x0 + kx * g->dilationW;
                    if (ix < 0 || ix >= w) continue;
                    const POOL_T v = x[iy * w + ix];
                    if (at < 0 || POOL_TAKES(v, best)) {
                        best = v;
                        at = iy * w + ix;
                    }
                }
            }
            y[oy * g->outW + ox] = best;
            winners[oy * g->outW + ox] = (int32_t)at;
        }
    }
}

// Windows one column wide (kernel k×1, stride s×1, no column padding or dilation), the second step of a
// separable 3-D pool (each output depth's maximum over its input depths, a row of cells at a time): every
// output row is the elementwise maximum of the input rows its window reads, in order, so the loop over
// the columns is branch-free and vectorizes. The first row read starts the maximum, as in pool_windows_.
static inline __attribute__((always_inline))
void POOL_NAME(pool_rows_)(const POOL_T *restrict x, long h, long w, const gradus_pool_window *g,
                           POOL_T *restrict y, int32_t *restrict winners) {
    for (long oy = 0; oy < g->outH; oy++) {
        POOL_T *restrict yo = y + oy * w;
        int32_t *restrict wo = winners + oy * w;
        const long y0 = oy * g->strideH - g->padH;
        int started = 0;
        for (long ky = 0; ky < g->kernelH; ky++) {
            const long iy = y0 + ky * g->dilationH;
            if (iy < 0 || iy >= h) continue;
            const POOL_T *restrict row = x + iy * w;
            const int32_t base = (int32_t)(iy * w);
            if (!started) {
                for (long ox = 0; ox < w; ox++) { yo[ox] = row[ox]; wo[ox] = base + (int32_t)ox; }
                started = 1;
                continue;
            }
            for (long ox = 0; ox < w; ox++) {
                const POOL_T v = row[ox], best = yo[ox];
                const int take = POOL_TAKES(v, best);
                yo[ox] = take ? v : best;
                wo[ox] = take ? base + (int32_t)ox : wo[ox];
            }
        }
        if (!started)
            for (long ox = 0; ox < w; ox++) { yo[ox] = -INFINITY; wo[ox] = -1; }
    }
}

// Whether windows are one column wide with every column an output (what pool_rows_ computes).
static inline int POOL_NAME(is_rows_)(long w, const gradus_pool_window *g) {
    return g->kernelW == 1 && g->strideW == 1 && g->padW == 0 && g->dilationW == 1 && g->outW == w;
}

// Whether a window is the common 2×2 pooling with stride 2 that pool2x2_ computes.
static inline int POOL_NAME(is_2x2_)(long h, long w, const gradus_pool_window *g) {
    return g->kernelH == 2 && g->kernelW == 2 && g->strideH == 2 && g->strideW == 2
        && g->padH == 0 && g->padW == 0 && g->dilationH == 1 && g->dilationW == 1
        && 2 * g->outH <= h && 2 * g->outW <= w;
}

static inline __attribute__((always_inline))
void POOL_NAME(maxpool_body_)(const POOL_T *x, long planes, long h, long w, const gradus_pool_window *g, POOL_T *y,
                              int32_t *winners) {
    const long outputs = g->outH * g->outW;
    const int twoByTwo = POOL_NAME(is_2x2_)(h, w, g), rows = POOL_NAME(is_rows_)(w, g);
    for (long p = 0; p < planes; p++) {
        if (twoByTwo)
            POOL_NAME(pool2x2_)(x + p * h * w, w, g->outH, g->outW, y + p * outputs, winners + p * outputs);
        else if (rows)
            POOL_NAME(pool_rows_)(x + p * h * w, h, w, g, y + p * outputs, winners + p * outputs);
        else
            POOL_NAME(pool_windows_)(x + p * h * w, h, w, g, y + p * outputs, winners + p * outputs);
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void POOL_NAME(maxpool_avx2_)(const POOL_T *x, long planes, long h, long w,
    const gradus_pool_window *g, POOL_T *y, int32_t *winners) {
    POOL_NAME(maxpool_body_)(x, planes, h, w, g, y, winners);
}
#endif

// The forward pass without AVX-512: the AVX2 copy where the processor has it, the plain one otherwise.
static void POOL_NAME(maxpool_)(const POOL_T *x, long planes, long h, long w, const gradus_pool_window *window,
                                POOL_T *y, int32_t *winners) {
#if defined(__x86_64__)
    if (gradus_has_avx2_fma()) {
        POOL_NAME(maxpool_avx2_)(x, planes, h, w, window, y, winners);
        return;
    }
#endif
    POOL_NAME(maxpool_body_)(x, planes, h, w, window, y, winners);
}

// The backward pass for any window.
static void POOL_NAME(maxpool_backward_)(const POOL_T *dy, const int32_t *winners, long planes, long outputs,
                                         long planeSize, POOL_T *dx) {
    for (long p = 0; p < planes; p++) {
        POOL_T *restrict d = dx + p * planeSize;
        const POOL_T *restrict g = dy + p * outputs;
        const int32_t *restrict at = winners + p * outputs;
        // The plane is zeroed, then receives its gradients while it is in cache.
        memset(d, 0, (size_t)planeSize * sizeof(POOL_T));
        for (long j = 0; j < outputs; j++)
            if (at[j] >= 0) d[at[j]] += g[j];
    }
}

#undef POOL_NAME
#undef POOL_CAT
#undef POOL_CAT2
