// See include/gradus_bf16.h.
#include "gradus_bf16.h"
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static dnnl_engine_t engine;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static void make_engine(void) {
    if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success) engine = NULL;
}

int gradus_bf16_native(void) {
    const unsigned isa = (unsigned)dnnl_get_effective_cpu_isa();
    // dnnl_cpu_isa_avx512_core_bf16 (0xe7) and avx512_core_amx (0x3e7) carry bit 0x80.
    return (isa & 0x80u) != 0;
}

#if defined(__x86_64__)
#include <immintrin.h>
// The integer form of the rounding below, 16 values at a time. Not AVX512_BF16's vcvtneps2bf16: that
// instruction treats subnormal inputs as zero, where PyTorch (and this code) rounds them.
__attribute__((target("avx512f,avx512bw,avx512vl")))
static void round_avx512(const float *x, long n, uint16_t *out) {
    const __m512i one = _mm512_set1_epi32(1), half = _mm512_set1_epi32(0x7fff), quiet = _mm512_set1_epi32(0x0040);
    const __m512i magnitude = _mm512_set1_epi32(0x7fffffff), infinity = _mm512_set1_epi32(0x7f800000);
    long i = 0;
    for (; i < n; i += 16) {
        const __mmask16 lanes = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1u);
        const __m512i bits = _mm512_castps_si512(_mm512_maskz_loadu_ps(lanes, x + i));
        const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(bits, 16), one);
        const __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(bits, _mm512_add_epi32(half, odd)), 16);
        const __m512i nan = _mm512_or_si512(_mm512_srli_epi32(bits, 16), quiet);
        const __mmask16 isNaN = _mm512_cmpgt_epu32_mask(_mm512_and_si512(bits, magnitude), infinity);
        const __m512i result = _mm512_mask_blend_epi32(isNaN, rounded, nan);
        _mm256_mask_storeu_epi16(out + i, lanes, _mm512_cvtepi32_epi16(result));
    }
}

// AVX512_BF16's vcvtne2ps2bf16, 32 values per instruction, where it agrees with the rounding above:
// everywhere but subnormal inputs (which it treats as zero), so a group of 32 holding a zero or
// subnormal exponent goes through the integer form. Bit for bit the same results (checked against it
// on 16M random bit patterns and PyTorch's fixture), 1.4-2.8x faster on AMD Zen 5.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static void round_avx512_bf16(const float *x, long n, uint16_t *out) {
    const __m512i exponent = _mm512_set1_epi32(0x7f800000);
    long i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m512 lo = _mm512_loadu_ps(x + i), hi = _mm512_loadu_ps(x + i + 16);
        const __mmask16 tiny = _mm512_testn_epi32_mask(_mm512_castps_si512(lo), exponent) |
                               _mm512_testn_epi32_mask(_mm512_castps_si512(hi), exponent);
        if (tiny) {
            round_avx512(x + i, 32, out + i);
        } else {
            _mm512_storeu_si512((void *)(out + i), (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
        }
    }
    if (i < n) round_avx512(x + i, n - i, out + i);
}
#endif

/// Branch-free, so that the compiler vectorizes it where AVX-512 is missing.
static void round_portable(const float *x, long n, uint16_t *out) {
    for (long i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], 4);
        const uint32_t rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;   // nearest, ties to even
        const uint32_t quiet = (bits >> 16) | 0x0040u;                           // NaN: sign kept, quiet bit set
        out[i] = (uint16_t)((bits & 0x7fffffffu) > 0x7f800000u ? quiet : rounded);
    }
}

/// The best rounding this processor runs: 2 AVX512_BF16, 1 AVX-512 integer, 0 portable.
static int best_rounding(void) {
    static int best = -1;
#if defined(__x86_64__)
    if (best < 0) {
        __builtin_cpu_init();
        const int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                           __builtin_cpu_supports("avx512vl");
        best = avx512 && __builtin_cpu_supports("avx512bf16") ? 2 : (avx512 ? 1 : 0);
    }
    return best;
#else
    return 0;
#endif
}

int gradus_round_to_bf16_best(void) { return best_rounding(); }

