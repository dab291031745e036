#ifndef GRADUS_RNN_H
#define GRADUS_RNN_H

// The Elman RNN cell's elementwise part (Float32), vectorized like gradus_lstm.h: the activation of
// the sum of the input's projection (x·W_ihᵀ + b_ih) and the hidden state's (h·W_hhᵀ + b_hh).

#ifdef __cplusplus
extern "C" {
#endif

/// out[i] = tanh(projected[i] + hiddenGates[i]), or with `relu` max(0, ·) (a NaN stays NaN, −0 stays −0,
/// as Gradus's relu), for i < count.
void gradus_rnn_cell_forward_f32(long count, const float *projected, const float *hiddenGates, float *out, int relu);

/// The gradient of the pre-activation from the gradient of the output and the output itself:
/// gradOut·(1 − out²) for tanh; for relu 0 where out ≤ 0 and gradOut elsewhere (a NaN passes it on,
/// as PyTorch's threshold_backward).
void gradus_rnn_cell_backward_f32(long count, const float *gradOut, const float *out, float *gradPre, int relu);

#ifdef __cplusplus
}
#endif

#endif
