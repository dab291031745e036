// See include/gradus_convolution.h. Written against oneDNN 2.6's C API (Debian bookworm's libdnnl-dev):
// oneDNN offers the kernels, not a way to call them on plain tensors without building descriptors,
// reorders and scratch memory per shape, which is what this file keeps per thread.
#include "gradus_convolution.h"
#include <dlfcn.h>
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { pass_forward = 0, pass_backward_data = 1, pass_backward_weights = 2 };

static dnnl_engine_t engine;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static void make_engine(void) {
    if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success) engine = NULL;
}

/// The OpenMP threads a primitive is made for: oneDNN divides its work by the threads there are when
/// the primitive is created, so they are part of the key (libgomp's omp_get_max_threads, looked up at
/// run time as MatrixProductBackend does; 1 when absent).
static int (*omp_get_max_threads_function)(void);
static pthread_once_t omp_once = PTHREAD_ONCE_INIT;
static void look_up_omp(void) { omp_get_max_threads_function = (int (*)(void))dlsym(RTLD_DEFAULT, "omp_get_max_threads"); }
static int openmp_threads(void) {
    pthread_once(&omp_once, look_up_omp);
    return omp_get_max_threads_function ? omp_get_max_threads_function() : 1;
}

// One operand of a pass: the caller's plain array (`user`, its handle set at each call) and, when the
// kernel wants another layout, a memory in the thread's scratch (`inner`) with the reorder between them.
typedef struct {
    int arg;                   // DNNL_ARG_*
    int output;                // written by the pass (reordered back after it)
    dnnl_memory_t user, inner; // inner NULL: the kernel reads or writes the plain array itself
    dnnl_primitive_t reorder;  // user → inner for inputs, inner → user for outputs
    size_t offset;             // of inner's data in the scratch
} operand;

#define MAX_OPERANDS 4
typedef struct {
    gradus_convolution_shape shape;
    int pass, threads, bias, used;
    dnnl_status_t refused;     // not dnnl_success: oneDNN offered no kernel worth running (kept, so as not to ask again)
    dnnl_primitive_t primitive;
    operand operands[MAX_OPERANDS];
    int operand_count;
    dnnl_memory_t scratchpad;  // oneDNN's own scratch for the kernel (user mode), NULL when it needs none
    size_t scratchpad_offset, scratch_bytes;
    char kernel[64];
} entry;

typedef struct {
    entry entries[GRADUS_CONVOLUTION_PRIMITIVES];
    int count, next;
    dnnl_stream_t stream;
    void *scratch;
    size_t capacity;
} thread_state;

static void release_entry(entry *e) {
    for (int i = 0; i < e->operand_count; i++) {
        operand *o = &e->operands[i];
        if (o->reorder) dnnl_primitive_destroy(o->reorder);
        if (o->inner) dnnl_memory_destroy(o->inner);
        if (o->user) dnnl_memory_destroy(o->user);
    }
    if (e->scratchpad) dnnl_memory_destroy(e->scratchpad);
    if (e->primitive) dnnl_primitive_destroy(e->primitive);
    memset(e, 0, sizeof *e);
}

static pthread_key_t state_key;
static pthread_once_t state_once = PTHREAD_ONCE_INIT;
static void free_state(void *p) {
    thread_state *t = p;
    for (int i = 0; i < t->count; i++) release_entry(&t->entries[i]);
    if (t->stream) dnnl_stream_destroy(t->stream);
    free(t->scratch);
    free(t);
}
static void make_state_key(void) { pthread_key_create(&state_key, free_state); }

static thread_state *state(void) {
    pthread_once(&state_once, make_state_key);
    thread_state *t = pthread_getspecific(state_key);
    if (!t) {
        t = calloc(1, sizeof *t);
        if (!t) return NULL;
        if (pthread_setspecific(state_key, t) != 0) { free(t); return NULL; }
    }
    if (!t->stream && dnnl_stream_create(&t->stream, engine, dnnl_stream_default_flags) != dnnl_success) {
        t->stream = NULL;
        return NULL;
    }
    return t;
}

static size_t aligned(size_t bytes) { return (bytes + 63) & ~(size_t)63; }

// The descriptors of the three passes share these: operands in any layout (the kernel's choice), the
// bias plain.
typedef struct {
    dnnl_memory_desc_t src, weights, bias, dst;   // what the kernels read (bfloat16 inputs in mixed precision) and dst
    dnnl_memory_desc_t diff_src, diff_weights, diff_dst;   // gradients written (Float32) and read
    dnnl_dims_t strides, dilation, padding;
} descriptors;

