// See include/gradus_network.h.
#include "gradus_network.h"
#include <oneapi/dnnl/dnnl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ARGS 6

typedef struct {
    dnnl_primitive_t primitive;
    dnnl_exec_arg_t args[MAX_ARGS];
    int count;
    char *implementation;
} step_t;

struct gradus_network {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    int rank;
    dnnl_dims_t dims;            // the current tensor's logical dimensions
    dnnl_memory_desc_t md;       // ... and its layout
    dnnl_memory_t current;       // ... and its memory (the input's until a step writes)
    dnnl_memory_t input;         // plain input; its handle is the caller's buffer during a run
    step_t *steps;
    int step_count, step_capacity;
    dnnl_memory_t *owned;        // intermediate memories and packed weights
    int owned_count, owned_capacity;
    dnnl_memory_t output;        // plain output for a final reorder (created on the first run)
    int output_needs_reorder;
    dnnl_primitive_t output_reorder;
    char kernel_filter[48];      // tests: only kernels whose name contains it are timed (empty: all)
    int step_limit;              // tests: steps past this many are refused (0: no limit)
};

static int plain_tag(int rank) { return rank == 4 ? dnnl_nchw : dnnl_nc; }

/// Makes room for one more element in a growing array of `size`-byte elements (doubling, from 8).
static dnnl_status_t reserve(void **array, int count, int *capacity, size_t size) {
    if (count < *capacity) return dnnl_success;
    int cap = *capacity ? 2 * *capacity : 8;
    void *grown = realloc(*array, (size_t)cap * size);
    if (!grown) return dnnl_out_of_memory;
    *array = grown;
    *capacity = cap;
    return dnnl_success;
}

static int own(gradus_network *net, dnnl_memory_t m) {
    if (reserve((void **)&net->owned, net->owned_count, &net->owned_capacity, sizeof *net->owned) != dnnl_success)
        return dnnl_out_of_memory;
    net->owned[net->owned_count++] = m;
    return dnnl_success;
}

static dnnl_status_t new_memory(gradus_network *net, const dnnl_memory_desc_t *md, dnnl_memory_t *out) {
    dnnl_status_t s = dnnl_memory_create(out, md, net->engine, DNNL_MEMORY_ALLOCATE);
    if (s != dnnl_success) return s;
    if (own(net, *out) != dnnl_success) {
        dnnl_memory_destroy(*out);
        return dnnl_out_of_memory;
    }
    return dnnl_success;
}

/// Appends an executable step built from `pd` (the primitive is created here; pd stays the caller's).
static dnnl_status_t append(gradus_network *net, const_dnnl_primitive_desc_t pd, const dnnl_exec_arg_t *args, int count) {
    if (count > MAX_ARGS) return dnnl_invalid_arguments;
    if (net->step_limit > 0 && net->step_count >= net->step_limit) return dnnl_out_of_memory;
    if (reserve((void **)&net->steps, net->step_count, &net->step_capacity, sizeof *net->steps) != dnnl_success)
        return dnnl_out_of_memory;
    step_t *step = &net->steps[net->step_count];
    dnnl_status_t s = dnnl_primitive_create(&step->primitive, pd);
    if (s != dnnl_success) return s;
    memcpy(step->args, args, (size_t)count * sizeof *args);
    step->count = count;
    const char *info = NULL;
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &info);
    step->implementation = info ? strdup(info) : NULL;
    net->step_count++;
    return dnnl_success;
}

/// Reorders `from` (layout `from_md`) into a new owned memory of layout `to_md`, as a step of the chain
/// (`now` = 0) or at once (`now` = 1, for weights); the new memory is returned in `to`.
static dnnl_status_t reorder(gradus_network *net, dnnl_memory_t from, const dnnl_memory_desc_t *from_md,
                             const dnnl_memory_desc_t *to_md, dnnl_memory_t *to, int now) {
    dnnl_status_t s = new_memory(net, to_md, to);
    if (s != dnnl_success) return s;
    dnnl_primitive_desc_t pd = NULL;
    s = dnnl_reorder_primitive_desc_create(&pd, from_md, net->engine, to_md, net->engine, NULL);
    if (s != dnnl_success) return s;
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, *to}};
    if (now) {
        dnnl_primitive_t r = NULL;
        s = dnnl_primitive_create(&r, pd);
        if (s == dnnl_success) s = dnnl_primitive_execute(r, net->stream, 2, args);
        if (s == dnnl_success) s = dnnl_stream_wait(net->stream);
        if (r) dnnl_primitive_destroy(r);
    } else {
        s = append(net, pd, args, 2);
    }
    dnnl_primitive_desc_destroy(pd);
    return s;
}

/// The current tensor in layout `md`: itself when it already is, otherwise reordered by a step.
static dnnl_status_t current_as(gradus_network *net, const dnnl_memory_desc_t *md, dnnl_memory_t *out) {
    if (dnnl_memory_desc_equal(md, &net->md)) {
        *out = net->current;
        return dnnl_success;
    }
    return reorder(net, net->current, &net->md, md, out, 0);
}

/// Packs caller-owned plain data (`count` dims, tag) into a new owned memory of layout `md`.
static dnnl_status_t pack(gradus_network *net, const float *data, int count, const dnnl_dims_t dims, int tag,
                          const dnnl_memory_desc_t *md, dnnl_memory_t *out) {
    dnnl_memory_desc_t user_md;
    dnnl_status_t s = dnnl_memory_desc_init_by_tag(&user_md, count, dims, dnnl_f32, (dnnl_format_tag_t)tag);
    if (s != dnnl_success) return s;
    dnnl_memory_t user = NULL;
    s = dnnl_memory_create(&user, &user_md, net->engine, (void *)data);
    if (s != dnnl_success) return s;
    s = reorder(net, user, &user_md, md, out, 1);
    dnnl_memory_destroy(user);
    return s;
}

static int eltwise_kind(int activation) {
    switch (activation) {
    case gradus_activation_relu: return dnnl_eltwise_relu;
    case gradus_activation_tanh: return dnnl_eltwise_tanh;
    case gradus_activation_sigmoid: return dnnl_eltwise_logistic;
    case gradus_activation_elu: return dnnl_eltwise_elu;
    case gradus_activation_gelu_erf: return dnnl_eltwise_gelu_erf;
    case gradus_activation_gelu_tanh: return dnnl_eltwise_gelu_tanh;
    case gradus_activation_silu: return dnnl_eltwise_swish;
    case gradus_activation_clip: return dnnl_eltwise_clip_v2;
    case gradus_activation_hardswish: return dnnl_eltwise_hardswish;
    case gradus_activation_mish: return dnnl_eltwise_mish;
    default: return -1;
    }
}

static float eltwise_alpha(int activation, float alpha) { return activation == gradus_activation_silu ? 1.f : alpha; }

