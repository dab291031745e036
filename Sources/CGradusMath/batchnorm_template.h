// The bodies of gradus_batchnorm.c's kernels for one element type, included once per type with
//   BN_T (float or double), BN_V (a 32-byte vector of BN_T), BN_L (its lanes), BN_SFX (f32 or f64).
// Each body is always inlined into a plain and an AVX2+FMA wrapper.

#define BN_CAT2(a, b) a##b
#define BN_CAT(a, b) BN_CAT2(a, b)
#define BN_NAME(base) BN_CAT(base, BN_SFX)

// Loads and stores of unaligned vectors, a vector of one value, and the sum of a vector's lanes (in
// double). Macros, not functions: a 32-byte vector passed by value warns of the AVX calling convention.
#define BN_LOAD(p) ({ BN_V bn_v_; memcpy(&bn_v_, (p), sizeof bn_v_); bn_v_; })
#define BN_STORE(p, v) do { BN_V bn_s_ = (v); memcpy((p), &bn_s_, sizeof bn_s_); } while (0)
#define BN_SPLAT(s) ({ BN_V bn_z_ = {0}; bn_z_ + (BN_T)(s); })
#define BN_HSUM(v) ({ BN_V bn_h_ = (v); double bn_t_ = 0; for (int bn_i_ = 0; bn_i_ < BN_L; bn_i_++) bn_t_ += (double)bn_h_[bn_i_]; bn_t_; })

// Σ x: in the element type over runs of at most about 2·BN_BLOCK elements (across planes when they
// are short), each run's total then added in double.
static inline __attribute__((always_inline))
void BN_NAME(sum_body_)(const BN_T *x, long planes, long stride, long len, double *sum) {
    double total = 0;
    BN_V a0 = {0}, a1 = {0};
    BN_T tail = 0;
    long pending = 0;
    for (long p = 0; p < planes; p++) {
        const BN_T *r = x + p * stride;
        for (long start = 0; start < len; start += BN_BLOCK) {
            const long end = len - start < BN_BLOCK ? len : start + BN_BLOCK;
            long i = start;
            for (; i + 2 * BN_L <= end; i += 2 * BN_L) {
                a0 += BN_LOAD(r + i);
                a1 += BN_LOAD(r + i + BN_L);
            }
            for (; i + BN_L <= end; i += BN_L) a0 += BN_LOAD(r + i);
            for (; i < end; i++) tail += r[i];
            pending += end - start;
            if (pending >= BN_BLOCK) {
                total += BN_HSUM(a0 + a1) + (double)tail;
                a0 = a1 = (BN_V){0};
                tail = 0;
                pending = 0;
            }
        }
    }
    *sum = total + BN_HSUM(a0 + a1) + (double)tail;
}

// Σ (x − center) and Σ (x − center)², in runs like sum_body_.
static inline __attribute__((always_inline))
void BN_NAME(moments_body_)(const BN_T *x, long planes, long stride, long len, BN_T center, double *sum, double *sumsq) {
    double s = 0, q = 0;
    const BN_V c = BN_SPLAT(center);
    BN_V s0 = {0}, s1 = {0}, q0 = {0}, q1 = {0};
    BN_T st = 0, qt = 0;
    long pending = 0;
    for (long p = 0; p < planes; p++) {
        const BN_T *r = x + p * stride;
        for (long start = 0; start < len; start += BN_BLOCK) {
            const long end = len - start < BN_BLOCK ? len : start + BN_BLOCK;
            long i = start;
            for (; i + 2 * BN_L <= end; i += 2 * BN_L) {
                const BN_V d0 = BN_LOAD(r + i) - c, d1 = BN_LOAD(r + i + BN_L) - c;
                s0 += d0;
                s1 += d1;
                q0 += d0 * d0;
                q1 += d1 * d1;
            }
            for (; i + BN_L <= end; i += BN_L) {
                const BN_V d0 = BN_LOAD(r + i) - c;
                s0 += d0;
                q0 += d0 * d0;
            }
            for (; i < end; i++) {
                const BN_T d0 = r[i] - center;
                st += d0;
                qt += d0 * d0;
            }
            pending += end - start;
            if (pending >= BN_BLOCK) {
                s += BN_HSUM(s0 + s1) + (double)st;
                q += BN_HSUM(q0 + q1) + (double)qt;
                s0 = s1 = q0 = q1 = (BN_V){0};
                st = qt = 0;
                pending = 0;
            }
        }
    }
    *sum = s + BN_HSUM(s0 + s1) + (double)st;
    *sumsq = q + BN_HSUM(q0 + q1) + (double)qt;
}

