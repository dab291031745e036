// Times every oneDNN kernel that can compute each convolution of the 32×32 image CNN (3→32 channels
// on 32×32, 32→64 on 16×16, 64→128 on 8×8; 3×3, padding 1, ReLU fused), for the direct and the
// Winograd algorithm: the candidates an InferencePlan chooses among (gradus_network.c). Reference
// kernels are skipped. Median and minimum of 101 runs after a warm-up, in microseconds.
//
//   gcc -O2 scripts/roofline/conv_kernels.c -ldnnl -o /tmp/conv_kernels
//   OMP_NUM_THREADS=1 /tmp/conv_kernels [batch]      (batch 1 by default)
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void time_kernels(dnnl_engine_t engine, dnnl_stream_t stream, long batch, long ic, long oc, long hw,
                         dnnl_alg_kind_t algorithm) {
    dnnl_dims_t src = {batch, ic, hw, hw}, wei = {oc, ic, 3, 3}, bias = {oc}, dst = {batch, oc, hw, hw};
    dnnl_dims_t strides = {1, 1}, dilation = {0, 0}, pad = {1, 1};
    dnnl_memory_desc_t src_md, wei_md, bias_md, dst_md;
    dnnl_memory_desc_init_by_tag(&src_md, 4, src, dnnl_f32, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&wei_md, 4, wei, dnnl_f32, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&bias_md, 1, bias, dnnl_f32, dnnl_x);
    dnnl_memory_desc_init_by_tag(&dst_md, 4, dst, dnnl_f32, dnnl_format_tag_any);
    dnnl_convolution_desc_t desc;
    if (dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_inference, algorithm, &src_md, &wei_md, &bias_md,
                                                   &dst_md, strides, dilation, pad, pad) != dnnl_success) return;
    dnnl_primitive_attr_t attr;
    dnnl_post_ops_t ops;
    dnnl_primitive_attr_create(&attr);
    dnnl_post_ops_create(&ops);
    dnnl_post_ops_append_eltwise(ops, 1.f, dnnl_eltwise_relu, 0, 0);
    dnnl_primitive_attr_set_post_ops(attr, ops);
    dnnl_primitive_desc_iterator_t it;
    if (dnnl_primitive_desc_iterator_create(&it, &desc, attr, engine, NULL) == dnnl_success) {
        do {
            dnnl_primitive_desc_t pd = dnnl_primitive_desc_iterator_fetch(it);
            const char *name = "";
            dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name);
            if (strncmp(name, "ref", 3) != 0) {
                const dnnl_query_t queries[4] = {dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_weights_md, dnnl_query_dst_md};
                const int indices[4] = {0, 0, 1, 0}, names[4] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST};
                dnnl_exec_arg_t args[4];
                for (int i = 0; i < 4; i++) {
                    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, queries[i], indices[i]);
                    void *data;
                    dnnl_memory_create(&args[i].memory, md, engine, DNNL_MEMORY_ALLOCATE);
                    dnnl_memory_get_data_handle(args[i].memory, &data);
                    memset(data, 0, dnnl_memory_desc_get_size(md));
                    args[i].arg = names[i];
                }
                dnnl_primitive_t primitive;
                dnnl_primitive_create(&primitive, pd);
                enum { RUNS = 101 };
                double times[RUNS];
                dnnl_primitive_execute(primitive, stream, 4, args);
                dnnl_stream_wait(stream);
                for (int r = 0; r < RUNS; r++) {
                    double start = now();
                    dnnl_primitive_execute(primitive, stream, 4, args);
                    dnnl_stream_wait(stream);
                    times[r] = now() - start;
                }
                qsort(times, RUNS, sizeof times[0], by_value);
                printf("batch %ld  %3ld -> %3ld channels  %2ldx%-2ld  %-7s %-34s median %9.2f us  min %9.2f us\n", batch, ic, oc,
                       hw, hw, algorithm == dnnl_convolution_winograd ? "wino" : "direct", name, times[RUNS / 2] * 1e6, times[0] * 1e6);
                dnnl_primitive_destroy(primitive);
                for (int i = 0; i < 4; i++) dnnl_memory_destroy(args[i].memory);
            }
            dnnl_primitive_desc_destroy(pd);
        } while (dnnl_primitive_desc_iterator_next(it) == dnnl_success);
        dnnl_primitive_desc_iterator_destroy(it);
    }
    dnnl_post_ops_destroy(ops);
    dnnl_primitive_attr_destroy(attr);
}

int main(int argc, char **argv) {
    long batch = argc > 1 ? atol(argv[1]) : 1;
    if (batch < 1) { fprintf(stderr, "usage: conv_kernels [batch >= 1]\n"); return 2; }
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success
        || dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) != dnnl_success) return 1;
    const long layers[3][3] = {{3, 32, 32}, {32, 64, 16}, {64, 128, 8}};
    for (int i = 0; i < 3; i++) {
        time_kernels(engine, stream, batch, layers[i][0], layers[i][1], layers[i][2], dnnl_convolution_direct);
        time_kernels(engine, stream, batch, layers[i][0], layers[i][1], layers[i][2], dnnl_convolution_winograd);
    }
    dnnl_stream_destroy(stream);
    dnnl_engine_destroy(engine);
    return 0;
}