// The weight's dimensions: [O, C, kH, kW] (rank 4) ungrouped, [G, O/G, C/G, kH, kW] (rank 5, the same
// memory as PyTorch's [O, C/G, kH, kW]) grouped.
static int weight_dims(const gradus_convolution_shape *g, dnnl_dims_t dims) {
    if (g->groups == 1) {
        dims[0] = g->out_channels; dims[1] = g->in_channels; dims[2] = g->kernel_h; dims[3] = g->kernel_w;
        return 4;
    }
    dims[0] = g->groups; dims[1] = g->out_channels / g->groups; dims[2] = g->in_channels / g->groups;
    dims[3] = g->kernel_h; dims[4] = g->kernel_w;
    return 5;
}

static dnnl_status_t make_descriptors(const gradus_convolution_shape *g, descriptors *d) {
    const dnnl_dims_t src = {g->batch, g->in_channels, g->height, g->width};
    dnnl_dims_t weights;
    const int weight_rank = weight_dims(g, weights);
    const dnnl_dims_t bias = {g->out_channels}, dst = {g->batch, g->out_channels, g->out_h, g->out_w};
    const dnnl_data_type_t input = g->bfloat16 ? dnnl_bf16 : dnnl_f32;
    dnnl_status_t s;
    if ((s = dnnl_memory_desc_init_by_tag(&d->src, 4, src, input, dnnl_format_tag_any)) != dnnl_success) return s;
    if ((s = dnnl_memory_desc_init_by_tag(&d->weights, weight_rank, weights, input, dnnl_format_tag_any)) != dnnl_success) return s;
    if ((s = dnnl_memory_desc_init_by_tag(&d->bias, 1, bias, dnnl_f32, dnnl_x)) != dnnl_success) return s;
    if ((s = dnnl_memory_desc_init_by_tag(&d->dst, 4, dst, dnnl_f32, dnnl_format_tag_any)) != dnnl_success) return s;
    if ((s = dnnl_memory_desc_init_by_tag(&d->diff_src, 4, src, dnnl_f32, dnnl_format_tag_any)) != dnnl_success) return s;
    if ((s = dnnl_memory_desc_init_by_tag(&d->diff_weights, weight_rank, weights, dnnl_f32, dnnl_format_tag_any)) != dnnl_success) return s;
    if ((s = dnnl_memory_desc_init_by_tag(&d->diff_dst, 4, dst, input, dnnl_format_tag_any)) != dnnl_success) return s;
    d->strides[0] = g->stride_h; d->strides[1] = g->stride_w;
    d->dilation[0] = g->dilation_h - 1; d->dilation[1] = g->dilation_w - 1;   // oneDNN counts the gaps
    d->padding[0] = g->pad_h; d->padding[1] = g->pad_w;
    return dnnl_success;
}

static dnnl_status_t forward_pd(const gradus_convolution_shape *g, const descriptors *d, int bias,
                                const_dnnl_primitive_attr_t attr, dnnl_primitive_desc_t *pd) {
    // Padding on both sides as given: oneDNN, like PyTorch, takes the output size rounded down, so the
    // zeros past the last window are never read.
    dnnl_convolution_desc_t desc;
    dnnl_status_t s = dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_training, dnnl_convolution_direct,
                                                                 &d->src, &d->weights, bias ? &d->bias : NULL, &d->dst,
                                                                 d->strides, d->dilation, d->padding, d->padding);
    if (s != dnnl_success) return s;
    return dnnl_primitive_desc_create(pd, &desc, attr, engine, NULL);
}