// y = (x − center)·scale + shift.
static inline __attribute__((always_inline))
void BN_NAME(normalize_body_)(const BN_T *x, BN_T *y, long planes, long stride, long len, BN_T center, BN_T scale, BN_T shift) {
    const BN_V c = BN_SPLAT(center), a = BN_SPLAT(scale), b = BN_SPLAT(shift);
    for (long p = 0; p < planes; p++) {
        const BN_T *r = x + p * stride;
        BN_T *o = y + p * stride;
        long i = 0;
        for (; i + BN_L <= len; i += BN_L) BN_STORE(o + i, (BN_LOAD(r + i) - c) * a + b);
        for (; i < len; i++) o[i] = (r[i] - center) * scale + shift;
    }
}

// Σ dy and Σ dy·(x − center)·scale, in runs like sum_body_.
static inline __attribute__((always_inline))
void BN_NAME(grad_sums_body_)(const BN_T *dy, const BN_T *x, long planes, long stride, long len, BN_T center,
                              BN_T scale, double *sumdy, double *sumdyxhat) {
    double s = 0, q = 0;
    const BN_V c = BN_SPLAT(center), k = BN_SPLAT(scale);
    BN_V s0 = {0}, s1 = {0}, q0 = {0}, q1 = {0};
    BN_T st = 0, qt = 0;
    long pending = 0;
    for (long p = 0; p < planes; p++) {
        const BN_T *r = x + p * stride, *g = dy + p * stride;
        for (long start = 0; start < len; start += BN_BLOCK) {
            const long end = len - start < BN_BLOCK ? len : start + BN_BLOCK;
            long i = start;
            for (; i + 2 * BN_L <= end; i += 2 * BN_L) {
                const BN_V g0 = BN_LOAD(g + i), g1 = BN_LOAD(g + i + BN_L);
                s0 += g0;
                s1 += g1;
                q0 += g0 * ((BN_LOAD(r + i) - c) * k);
                q1 += g1 * ((BN_LOAD(r + i + BN_L) - c) * k);
            }
            for (; i + BN_L <= end; i += BN_L) {
                const BN_V g0 = BN_LOAD(g + i);
                s0 += g0;
                q0 += g0 * ((BN_LOAD(r + i) - c) * k);
            }
            for (; i < end; i++) {
                st += g[i];
                qt += g[i] * ((r[i] - center) * scale);
            }
            pending += end - start;
            if (pending >= BN_BLOCK) {
                s += BN_HSUM(s0 + s1) + (double)st;
                q += BN_HSUM(q0 + q1) + (double)qt;
                s0 = s1 = q0 = q1 = (BN_V){0};
                st = qt = 0;
                pending = 0;
            }
        }
    }
    *sumdy = s + BN_HSUM(s0 + s1) + (double)st;
    *sumdyxhat = q + BN_HSUM(q0 + q1) + (double)qt;
}

// dx = dy·a + ((x − center)·scale)·b + c.
static inline __attribute__((always_inline))
void BN_NAME(grad_input_body_)(const BN_T *dy, const BN_T *x, BN_T *dx, long planes, long stride, long len,
                               BN_T center, BN_T scale, BN_T a, BN_T b, BN_T c) {
    const BN_V cv = BN_SPLAT(center), sv = BN_SPLAT(scale), av = BN_SPLAT(a), bv = BN_SPLAT(b), kv = BN_SPLAT(c);
    for (long p = 0; p < planes; p++) {
        const BN_T *r = x + p * stride, *g = dy + p * stride;
        BN_T *o = dx + p * stride;
        long i = 0;
        for (; i + BN_L <= len; i += BN_L)
            BN_STORE(o + i, BN_LOAD(g + i) * av + ((BN_LOAD(r + i) - cv) * sv) * bv + kv);
        for (; i < len; i++) o[i] = g[i] * a + ((r[i] - center) * scale) * b + c;
    }
}

