// The bodies of gradus_batchnorm.c's kernels for one element type, included once per type with
//   BN_T (float or double), BN_V (a 32-byte vector of BN_T), BN_VI (the integer vector of the same
//   lanes, which comparisons give), BN_L (its lanes), BN_SFX (f32 or f64).
// Each body is always inlined into a plain and an AVX2+FMA wrapper.

#define BN_CAT2(a, b) a##b
#define BN_CAT(a, b) BN_CAT2(a, b)
#define BN_NAME(base) BN_CAT(base, BN_SFX)

// Loads and stores of unaligned vectors, a vector of one value (copied into each lane: 0 + (−0) would
// make a −0 shift +0 in the vector loops and not in the scalar tail), and the sum of a vector's lanes (in
// double). Macros, not functions: a 32-byte vector passed by value warns of the AVX calling convention.
#define BN_LOAD(p) ({ BN_V bn_v_; memcpy(&bn_v_, (p), sizeof bn_v_); bn_v_; })
#define BN_STORE(p, v) do { BN_V bn_s_ = (v); memcpy((p), &bn_s_, sizeof bn_s_); } while (0)
#define BN_SPLAT(s) ({ const BN_T bn_s_ = (BN_T)(s); BN_V bn_z_; for (int bn_i_ = 0; bn_i_ < BN_L; bn_i_++) bn_z_[bn_i_] = bn_s_; bn_z_; })
#define BN_HSUM(v) ({ BN_V bn_h_ = (v); double bn_t_ = 0; for (int bn_i_ = 0; bn_i_ < BN_L; bn_i_++) bn_t_ += (double)bn_h_[bn_i_]; bn_t_; })
// max(v, 0) written as PyTorch's relu, v < 0 ? 0 : v (a NaN stays NaN, −0 stays −0), on a vector.
#define BN_RELU(v) ({ BN_V bn_r_ = (v); (BN_V)((BN_VI)bn_r_ & ~(BN_VI)(bn_r_ < (BN_V){0})); })
// The normalized value (x − center)·scale + shift, written once for the forward pass and for the ReLU
// mask that the backward recomputes from x: the file is compiled without contraction into FMA
// (gradus_batchnorm.c), so that vector and scalar code, AVX2 and plain copies round it alike.
#define BN_AFFINE(xv, center, scale, shift) (((xv) - (center)) * (scale) + (shift))
// The gradient that reaches a batch normalization followed by ReLU: dy where the ReLU's output is not
// ≤ 0 (a NaN passes it on, as PyTorch's threshold_backward), 0 elsewhere; the ReLU's input is
// recomputed from x with the forward's center, scale and shift, so that the backward reads no more
// than without the ReLU in training (in evaluation, x besides dy). Without a ReLU (`relu` a constant 0
// in the inlined body) dy itself. They read the body's `relu`, its splatted `cv`, `ys`, `yb` (vector)
// and `center`, `relu_scale`, `relu_shift` (scalar tail).
#define BN_GRAD_V(g, x, i) (relu ? ({ BN_V bn_g_ = BN_LOAD((g) + (i)), bn_y_ = BN_AFFINE(BN_LOAD((x) + (i)), cv, ys, yb); \
                                      (BN_V)((BN_VI)bn_g_ & ~(BN_VI)(bn_y_ <= (BN_V){0})); }) : BN_LOAD((g) + (i)))
#define BN_GRAD_S(g, x, i) (relu ? (BN_AFFINE((x)[i], center, relu_scale, relu_shift) <= 0 ? (BN_T)0 : (g)[i]) : (g)[i])

// The run `ahead` planes after plane p of the runs starting at `base` (bn_prefetch_planes in
// gradus_batchnorm.c), or NULL when there is none; BN_PREFETCH fetches position i of it into L1 for
// reading (rw 0) or writing (rw 1, a hint: PREFETCHW only where the compiler targets it, which these
// copies do not). Loops of one vector per step issue it twice per line. They read the body's `ahead`,
// `planes` and `stride`.
#define BN_AHEAD(base, p) (ahead && (p) + ahead < planes ? (base) + ((p) + ahead) * stride : NULL)
#define BN_PREFETCH(q, i, rw) do { if (q) __builtin_prefetch((q) + (i), rw, 3); } while (0)