#if defined(__x86_64__)
#include <time.h>
static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// Twelve independent chains of each instruction (enough to cover their latencies), timed for `steps`
// rounds; flops per second. Written as one assembly block each, so that what is timed is the same
// instructions at every optimization level (as C intrinsics, a debug build timed stack traffic instead
// and measured bf16 3.5x faster than it is); operands are zeros, which take no slow path.
#define GRADUS_TWELVE(op) op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) op(8) op(9) op(10) op(11)
#define GRADUS_ZERO(i) "vpxord %%zmm" #i ", %%zmm" #i ", %%zmm" #i "\n\t"
#define GRADUS_FMA(i) "vfmadd231ps %%zmm12, %%zmm13, %%zmm" #i "\n\t"
#define GRADUS_DOT(i) "vdpbf16ps %%zmm12, %%zmm13, %%zmm" #i "\n\t"
#define GRADUS_TIMED_LOOP(op) \
    GRADUS_TWELVE(GRADUS_ZERO) GRADUS_ZERO(12) GRADUS_ZERO(13) ".p2align 6\n\t1:\n\t" GRADUS_TWELVE(op) "dec %0\n\tjnz 1b\n\t"
#define GRADUS_CLOBBERS "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", \
    "xmm11", "xmm12", "xmm13", "cc"

__attribute__((target("avx512f"))) static double fma_rate(long steps) {
    long n = steps;
    const double t = seconds();
    __asm__ volatile(GRADUS_TIMED_LOOP(GRADUS_FMA) : "+r"(n) : : GRADUS_CLOBBERS);
    return steps * 12.0 * 32 / (seconds() - t);   // 16 lanes, a multiply and an add each
}

__attribute__((target("avx512f,avx512bf16"))) static double bf16_rate(long steps) {
    long n = steps;
    const double t = seconds();
    __asm__ volatile(GRADUS_TIMED_LOOP(GRADUS_DOT) : "+r"(n) : : GRADUS_CLOBBERS);
    return steps * 12.0 * 64 / (seconds() - t);   // 16 lanes, two products and two additions each
}
#endif

void gradus_bf16_rates(long steps, double *fma, double *bf16) {
    *fma = 0;
    *bf16 = 0;
#if defined(__x86_64__)
    if (steps < 1 || !__builtin_cpu_supports("avx512f")) return;
    *fma = fma_rate(steps);
    if (__builtin_cpu_supports("avx512bf16")) *bf16 = bf16_rate(steps);
#endif
}

static double dot_speedup;
static pthread_once_t dot_speedup_once = PTHREAD_ONCE_INIT;
static void measure_dot_speedup(void) {
    // Best of five alternating runs of each (about 1 ms in all): the first runs also bring the core to
    // its AVX-512 clock, and interference only ever slows a run down.
    double fma = 0, bf16 = 0;
    for (int r = 0; r < 5; r++) {
        double f, h;
        gradus_bf16_rates(20000, &f, &h);
        if (f > fma) fma = f;
        if (h > bf16) bf16 = h;
    }
    dot_speedup = fma > 0 ? bf16 / fma : 0;
}

double gradus_bf16_dot_speedup(void) {
    pthread_once(&dot_speedup_once, measure_dot_speedup);
    return dot_speedup;
}

int gradus_bf16_amx(void) {
    // dnnl_cpu_isa_avx512_core_amx is 0x3e7; its bit 0x200 marks AMX in oneDNN 2.x and 3.x.
    return ((unsigned)dnnl_get_effective_cpu_isa() & 0x200u) != 0;
}

void gradus_round_to_bf16_with(const float *x, long n, uint16_t *out, int path) {
    const int best = best_rounding();
    if (path < 0 || path > best) path = best;
#if defined(__x86_64__)
    if (path == 2) { round_avx512_bf16(x, n, out); return; }
    if (path == 1) { round_avx512(x, n, out); return; }
#endif
    round_portable(x, n, out);
}

void gradus_round_to_bf16(const float *x, long n, uint16_t *out) { gradus_round_to_bf16_with(x, n, out, -1); }

// Column sums are cascaded as Gradus's own (`Tensor.columnSumBlockLength` in ReductionKernels.swift):
// blocks of this many rows summed from zero in float, the blocks' totals added in double and rounded
// once; up to one block, the plain float sum. A bias gradient from this kernel therefore has the bits of
// `sum(axes: [0])` of the same gradient.
#define COLUMN_SUM_BLOCK 128

