#ifndef GRADUS_LSTM_H
#define GRADUS_LSTM_H

// The LSTM cell's elementwise part in one pass forward and one backward (Float32), vectorized like
// gradus_activations.h. Gates are the pre-activations [rows, 4·hidden] in PyTorch's order i, f, g, o.

#ifdef __cplusplus
extern "C" {
#endif

/// out[r] = (h', c') as [rows, 2·hidden] with c' = σ(f)·c + σ(i)·tanh(g) and h' = σ(o)·tanh(c');
/// saved[r] = (σ(i), σ(f), tanh(g), σ(o), tanh(c')) as [rows, 5·hidden], for the backward pass.
void gradus_lstm_cell_forward_f32(long rows, long hidden, const float *gates, const float *c, float *out, float *saved);

/// From the gradient of out [rows, 2·hidden], the cell state c and `saved`: the gradients of the
/// gate pre-activations [rows, 4·hidden] and of c [rows, hidden].
void gradus_lstm_cell_backward_f32(long rows, long hidden, const float *gradOut, const float *c, const float *saved,
                                   float *gradGates, float *gradC);

#ifdef __cplusplus
}
#endif

#endif