gradus_network *gradus_network_create(int rank, const long *dims) {
    if (rank != 2 && rank != 4) return NULL;
    for (int i = 0; i < rank; i++) if (dims[i] <= 0) return NULL;
    gradus_network *net = calloc(1, sizeof *net);
    if (!net) return NULL;
    if (dnnl_engine_create(&net->engine, dnnl_cpu, 0) != dnnl_success) { free(net); return NULL; }
    if (dnnl_stream_create(&net->stream, net->engine, dnnl_stream_default_flags) != dnnl_success) {
        dnnl_engine_destroy(net->engine);
        free(net);
        return NULL;
    }
    net->rank = rank;
    for (int i = 0; i < rank; i++) net->dims[i] = dims[i];
    if (dnnl_memory_desc_init_by_tag(&net->md, rank, net->dims, dnnl_f32, (dnnl_format_tag_t)plain_tag(rank)) != dnnl_success
        || dnnl_memory_create(&net->input, &net->md, net->engine, DNNL_MEMORY_NONE) != dnnl_success) {
        gradus_network_destroy(net);
        return NULL;
    }
    net->current = net->input;
    return net;
}

void gradus_network_set_kernel_filter(gradus_network *net, const char *name) {
    net->kernel_filter[0] = 0;
    if (name) {
        strncpy(net->kernel_filter, name, sizeof net->kernel_filter - 1);
        net->kernel_filter[sizeof net->kernel_filter - 1] = 0;
    }
}

void gradus_network_set_step_limit(gradus_network *net, int limit) { net->step_limit = limit > 0 ? limit : 0; }

/// What the chain was before a layer was added. A failed add restores it (`settle`), so that a layer is
/// wholly in the chain or not at all: a layer whose last step failed (its activation, say) would
/// otherwise stay, and the caller, told that it failed, would run the layer again on its output.
typedef struct {
    int step_count, owned_count, rank;
    dnnl_dims_t dims;
    dnnl_memory_desc_t md;
    dnnl_memory_t current;
} chain_mark;

static chain_mark mark(const gradus_network *net) {
    chain_mark m = {net->step_count, net->owned_count, net->rank, {0}, net->md, net->current};
    memcpy(m.dims, net->dims, sizeof m.dims);
    return m;
}

/// `status`, after undoing everything added since `m` when it is a failure: the steps appended (their
/// primitives), the memories created, the current tensor's shape, layout and memory.
static int settle(gradus_network *net, const chain_mark *m, int status) {
    if (status == dnnl_success) return status;
    for (int i = m->step_count; i < net->step_count; i++) {
        dnnl_primitive_destroy(net->steps[i].primitive);
        free(net->steps[i].implementation);
    }
    net->step_count = m->step_count;
    for (int i = m->owned_count; i < net->owned_count; i++) dnnl_memory_destroy(net->owned[i]);
    net->owned_count = m->owned_count;
    net->rank = m->rank;
    memcpy(net->dims, m->dims, sizeof net->dims);
    net->md = m->md;
    net->current = m->current;
    return status;
}

/// The attributes that fuse `activation` (NULL when it has no oneDNN element-wise kind); the caller
/// destroys them.
static dnnl_primitive_attr_t activation_attributes(int activation, float alpha, float beta) {
    int kind = eltwise_kind(activation);
    if (kind < 0) return NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    dnnl_status_t s = dnnl_primitive_attr_create(&attr);
    if (s == dnnl_success) s = dnnl_post_ops_create(&ops);
    if (s == dnnl_success) s = dnnl_post_ops_append_eltwise(ops, 1.f, (dnnl_alg_kind_t)kind, eltwise_alpha(activation, alpha), beta);
    if (s == dnnl_success) s = dnnl_primitive_attr_set_post_ops(attr, ops);
    if (ops) dnnl_post_ops_destroy(ops);
    if (s != dnnl_success && attr) { dnnl_primitive_attr_destroy(attr); attr = NULL; }
    return attr;
}

/// Creates the primitive descriptor for `desc`, with `activation` fused when oneDNN can; `fused` says
/// whether it was.
static dnnl_status_t descriptor(gradus_network *net, const void *desc, int activation, float alpha, float beta,
                                dnnl_primitive_desc_t *pd, int *fused) {
    *fused = 0;
    dnnl_primitive_attr_t attr = activation_attributes(activation, alpha, beta);
    if (attr) {
        dnnl_status_t s = dnnl_primitive_desc_create(pd, desc, attr, net->engine, NULL);
        dnnl_primitive_attr_destroy(attr);
        if (s == dnnl_success) { *fused = 1; return s; }
    }
    return dnnl_primitive_desc_create(pd, desc, NULL, net->engine, NULL);
}

/// Runs the layer step built from `pd` (source, packed weights, bias, destination) and makes its
/// destination the current tensor. `weight_tag` is the caller's weight layout (0: PyTorch's [O, I, ...]
/// for the weight's rank).
static dnnl_status_t add_weighted(gradus_network *net, dnnl_primitive_desc_t pd, int weight_rank, const dnnl_dims_t weight_dims,
                                  int weight_tag, const float *weights, const float *bias, long outputs, int rank,
                                  const dnnl_dims_t out_dims) {
    const dnnl_memory_desc_t *src_md = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *w_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *b_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1);
    const dnnl_memory_desc_t *dst_md = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    dnnl_memory_t src = NULL, w = NULL, b = NULL, dst = NULL;
    const dnnl_format_tag_t plain = weight_tag ? (dnnl_format_tag_t)weight_tag
                                    : weight_rank == 5 ? dnnl_goihw : weight_rank == 4 ? dnnl_oihw : dnnl_oi;
    dnnl_status_t s = pack(net, weights, weight_rank, weight_dims, plain, w_md, &w);
    if (s == dnnl_success && bias) {
        const dnnl_dims_t bias_dims = {outputs};
        s = pack(net, bias, 1, bias_dims, dnnl_x, b_md, &b);
    }
    if (s == dnnl_success) s = current_as(net, src_md, &src);
    if (s == dnnl_success) s = new_memory(net, dst_md, &dst);
    if (s != dnnl_success) return s;
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst}, {DNNL_ARG_BIAS, b}};
    s = append(net, pd, args, bias ? 4 : 3);
    if (s != dnnl_success) return s;
    net->rank = rank;
    memcpy(net->dims, out_dims, sizeof(dnnl_dims_t));
    net->md = *dst_md;
    net->current = dst;
    return dnnl_success;
}

static int add_activation_steps(gradus_network *net, int activation, float alpha, float beta) {
    int kind = eltwise_kind(activation);
    if (kind < 0) return activation == gradus_activation_none ? dnnl_success : dnnl_invalid_arguments;
    dnnl_eltwise_desc_t desc;
    dnnl_status_t s = dnnl_eltwise_forward_desc_init(&desc, dnnl_forward_inference, (dnnl_alg_kind_t)kind, &net->md,
                                                     eltwise_alpha(activation, alpha), beta);
    if (s != dnnl_success) return s;
    dnnl_primitive_desc_t pd = NULL;
    if ((s = dnnl_primitive_desc_create(&pd, &desc, NULL, net->engine, NULL)) != dnnl_success) return s;
    dnnl_memory_t dst = net->current;
    // In place, except on the caller's input.
    if (net->current == net->input) s = new_memory(net, &net->md, &dst);
    if (s == dnnl_success) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_SRC, net->current}, {DNNL_ARG_DST, dst}};
        s = append(net, pd, args, 2);
    }
    dnnl_primitive_desc_destroy(pd);
    if (s == dnnl_success) net->current = dst;
    return s;
}