#if defined(__x86_64__)
// 32 values rounded as round_avx512_bf16 rounds them, from vectors already loaded.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"), always_inline))
static inline void round_pair_bf16(__m512 lo, __m512 hi, const float *x, uint16_t *out) {
    const __m512i exponent = _mm512_set1_epi32(0x7f800000);
    const __mmask16 tiny = _mm512_testn_epi32_mask(_mm512_castps_si512(lo), exponent) |
                           _mm512_testn_epi32_mask(_mm512_castps_si512(hi), exponent);
    if (tiny) {
        round_avx512(x, 32, out);
    } else {
        _mm512_storeu_si512((void *)out, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
    }
}

// Adds the 16 floats of `a` to the 16 doubles at `t`.
__attribute__((target("avx512f"), always_inline))
static inline void add_to_totals(__m512 a, __m512d *t) {
    t[0] = _mm512_add_pd(t[0], _mm512_cvtps_pd(_mm512_castps512_ps256(a)));
    t[1] = _mm512_add_pd(t[1], _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1))));
}

// The 16 doubles at `t` rounded to floats.
__attribute__((target("avx512f"), always_inline))
static inline __m512 totals_as_floats(const __m512d *t) {
    const __m256 lo = _mm512_cvtpd_ps(t[0]), hi = _mm512_cvtpd_ps(t[1]);
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(lo)), _mm256_castps_pd(hi), 1));
}

// Columns [first, last) in blocks of 64 held in four registers over each block of rows, each row's
// block rounded from the same loads; then 16 at a time (masked at the end).
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static void round_column_sums_avx512_bf16(const float *x, long rows, long ld, long first, long last,
                                          uint16_t *out, float *sums) {
    long c = first;
    for (; c + 64 <= last; c += 64) {
        __m512d t[8];
        for (int k = 0; k < 8; k++) t[k] = _mm512_setzero_pd();
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (long r0 = 0; r0 < rows; r0 += COLUMN_SUM_BLOCK) {
            const long r1 = rows - r0 < COLUMN_SUM_BLOCK ? rows : r0 + COLUMN_SUM_BLOCK;
            a0 = _mm512_setzero_ps(); a1 = a0; a2 = a0; a3 = a0;
            for (long r = r0; r < r1; r++) {
                const float *p = x + r * ld + c;
                uint16_t *q = out + r * ld + c;
                const __m512 v0 = _mm512_loadu_ps(p), v1 = _mm512_loadu_ps(p + 16);
                const __m512 v2 = _mm512_loadu_ps(p + 32), v3 = _mm512_loadu_ps(p + 48);
                a0 = _mm512_add_ps(a0, v0); a1 = _mm512_add_ps(a1, v1);
                a2 = _mm512_add_ps(a2, v2); a3 = _mm512_add_ps(a3, v3);
                round_pair_bf16(v0, v1, p, q);
                round_pair_bf16(v2, v3, p + 32, q + 32);
            }
            if (rows > COLUMN_SUM_BLOCK) {
                add_to_totals(a0, t); add_to_totals(a1, t + 2); add_to_totals(a2, t + 4); add_to_totals(a3, t + 6);
            }
        }
        if (rows > COLUMN_SUM_BLOCK) {
            a0 = totals_as_floats(t); a1 = totals_as_floats(t + 2); a2 = totals_as_floats(t + 4); a3 = totals_as_floats(t + 6);
        }
        _mm512_storeu_ps(sums + c, a0); _mm512_storeu_ps(sums + c + 16, a1);
        _mm512_storeu_ps(sums + c + 32, a2); _mm512_storeu_ps(sums + c + 48, a3);
    }
    for (; c < last; c += 16) {
        const long width = last - c < 16 ? last - c : 16;
        const __mmask16 lanes = width == 16 ? (__mmask16)0xffff : (__mmask16)((1u << width) - 1u);
        __m512d t[2] = {_mm512_setzero_pd(), _mm512_setzero_pd()};
        __m512 a = _mm512_setzero_ps();
        for (long r0 = 0; r0 < rows; r0 += COLUMN_SUM_BLOCK) {
            const long r1 = rows - r0 < COLUMN_SUM_BLOCK ? rows : r0 + COLUMN_SUM_BLOCK;
            a = _mm512_setzero_ps();
            for (long r = r0; r < r1; r++) {
                a = _mm512_add_ps(a, _mm512_maskz_loadu_ps(lanes, x + r * ld + c));
                round_avx512(x + r * ld + c, width, out + r * ld + c);
            }
            if (rows > COLUMN_SUM_BLOCK) add_to_totals(a, t);
        }
        if (rows > COLUMN_SUM_BLOCK) a = totals_as_floats(t);
        _mm512_mask_storeu_ps(sums + c, lanes, a);
    }
}
#endif