// An operand: a plain Float32 memory for the caller's array and, when the kernel's layout or type differs
// (bfloat16 inputs: the reorder rounds them), an inner one
// placed in the scratch at *bytes, with its reorder (made in user scratchpad mode: it may need none).
static dnnl_status_t make_operand(entry *e, int arg, int output, const dnnl_memory_desc_t *kernel_md, int rank,
                                  const dnnl_dims_t dims, size_t *bytes) {
    operand *o = &e->operands[e->operand_count++];
    o->arg = arg;
    o->output = output;
    dnnl_memory_desc_t plain;
    const dnnl_format_tag_t tag = rank == 5 ? dnnl_abcde : rank == 4 ? dnnl_abcd : dnnl_a;
    dnnl_status_t s = dnnl_memory_desc_init_by_tag(&plain, rank, dims, dnnl_f32, tag);
    if (s != dnnl_success) return s;
    if ((s = dnnl_memory_create(&o->user, &plain, engine, DNNL_MEMORY_NONE)) != dnnl_success) return s;
    if (dnnl_memory_desc_equal(&plain, kernel_md)) return dnnl_success;
    if ((s = dnnl_memory_create(&o->inner, kernel_md, engine, DNNL_MEMORY_NONE)) != dnnl_success) return s;
    o->offset = *bytes;
    *bytes += aligned(dnnl_memory_desc_get_size(kernel_md));
    dnnl_primitive_desc_t pd = NULL;
    s = output ? dnnl_reorder_primitive_desc_create(&pd, kernel_md, engine, &plain, engine, NULL)
               : dnnl_reorder_primitive_desc_create(&pd, &plain, engine, kernel_md, engine, NULL);
    if (s != dnnl_success) return s;
    // Reorders keep oneDNN's default (library) scratchpad mode: what little scratch they need comes from
    // oneDNN's per-thread scratchpad.
    s = dnnl_primitive_create(&o->reorder, pd);
    dnnl_primitive_desc_destroy(pd);
    return s;
}

static dnnl_status_t make_entry(entry *e, const gradus_convolution_shape *g, int pass, int bias) {
    memset(e, 0, sizeof *e);
    descriptors d;
    dnnl_status_t s = make_descriptors(g, &d);
    if (s != dnnl_success) return s;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t hint = NULL, pd = NULL;
    if ((s = dnnl_primitive_attr_create(&attr)) != dnnl_success) return s;
    // The kernel's scratch (which can be as large as an operand) comes from the thread's scratch buffer,
    // kept between calls, rather than being held by each kept primitive.
    if ((s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user)) != dnnl_success) goto done;
    const dnnl_dims_t src = {g->batch, g->in_channels, g->height, g->width};
    dnnl_dims_t weights;
    const int weight_rank = weight_dims(g, weights);
    const dnnl_dims_t bias_dims = {g->out_channels}, dst = {g->batch, g->out_channels, g->out_h, g->out_w};
    size_t bytes = 0;
    if (pass == pass_forward) {
        if ((s = forward_pd(g, &d, bias, attr, &pd)) != dnnl_success) goto done;
        if ((s = make_operand(e, DNNL_ARG_SRC, 0, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), 4, src, &bytes)) != dnnl_success) goto done;
        if ((s = make_operand(e, DNNL_ARG_WEIGHTS, 0, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), weight_rank, weights, &bytes)) != dnnl_success) goto done;
        if (bias && (s = make_operand(e, DNNL_ARG_BIAS, 0, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1), 1, bias_dims, &bytes)) != dnnl_success) goto done;
        if ((s = make_operand(e, DNNL_ARG_DST, 1, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), 4, dst, &bytes)) != dnnl_success) goto done;
    } else {
        if ((s = forward_pd(g, &d, 0, NULL, &hint)) != dnnl_success) goto done;
        dnnl_convolution_desc_t desc;
        if (pass == pass_backward_data) {
            s = dnnl_dilated_convolution_backward_data_desc_init(&desc, dnnl_convolution_direct, &d.diff_src, &d.weights,
                                                                 &d.diff_dst, d.strides, d.dilation, d.padding, d.padding);
        } else {
            s = dnnl_dilated_convolution_backward_weights_desc_init(&desc, dnnl_convolution_direct, &d.src, &d.diff_weights, NULL,
                                                                    &d.diff_dst, d.strides, d.dilation, d.padding, d.padding);
        }
        if (s != dnnl_success) goto done;
        if ((s = dnnl_primitive_desc_create(&pd, &desc, attr, engine, hint)) != dnnl_success) goto done;
        if (pass == pass_backward_data) {
            if ((s = make_operand(e, DNNL_ARG_DIFF_DST, 0, dnnl_primitive_desc_query_md(pd, dnnl_query_diff_dst_md, 0), 4, dst, &bytes)) != dnnl_success) goto done;
            if ((s = make_operand(e, DNNL_ARG_WEIGHTS, 0, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), weight_rank, weights, &bytes)) != dnnl_success) goto done;
            if ((s = make_operand(e, DNNL_ARG_DIFF_SRC, 1, dnnl_primitive_desc_query_md(pd, dnnl_query_diff_src_md, 0), 4, src, &bytes)) != dnnl_success) goto done;
        } else {
            if ((s = make_operand(e, DNNL_ARG_SRC, 0, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), 4, src, &bytes)) != dnnl_success) goto done;
            if ((s = make_operand(e, DNNL_ARG_DIFF_DST, 0, dnnl_primitive_desc_query_md(pd, dnnl_query_diff_dst_md, 0), 4, dst, &bytes)) != dnnl_success) goto done;
            if ((s = make_operand(e, DNNL_ARG_DIFF_WEIGHTS, 1, dnnl_primitive_desc_query_md(pd, dnnl_query_diff_weights_md, 0), weight_rank, weights, &bytes)) != dnnl_success) goto done;
        }
    }
    const dnnl_memory_desc_t *pad = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    if (pad && dnnl_memory_desc_get_size(pad) > 0) {
        if ((s = dnnl_memory_create(&e->scratchpad, pad, engine, DNNL_MEMORY_NONE)) != dnnl_success) goto done;
        e->scratchpad_offset = bytes;
        bytes += aligned(dnnl_memory_desc_get_size(pad));
    }
    const char *name = "";
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) == dnnl_success && name) {
        strncpy(e->kernel, name, sizeof e->kernel - 1);
    }
    // oneDNN's reference kernels (plain loops, for shapes no optimized kernel takes) are many times
    // slower than unfolding and a matrix product: the caller computes those.
    if (strncmp(e->kernel, "ref", 3) == 0) { s = dnnl_unimplemented; goto done; }
    // A grouped convolution that no direct kernel takes gets oneDNN's unfolding and matrix-product
    // kernel ("gemm": a depth multiplier above 1, 4 channels per group, a 5×5 depthwise weight
    // gradient), which ran 0.5-0.7× Gradus's own per-group unfolding (gradus-bench conv_passes, one
    // Zen 5 core): refused too.
    if (g->groups > 1 && strstr(e->kernel, "gemm")) { s = dnnl_unimplemented; goto done; }
    if ((s = dnnl_primitive_create(&e->primitive, pd)) != dnnl_success) goto done;
    e->scratch_bytes = bytes;
    e->shape = *g;
    e->pass = pass;
    e->bias = bias;
    e->threads = openmp_threads();
    e->used = 1;
