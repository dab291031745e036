// See include/gradus_gemv.h.
#include "gradus_gemv.h"
#include "gradus_activations.h"

static void panels_portable(long rows, long columns, const float *packed, const float *x, const float *bias,
                            int relu, float negative_slope, long first_panel, long end_panel, float *y) {
    for (long p = first_panel; p < end_panel; p++) {
        for (long j = 0; j < GRADUS_SGEMV_PANEL && p * GRADUS_SGEMV_PANEL + j < rows; j++) {
            const long row = p * GRADUS_SGEMV_PANEL + j;
            float s = 0;
            for (long c = 0; c < columns; c++) s += packed[(p * columns + c) * GRADUS_SGEMV_PANEL + j] * x[c];
            if (bias) s += bias[row];
            if (relu && s < 0) s = negative_slope == 0.0f ? 0.0f : s * negative_slope;
            y[row] = s;
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

int gradus_sgemv_rows_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
}

__attribute__((target("avx512f")))
static inline float finish(__m512 acc, float beta, const float *y) {
    float s = _mm512_reduce_add_ps(acc);
    return beta == 0.0f ? s : s + beta * *y;
}

__attribute__((target("avx512f")))
void gradus_sgemv_rows(long rows, long columns, const float *m, long ld, const float *x, float beta, float *y) {
    const long full = columns & ~15L;
    const __mmask16 tail = (__mmask16)((1u << (columns - full)) - 1u);
    long r = 0;
    // Four rows per pass: each step loads 16 elements of x once and of each row once.
    for (; r + 4 <= rows; r += 4) {
        const float *m0 = m + r * ld, *m1 = m0 + ld, *m2 = m1 + ld, *m3 = m2 + ld;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (long c = 0; c < full; c += 16) {
            const __m512 xv = _mm512_loadu_ps(x + c);
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(m0 + c), xv, a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(m1 + c), xv, a1);
            a2 = _mm512_fmadd_ps(_mm512_loadu_ps(m2 + c), xv, a2);
            a3 = _mm512_fmadd_ps(_mm512_loadu_ps(m3 + c), xv, a3);
        }
        if (tail) {
            const __m512 xv = _mm512_maskz_loadu_ps(tail, x + full);
            a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, m0 + full), xv, a0);
            a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, m1 + full), xv, a1);
            a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, m2 + full), xv, a2);
            a3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, m3 + full), xv, a3);
        }
        y[r] = finish(a0, beta, y + r);
        y[r + 1] = finish(a1, beta, y + r + 1);
        y[r + 2] = finish(a2, beta, y + r + 2);
        y[r + 3] = finish(a3, beta, y + r + 3);
    }
    for (; r < rows; r++) {
        const float *mr = m + r * ld;
        __m512 a = _mm512_setzero_ps();
        for (long c = 0; c < full; c += 16) a = _mm512_fmadd_ps(_mm512_loadu_ps(mr + c), _mm512_loadu_ps(x + c), a);
        if (tail) a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, mr + full), _mm512_maskz_loadu_ps(tail, x + full), a);
        y[r] = finish(a, beta, y + r);
    }
}

// One panel's 16 sums stored as outputs (masked past the last row), with bias and ReLU/LeakyReLU.
__attribute__((target("avx512f")))
static inline void store_panel(__m512 s, long row, long rows, const float *bias, int relu, float negative_slope, float *y) {
    const long left = rows - row;
    const __mmask16 valid = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
    if (bias) s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(valid, bias + row));
    if (relu) {
        // Below zero only: NaN stays NaN, as in PyTorch.
        const __m512 zero = _mm512_setzero_ps();
        const __mmask16 negative = _mm512_cmp_ps_mask(s, zero, _CMP_LT_OQ);
        s = negative_slope == 0.0f ? _mm512_mask_mov_ps(s, negative, zero)
                                   : _mm512_mask_mul_ps(s, negative, s, _mm512_set1_ps(negative_slope));
    }
    _mm512_mask_storeu_ps(y + row, valid, s);
}

