// See include/gradus_batchnorm.h.
#include "gradus_batchnorm.h"
#include "activation_math.h"
#include <stdint.h>
#include <stddef.h>
#include <string.h>

// No contraction of a·b + c into one rounding: the backward of batch normalization followed by ReLU
// recomputes the normalized values from x to find where the ReLU was 0 (BN_AFFINE in the template), and
// must get the forward's values bit for bit, in the vector and scalar loops and in the AVX2 and plain
// copies alike. The loops are bound by memory; the separate multiply costs nothing measurable.
#pragma STDC FP_CONTRACT OFF
#if defined(__FAST_MATH__)
#error "gradus_batchnorm.c must not be built with -ffast-math: clang then contracts into FMA despite the pragma"
#endif

// Elements summed in the element type before the partial sum goes into a double.
#define BN_BLOCK 2048

// Software prefetch for channels of short planes. A channel is N runs of S elements one sample apart;
// when the runs are short (S·size ≤ 16 KB: 32×32 images and smaller), the hardware prefetchers, which
// stop at page ends, restart on every run, and a pass over data that has left the caches (the statistics'
// first pass, the backward's, the output being written) waits for memory run after run. The loops then
// fetch the same position `bn_prefetch_planes` runs ahead (about 4 KB), at each vector step.
static inline long bn_prefetch_planes(long len, long size) {
    const long bytes = len * size;
    if (bytes <= 0 || bytes > 16384) return 0;
    const long planes = 4096 / bytes;
    return planes < 1 ? 1 : planes > 16 ? 16 : planes;
}

typedef float gradus_bn_v8f __attribute__((vector_size(32)));
typedef double gradus_bn_v4d __attribute__((vector_size(32)));
typedef int32_t gradus_bn_v8i __attribute__((vector_size(32)));
typedef int64_t gradus_bn_v4l __attribute__((vector_size(32)));

#define BN_T float
#define BN_V gradus_bn_v8f
#define BN_VI gradus_bn_v8i
#define BN_L 8
#define BN_SFX f32
#include "batchnorm_template.h"
#undef BN_T
#undef BN_V
#undef BN_VI
#undef BN_L
#undef BN_SFX

#define BN_T double
#define BN_V gradus_bn_v4d
#define BN_VI gradus_bn_v4l
#define BN_L 4
#define BN_SFX f64
#include "batchnorm_template.h"
