#ifndef GRADUS_POOLING_H
#define GRADUS_POOLING_H

// The loops of 2-D max pooling (Functional.maxPool2d) over contiguous planes of H×W elements: the
// forward pass writes each window's value and the plane-local index of the element it came from (its
// "winner": the last NaN of the window, else its first largest element, as PyTorch's CPU kernel); the
// backward pass writes each plane's input gradient, the output gradients added at their winners.
// A 2×2 window with stride 2 (the common pooling) has its own loops: AVX-512 for Float32 where the
// processor has it (the backward then writes each input element once), a branch-free loop otherwise;
// other windows are clipped to the input (padding never wins).

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The window of one max pooling: sizes, strides, padding, dilation and the output size.
typedef struct {
    long kernelH, kernelW;
    long strideH, strideW;
    long padH, padW;
    long dilationH, dilationW;
    long outH, outW;
} gradus_pool_window;

/// For each of `planes` planes of h×w elements: y[oy, ox] = the largest element of window (oy, ox) and
/// winners[oy, ox] its index in the plane; a window without an element inside the input gives −∞ and
/// winner −1. `y` and `winners` hold planes·outH·outW values.
void gradus_maxpool2d_f32(const float *x, long planes, long h, long w, const gradus_pool_window *window,
                          float *y, int32_t *winners);
void gradus_maxpool2d_f64(const double *x, long planes, long h, long w, const gradus_pool_window *window,
                          double *y, int32_t *winners);

/// The input gradient of gradus_maxpool2d for the same planes, window and winners: for each plane,
/// dx = 0, then dx[winners[j]] += dy[j] over its outH·outW output gradients (winners −1 skipped).
/// `dx` holds planes·h·w values.
void gradus_maxpool2d_backward_f32(const float *dy, const int32_t *winners, long planes, long h, long w,
                                   const gradus_pool_window *window, float *dx);
void gradus_maxpool2d_backward_f64(const double *dy, const int32_t *winners, long planes, long h, long w,
                                   const gradus_pool_window *window, double *dx);

#ifdef __cplusplus
}
#endif

#endif
