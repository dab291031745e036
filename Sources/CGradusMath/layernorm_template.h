// The bodies of gradus_layernorm.c's kernels for one element type, included once per type with
//   LN_T (float or double) and LN_SFX (f32 or f64).
// Each body is always inlined into a plain and an AVX2+FMA wrapper.

#define LN_CAT2(a, b) a##b
#define LN_CAT(a, b) LN_CAT2(a, b)
#define LN_NAME(base) LN_CAT(base, LN_SFX)

// Σ x over one row, in lanes, then in double.
static inline __attribute__((always_inline)) double LN_NAME(row_sum_)(const LN_T *restrict x, long n) {
    LN_T part[LN_LANES] = {0};
    long i = 0;
    for (; i + LN_LANES <= n; i += LN_LANES)
        for (int j = 0; j < LN_LANES; j++) part[j] += x[i + j];
    double s = 0;
    for (int j = 0; j < LN_LANES; j++) s += (double)part[j];
    for (; i < n; i++) s += (double)x[i];
    return s;
}

// Σ (x − c) and Σ (x − c)² over one row, in lanes, then in double.
static inline __attribute__((always_inline)) void LN_NAME(row_moments_)(const LN_T *restrict x, long n, LN_T c,
                                                                       double *d1, double *d2) {
    LN_T p1[LN_LANES] = {0}, p2[LN_LANES] = {0};
    long i = 0;
    for (; i + LN_LANES <= n; i += LN_LANES)
        for (int j = 0; j < LN_LANES; j++) {
            const LN_T d = x[i + j] - c;
            p1[j] += d;
            p2[j] += d * d;
        }
    double s1 = 0, s2 = 0;
    for (int j = 0; j < LN_LANES; j++) { s1 += (double)p1[j]; s2 += (double)p2[j]; }
    for (; i < n; i++) {
        const double d = (double)x[i] - (double)c;
        s1 += d;
        s2 += d * d;
    }
    if (!isfinite(s2) && isfinite(s1)) {   // squares beyond the element type's range: again in double
        s1 = s2 = 0;
        for (long k = 0; k < n; k++) {
            const double d = (double)x[k] - (double)c;
            s1 += d;
            s2 += d * d;
        }
    }
    *d1 = s1;
    *d2 = s2;
}

static inline __attribute__((always_inline))
void LN_NAME(forward_body_)(const LN_T *x, const LN_T *gamma, const LN_T *beta, long rows, long n, double eps,
                            LN_T *y, LN_T *mean, LN_T *rstd) {
    for (long r = 0; r < rows; r++) {
        const LN_T *restrict xr = x + r * n;
        LN_T *restrict yr = y + r * n;
        // Two passes over the row (in L1): its mean, then the moments about it; their first moment
        // corrects the mean for the rounding of the first pass.
        const LN_T rough = (LN_T)(LN_NAME(row_sum_)(xr, n) / (double)n);
        double d1, d2;
        LN_NAME(row_moments_)(xr, n, rough, &d1, &d2);
        const double offset = d1 / (double)n;
        const double variance = fmax(0.0, d2 / (double)n - offset * offset);
        const LN_T m = (LN_T)((double)rough + offset), s = (LN_T)(1.0 / sqrt(variance + eps));
        mean[r] = m;
        rstd[r] = s;
        if (gamma && beta) {
            for (long k = 0; k < n; k++) yr[k] = (xr[k] - m) * s * gamma[k] + beta[k];
        } else if (gamma) {
            for (long k = 0; k < n; k++) yr[k] = (xr[k] - m) * s * gamma[k];
        } else if (beta) {
            for (long k = 0; k < n; k++) yr[k] = (xr[k] - m) * s + beta[k];
        } else {
            for (long k = 0; k < n; k++) yr[k] = (xr[k] - m) * s;
        }
    }
}