/// A new owned plain [count] memory holding a copy of `values`.
static dnnl_status_t vector(gradus_network *net, const float *values, long count, dnnl_memory_t *out) {
    dnnl_memory_desc_t md;
    const dnnl_dims_t dims = {count};
    dnnl_status_t s = dnnl_memory_desc_init_by_tag(&md, 1, dims, dnnl_f32, dnnl_x);
    if (s == dnnl_success) s = new_memory(net, &md, out);
    if (s != dnnl_success) return s;
    void *data = NULL;
    if ((s = dnnl_memory_get_data_handle(*out, &data)) != dnnl_success) return s;
    memcpy(data, values, (size_t)count * sizeof(float));
    return dnnl_success;
}

static int add_batch_normalization_steps(gradus_network *net, const float *mean, const float *variance,
                                         const float *scale, const float *shift, float epsilon, int relu) {
    if (!mean || !variance || !(epsilon >= 0)) return dnnl_invalid_arguments;
    const long channels = net->dims[1];
    // Scale and shift as one [2, channels] tensor (oneDNN 2.6 refuses separate scale and shift
    // arguments at execution), 1 and 0 where absent.
    const int affine = scale || shift;
    unsigned flags = dnnl_use_global_stats | (affine ? dnnl_use_scaleshift : 0) | (relu ? dnnl_fuse_norm_relu : 0);
    dnnl_batch_normalization_desc_t desc;
    dnnl_status_t s = dnnl_batch_normalization_forward_desc_init(&desc, dnnl_forward_inference, &net->md, epsilon, flags);
    if (s != dnnl_success) return s;
    dnnl_primitive_desc_t pd = NULL;
    if ((s = dnnl_primitive_desc_create(&pd, &desc, NULL, net->engine, NULL)) != dnnl_success) return s;
    dnnl_memory_t m = NULL, v = NULL, w = NULL, dst = net->current;
    s = vector(net, mean, channels, &m);
    if (s == dnnl_success) s = vector(net, variance, channels, &v);
    if (s == dnnl_success && affine) {
        s = new_memory(net, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), &w);
        float *ws = NULL;
        if (s == dnnl_success) s = dnnl_memory_get_data_handle(w, (void **)&ws);
        if (s == dnnl_success)
            for (long c = 0; c < channels; c++) {
                ws[c] = scale ? scale[c] : 1.f;
                ws[channels + c] = shift ? shift[c] : 0.f;
            }
    }
    // In place, except on the caller's input.
    if (s == dnnl_success && net->current == net->input) s = new_memory(net, &net->md, &dst);
    if (s == dnnl_success) {
        dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, net->current}, {DNNL_ARG_MEAN, m}, {DNNL_ARG_VARIANCE, v}, {DNNL_ARG_DST, dst},
                                   {DNNL_ARG_SCALE_SHIFT, w}};
        s = append(net, pd, args, affine ? 5 : 4);
    }
    dnnl_primitive_desc_destroy(pd);
    if (s == dnnl_success) net->current = dst;
    return s;
}

static long window_output(long in, long kernel, long stride, long dilation, long before, long after) {
    long extent = (kernel - 1) * dilation + 1;
    long span = in + before + after - extent;
    return span < 0 ? 0 : span / stride + 1;
}

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/// How long a kernel runs before it is timed: at least WARM_UP_RUNS_MIN runs, and more (up to
/// WARM_UP_RUNS_MAX) while they have taken less than WARM_UP_SECONDS in all. Some kernels reach their
/// speed only after several runs: on Zen 4, one image, 64→128 channels on 8×8, Winograd F(4×4, 3×3)
/// ran 91, 63, 51, 45, 40, 42, 39 µs before settling at 34–37 µs, so after two warm-up runs its best of
/// seven (39–40 µs) was within noise of F(2×2, 3×3)'s steady 45 µs and lost to it in 3 of 6 compiles.
#define WARM_UP_SECONDS 1e-3
#define WARM_UP_RUNS_MIN 3   // the early drop below reads the runs after the first (cold) one
#define WARM_UP_RUNS_MAX 24
/// The runs timed after the warm-up; the shortest counts. Large layers stop after TIMED_RUNS_MIN runs
/// once their timed runs have taken TIMED_SECONDS: their times vary less, and seven runs of each of a
/// dozen kernels, twice, would make compiling a plan for large images take seconds per layer.
#define TIMED_RUNS 7
#define TIMED_RUNS_MIN 2
#define TIMED_SECONDS 10e-3
/// The second timing pass (see fastest_candidate) runs only when the first took less than this: it
/// guards small layers against a slow moment of the machine, which large layers' longer runs average out.
#define SECOND_PASS_SECONDS 0.1

/// The shortest of TIMED_RUNS runs (fewer for large layers, see TIMED_SECONDS) of the primitive of `pd`
/// on zeroed buffers, after a warm-up (see WARM_UP_SECONDS), in seconds; a huge value when it cannot run. A kernel whose last two warm-up runs
/// both take more than 1.5 × `bound` (the best time so far) is not timed further: the shorter of the
/// two is returned.
static double time_primitive(gradus_network *net, const_dnnl_primitive_desc_t pd, int has_bias, double bound) {
    const dnnl_query_t queries[4] = {dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_weights_md, dnnl_query_dst_md};
    const int indices[4] = {0, 0, 1, 0}, names[4] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST};
    dnnl_memory_t memories[4] = {NULL, NULL, NULL, NULL};
    dnnl_exec_arg_t args[4];
    int count = 0;
    double best = 1e30;
    dnnl_primitive_t primitive = NULL;
    for (int i = 0; i < 4; i++) {
        if (i == 2 && !has_bias) continue;
        const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, queries[i], indices[i]);
        if (dnnl_memory_create(&memories[i], md, net->engine, DNNL_MEMORY_ALLOCATE) != dnnl_success) goto done;
        void *data = NULL;
        dnnl_memory_get_data_handle(memories[i], &data);
        memset(data, 0, dnnl_memory_desc_get_size(md));
        args[count].arg = names[i];
        args[count].memory = memories[i];
        count++;
    }
    if (dnnl_primitive_create(&primitive, pd) != dnnl_success) goto done;
    double warm_up = 0, previous = 1e30, last = 1e30;
    for (int run = 0; run < WARM_UP_RUNS_MIN || (run < WARM_UP_RUNS_MAX && warm_up < WARM_UP_SECONDS); run++) {
        double start = seconds();
        if (dnnl_primitive_execute(primitive, net->stream, count, args) != dnnl_success
            || dnnl_stream_wait(net->stream) != dnnl_success) goto done;
        previous = last;
        last = seconds() - start;
        warm_up += last;
    }
    // The last two warm-up runs both slower than 1.5 × the best so far: this kernel will not win.
    if ((previous < last ? previous : last) > 1.5 * bound) { best = previous < last ? previous : last; goto done; }
    double timed = 0;
    for (int run = 0; run < TIMED_RUNS && (run < TIMED_RUNS_MIN || timed < TIMED_SECONDS); run++) {
        double start = seconds();
        if (dnnl_primitive_execute(primitive, net->stream, count, args) != dnnl_success
            || dnnl_stream_wait(net->stream) != dnnl_success) { best = 1e30; goto done; }
        double elapsed = seconds() - start;
        timed += elapsed;
        if (elapsed < best) best = elapsed;
    }