done:
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (hint) dnnl_primitive_desc_destroy(hint);
    dnnl_primitive_attr_destroy(attr);
    if (s != dnnl_success) release_entry(e);
    return s;
}

static int same_shape(const gradus_convolution_shape *a, const gradus_convolution_shape *b) {
    return memcmp(a, b, sizeof *a) == 0;
}

// The thread's entry for this shape and pass, made when missing (the oldest one replaced when full).
static dnnl_status_t find_entry(thread_state *t, const gradus_convolution_shape *g, int pass, int bias, entry **found) {
    const int threads = openmp_threads();
    for (int i = 0; i < t->count; i++) {
        entry *e = &t->entries[i];
        if (e->used && e->pass == pass && e->bias == bias && e->threads == threads && same_shape(&e->shape, g)) {
            *found = e;
            return e->refused;
        }
    }
    entry *e;
    const int appended = t->count < GRADUS_CONVOLUTION_PRIMITIVES;
    if (appended) {
        e = &t->entries[t->count++];
    } else {
        e = &t->entries[t->next];
        t->next = (t->next + 1) % GRADUS_CONVOLUTION_PRIMITIVES;
        release_entry(e);
    }
    dnnl_status_t s = make_entry(e, g, pass, bias);
    if (s == dnnl_unimplemented || s == dnnl_invalid_arguments) {
        // Kept as a refusal, so that the next call with this shape does not build the descriptors again
        // (other failures, such as memory running out, are not remembered).
        release_entry(e);
        e->shape = *g;
        e->pass = pass;
        e->bias = bias;
        e->threads = threads;
        e->used = 1;
        e->refused = s;
        return s;
    }
    if (s == dnnl_success) {
        *found = e;
    } else if (appended) {
        t->count--;   // the slot stays free
    }
    return s;
}

