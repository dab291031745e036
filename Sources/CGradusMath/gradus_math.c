// The functions of this target are static inline, in include/gradus_math.h.
#include "gradus_math.h"