void gradus_round_to_bf16_column_sums(const float *x, long rows, long ld, long first, long last,
                                      uint16_t *out, float *sums, int path) {
    const int best = best_rounding();
    if (path < 0 || path > best) path = best;
#if defined(__x86_64__)
    if (path == 2) { round_column_sums_avx512_bf16(x, rows, ld, first, last, out, sums); return; }
#endif
    for (long r = 0; r < rows; r++) gradus_round_to_bf16_with(x + r * ld + first, last - first, out + r * ld + first, path);
    for (long c = first; c < last; c++) {
        double total = 0;
        float partial = 0;
        for (long r0 = 0; r0 < rows; r0 += COLUMN_SUM_BLOCK) {
            const long r1 = rows - r0 < COLUMN_SUM_BLOCK ? rows : r0 + COLUMN_SUM_BLOCK;
            partial = 0;
            for (long r = r0; r < r1; r++) partial += x[r * ld + c];
            total += partial;
        }
        sums[c] = rows > COLUMN_SUM_BLOCK ? (float)total : partial;
    }
}

// Operands of the largest bfloat16 product a thread has run, kept for the next: a buffer allocated per
// product comes back from the kernel as fresh zeroed pages each time (mmap above glibc's threshold),
// and faulting them in tripled the rounding of a 2M-element operand (930 against 330 us on AMD Zen 5).
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
typedef struct { uint16_t *data; long capacity; } scratch_buffer;
static void free_scratch(void *p) {
    scratch_buffer *s = p;
    free(s->data);
    free(s);
}
static void make_scratch_key(void) { pthread_key_create(&scratch_key, free_scratch); }

uint16_t *gradus_bf16_scratch_acquire(long count) {
    if (count > GRADUS_BF16_SCRATCH_KEPT) return malloc(sizeof(uint16_t) * (size_t)count);
    pthread_once(&scratch_once, make_scratch_key);
    scratch_buffer *s = pthread_getspecific(scratch_key);
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s || pthread_setspecific(scratch_key, s) != 0) { free(s); return malloc(sizeof(uint16_t) * (size_t)count); }
    }
    if (s->capacity < count) {
        free(s->data);
        s->data = malloc(sizeof(uint16_t) * (size_t)count);
        s->capacity = s->data ? count : 0;
    }
    return s->data;
}

void gradus_bf16_scratch_release(uint16_t *buffer) {
    pthread_once(&scratch_once, make_scratch_key);
    scratch_buffer *s = pthread_getspecific(scratch_key);
    if (!s || s->data != buffer) free(buffer);
}

// Each thread keeps the matmul primitives of its last GRADUS_BF16_PRIMITIVES product shapes, with
// their memory objects and a stream: creating the primitive descriptor, memory objects and stream on every
// call (oneDNN's primitive cache spares only the JIT compilation) cost tens of microseconds per product,
// which the hundreds of per-head products of an attention step paid each time.
#define GRADUS_BF16_PRIMITIVES 32
typedef struct {
    long m, n, k, lda, ldb, ldc;
    int trans_a, trans_b, sum, bias, f32;
    dnnl_primitive_t prim;
    dnnl_memory_t am, bm, cm, biasm;
} bf16_primitive;
typedef struct {
    bf16_primitive entries[GRADUS_BF16_PRIMITIVES];
    int count, next;
    dnnl_stream_t stream;
} bf16_primitives;