static inline __attribute__((always_inline))
void LN_NAME(backward_body_)(const LN_T *dy, const LN_T *x, const LN_T *mean, const LN_T *rstd, const LN_T *gamma,
                             long rows, long n, LN_T *dx, double *dgamma, double *dbeta) {
    for (long r = 0; r < rows; r++) {
        const LN_T *restrict g = dy + r * n, *restrict xr = x + r * n;
        const LN_T m = mean[r], s = rstd[r];
        if (dx) {
            // Σ d and Σ d·x̂, d = dy·gamma.
            LN_T pa[LN_LANES] = {0}, pb[LN_LANES] = {0};
            long i = 0;
            for (; i + LN_LANES <= n; i += LN_LANES)
                for (int j = 0; j < LN_LANES; j++) {
                    const LN_T d = gamma ? g[i + j] * gamma[i + j] : g[i + j];
                    pa[j] += d;
                    pb[j] += d * ((xr[i + j] - m) * s);
                }
            double a = 0, b = 0;
            for (int j = 0; j < LN_LANES; j++) { a += (double)pa[j]; b += (double)pb[j]; }
            for (; i < n; i++) {
                const LN_T d = gamma ? g[i] * gamma[i] : g[i];
                a += (double)d;
                b += (double)(d * ((xr[i] - m) * s));
            }
            const LN_T ka = (LN_T)(a / (double)n), kb = (LN_T)(b / (double)n);
            LN_T *restrict o = dx + r * n;
            for (long k = 0; k < n; k++) {
                const LN_T d = gamma ? g[k] * gamma[k] : g[k];
                const LN_T xhat = (xr[k] - m) * s;
                o[k] = s * (d - ka - xhat * kb);
            }
        }
        if (dgamma)
            for (long k = 0; k < n; k++) dgamma[k] += (double)(g[k] * ((xr[k] - m) * s));
        if (dbeta)
            for (long k = 0; k < n; k++) dbeta[k] += (double)g[k];
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void LN_NAME(forward_avx2_)(const LN_T *x, const LN_T *gamma, const LN_T *beta,
    long rows, long n, double eps, LN_T *y, LN_T *mean, LN_T *rstd) {
    LN_NAME(forward_body_)(x, gamma, beta, rows, n, eps, y, mean, rstd);
}
__attribute__((target("avx2,fma"))) static void LN_NAME(backward_avx2_)(const LN_T *dy, const LN_T *x, const LN_T *mean,
    const LN_T *rstd, const LN_T *gamma, long rows, long n, LN_T *dx, double *dgamma, double *dbeta) {
    LN_NAME(backward_body_)(dy, x, mean, rstd, gamma, rows, n, dx, dgamma, dbeta);
}
#endif

void LN_NAME(gradus_layernorm_forward_)(const LN_T *x, const LN_T *gamma, const LN_T *beta, long rows, long n, double eps,
                                        LN_T *y, LN_T *mean, LN_T *rstd) {
#if defined(__x86_64__)
    if (gradus_has_avx2_fma()) {
        LN_NAME(forward_avx2_)(x, gamma, beta, rows, n, eps, y, mean, rstd);
        return;
    }
#endif
    LN_NAME(forward_body_)(x, gamma, beta, rows, n, eps, y, mean, rstd);
}

void LN_NAME(gradus_layernorm_backward_)(const LN_T *dy, const LN_T *x, const LN_T *mean, const LN_T *rstd,
                                         const LN_T *gamma, long rows, long n, LN_T *dx, double *dgamma, double *dbeta) {
#if defined(__x86_64__)
    if (gradus_has_avx2_fma()) {
        LN_NAME(backward_avx2_)(dy, x, mean, rstd, gamma, rows, n, dx, dgamma, dbeta);
        return;
    }
#endif
    LN_NAME(backward_body_)(dy, x, mean, rstd, gamma, rows, n, dx, dgamma, dbeta);
}

#undef LN_NAME
#undef LN_CAT
#undef LN_CAT2