// Runs an entry: inputs reordered into the scratch, the kernel, outputs reordered back. `arrays` are
// the caller's, in the order of the entry's operands.
static dnnl_status_t execute(thread_state *t, entry *e, void *const *arrays) {
    char *scratch = NULL, *allocated = NULL;
    if (e->scratch_bytes > 0) {
        if (e->scratch_bytes <= (size_t)GRADUS_CONVOLUTION_SCRATCH_KEPT) {
            if (t->capacity < e->scratch_bytes) {
                free(t->scratch);
                t->scratch = aligned_alloc(64, e->scratch_bytes);
                t->capacity = t->scratch ? e->scratch_bytes : 0;
                if (!t->scratch) return dnnl_out_of_memory;
            }
            scratch = t->scratch;
        } else {
            allocated = aligned_alloc(64, e->scratch_bytes);
            if (!allocated) return dnnl_out_of_memory;
            scratch = allocated;
        }
    }
    dnnl_status_t s = dnnl_success;
    dnnl_exec_arg_t args[MAX_OPERANDS + 1];
    int count = 0;
    for (int i = 0; i < e->operand_count && s == dnnl_success; i++) {
        operand *o = &e->operands[i];
        s = dnnl_memory_set_data_handle(o->user, arrays[i]);
        if (s == dnnl_success && o->inner) s = dnnl_memory_set_data_handle(o->inner, scratch + o->offset);
        if (s == dnnl_success && o->inner && !o->output) {
            dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, o->user}, {DNNL_ARG_TO, o->inner}};
            s = dnnl_primitive_execute(o->reorder, t->stream, 2, r);
        }
        args[count++] = (dnnl_exec_arg_t){o->arg, o->inner ? o->inner : o->user};
    }
    if (s == dnnl_success && e->scratchpad) {
        s = dnnl_memory_set_data_handle(e->scratchpad, scratch + e->scratchpad_offset);
        args[count++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, e->scratchpad};
    }
    if (s == dnnl_success) s = dnnl_primitive_execute(e->primitive, t->stream, count, args);
    for (int i = 0; i < e->operand_count && s == dnnl_success; i++) {
        operand *o = &e->operands[i];
        if (o->inner && o->output) {
            dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, o->inner}, {DNNL_ARG_TO, o->user}};
            s = dnnl_primitive_execute(o->reorder, t->stream, 2, r);
        }
    }
    if (s == dnnl_success) s = dnnl_stream_wait(t->stream);
    free(allocated);
    return s;
}

static _Thread_local long runs_on_this_thread;
long gradus_convolution_runs_on_this_thread(void) { return runs_on_this_thread; }

// Every size positive (oneDNN is not asked about empty tensors: there is nothing to compute), and the
// groups dividing both channel counts.
static int sizes_positive(const gradus_convolution_shape *g) {
    return g->batch > 0 && g->in_channels > 0 && g->height > 0 && g->width > 0 && g->out_channels > 0 &&
           g->kernel_h > 0 && g->kernel_w > 0 && g->stride_h > 0 && g->stride_w > 0 && g->dilation_h > 0 &&
           g->dilation_w > 0 && g->pad_h >= 0 && g->pad_w >= 0 && g->out_h > 0 && g->out_w > 0 &&
           g->groups > 0 && g->in_channels % g->groups == 0 && g->out_channels % g->groups == 0;
}

static int run(const gradus_convolution_shape *g, int pass, int bias, void *const *arrays) {
    pthread_once(&engine_once, make_engine);
    if (!engine) return dnnl_runtime_error;
    if (!sizes_positive(g)) return dnnl_invalid_arguments;
    thread_state *t = state();
    if (!t) return dnnl_out_of_memory;
    entry *e = NULL;
    dnnl_status_t s = find_entry(t, g, pass, bias, &e);
    if (s == dnnl_success) s = execute(t, e, arrays);
    if (s == dnnl_success) runs_on_this_thread++;
    return s;
}

int gradus_convolution_forward(const gradus_convolution_shape *shape, const float *x, const float *w,
                               const float *bias, float *y) {
    if (bias) {
        void *arrays[4] = {(void *)x, (void *)w, (void *)bias, y};
        return run(shape, pass_forward, 1, arrays);
    }
    void *arrays[3] = {(void *)x, (void *)w, y};
    return run(shape, pass_forward, 0, arrays);
}

int gradus_convolution_backward_data(const gradus_convolution_shape *shape, const float *dy, const float *w, float *dx) {
    void *arrays[3] = {(void *)dy, (void *)w, dx};
    return run(shape, pass_backward_data, 0, arrays);
}

int gradus_convolution_backward_weights(const gradus_convolution_shape *shape, const float *x, const float *dy, float *dw) {
    void *arrays[3] = {(void *)x, (void *)dy, dw};
    return run(shape, pass_backward_weights, 0, arrays);
}

const char *gradus_convolution_kernel(const gradus_convolution_shape *shape, int pass) {
    pthread_once(&engine_once, make_engine);
    if (!engine || pass < 0 || pass > 2 || !sizes_positive(shape)) return "";
    thread_state *t = state();
    entry *e = NULL;
    if (!t || find_entry(t, shape, pass, 0, &e) != dnnl_success) return "";
    return e->kernel;
}
