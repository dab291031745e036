// See include/gradus_layernorm.h.
#include "gradus_layernorm.h"
#include "activation_math.h"
#include <math.h>

#define LN_LANES 16

#define LN_T float
#define LN_SFX f32
#include "layernorm_template.h"
#undef LN_T
#undef LN_SFX

#define LN_T double
#define LN_SFX f64
#include "layernorm_template.h"
#undef LN_T
#undef LN_SFX