// Σ x: in the element type over runs of at most about 2·BN_BLOCK elements (across planes when they
// are short), each run's total then added in double.
static inline __attribute__((always_inline))
void BN_NAME(sum_body_)(const BN_T *x, long planes, long stride, long len, double *sum) {
    double total = 0;
    BN_V a0 = {0}, a1 = {0};
    BN_T tail = 0;
    long pending = 0;
    const long ahead = bn_prefetch_planes(len, sizeof(BN_T));
    for (long p = 0; p < planes; p++) {
        const BN_T *r = x + p * stride, *next = BN_AHEAD(x, p);
        for (long start = 0; start < len; start += BN_BLOCK) {
            const long end = len - start < BN_BLOCK ? len : start + BN_BLOCK;
            long i = start;
            for (; i + 2 * BN_L <= end; i += 2 * BN_L) {
                BN_PREFETCH(next, i, 0);
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

// y = (x − center)·scale + shift, then max(y, 0) when `relu` (a constant in each inlined copy).
static inline __attribute__((always_inline))
void BN_NAME(normalize_body_)(const BN_T *x, BN_T *y, long planes, long stride, long len, BN_T center, BN_T scale, BN_T shift,
                              int relu) {
    const BN_V c = BN_SPLAT(center), a = BN_SPLAT(scale), b = BN_SPLAT(shift);
    const long ahead = bn_prefetch_planes(len, sizeof(BN_T));
    for (long p = 0; p < planes; p++) {
        const BN_T *r = x + p * stride;
        BN_T *o = y + p * stride, *next = BN_AHEAD(y, p);
        long i = 0;
        for (; i + BN_L <= len; i += BN_L) {
            BN_PREFETCH(next, i, 1);
            const BN_V v = BN_AFFINE(BN_LOAD(r + i), c, a, b);
            BN_STORE(o + i, relu ? BN_RELU(v) : v);
        }
        for (; i < len; i++) {
            const BN_T v = BN_AFFINE(r[i], center, scale, shift);
            o[i] = relu && v < 0 ? (BN_T)0 : v;
        }
    }
}

// Σ dy and Σ dy·(x − center)·scale, in runs like sum_body_; with `relu`, dy masked by the ReLU after
// the normalization, whose input was (x − center)·relu_scale + relu_shift (BN_GRAD_V).
static inline __attribute__((always_inline))
void BN_NAME(grad_sums_body_)(const BN_T *dy, const BN_T *x, long planes, long stride, long len, BN_T center, BN_T scale,
                              int relu, BN_T relu_scale, BN_T relu_shift, double *sumdy, double *sumdyxhat) {
    double s = 0, q = 0;
    const BN_V cv = BN_SPLAT(center), k = BN_SPLAT(scale), ys = BN_SPLAT(relu_scale), yb = BN_SPLAT(relu_shift);
    BN_V s0 = {0}, s1 = {0}, q0 = {0}, q1 = {0};
    BN_T st = 0, qt = 0;
    long pending = 0;
    const long ahead = bn_prefetch_planes(len, sizeof(BN_T));
    for (long p = 0; p < planes; p++) {
        const BN_T *r = x + p * stride, *g = dy + p * stride, *nextX = BN_AHEAD(x, p), *nextG = BN_AHEAD(dy, p);
        for (long start = 0; start < len; start += BN_BLOCK) {
            const long end = len - start < BN_BLOCK ? len : start + BN_BLOCK;
            long i = start;
            for (; i + 2 * BN_L <= end; i += 2 * BN_L) {
                BN_PREFETCH(nextX, i, 0);
                BN_PREFETCH(nextG, i, 0);
                const BN_V g0 = BN_GRAD_V(g, r, i), g1 = BN_GRAD_V(g, r, i + BN_L);
                s0 += g0;
                s1 += g1;
                q0 += g0 * ((BN_LOAD(r + i) - cv) * k);
                q1 += g1 * ((BN_LOAD(r + i + BN_L) - cv) * k);
            }
            for (; i + BN_L <= end; i += BN_L) {
                const BN_V g0 = BN_GRAD_V(g, r, i);
                s0 += g0;
                q0 += g0 * ((BN_LOAD(r + i) - cv) * k);
            }
            for (; i < end; i++) {
                const BN_T gi = BN_GRAD_S(g, r, i);
                st += gi;
                qt += gi * ((r[i] - center) * scale);
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

// dx = dy·a + ((x − center)·scale)·b + c, dy masked as in grad_sums_body_.
static inline __attribute__((always_inline))
void BN_NAME(grad_input_body_)(const BN_T *dy, const BN_T *x, BN_T *dx, long planes, long stride, long len, BN_T center,
                               BN_T scale, BN_T a, BN_T b, BN_T c, int relu, BN_T relu_scale, BN_T relu_shift) {
    const BN_V cv = BN_SPLAT(center), sv = BN_SPLAT(scale), av = BN_SPLAT(a), bv = BN_SPLAT(b), kv = BN_SPLAT(c);
    const BN_V ys = BN_SPLAT(relu_scale), yb = BN_SPLAT(relu_shift);
    const long ahead = bn_prefetch_planes(len, sizeof(BN_T));
    for (long p = 0; p < planes; p++) {
        const BN_T *r = x + p * stride, *g = dy + p * stride;
        BN_T *o = dx + p * stride, *next = BN_AHEAD(dx, p);
        long i = 0;
        for (; i + BN_L <= len; i += BN_L) {
            BN_PREFETCH(next, i, 1);
            BN_STORE(o + i, BN_GRAD_V(g, r, i) * av + ((BN_LOAD(r + i) - cv) * sv) * bv + kv);
        }
        for (; i < len; i++) o[i] = BN_GRAD_S(g, r, i) * a + ((r[i] - center) * scale) * b + c;
    }
}

// dx = dy·a with dy masked as in grad_sums_body_ (evaluation mode: the statistics are constants).
static inline __attribute__((always_inline))
void BN_NAME(scale_relu_body_)(const BN_T *dy, const BN_T *x, BN_T *dx, long planes, long stride, long len, BN_T a,
                               BN_T center, BN_T relu_scale, BN_T relu_shift) {
    const int relu = 1;
    const BN_V av = BN_SPLAT(a), cv = BN_SPLAT(center), ys = BN_SPLAT(relu_scale), yb = BN_SPLAT(relu_shift);
    const long ahead = bn_prefetch_planes(len, sizeof(BN_T));
    for (long p = 0; p < planes; p++) {
        const BN_T *r = x + p * stride, *g = dy + p * stride, *nextX = BN_AHEAD(x, p), *nextG = BN_AHEAD(dy, p);
        BN_T *o = dx + p * stride, *nextO = BN_AHEAD(dx, p);
        long i = 0;
        for (; i + BN_L <= len; i += BN_L) {
            BN_PREFETCH(nextX, i, 0);
            BN_PREFETCH(nextG, i, 0);
            BN_PREFETCH(nextO, i, 1);
            BN_STORE(o + i, BN_GRAD_V(g, r, i) * av);
        }
        for (; i < len; i++) o[i] = BN_GRAD_S(g, r, i) * a;
    }
}

// The exported functions: the AVX2+FMA copy where the processor has it, the plain one otherwise.
// BN_EXPORT(name, body, params, names, args) defines gradus_bn_<name><sfx>(params) calling
// body<sfx>(args); `names` are the parameters' names, passed on to the AVX2 copy.
#if defined(__x86_64__)
#define BN_EXPORT(name, body, params, names, args)                                                  \
    __attribute__((target("avx2,fma"))) static void BN_NAME(BN_CAT(avx2_, name)) params {          \
        BN_NAME(body) args;                                                                         \
    }                                                                                               \
    void BN_NAME(BN_CAT(gradus_bn_, name)) params {                                                 \
        if (gradus_has_avx2_fma()) {                                                                \
            BN_NAME(BN_CAT(avx2_, name)) names;                                                     \
            return;                                                                                 \
        }                                                                                           \
        BN_NAME(body) args;                                                                         \
    }
#else
#define BN_EXPORT(name, body, params, names, args) \
    void BN_NAME(BN_CAT(gradus_bn_, name)) params { BN_NAME(body) args; }
#endif

#define BN_XY_PARAMS (const BN_T *x, BN_T *y, long planes, long stride, long len, BN_T center, BN_T scale, BN_T shift)
#define BN_XY_NAMES (x, y, planes, stride, len, center, scale, shift)
#define BN_SUMS_PARAMS (const BN_T *dy, const BN_T *x, long planes, long stride, long len, BN_T center, BN_T scale, \
                        double *sumdy, double *sumdyxhat)
#define BN_SUMS_NAMES (dy, x, planes, stride, len, center, scale, sumdy, sumdyxhat)
#define BN_SUMS_RELU_PARAMS (const BN_T *dy, const BN_T *x, long planes, long stride, long len, BN_T center, BN_T scale, \
                             BN_T relu_scale, BN_T relu_shift, double *sumdy, double *sumdyxhat)
#define BN_SUMS_RELU_NAMES (dy, x, planes, stride, len, center, scale, relu_scale, relu_shift, sumdy, sumdyxhat)
#define BN_INPUT_PARAMS (const BN_T *dy, const BN_T *x, BN_T *dx, long planes, long stride, long len, BN_T center, \
                         BN_T scale, BN_T a, BN_T b, BN_T c)
#define BN_INPUT_NAMES (dy, x, dx, planes, stride, len, center, scale, a, b, c)
#define BN_INPUT_RELU_PARAMS (const BN_T *dy, const BN_T *x, BN_T *dx, long planes, long stride, long len, BN_T center, \
                              BN_T scale, BN_T a, BN_T b, BN_T c, BN_T relu_scale, BN_T relu_shift)
#define BN_INPUT_RELU_NAMES (dy, x, dx, planes, stride, len, center, scale, a, b, c, relu_scale, relu_shift)
#define BN_SCALE_RELU_PARAMS (const BN_T *dy, const BN_T *x, BN_T *dx, long planes, long stride, long len, BN_T a, \
                              BN_T center, BN_T relu_scale, BN_T relu_shift)
#define BN_SCALE_RELU_NAMES (dy, x, dx, planes, stride, len, a, center, relu_scale, relu_shift)

BN_EXPORT(sum_, sum_body_, (const BN_T *x, long planes, long stride, long len, double *sum),
          (x, planes, stride, len, sum), (x, planes, stride, len, sum))
BN_EXPORT(moments_, moments_body_, (const BN_T *x, long planes, long stride, long len, BN_T center, double *sum, double *sumsq),
          (x, planes, stride, len, center, sum, sumsq), (x, planes, stride, len, center, sum, sumsq))
BN_EXPORT(normalize_, normalize_body_, BN_XY_PARAMS, BN_XY_NAMES, (x, y, planes, stride, len, center, scale, shift, 0))
BN_EXPORT(normalize_relu_, normalize_body_, BN_XY_PARAMS, BN_XY_NAMES, (x, y, planes, stride, len, center, scale, shift, 1))
BN_EXPORT(grad_sums_, grad_sums_body_, BN_SUMS_PARAMS, BN_SUMS_NAMES,
          (dy, x, planes, stride, len, center, scale, 0, 0, 0, sumdy, sumdyxhat))
BN_EXPORT(grad_sums_relu_, grad_sums_body_, BN_SUMS_RELU_PARAMS, BN_SUMS_RELU_NAMES,
          (dy, x, planes, stride, len, center, scale, 1, relu_scale, relu_shift, sumdy, sumdyxhat))
BN_EXPORT(grad_input_, grad_input_body_, BN_INPUT_PARAMS, BN_INPUT_NAMES,
          (dy, x, dx, planes, stride, len, center, scale, a, b, c, 0, 0, 0))
BN_EXPORT(grad_input_relu_, grad_input_body_, BN_INPUT_RELU_PARAMS, BN_INPUT_RELU_NAMES,
          (dy, x, dx, planes, stride, len, center, scale, a, b, c, 1, relu_scale, relu_shift))
BN_EXPORT(scale_relu_, scale_relu_body_, BN_SCALE_RELU_PARAMS, BN_SCALE_RELU_NAMES, BN_SCALE_RELU_NAMES)

#undef BN_XY_PARAMS
#undef BN_XY_NAMES
#undef BN_SUMS_PARAMS
#undef BN_SUMS_NAMES
#undef BN_SUMS_RELU_PARAMS
#undef BN_SUMS_RELU_NAMES
#undef BN_INPUT_PARAMS
#undef BN_INPUT_NAMES
#undef BN_INPUT_RELU_PARAMS
#undef BN_INPUT_RELU_NAMES
#undef BN_SCALE_RELU_PARAMS
#undef BN_SCALE_RELU_NAMES
#undef BN_EXPORT
#undef BN_NAME
#undef BN_LOAD
#undef BN_STORE
#undef BN_SPLAT
#undef BN_HSUM
#undef BN_RELU
#undef BN_GRAD_V
#undef BN_GRAD_S
#undef BN_AFFINE
#undef BN_AHEAD
#undef BN_PREFETCH
#undef BN_CAT
#undef BN_CAT2