done:
    if (primitive) dnnl_primitive_destroy(primitive);
    for (int i = 0; i < 4; i++) if (memories[i]) dnnl_memory_destroy(memories[i]);
    return best;
}

/// How much faster a later kernel must time to replace the one kept: oneDNN lists its kernels in
/// the order it prefers them, and direct kernels before Winograd ones (whose sums round differently),
/// so a near tie — often timing noise on a shared machine (once in six compiles, jit:avx2 timed ahead of
/// the AVX-512 kernel it trails by 10%) — keeps the earlier one.
#define MARGIN 0.97

/// The most implementations of one descriptor that are timed; oneDNN lists its fastest kinds first,
/// and the reference ones (milliseconds a run) are never timed.
#define TIMED_IMPLEMENTATIONS 6

/// One kernel that may compute a convolution: its primitive descriptor (owned), the algorithm of the
/// descriptor it came from, whether it fuses the activation, and its best time so far.
typedef struct {
    dnnl_primitive_desc_t pd;
    dnnl_alg_kind_t algorithm;
    int fused;
    double time;
} candidate_t;

/// The most candidates of one convolution: TIMED_IMPLEMENTATIONS for each algorithm, fused or not.
#define MAX_CANDIDATES (4 * TIMED_IMPLEMENTATIONS)

/// Appends to `list` the implementations oneDNN offers for `desc` (at most TIMED_IMPLEMENTATIONS,
/// reference ones and those the tests' filter excludes left out), with `activation` fused when
/// `fused`, in oneDNN's order of preference.
static void add_candidates(gradus_network *net, const void *desc, dnnl_alg_kind_t algorithm, int activation, float alpha,
                           float beta, int fused, candidate_t *list, int *count) {
    dnnl_primitive_attr_t attr = fused ? activation_attributes(activation, alpha, beta) : NULL;
    if (fused && !attr) return;
    dnnl_primitive_desc_iterator_t it = NULL;
    if (dnnl_primitive_desc_iterator_create(&it, desc, attr, net->engine, NULL) == dnnl_success) {
        int taken = 0;
        do {
            dnnl_primitive_desc_t pd = dnnl_primitive_desc_iterator_fetch(it);
            if (!pd) continue;
            const char *name = NULL;
            if (*count >= MAX_CANDIDATES || dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) != dnnl_success || !name
                || strncmp(name, "ref", 3) == 0 || (net->kernel_filter[0] && !strstr(name, net->kernel_filter))) {
                dnnl_primitive_desc_destroy(pd);
                continue;
            }
            list[(*count)++] = (candidate_t){pd, algorithm, fused, 1e30};
            taken++;
        } while (taken < TIMED_IMPLEMENTATIONS && *count < MAX_CANDIDATES && dnnl_primitive_desc_iterator_next(it) == dnnl_success);
        dnnl_primitive_desc_iterator_destroy(it);
    }
    if (attr) dnnl_primitive_attr_destroy(attr);
}

/// Times every candidate twice over, the second pass in reverse order, and keeps each one's shorter
/// time: a slow phase of a shared machine (another tenant, a frequency change) that hits one kernel's
/// turn in one pass seldom hits it in the other too, and it decided the choice — in 3 of 10 compiles
/// with one pass, conv3 of the CNN kept F(2×2, 3×3), 30% slower than F(4×4, 3×3), and conv1 the AVX2
/// kernel, 14% slower than the AVX-512 one. Returns the index of the winner in `list`, or -1: a fused
/// kernel beats an unfused one (which needs a separate activation step), and a later kernel must be
/// MARGIN faster to beat an earlier one.
static int fastest_candidate(gradus_network *net, candidate_t *list, int count, int has_bias) {
    double best = 1e30, first_pass = seconds();
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && seconds() - first_pass > SECOND_PASS_SECONDS) break;
        for (int k = 0; k < count; k++) {
            candidate_t *c = &list[pass == 0 ? k : count - 1 - k];
            if (c->time >= 1e30 && pass == 1) continue;   // could not run the first time
            double t = time_primitive(net, c->pd, has_bias, best);
            if (t < c->time) c->time = t;
            if (c->time < best) best = c->time;
        }
    }
    int winner = -1;
    for (int k = 0; k < count; k++) {
        if (list[k].time >= 1e30) continue;
        if (winner < 0 || list[k].fused > list[winner].fused
            || (list[k].fused == list[winner].fused && list[k].time < MARGIN * list[winner].time)) winner = k;
    }
    return winner;
}

/// What a convolution's timed choice depends on: the timed batch and the layer's geometry, its fused
/// activation, the OpenMP threads the primitives are made for, and the tests' kernel filter.
typedef struct {
    long geometry[16];           // timed batch, channels, height, width, out channels, window, strides, dilations, pads, groups
    int activation, has_bias, threads;
    float alpha, beta;
    char kernel_filter[48];
    int reserved;                // zero: the key has no padding, so memcmp compares only members
} choice_key;
_Static_assert(sizeof(choice_key) == 16 * sizeof(long) + 6 * 4 + 48, "choice_key must have no padding");

/// The kernel that won: its oneDNN name, algorithm and whether it fused the activation.
typedef struct {
    choice_key key;
    char name[64];
    dnnl_alg_kind_t algorithm;
    int fused;
} choice_t;

/// Timed choices, kept for the process: a plan compiled again for the same layer (each evaluation by
/// the trainer, another input shape's chunk, a second plan of the same model) reuses the kernel that
/// won instead of timing every kernel again. Small and replaced in turn; a miss only costs a timing.
#define CHOICE_CACHE_SIZE 64
static choice_t choice_cache[CHOICE_CACHE_SIZE];
static int choice_cache_count, choice_cache_next;
static pthread_mutex_t choice_cache_lock = PTHREAD_MUTEX_INITIALIZER;

/// The OpenMP threads oneDNN's primitives are made for (libgomp's omp_get_max_threads, found at run
/// time as MatrixProductBackend does; 1 when absent).
static int (*omp_get_max_threads_function)(void);
static pthread_once_t omp_lookup_once = PTHREAD_ONCE_INIT;
static void look_up_omp(void) { omp_get_max_threads_function = (int (*)(void))dlsym(RTLD_DEFAULT, "omp_get_max_threads"); }

static int openmp_threads(void) {
    pthread_once(&omp_lookup_once, look_up_omp);
    return omp_get_max_threads_function ? omp_get_max_threads_function() : 1;
}

