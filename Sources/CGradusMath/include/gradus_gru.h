#ifndef GRADUS_GRU_H
#define GRADUS_GRU_H

// The GRU cell's elementwise part in one pass forward and one backward (Float32), vectorized like
// gradus_lstm.h. Projections are [rows, 3·hidden] in PyTorch's gate order r, z, n: `projected` is the
// input's, x·W_ihᵀ + b_ih, and `hiddenGates` the hidden state's, h·W_hhᵀ + b_hh.

#ifdef __cplusplus
extern "C" {
#endif

/// out [rows, hidden] = n + z·(h − n) with r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r·h_n)
/// (PyTorch's formula and order); saved [rows, 4·hidden] = (r, z, n, h_n) for the backward pass.
void gradus_gru_cell_forward_f32(long rows, long hidden, const float *projected, const float *hiddenGates,
                                 const float *h, float *out, float *saved);

/// From the gradient of out [rows, hidden], the previous state h and `saved`: the gradients of the
/// input's projections [rows, 3·hidden], of the hidden state's projections [rows, 3·hidden] (they
/// differ in the n gate: h_n is scaled by r), and the direct part of the previous state's gradient,
/// gradOut·z [rows, hidden] (the part through W_hh is a product the caller adds).
void gradus_gru_cell_backward_f32(long rows, long hidden, const float *gradOut, const float *h, const float *saved,
                                  float *gradProjected, float *gradHiddenGates, float *gradH);

#ifdef __cplusplus
}
#endif

#endif
