#ifndef GRADUS_SOFTMAX_H
#define GRADUS_SOFTMAX_H

// Float32 softmax and log-softmax over contiguous rows, forward and backward, vectorized.
//
// Softmax over the last axis is the attention's per-score step: in a Transformer layer on 128
// positions it took a tenth of the training step, most of it glibc's expf called once per element and
// a reduction loop the compiler could not vectorize (a float sum in order). Here exp is Cephes's
// (activation_math.h, about 1 ulp), flushed to 0 below −87.3 (where e^x is subnormal: a masked score,
// −∞, gives exactly 0) and +∞ above 88.7; maxima and sums use sixteen partial lanes. Semantics match
// the tensor-operation path: each row's maximum is subtracted first (a row whose maximum is not finite
// subtracts 0), NaN spreads over its row, log-softmax is (x − max) − log Σ.

#ifdef __cplusplus
extern "C" {
#endif

/// y = softmax(x) (or log-softmax when `log_output`) over each of `rows` rows of `n` floats.
/// x and y must not overlap.
void gradus_softmax_rows_f32(const float *x, float *y, long rows, long n, int log_output);

/// The gradient of the input from the output y and the output's gradient g, `rows` rows of `n`:
/// softmax: dx = y ⊙ (g − Σ g⊙y); log-softmax (`log_output`): dx = g − e^y ⊙ Σ g.
void gradus_softmax_backward_rows_f32(const float *y, const float *g, float *dx, long rows, long n, int log_output);

#ifdef __cplusplus
}
#endif

#endif