static long choice_cache_hits;

static int cached_choice(const choice_key *key, choice_t *found) {
    int hit = 0;
    pthread_mutex_lock(&choice_cache_lock);
    for (int i = 0; i < choice_cache_count && !hit; i++)
        if (memcmp(&choice_cache[i].key, key, sizeof *key) == 0) { *found = choice_cache[i]; hit = 1; }
    choice_cache_hits += hit;
    pthread_mutex_unlock(&choice_cache_lock);
    return hit;
}

long gradus_network_reused_convolution_choices(void) {
    pthread_mutex_lock(&choice_cache_lock);
    long hits = choice_cache_hits;
    pthread_mutex_unlock(&choice_cache_lock);
    return hits;
}

static void remember_choice(const choice_t *choice) {
    pthread_mutex_lock(&choice_cache_lock);
    int slot = -1;
    for (int i = 0; i < choice_cache_count; i++)
        if (memcmp(&choice_cache[i].key, &choice->key, sizeof choice->key) == 0) slot = i;
    if (slot < 0) {
        if (choice_cache_count < CHOICE_CACHE_SIZE) slot = choice_cache_count++;
        else { slot = choice_cache_next; choice_cache_next = (choice_cache_next + 1) % CHOICE_CACHE_SIZE; }
    }
    choice_cache[slot] = *choice;
    pthread_mutex_unlock(&choice_cache_lock);
}

/// The batch on which larger batches' convolution kernels are timed.
#define TIMED_BATCH 4

/// The implementation of `desc` named `name` (with `activation` fused unless it is none), or NULL when
/// oneDNN offers none by that name.
static dnnl_primitive_desc_t implementation_named(gradus_network *net, const void *desc, int activation, float alpha, float beta,
                                                  const char *name) {
    dnnl_primitive_attr_t attr = activation_attributes(activation, alpha, beta);
    dnnl_primitive_desc_iterator_t it = NULL;
    dnnl_primitive_desc_t found = NULL;
    if (dnnl_primitive_desc_iterator_create(&it, desc, attr, net->engine, NULL) == dnnl_success) {
        do {
            dnnl_primitive_desc_t pd = dnnl_primitive_desc_iterator_fetch(it);
            if (!pd) continue;
            const char *candidate = NULL;
            if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &candidate) == dnnl_success && candidate
                && strcmp(candidate, name) == 0) {
                found = pd;
                break;
            }
            dnnl_primitive_desc_destroy(pd);
        } while (dnnl_primitive_desc_iterator_next(it) == dnnl_success);
        dnnl_primitive_desc_iterator_destroy(it);
    }
    if (attr) dnnl_primitive_attr_destroy(attr);
    return found;
}

// The operands of a convolution or deconvolution of the current [n, c, h, w] tensor into `out_channels`
// channels of oh × ow in `groups` groups: descriptors in any layout (the kernel's choice), the bias plain,
// and the weight's logical dimensions, [O, C, kH, kW] or grouped [G, O/G, C/G, kH, kW].
typedef struct {
    int w_rank;
    dnnl_dims_t w_dims, dst_dims;
    dnnl_memory_desc_t src, weights, bias, dst;
} window_operands;

static dnnl_status_t make_window_operands(const gradus_network *net, long out_channels, long groups, long kh, long kw,
                                          long oh, long ow, window_operands *o) {
    memset(o, 0, sizeof *o);
    const dnnl_dims_t src_dims = {net->dims[0], net->dims[1], net->dims[2], net->dims[3]}, b_dims = {out_channels};
    o->w_rank = groups == 1 ? 4 : 5;
    if (groups == 1) {
        const dnnl_dims_t w = {out_channels, net->dims[1], kh, kw};
        memcpy(o->w_dims, w, sizeof w);
    } else {
        const dnnl_dims_t w = {groups, out_channels / groups, net->dims[1] / groups, kh, kw};
        memcpy(o->w_dims, w, sizeof w);
    }
    const dnnl_dims_t dst_dims = {net->dims[0], out_channels, oh, ow};
    memcpy(o->dst_dims, dst_dims, sizeof dst_dims);
    dnnl_status_t s = dnnl_memory_desc_init_by_tag(&o->src, 4, src_dims, dnnl_f32, dnnl_format_tag_any);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&o->weights, o->w_rank, o->w_dims, dnnl_f32, dnnl_format_tag_any);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&o->bias, 1, b_dims, dnnl_f32, dnnl_x);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&o->dst, 4, o->dst_dims, dnnl_f32, dnnl_format_tag_any);
    return s;
}

// Whether a (transposed) convolution's settings are valid for the current tensor: an image, positive
// sizes, strides and dilations, paddings not negative, groups dividing both channel counts, and a known
// activation (checked before the layer is added, so that adding it afterwards cannot fail on it).
static int window_arguments_valid(const gradus_network *net, long out_channels, long groups, long kh, long kw,
                                  long stride_h, long stride_w, long dilation_h, long dilation_w,
                                  long pad_top, long pad_left, long pad_bottom, long pad_right, int activation) {
    return net->rank == 4 && out_channels > 0 && kh > 0 && kw > 0 && stride_h > 0 && stride_w > 0
        && dilation_h > 0 && dilation_w > 0 && pad_top >= 0 && pad_left >= 0 && pad_bottom >= 0 && pad_right >= 0
        && groups > 0 && net->dims[1] % groups == 0 && out_channels % groups == 0
        && (activation == gradus_activation_none || eltwise_kind(activation) >= 0);
}