static void release_entry(bf16_primitive *e) {
    if (e->biasm) dnnl_memory_destroy(e->biasm);
    if (e->cm) dnnl_memory_destroy(e->cm);
    if (e->bm) dnnl_memory_destroy(e->bm);
    if (e->am) dnnl_memory_destroy(e->am);
    if (e->prim) dnnl_primitive_destroy(e->prim);
    memset(e, 0, sizeof *e);
}
static pthread_key_t primitives_key;
static pthread_once_t primitives_once = PTHREAD_ONCE_INIT;
static void free_primitives(void *p) {
    bf16_primitives *t = p;
    for (int i = 0; i < t->count; i++) release_entry(&t->entries[i]);
    if (t->stream) dnnl_stream_destroy(t->stream);
    free(t);
}
static void make_primitives_key(void) { pthread_key_create(&primitives_key, free_primitives); }

// A primitive for this shape, layout, beta, bias and operand type (bfloat16, or Float32 when f32) with
// its memory objects; 0 or oneDNN's status.
static dnnl_status_t make_entry(bf16_primitive *e, long m, long n, long k, long lda, int trans_a, long ldb, int trans_b,
                                int sum, int bias, long ldc, int f32) {
    dnnl_memory_desc_t a_md, b_md, c_md, bias_md;
    const dnnl_dims_t bias_dims = {1, n}, bias_strides = {n, 1};
    const dnnl_dims_t a_dims = {m, k}, b_dims = {k, n}, c_dims = {m, n};
    const dnnl_dims_t a_strides = {trans_a ? 1 : lda, trans_a ? lda : 1};
    const dnnl_dims_t b_strides = {trans_b ? 1 : ldb, trans_b ? ldb : 1};
    const dnnl_dims_t c_strides = {ldc, 1};
    dnnl_status_t s;
    const dnnl_data_type_t operands = f32 ? dnnl_f32 : dnnl_bf16;
    if ((s = dnnl_memory_desc_init_by_strides(&a_md, 2, a_dims, operands, a_strides)) != dnnl_success) return s;
    if ((s = dnnl_memory_desc_init_by_strides(&b_md, 2, b_dims, operands, b_strides)) != dnnl_success) return s;
    if ((s = dnnl_memory_desc_init_by_strides(&c_md, 2, c_dims, dnnl_f32, c_strides)) != dnnl_success) return s;
    if ((s = dnnl_memory_desc_init_by_strides(&bias_md, 2, bias_dims, dnnl_f32, bias_strides)) != dnnl_success) return s;
    dnnl_matmul_desc_t desc;
    if ((s = dnnl_matmul_desc_init(&desc, &a_md, &b_md, bias ? &bias_md : NULL, &c_md)) != dnnl_success) return s;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    dnnl_primitive_desc_t pd = NULL;
    memset(e, 0, sizeof *e);
    if ((s = dnnl_primitive_attr_create(&attr)) != dnnl_success) goto done;
    if (sum) {
        if ((s = dnnl_post_ops_create(&ops)) != dnnl_success) goto done;
        if ((s = dnnl_post_ops_append_sum(ops, 1.0f)) != dnnl_success) goto done;
        if ((s = dnnl_primitive_attr_set_post_ops(attr, ops)) != dnnl_success) goto done;
    }
    if ((s = dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL)) != dnnl_success) goto done;
    if ((s = dnnl_primitive_create(&e->prim, pd)) != dnnl_success) goto done;
    if ((s = dnnl_memory_create(&e->am, &a_md, engine, DNNL_MEMORY_NONE)) != dnnl_success) goto done;
    if ((s = dnnl_memory_create(&e->bm, &b_md, engine, DNNL_MEMORY_NONE)) != dnnl_success) goto done;
    if ((s = dnnl_memory_create(&e->cm, &c_md, engine, DNNL_MEMORY_NONE)) != dnnl_success) goto done;
    if (bias) s = dnnl_memory_create(&e->biasm, &bias_md, engine, DNNL_MEMORY_NONE);
done:
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (ops) dnnl_post_ops_destroy(ops);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (s != dnnl_success) { release_entry(e); return s; }
    e->m = m; e->n = n; e->k = k; e->lda = lda; e->ldb = ldb; e->ldc = ldc;
    e->trans_a = trans_a; e->trans_b = trans_b; e->sum = sum; e->bias = bias; e->f32 = f32;
    return dnnl_success;
}

