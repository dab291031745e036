// See include/gradus_batchnorm.h.
#include "gradus_batchnorm.h"
#include "activation_math.h"
#include <string.h>

// Elements summed in the element type before the partial sum goes into a double.
#define BN_BLOCK 2048

typedef float gradus_bn_v8f __attribute__((vector_size(32)));
typedef double gradus_bn_v4d __attribute__((vector_size(32)));

#define BN_T float
#define BN_V gradus_bn_v8f
#define BN_L 8
#define BN_SFX f32
#include "batchnorm_template.h"
#undef BN_T
#undef BN_V
#undef BN_L
#undef BN_SFX

#define BN_T double
#define BN_V gradus_bn_v4d
#define BN_L 4
#define BN_SFX f64
#include "batchnorm_template.h"
