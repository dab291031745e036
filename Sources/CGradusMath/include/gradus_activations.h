#ifndef GRADUS_ACTIVATIONS_H
#define GRADUS_ACTIVATIONS_H

// Float32 sigmoid and tanh over arrays, vectorized.
//
// glibc's expf and tanhf are called once per element (about 10 ns each here), which made them a third
// of an LSTM training step. These loops compute exp with Cephes's range reduction and degree-6
// polynomial (about 1 ulp on [-87, 88]) and tanh with Cephes's odd polynomial below |x| = 0.625 and
// 1 − 2/(e^{2|x|} + 1) above; they use only arithmetic, so the compiler vectorizes them (8 lanes with
// AVX2 and FMA, chosen at run time; a plain loop otherwise). NaN stays NaN.

#ifdef __cplusplus
extern "C" {
#endif

/// y[i] = 1 / (1 + e^(−x[i])) for i < n (x and y may be the same array).
void gradus_sigmoid_f32(const float *x, float *y, long n);

/// y[i] = tanh(x[i]) for i < n (x and y may be the same array).
void gradus_tanh_f32(const float *x, float *y, long n);

#ifdef __cplusplus
}
#endif

/// The calling thread's switch to the plain C kernels where an AVX2+FMA copy would run (sigmoid, tanh,
/// the LSTM cell, batch normalization): tests set it to run the path of processors without AVX2; worker
/// threads take the value of the thread whose job they run.
int gradus_portable_kernels_get(void);
void gradus_portable_kernels_set(int portable);

#endif