static int add_convolution_steps(gradus_network *net, long out_channels, long groups, long kh, long kw,
                                 long stride_h, long stride_w, long dilation_h, long dilation_w,
                                 long pad_top, long pad_left, long pad_bottom, long pad_right,
                                 const float *weights, const float *bias,
                                 int activation, float alpha, float beta, int algorithm) {
    if (!window_arguments_valid(net, out_channels, groups, kh, kw, stride_h, stride_w, dilation_h, dilation_w,
                                pad_top, pad_left, pad_bottom, pad_right, activation))
        return dnnl_invalid_arguments;
    long oh = window_output(net->dims[2], kh, stride_h, dilation_h, pad_top, pad_bottom);
    long ow = window_output(net->dims[3], kw, stride_w, dilation_w, pad_left, pad_right);
    if (oh <= 0 || ow <= 0) return dnnl_invalid_arguments;
    const dnnl_dims_t src_dims = {net->dims[0], net->dims[1], net->dims[2], net->dims[3]};
    // Grouped: [G, O/G, C/G, kH, kW], the same memory as PyTorch's [O, C/G, kH, kW].
    window_operands o;
    dnnl_status_t s = make_window_operands(net, out_channels, groups, kh, kw, oh, ow, &o);
    if (s != dnnl_success) return s;
    const int w_rank = o.w_rank;
    const dnnl_dim_t *w_dims = o.w_dims, *dst_dims = o.dst_dims;
    dnnl_memory_desc_t src_md = o.src, w_md = o.weights, b_md = o.bias, dst_md = o.dst;
    const dnnl_dims_t strides = {stride_h, stride_w}, dilates = {dilation_h - 1, dilation_w - 1};
    const dnnl_dims_t pad_l = {pad_top, pad_left}, pad_r = {pad_bottom, pad_right};
    dnnl_convolution_desc_t desc;
    dnnl_primitive_desc_t pd = NULL;
    int fused = 0;
    if (algorithm == gradus_convolution_fastest) {
        // Every implementation oneDNN has for either algorithm, timed here: the choice matters (Zen 4,
        // one thread, one image: Winograd F(4×4, 3×3) 41 µs against F(2×2, 3×3)'s 53 µs for 32→64
        // channels on 16×16; the plain AVX-512 direct kernel 18 µs against brgconv's 23 µs for 3→32
        // channels on 32×32; 64 images: F(4×4, 3×3) 2.4 ms against brgconv's 5.0 ms), and oneDNN's
        // first choice is not always the faster. Larger batches are timed on TIMED_BATCH images (the
        // ranking held from 1 to 64 images) and then built with the kernel that won.
        const long batch = src_dims[0], timed_batch = batch < TIMED_BATCH ? batch : TIMED_BATCH;
        choice_t choice;
        memset(&choice, 0, sizeof choice);
        const long geometry[16] = {timed_batch, src_dims[1], src_dims[2], src_dims[3], out_channels, kh, kw, stride_h, stride_w,
                                   dilation_h, dilation_w, pad_top, pad_left, pad_bottom, pad_right, groups};
        memcpy(choice.key.geometry, geometry, sizeof geometry);
        choice.key.activation = activation;
        choice.key.has_bias = bias != NULL;
        choice.key.threads = openmp_threads();
        choice.key.alpha = alpha;
        choice.key.beta = beta;
        memcpy(choice.key.kernel_filter, net->kernel_filter, sizeof choice.key.kernel_filter);
        if (cached_choice(&choice.key, &choice)
            && dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_inference, choice.algorithm, &src_md, &w_md,
                                                          bias ? &b_md : NULL, &dst_md, strides, dilates, pad_l, pad_r) == dnnl_success) {
            pd = implementation_named(net, &desc, choice.fused ? activation : gradus_activation_none, alpha, beta, choice.name);
            fused = choice.fused;
        }
        if (!pd) {
            const dnnl_dims_t timed_src_dims = {timed_batch, src_dims[1], src_dims[2], src_dims[3]};
            const dnnl_dims_t timed_dst_dims = {timed_batch, dst_dims[1], dst_dims[2], dst_dims[3]};
            dnnl_memory_desc_t timed_src_md, timed_dst_md;
            s = dnnl_memory_desc_init_by_tag(&timed_src_md, 4, timed_src_dims, dnnl_f32, dnnl_format_tag_any);
            if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&timed_dst_md, 4, timed_dst_dims, dnnl_f32, dnnl_format_tag_any);
            if (s != dnnl_success) return s;
            // Fused kernels of both algorithms are the candidates; unfused ones only when none fuses.
            candidate_t candidates[MAX_CANDIDATES];
            int count = 0;
            const dnnl_alg_kind_t algorithms[2] = {dnnl_convolution_direct, dnnl_convolution_winograd};
            for (int with_attr = activation != gradus_activation_none; with_attr >= 0 && count == 0; with_attr--) {
                for (int a = 0; a < 2; a++) {
                    if (dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_inference, algorithms[a], &timed_src_md, &w_md,
                                                                   bias ? &b_md : NULL, &timed_dst_md, strides, dilates, pad_l, pad_r) == dnnl_success)
                        add_candidates(net, &desc, algorithms[a], activation, alpha, beta, with_attr, candidates, &count);
                }
            }
            int winner = fastest_candidate(net, candidates, count, bias != NULL);
            dnnl_alg_kind_t best_algorithm = dnnl_convolution_direct;
            if (winner >= 0) {
                pd = candidates[winner].pd;
                fused = candidates[winner].fused;
                best_algorithm = candidates[winner].algorithm;
            }
            for (int k = 0; k < count; k++) if (k != winner) dnnl_primitive_desc_destroy(candidates[k].pd);
            if (!pd && net->kernel_filter[0]) return dnnl_unimplemented;   // tests: no kernel of that name
            const char *name = NULL;
            if (pd && dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) == dnnl_success && name
                && strlen(name) < sizeof choice.name) {
                strcpy(choice.name, name);
                choice.algorithm = best_algorithm;
                choice.fused = fused;
                remember_choice(&choice);
            }
            if (pd && timed_batch != batch) {
                // Built for the whole batch: the winner by name, else oneDNN's first kernel of its algorithm.
                dnnl_primitive_desc_t winner = NULL;
                if (name && dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_inference, best_algorithm, &src_md, &w_md,
                                                                       bias ? &b_md : NULL, &dst_md, strides, dilates, pad_l, pad_r) == dnnl_success) {
                    winner = implementation_named(net, &desc, fused ? activation : gradus_activation_none, alpha, beta, name);
                    if (!winner && !net->kernel_filter[0] && descriptor(net, &desc, activation, alpha, beta, &winner, &fused) != dnnl_success)
                        winner = NULL;
                }
                dnnl_primitive_desc_destroy(pd);
                pd = winner;
            }
        }
        if (!pd && net->kernel_filter[0]) return dnnl_unimplemented;   // tests: the named kernel is not offered
        if (!pd) {
            // Nothing timed could be kept (every timing failed, or no kernel for the whole batch): the
            // direct kernels, as without timing.
            s = dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_direct, &src_md, &w_md,
                                                           bias ? &b_md : NULL, &dst_md, strides, dilates, pad_l, pad_r);
            if (s == dnnl_success) s = descriptor(net, &desc, activation, alpha, beta, &pd, &fused);
            if (s != dnnl_success) return s;
        }
    } else {
        dnnl_alg_kind_t kind = algorithm == gradus_convolution_winograd ? dnnl_convolution_winograd : dnnl_convolution_direct;
        s = dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_inference, kind, &src_md, &w_md,
                                                       bias ? &b_md : NULL, &dst_md, strides, dilates, pad_l, pad_r);
        if (s == dnnl_success) s = descriptor(net, &desc, activation, alpha, beta, &pd, &fused);
        if (s != dnnl_success && kind == dnnl_convolution_winograd) {
            // No Winograd for this window or processor: the direct kernels.
            s = dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_direct, &src_md, &w_md,
                                                           bias ? &b_md : NULL, &dst_md, strides, dilates, pad_l, pad_r);
            if (s == dnnl_success) s = descriptor(net, &desc, activation, alpha, beta, &pd, &fused);
        }
        if (s != dnnl_success) return s;
    }
    s = add_weighted(net, pd, w_rank, w_dims, 0, weights, bias, out_channels, 4, dst_dims);
    dnnl_primitive_desc_destroy(pd);
    if (s == dnnl_success && !fused) s = add_activation_steps(net, activation, alpha, beta);
    return s;
}

