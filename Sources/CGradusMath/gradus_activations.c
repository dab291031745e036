// See include/gradus_activations.h.
#include "gradus_activations.h"
#include "activation_math.h"

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void sigmoid_avx2(const float *x, float *y, long n) { for (long i = 0; i < n; i++) y[i] = sigmoid_f32(x[i]); }

__attribute__((target("avx2,fma")))
static void tanh_avx2(const float *x, float *y, long n) { for (long i = 0; i < n; i++) y[i] = tanh_f32(x[i]); }

#endif

static _Thread_local int portable_kernels = 0;
int gradus_portable_kernels_get(void) { return portable_kernels; }
void gradus_portable_kernels_set(int portable) { portable_kernels = portable; }

int gradus_has_avx2_fma(void) {
#if defined(__x86_64__)
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cached && !portable_kernels;
#else
    return 0;
#endif
}

void gradus_sigmoid_f32(const float *x, float *y, long n) {
#if defined(__x86_64__)
    if (gradus_has_avx2_fma()) { sigmoid_avx2(x, y, n); return; }
#endif
    for (long i = 0; i < n; i++) y[i] = sigmoid_f32(x[i]);
}

void gradus_tanh_f32(const float *x, float *y, long n) {
#if defined(__x86_64__)
    if (gradus_has_avx2_fma()) { tanh_avx2(x, y, n); return; }
#endif
    for (long i = 0; i < n; i++) y[i] = tanh_f32(x[i]);
}