// The exported functions: the AVX2+FMA copy where the processor has it, the plain one otherwise.

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void BN_NAME(avx2_sum_)(const BN_T *x, long planes, long stride, long len, double *sum) {
    BN_NAME(sum_body_)(x, planes, stride, len, sum);
}
#endif

void BN_NAME(gradus_bn_sum_)(const BN_T *x, long planes, long stride, long len, double *sum) {
#if defined(__x86_64__)
    if (gradus_has_avx2_fma()) {
        BN_NAME(avx2_sum_)(x, planes, stride, len, sum);
        return;
    }
#endif
    BN_NAME(sum_body_)(x, planes, stride, len, sum);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void BN_NAME(avx2_moments_)(const BN_T *x, long planes, long stride, long len, BN_T center, double *sum, double *sumsq) {
    BN_NAME(moments_body_)(x, planes, stride, len, center, sum, sumsq);
}
#endif

void BN_NAME(gradus_bn_moments_)(const BN_T *x, long planes, long stride, long len, BN_T center, double *sum, double *sumsq) {
#if defined(__x86_64__)
    if (gradus_has_avx2_fma()) {
        BN_NAME(avx2_moments_)(x, planes, stride, len, center, sum, sumsq);
        return;
    }
#endif
    BN_NAME(moments_body_)(x, planes, stride, len, center, sum, sumsq);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void BN_NAME(avx2_normalize_)(const BN_T *x, BN_T *y, long planes, long stride, long len, BN_T center, BN_T scale, BN_T shift) {
    BN_NAME(normalize_body_)(x, y, planes, stride, len, center, scale, shift);
}
#endif

void BN_NAME(gradus_bn_normalize_)(const BN_T *x, BN_T *y, long planes, long stride, long len, BN_T center, BN_T scale, BN_T shift) {
#if defined(__x86_64__)
    if (gradus_has_avx2_fma()) {
        BN_NAME(avx2_normalize_)(x, y, planes, stride, len, center, scale, shift);
        return;
    }
#endif
    BN_NAME(normalize_body_)(x, y, planes, stride, len, center, scale, shift);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void BN_NAME(avx2_grad_sums_)(const BN_T *dy, const BN_T *x, long planes, long stride, long len, BN_T center, BN_T scale,
    double *sumdy, double *sumdyxhat) {
    BN_NAME(grad_sums_body_)(dy, x, planes, stride, len, center, scale, sumdy, sumdyxhat);
}
#endif

void BN_NAME(gradus_bn_grad_sums_)(const BN_T *dy, const BN_T *x, long planes, long stride, long len, BN_T center, BN_T scale,
    double *sumdy, double *sumdyxhat) {
#if defined(__x86_64__)
    if (gradus_has_avx2_fma()) {
        BN_NAME(avx2_grad_sums_)(dy, x, planes, stride, len, center, scale, sumdy, sumdyxhat);
        return;
    }
#endif
    BN_NAME(grad_sums_body_)(dy, x, planes, stride, len, center, scale, sumdy, sumdyxhat);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void BN_NAME(avx2_grad_input_)(const BN_T *dy, const BN_T *x, BN_T *dx, long planes, long stride, long len, BN_T center,
    BN_T scale, BN_T a, BN_T b, BN_T c) {
    BN_NAME(grad_input_body_)(dy, x, dx, planes, stride, len, center, scale, a, b, c);
}
#endif

void BN_NAME(gradus_bn_grad_input_)(const BN_T *dy, const BN_T *x, BN_T *dx, long planes, long stride, long len, BN_T center,
    BN_T scale, BN_T a, BN_T b, BN_T c) {
#if defined(__x86_64__)
    if (gradus_has_avx2_fma()) {
        BN_NAME(avx2_grad_input_)(dy, x, dx, planes, stride, len, center, scale, a, b, c);
        return;
    }
#endif
    BN_NAME(grad_input_body_)(dy, x, dx, planes, stride, len, center, scale, a, b, c);
}

#undef BN_NAME
#undef BN_LOAD
#undef BN_STORE
#undef BN_SPLAT
#undef BN_HSUM
#undef BN_CAT
#undef BN_CAT2