static int add_deconvolution_steps(gradus_network *net, long out_channels, long groups, long kh, long kw,
                                   long stride_h, long stride_w, long dilation_h, long dilation_w,
                                   long pad_top, long pad_left, long pad_bottom, long pad_right,
                                   const float *weights, const float *bias, int activation, float alpha, float beta) {
    if (!window_arguments_valid(net, out_channels, groups, kh, kw, stride_h, stride_w, dilation_h, dilation_w,
                                pad_top, pad_left, pad_bottom, pad_right, activation))
        return dnnl_invalid_arguments;
    // Each input position spreads its window over the output: (in − 1)·stride + dilation·(kernel − 1) + 1
    // positions, less the padding cropped on each side.
    const long oh = (net->dims[2] - 1) * stride_h + dilation_h * (kh - 1) + 1 - pad_top - pad_bottom;
    const long ow = (net->dims[3] - 1) * stride_w + dilation_w * (kw - 1) + 1 - pad_left - pad_right;
    if (oh <= 0 || ow <= 0) return dnnl_invalid_arguments;
    // oneDNN's deconvolution weights are [O, I, kH, kW] ([G, O/G, I/G, kH, kW] grouped); PyTorch's
    // [I, O/G, kH, kW] is that memory in the iohw (giohw) layout.
    window_operands o;
    dnnl_status_t s = make_window_operands(net, out_channels, groups, kh, kw, oh, ow, &o);
    if (s != dnnl_success) return s;
    const dnnl_dims_t strides = {stride_h, stride_w}, dilates = {dilation_h - 1, dilation_w - 1};
    const dnnl_dims_t pad_l = {pad_top, pad_left}, pad_r = {pad_bottom, pad_right};
    dnnl_deconvolution_desc_t desc;
    s = dnnl_dilated_deconvolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_deconvolution_direct, &o.src, &o.weights,
                                                     bias ? &o.bias : NULL, &o.dst, strides, dilates, pad_l, pad_r);
    if (s != dnnl_success) return s;
    // The activation is not fused: oneDNN 2.6 computes a deconvolution as a convolution's input gradient
    // and applies post-ops (and the bias then) in a plain per-element loop over a scratch copy; its own
    // in-place element-wise step is the faster way.
    dnnl_primitive_desc_t pd = NULL;
    if ((s = dnnl_primitive_desc_create(&pd, &desc, NULL, net->engine, NULL)) != dnnl_success) return s;
    // oneDNN's reference kernels (plain loops) are many times slower than the model's own path (later
    // oneDNN versions name the wrapped kernel, e.g. "conv:any+ref:any").
    const char *name = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) == dnnl_success && name && strstr(name, "ref:")) {
        dnnl_primitive_desc_destroy(pd);
        return dnnl_unimplemented;
    }
    s = add_weighted(net, pd, o.w_rank, o.w_dims, groups == 1 ? dnnl_iohw : dnnl_giohw, weights, bias, out_channels, 4, o.dst_dims);
    dnnl_primitive_desc_destroy(pd);
    if (s == dnnl_success) s = add_activation_steps(net, activation, alpha, beta);
    return s;
}

static int add_pooling_steps(gradus_network *net, int kind, long kh, long kw, long stride_h, long stride_w,
                             long dilation_h, long dilation_w, long pad_top, long pad_left,
                             long pad_bottom, long pad_right) {
    if (net->rank != 4 || kh <= 0 || kw <= 0 || stride_h <= 0 || stride_w <= 0 || dilation_h <= 0 || dilation_w <= 0
        || pad_top < 0 || pad_left < 0 || pad_bottom < 0 || pad_right < 0)
        return dnnl_invalid_arguments;
    dnnl_alg_kind_t alg = kind == gradus_pooling_max ? dnnl_pooling_max
        : kind == gradus_pooling_average_including_padding ? dnnl_pooling_avg_include_padding : dnnl_pooling_avg_exclude_padding;
    long oh = window_output(net->dims[2], kh, stride_h, dilation_h, pad_top, pad_bottom);
    long ow = window_output(net->dims[3], kw, stride_w, dilation_w, pad_left, pad_right);
    if (oh <= 0 || ow <= 0) return dnnl_invalid_arguments;
    const dnnl_dims_t dst_dims = {net->dims[0], net->dims[1], oh, ow};
    const dnnl_dims_t strides = {stride_h, stride_w}, kernel = {kh, kw}, dilation = {dilation_h - 1, dilation_w - 1};
    const dnnl_dims_t pad_l = {pad_top, pad_left}, pad_r = {pad_bottom, pad_right};
    dnnl_memory_desc_t dst_md;
    dnnl_status_t s = dnnl_memory_desc_init_by_tag(&dst_md, 4, dst_dims, dnnl_f32, dnnl_format_tag_any);
    if (s != dnnl_success) return s;
    dnnl_pooling_v2_desc_t desc;
    s = dnnl_pooling_v2_forward_desc_init(&desc, dnnl_forward_inference, alg, &net->md, &dst_md, strides, kernel, dilation, pad_l, pad_r);
    if (s != dnnl_success) return s;
    dnnl_primitive_desc_t pd = NULL;
    if ((s = dnnl_primitive_desc_create(&pd, &desc, NULL, net->engine, NULL)) != dnnl_success) return s;
    const dnnl_memory_desc_t *out_md = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    dnnl_memory_t dst = NULL;
    s = new_memory(net, out_md, &dst);
    if (s == dnnl_success) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_SRC, net->current}, {DNNL_ARG_DST, dst}};
        s = append(net, pd, args, 2);
    }
    if (s == dnnl_success) {
        memcpy(net->dims, dst_dims, sizeof(dnnl_dims_t));
        net->md = *out_md;
        net->current = dst;
    }
    dnnl_primitive_desc_destroy(pd);
    return s;
}

static int add_inner_product_steps(gradus_network *net, long out_features, const float *weights, const float *bias,
                                   int activation, float alpha, float beta) {
    if (out_features <= 0) return dnnl_invalid_arguments;
    int rank = net->rank;
    dnnl_dims_t w_dims = {out_features};
    for (int i = 1; i < rank; i++) w_dims[i] = net->dims[i];
    const dnnl_dims_t b_dims = {out_features}, dst_dims = {net->dims[0], out_features};
    dnnl_memory_desc_t src_md, w_md, b_md, dst_md;
    dnnl_status_t s = dnnl_memory_desc_init_by_tag(&w_md, rank, w_dims, dnnl_f32, dnnl_format_tag_any);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&b_md, 1, b_dims, dnnl_f32, dnnl_x);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&dst_md, 2, dst_dims, dnnl_f32, dnnl_nc);
    if (s != dnnl_success) return s;
    // The current layout as it is (a blocked [n, c, h, w] goes in without a reorder); any layout when
    // oneDNN has no kernel for it.
    dnnl_primitive_desc_t pd = NULL;
    int fused = 0;
    dnnl_inner_product_desc_t desc;
    s = dnnl_inner_product_forward_desc_init(&desc, dnnl_forward_inference, &net->md, &w_md, bias ? &b_md : NULL, &dst_md);
    if (s == dnnl_success) s = descriptor(net, &desc, activation, alpha, beta, &pd, &fused);
    if (s != dnnl_success) {
        s = dnnl_memory_desc_init_by_tag(&src_md, rank, net->dims, dnnl_f32, dnnl_format_tag_any);
        if (s == dnnl_success)
            s = dnnl_inner_product_forward_desc_init(&desc, dnnl_forward_inference, &src_md, &w_md, bias ? &b_md : NULL, &dst_md);
        if (s == dnnl_success) s = descriptor(net, &desc, activation, alpha, beta, &pd, &fused);
        if (s != dnnl_success) return s;
    }
    s = add_weighted(net, pd, rank, w_dims, 0, weights, bias, out_features, 2, dst_dims);
    dnnl_primitive_desc_destroy(pd);
    if (s == dnnl_success && !fused) s = add_activation_steps(net, activation, alpha, beta);
    return s;
}

