// The bfloat16 dot-product peak of one core (AVX512_BF16's VDPBF16PS: 16 lanes, each 2 products summed
// into Float32, 64 flops per instruction) beside the Float32 FMA peak, with the library's own timing
// loops (gradus_bf16_rates in gradus_bf16.c, the measurement behind
// MatrixProductBackend.bfloat16ProductsAreFaster). Whether bf16 products can beat Float32 at all on this
// processor without AMX: on AMD Zen 4 the bf16 rate is twice the FMA rate, on Intel Xeons (Sapphire or
// Emerald Rapids) with AMX hidden it is half.
//
//   gcc -O2 -ISources/CGradusOneDNN/include scripts/roofline/bf16_peak.c Sources/CGradusOneDNN/gradus_bf16.c \
//       -ldnnl -lpthread -o /tmp/bf16_peak && /tmp/bf16_peak
#include <stdio.h>
#include "gradus_bf16.h"

int main(void) {
    for (int r = 0; r < 5; r++) {
        double fma, bf16;
        gradus_bf16_rates(16000000, &fma, &bf16);   // about 0.5 s each
        if (bf16 == 0) { printf("bf16_peak: no AVX512_BF16 on this processor\n"); return 0; }
        printf("fp32_fma %.1f GFLOP/s  bf16_dot %.1f GFLOP/s  ratio %.2f threads=1\n", fma / 1e9, bf16 / 1e9, bf16 / fma);
    }
    printf("library's measurement (best of five short runs): %.2f\n", gradus_bf16_dot_speedup());
    return 0;
}
