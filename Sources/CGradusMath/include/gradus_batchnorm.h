#ifndef GRADUS_BATCHNORM_H
#define GRADUS_BATCHNORM_H

#include <stdint.h>

// The per-channel loops of batch normalization (Functional.batchNorm), vectorized like
// gradus_activations.h (8 float or 4 double lanes with AVX2 and FMA, chosen at run time; a plain
// vector loop otherwise).
//
// Every function works on one channel of a contiguous [N, C, S] tensor: `planes` runs of `len`
// consecutive elements, the run p starting at `x + p·stride` (N, S and C·S for the channel at x + c·S).
// Sums are accumulated in the element type over at most a few thousand elements, then added in double,
// so that Float32 statistics of large channels keep their precision.

#ifdef __cplusplus
extern "C" {
#endif

/// *sum = Σ x.
void gradus_bn_sum_f32(const float *x, long planes, long stride, long len, double *sum);
void gradus_bn_sum_f64(const double *x, long planes, long stride, long len, double *sum);

/// *sum = Σ (x − center), *sumsq = Σ (x − center)².
void gradus_bn_moments_f32(const float *x, long planes, long stride, long len, float center, double *sum, double *sumsq);
void gradus_bn_moments_f64(const double *x, long planes, long stride, long len, double center, double *sum, double *sumsq);

/// y = (x − center)·scale + shift (y laid out like x; it may be x).
void gradus_bn_normalize_f32(const float *x, float *y, long planes, long stride, long len, float center, float scale, float shift);
void gradus_bn_normalize_f64(const double *x, double *y, long planes, long stride, long len, double center, double scale, double shift);

/// y = max((x − center)·scale + shift, 0), as PyTorch's relu (NaN kept): batch normalization and the
/// ReLU after it in one pass.
void gradus_bn_normalize_relu_f32(const float *x, float *y, long planes, long stride, long len, float center, float scale, float shift);
void gradus_bn_normalize_relu_f64(const double *x, double *y, long planes, long stride, long len, double center, double scale, double shift);

/// *sumdy = Σ dy, *sumdyxhat = Σ dy·x̂ with x̂ = (x − center)·scale (dy laid out like x).
void gradus_bn_grad_sums_f32(const float *dy, const float *x, long planes, long stride, long len, float center,
                             float scale, double *sumdy, double *sumdyxhat);
void gradus_bn_grad_sums_f64(const double *dy, const double *x, long planes, long stride, long len, double center,
                             double scale, double *sumdy, double *sumdyxhat);

/// As gradus_bn_grad_sums, with dy replaced by the gradient reaching the normalization through a ReLU
/// after it: 0 where that ReLU's input (x − center)·relu_scale + relu_shift (the forward's normalize
/// arguments; recomputed bit for bit) is ≤ 0, dy elsewhere (a NaN passes dy on).
void gradus_bn_grad_sums_relu_f32(const float *dy, const float *x, long planes, long stride, long len, float center, float scale,
                                  float relu_scale, float relu_shift, double *sumdy, double *sumdyxhat);
void gradus_bn_grad_sums_relu_f64(const double *dy, const double *x, long planes, long stride, long len, double center, double scale,
                                  double relu_scale, double relu_shift, double *sumdy, double *sumdyxhat);

/// dx = dy·a + x̂·b + c with x̂ = (x − center)·scale (dy and dx laid out like x). x̂ is formed first so
/// that no coefficient under- or overflows for channels of very large or very small values.
void gradus_bn_grad_input_f32(const float *dy, const float *x, float *dx, long planes, long stride, long len,
                              float center, float scale, float a, float b, float c);
void gradus_bn_grad_input_f64(const double *dy, const double *x, double *dx, long planes, long stride, long len,
                              double center, double scale, double a, double b, double c);

/// As gradus_bn_grad_input, with dy masked by the ReLU as in gradus_bn_grad_sums_relu.
void gradus_bn_grad_input_relu_f32(const float *dy, const float *x, float *dx, long planes, long stride, long len, float center,
                                   float scale, float a, float b, float c, float relu_scale, float relu_shift);
void gradus_bn_grad_input_relu_f64(const double *dy, const double *x, double *dx, long planes, long stride, long len, double center,
                                   double scale, double a, double b, double c, double relu_scale, double relu_shift);

/// dx = dy·a with dy masked by the ReLU as in gradus_bn_grad_sums_relu (evaluation mode, where the
/// statistics are constants).
void gradus_bn_scale_relu_f32(const float *dy, const float *x, float *dx, long planes, long stride, long len, float a, float center,
                              float relu_scale, float relu_shift);
void gradus_bn_scale_relu_f64(const double *dy, const double *x, double *dx, long planes, long stride, long len, double a,
                              double center, double relu_scale, double relu_shift);

// Batch normalization, ReLU and 2×2 max pooling with stride 2 (gradus_batchnorm_pool.c), for one channel
// of a contiguous [N, C, h, w] input: `planes` planes of h·w elements at x + p·stride, pooled into
// planes of (h/2)·(w/2) values at y + p·ostride (an odd last row or column belongs to no window).
// `codes` (the pooled planes' layout) keep each window's winner for the backward passes: its place 0-3
// (top left, top right, bottom left, bottom right), plus 4 where the winner is ≤ 0 (the ReLU stops
// the gradient there). Float32 runs an AVX-512 copy where the processor has it.

/// y = the largest of each window's max((x − center)·scale + shift, 0) (the first largest, or the last
/// NaN, as PyTorch's max pooling), and each window's code.
void gradus_bn_relu_pool2x2_f32(const float *x, long planes, long stride, long h, long w, float center, float scale, float shift,
                                float *y, uint8_t *codes, long ostride);
void gradus_bn_relu_pool2x2_f64(const double *x, long planes, long stride, long h, long w, double center, double scale,
                                double shift, double *y, uint8_t *codes, long ostride);

/// *sumdy = Σ g and *sumdyxhat = Σ g·(x − center)·scale over the windows whose code is below 4, g the
/// pooled gradient at dy + p·ostride and x the window's winner: gradus_bn_grad_sums of the gradient
/// that reaches the normalization.
void gradus_bn_relu_pool2x2_grad_sums_f32(const float *dy, const uint8_t *codes, long ostride, const float *x, long planes,
                                          long stride, long h, long w, float center, float scale, double *sumdy,
                                          double *sumdyxhat);
void gradus_bn_relu_pool2x2_grad_sums_f64(const double *dy, const uint8_t *codes, long ostride, const double *x, long planes,
                                          long stride, long h, long w, double center, double scale, double *sumdy,
                                          double *sumdyxhat);

/// dx = g·a + ((x − center)·scale)·b + c when `statistics` (training), g·a otherwise, over every input
/// element, g being the window's gradient at its winner (code below 4) and 0 elsewhere.
void gradus_bn_relu_pool2x2_grad_input_f32(const float *dy, const uint8_t *codes, long ostride, const float *x, float *dx,
                                           long planes, long stride, long h, long w, float center, float scale, float a, float b,
                                           float c, int statistics);
void gradus_bn_relu_pool2x2_grad_input_f64(const double *dy, const uint8_t *codes, long ostride, const double *x, double *dx,
                                           long planes, long stride, long h, long w, double center, double scale, double a,
                                           double b, double c, int statistics);

#ifdef __cplusplus
}
#endif

#endif