// Panels of 16 rows, column by column (see the header for why). Four panels per pass, each broadcast
// of x[c] shared by the four (a quarter of the broadcasts a panel at a time needs: on AMD Zen 5, the
// three layers of mlp_infer_b1 in 5.6 µs instead of 6.5), two columns in flight per panel; the panels
// left over one at a time, four columns in flight.
__attribute__((target("avx512f")))
static void panels_avx512(long rows, long columns, const float *packed, const float *x, const float *bias,
                         int relu, float negative_slope, long first_panel, long end_panel, float *y) {
    const long stride = columns * GRADUS_SGEMV_PANEL;
    long p = first_panel;
    for (; p + 4 <= end_panel; p += 4) {
        const float *q0 = packed + p * stride, *q1 = q0 + stride, *q2 = q1 + stride, *q3 = q2 + stride;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        long c = 0;
        for (; c + 2 <= columns; c += 2) {
            const __m512 x0 = _mm512_set1_ps(x[c]), x1 = _mm512_set1_ps(x[c + 1]);
            const long o = c * GRADUS_SGEMV_PANEL;
            a0 = _mm512_fmadd_ps(_mm512_load_ps(q0 + o), x0, a0);
            a1 = _mm512_fmadd_ps(_mm512_load_ps(q1 + o), x0, a1);
            a2 = _mm512_fmadd_ps(_mm512_load_ps(q2 + o), x0, a2);
            a3 = _mm512_fmadd_ps(_mm512_load_ps(q3 + o), x0, a3);
            b0 = _mm512_fmadd_ps(_mm512_load_ps(q0 + o + 16), x1, b0);
            b1 = _mm512_fmadd_ps(_mm512_load_ps(q1 + o + 16), x1, b1);
            b2 = _mm512_fmadd_ps(_mm512_load_ps(q2 + o + 16), x1, b2);
            b3 = _mm512_fmadd_ps(_mm512_load_ps(q3 + o + 16), x1, b3);
        }
        if (c < columns) {
            const __m512 x0 = _mm512_set1_ps(x[c]);
            const long o = c * GRADUS_SGEMV_PANEL;
            a0 = _mm512_fmadd_ps(_mm512_load_ps(q0 + o), x0, a0);
            a1 = _mm512_fmadd_ps(_mm512_load_ps(q1 + o), x0, a1);
            a2 = _mm512_fmadd_ps(_mm512_load_ps(q2 + o), x0, a2);
            a3 = _mm512_fmadd_ps(_mm512_load_ps(q3 + o), x0, a3);
        }
        const long row = p * GRADUS_SGEMV_PANEL;
        store_panel(_mm512_add_ps(a0, b0), row, rows, bias, relu, negative_slope, y);
        store_panel(_mm512_add_ps(a1, b1), row + 16, rows, bias, relu, negative_slope, y);
        store_panel(_mm512_add_ps(a2, b2), row + 32, rows, bias, relu, negative_slope, y);
        store_panel(_mm512_add_ps(a3, b3), row + 48, rows, bias, relu, negative_slope, y);
    }
    for (; p < end_panel; p++) {
        const float *q = packed + p * stride;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        long c = 0;
        for (; c + 4 <= columns; c += 4) {
            const float *qc = q + c * GRADUS_SGEMV_PANEL;
            a0 = _mm512_fmadd_ps(_mm512_load_ps(qc), _mm512_set1_ps(x[c]), a0);
            a1 = _mm512_fmadd_ps(_mm512_load_ps(qc + 16), _mm512_set1_ps(x[c + 1]), a1);
            a2 = _mm512_fmadd_ps(_mm512_load_ps(qc + 32), _mm512_set1_ps(x[c + 2]), a2);
            a3 = _mm512_fmadd_ps(_mm512_load_ps(qc + 48), _mm512_set1_ps(x[c + 3]), a3);
        }
        for (; c < columns; c++) a0 = _mm512_fmadd_ps(_mm512_load_ps(q + c * GRADUS_SGEMV_PANEL), _mm512_set1_ps(x[c]), a0);
        store_panel(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)), p * GRADUS_SGEMV_PANEL, rows, bias, relu,
                    negative_slope, y);
    }
}

#else

int gradus_sgemv_rows_available(void) { return 0; }

void gradus_sgemv_rows(long rows, long columns, const float *m, long ld, const float *x, float beta, float *y) {
    for (long r = 0; r < rows; r++) {
        float s = 0;
        for (long c = 0; c < columns; c++) s += m[r * ld + c] * x[c];
        y[r] = beta == 0.0f ? s : s + beta * y[r];
    }
}

#endif

long gradus_sgemv_packed_count(long rows, long columns) {
    return (rows + GRADUS_SGEMV_PANEL - 1) / GRADUS_SGEMV_PANEL * GRADUS_SGEMV_PANEL * columns;
}

void gradus_sgemv_pack_panels(long rows, long columns, const float *m, long ld, float *packed) {
    const long panels = (rows + GRADUS_SGEMV_PANEL - 1) / GRADUS_SGEMV_PANEL;
    for (long p = 0; p < panels; p++)
        for (long c = 0; c < columns; c++)
            for (long j = 0; j < GRADUS_SGEMV_PANEL; j++) {
                const long row = p * GRADUS_SGEMV_PANEL + j;
                packed[(p * columns + c) * GRADUS_SGEMV_PANEL + j] = row < rows ? m[row * ld + c] : 0.0f;
            }
}

void gradus_sgemv_panels(long rows, long columns, const float *packed, const float *x, const float *bias,
                         int relu, float negative_slope, long first_panel, long end_panel, float *y) {
#if defined(__x86_64__)
    static int avx512 = -1;
    if (avx512 < 0) avx512 = gradus_sgemv_rows_available();
    if (avx512 && !gradus_portable_kernels_get()) {
        panels_avx512(rows, columns, packed, x, bias, relu, negative_slope, first_panel, end_panel, y);
        return;
    }
#endif
    panels_portable(rows, columns, packed, x, bias, relu, negative_slope, first_panel, end_panel, y);
}