int gradus_bf16_gemm(long m, long n, long k, const uint16_t *a, long lda, int trans_a,
                     const uint16_t *b, long ldb, int trans_b, float beta, float *c, long ldc) {
    return gradus_bf16_gemm_bias(m, n, k, a, lda, trans_a, b, ldb, trans_b, beta, NULL, c, ldc);
}

static int kept_gemm(long m, long n, long k, const void *a, long lda, int trans_a, const void *b, long ldb, int trans_b,
                     float beta, const float *bias, float *c, long ldc, int f32) {
    pthread_once(&engine_once, make_engine);
    if (!engine) return dnnl_runtime_error;
    if (beta != 0.0f && beta != 1.0f) return dnnl_invalid_arguments;
    pthread_once(&primitives_once, make_primitives_key);
    bf16_primitives *t = pthread_getspecific(primitives_key);
    if (!t) {
        t = calloc(1, sizeof *t);
        if (!t) return dnnl_out_of_memory;
        if (pthread_setspecific(primitives_key, t) != 0) { free(t); return dnnl_runtime_error; }
    }
    dnnl_status_t s;
    if (!t->stream && (s = dnnl_stream_create(&t->stream, engine, dnnl_stream_default_flags)) != dnnl_success) {
        t->stream = NULL;
        return s;
    }
    const int sum = beta != 0.0f, with_bias = bias != NULL;
    bf16_primitive *e = NULL;
    for (int i = 0; i < t->count && !e; i++) {
        bf16_primitive *x = &t->entries[i];
        if (x->m == m && x->n == n && x->k == k && x->lda == lda && x->ldb == ldb && x->ldc == ldc &&
            x->trans_a == trans_a && x->trans_b == trans_b && x->sum == sum && x->bias == with_bias && x->f32 == f32) e = x;
    }
    if (!e) {
        // A free slot, else the oldest one (round robin).
        if (t->count < GRADUS_BF16_PRIMITIVES) {
            e = &t->entries[t->count++];
        } else {
            e = &t->entries[t->next];
            t->next = (t->next + 1) % GRADUS_BF16_PRIMITIVES;
            release_entry(e);
        }
        if ((s = make_entry(e, m, n, k, lda, trans_a, ldb, trans_b, sum, with_bias, ldc, f32)) != dnnl_success) {
            // Leave the slot empty (zeroed entries match no product: m of 0 never reaches here).
            return s;
        }
    }
    if ((s = dnnl_memory_set_data_handle(e->am, (void *)a)) != dnnl_success) return s;
    if ((s = dnnl_memory_set_data_handle(e->bm, (void *)b)) != dnnl_success) return s;
    if ((s = dnnl_memory_set_data_handle(e->cm, c)) != dnnl_success) return s;
    if (with_bias && (s = dnnl_memory_set_data_handle(e->biasm, (void *)bias)) != dnnl_success) return s;
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, e->am}, {DNNL_ARG_WEIGHTS, e->bm}, {DNNL_ARG_DST, e->cm},
                               {DNNL_ARG_BIAS, e->biasm}};
    if ((s = dnnl_primitive_execute(e->prim, t->stream, with_bias ? 4 : 3, args)) != dnnl_success) return s;
    return dnnl_stream_wait(t->stream);
}

int gradus_bf16_gemm_bias(long m, long n, long k, const uint16_t *a, long lda, int trans_a,
                          const uint16_t *b, long ldb, int trans_b, float beta, const float *bias, float *c, long ldc) {
    return kept_gemm(m, n, k, a, lda, trans_a, b, ldb, trans_b, beta, bias, c, ldc, 0);
}

int gradus_f32_gemm_bias(long m, long n, long k, const float *a, long lda, int trans_a,
                         const float *b, long ldb, int trans_b, const float *bias, float *c, long ldc) {
    return kept_gemm(m, n, k, a, lda, trans_a, b, ldb, trans_b, 0.0f, bias, c, ldc, 1);
}

static _Thread_local int precision_scope = 0;
int gradus_precision_scope_get(void) { return precision_scope; }
void gradus_precision_scope_set(int scope) { precision_scope = scope; }

static _Thread_local int thread_count_scope = 0;
int gradus_thread_count_scope_get(void) { return thread_count_scope; }
void gradus_thread_count_scope_set(int count) { thread_count_scope = count; }