// The layers as the header declares them: each adds its steps wholly or not at all.

int gradus_network_add_activation(gradus_network *net, int activation, float alpha, float beta) {
    const chain_mark m = mark(net);
    return settle(net, &m, add_activation_steps(net, activation, alpha, beta));
}

int gradus_network_add_batch_normalization(gradus_network *net, const float *mean, const float *variance,
                                           const float *scale, const float *shift, float epsilon, int relu) {
    const chain_mark m = mark(net);
    return settle(net, &m, add_batch_normalization_steps(net, mean, variance, scale, shift, epsilon, relu));
}

int gradus_network_add_convolution(gradus_network *net, long out_channels, long groups, long kh, long kw,
                                   long stride_h, long stride_w, long dilation_h, long dilation_w,
                                   long pad_top, long pad_left, long pad_bottom, long pad_right,
                                   const float *weights, const float *bias,
                                   int activation, float alpha, float beta, int algorithm) {
    const chain_mark m = mark(net);
    return settle(net, &m, add_convolution_steps(net, out_channels, groups, kh, kw, stride_h, stride_w, dilation_h, dilation_w,
                                                 pad_top, pad_left, pad_bottom, pad_right, weights, bias, activation, alpha,
                                                 beta, algorithm));
}

int gradus_network_add_deconvolution(gradus_network *net, long out_channels, long groups, long kh, long kw,
                                     long stride_h, long stride_w, long dilation_h, long dilation_w,
                                     long pad_top, long pad_left, long pad_bottom, long pad_right,
                                     const float *weights, const float *bias, int activation, float alpha, float beta) {
    const chain_mark m = mark(net);
    return settle(net, &m, add_deconvolution_steps(net, out_channels, groups, kh, kw, stride_h, stride_w, dilation_h,
                                                   dilation_w, pad_top, pad_left, pad_bottom, pad_right, weights, bias,
                                                   activation, alpha, beta));
}

int gradus_network_add_pooling(gradus_network *net, int kind, long kh, long kw, long stride_h, long stride_w,
                               long dilation_h, long dilation_w, long pad_top, long pad_left,
                               long pad_bottom, long pad_right) {
    const chain_mark m = mark(net);
    return settle(net, &m, add_pooling_steps(net, kind, kh, kw, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left,
                                             pad_bottom, pad_right));
}

int gradus_network_add_inner_product(gradus_network *net, long out_features, const float *weights, const float *bias,
                                     int activation, float alpha, float beta) {
    const chain_mark m = mark(net);
    return settle(net, &m, add_inner_product_steps(net, out_features, weights, bias, activation, alpha, beta));
}

int gradus_network_output_shape(const gradus_network *net, long *dims) {
    for (int i = 0; i < 4; i++) dims[i] = i < net->rank ? net->dims[i] : 0;
    return net->rank;
}

const char *gradus_network_step_implementation(const gradus_network *net, int index) {
    if (index < 0 || index >= net->step_count) return NULL;
    return net->steps[index].implementation ? net->steps[index].implementation : "?";
}

/// Prepares the final step into the caller's output the first time the chain runs: a reorder when the
/// result is not plain, else a copy.
static dnnl_status_t prepare_output(gradus_network *net) {
    if (net->output) return dnnl_success;
    dnnl_memory_desc_t plain;
    dnnl_status_t s = dnnl_memory_desc_init_by_tag(&plain, net->rank, net->dims, dnnl_f32, (dnnl_format_tag_t)plain_tag(net->rank));
    if (s == dnnl_success) s = dnnl_memory_create(&net->output, &plain, net->engine, DNNL_MEMORY_NONE);
    if (s != dnnl_success) return s;
    net->output_needs_reorder = !dnnl_memory_desc_equal(&plain, &net->md);
    if (net->output_needs_reorder) {
        dnnl_primitive_desc_t pd = NULL;
        s = dnnl_reorder_primitive_desc_create(&pd, &net->md, net->engine, &plain, net->engine, NULL);
        if (s == dnnl_success) s = dnnl_primitive_create(&net->output_reorder, pd);
        if (pd) dnnl_primitive_desc_destroy(pd);
    }
    return s;
}

int gradus_network_run(gradus_network *net, const float *input, float *output) {
    dnnl_status_t s = prepare_output(net);
    if (s != dnnl_success) return s;
    if ((s = dnnl_memory_set_data_handle(net->input, (void *)input)) != dnnl_success) return s;
    if ((s = dnnl_memory_set_data_handle(net->output, output)) != dnnl_success) return s;
    for (int i = 0; i < net->step_count; i++) {
        step_t *step = &net->steps[i];
        if ((s = dnnl_primitive_execute(step->primitive, net->stream, step->count, step->args)) != dnnl_success) return s;
    }
    if (net->output_needs_reorder) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, net->current}, {DNNL_ARG_TO, net->output}};
        if ((s = dnnl_primitive_execute(net->output_reorder, net->stream, 2, args)) != dnnl_success) return s;
    }
    if ((s = dnnl_stream_wait(net->stream)) != dnnl_success) return s;
    if (!net->output_needs_reorder) {
        void *result = NULL;
        if ((s = dnnl_memory_get_data_handle(net->current, &result)) != dnnl_success) return s;
        size_t bytes = dnnl_memory_desc_get_size(&net->md);
        if (result != output) memmove(output, result, bytes);
    }
    dnnl_memory_set_data_handle(net->input, NULL);
    return dnnl_success;
}

void gradus_network_destroy(gradus_network *net) {
    if (!net) return;
    for (int i = 0; i < net->step_count; i++) {
        dnnl_primitive_destroy(net->steps[i].primitive);
        free(net->steps[i].implementation);
    }
    free(net->steps);
    for (int i = 0; i < net->owned_count; i++) dnnl_memory_destroy(net->owned[i]);
    free(net->owned);
    if (net->output_reorder) dnnl_primitive_destroy(net->output_reorder);
    if (net->output) dnnl_memory_destroy(net->output);
    if (net->input) dnnl_memory_destroy(net->input);
    if (net->stream) dnnl_stream_destroy(net->stream);
    if (net->engine) dnnl_engine_destroy(net->engine);
    free(net);
}
