// A chain of oneDNN inference primitives (convolutions, pooling, inner products, activations) between a
// plain Float32 input and a plain Float32 output, for Gradus's InferencePlan
// (Sources/Gradus/Inference/InferencePlan.swift). oneDNN chooses the intermediate layouts (blocked
// channels such as nChw16c on AVX-512), reorders each layer's weights to its kernel's layout once, when
// the layer is added, and fuses an activation into the convolution or inner product before it; the
// intermediate buffers are allocated once, when the chain is built. oneDNN's C interface has no such
// chain, so this file assembles it from the primitives. Each gradus_network_add_… call adds its layer
// wholly or, when it returns a failure, not at all (the chain is as it was before the call).
#ifndef GRADUS_NETWORK_H
#define GRADUS_NETWORK_H

#ifdef __cplusplus
extern "C" {
#endif

/// An inference chain under construction or ready to run (opaque).
typedef struct gradus_network gradus_network;

/// Element-wise functions, applied after a convolution or inner product (fused) or on their own.
enum gradus_activation {
    gradus_activation_none = 0,
    gradus_activation_relu = 1,        ///< max(x, 0) + alpha·min(x, 0): ReLU (alpha 0) and LeakyReLU
    gradus_activation_tanh = 2,
    gradus_activation_sigmoid = 3,
    gradus_activation_elu = 4,         ///< alpha·(eˣ − 1) below zero
    gradus_activation_gelu_erf = 5,
    gradus_activation_gelu_tanh = 6,
    gradus_activation_silu = 7,        ///< x·sigmoid(x)
    gradus_activation_clip = 8,        ///< min(max(x, alpha), beta): Hardtanh, ReLU6
    gradus_activation_hardswish = 9,   ///< x·relu6(x + 3)/6
    gradus_activation_mish = 10,       ///< x·tanh(softplus(x))
};

/// Pooling kinds.
enum gradus_pooling {
    gradus_pooling_max = 0,
    gradus_pooling_average_including_padding = 1,
    gradus_pooling_average_excluding_padding = 2,
};

/// How a convolution is computed.
enum gradus_convolution_algorithm {
    gradus_convolution_direct = 0,     ///< oneDNN's direct (implicit-product) kernels
    gradus_convolution_winograd = 1,   ///< oneDNN's first Winograd kernel where it has one (F(2×2, 3×3) for one image on AVX-512, F(4×4, 3×3) for more), else direct
    /// The non-reference kernels of both (at most six each) timed when the layer is added, a few runs
    /// each, on at most four samples of the batch; the fastest kept (a kernel that fuses the activation
    /// first; a later kernel only when 3% faster) and remembered for the process, so that the same layer
    /// compiled again is not timed again.
    gradus_convolution_fastest = 2,
};

/// A chain whose input is a plain Float32 tensor of `rank` (2: [n, features]; 4: [n, c, h, w])
/// dimensions `dims`; NULL when oneDNN is unavailable or the shape is invalid.
gradus_network *gradus_network_create(int rank, const long *dims);

/// Tests only: convolutions added with gradus_convolution_fastest time only the oneDNN kernels whose
/// implementation name contains `name` (NULL or "" for every kernel; a name longer than 47 bytes is
/// cut, which widens the match). A convolution
/// none of them computes is refused.
void gradus_network_set_kernel_filter(gradus_network *net, const char *name);

/// Tests only: steps past the first `limit` of the chain are refused (0: no limit), so that a layer
/// can be made to fail midway through adding its steps.
void gradus_network_set_step_limit(gradus_network *net, int limit);

/// How many convolutions, in this process so far, took a kept timed choice instead of timing again.
long gradus_network_reused_convolution_choices(void);

/// Adds a 2-D convolution of the current [n, c, h, w] tensor in `groups` channel groups (1: ungrouped;
/// it divides c and out) with `weights` ([out, c / groups, kh, kw], row-major, copied), an optional
/// `bias` ([out], copied), strides, dilations (1 = dense) and zero
/// padding before/after each axis, followed by `activation` (with alpha, beta), computed by
/// `algorithm` (enum gradus_convolution_algorithm). Returns 0 or oneDNN's status (the chain is then
/// unchanged).
int gradus_network_add_convolution(gradus_network *net, long out_channels, long groups, long kh, long kw,
                                   long stride_h, long stride_w, long dilation_h, long dilation_w,
                                   long pad_top, long pad_left, long pad_bottom, long pad_right,
                                   const float *weights, const float *bias,
                                   int activation, float alpha, float beta, int algorithm);

/// Adds a 2-D transposed convolution (oneDNN's deconvolution) of the current [n, c, h, w] tensor in
/// `groups` channel groups with `weights` in PyTorch's layout ([c, out / groups, kh, kw], row-major,
/// copied), an optional `bias` ([out], copied), strides, dilations (1 = dense) and the padding cropped
/// before/after each axis (PyTorch's padding before, padding − output padding after), followed by
/// `activation` (with alpha, beta; a step of its own, oneDNN 2.6's fused deconvolution activation being
/// a plain loop). The output is [n, out, (h − 1)·stride + dilation·(kh − 1) + 1 −
/// pad_top − pad_bottom, likewise for w]. Returns 0 or oneDNN's status (the chain is then unchanged;
/// oneDNN's reference kernels are refused).
int gradus_network_add_deconvolution(gradus_network *net, long out_channels, long groups, long kh, long kw,
                                     long stride_h, long stride_w, long dilation_h, long dilation_w,
                                     long pad_top, long pad_left, long pad_bottom, long pad_right,
                                     const float *weights, const float *bias, int activation, float alpha, float beta);

/// Adds a 2-D pooling (enum gradus_pooling) of the current [n, c, h, w] tensor: window, strides,
/// dilations (1 = dense), padding before/after (after may exceed before, for PyTorch's ceil mode).
int gradus_network_add_pooling(gradus_network *net, int kind, long kh, long kw, long stride_h, long stride_w,
                               long dilation_h, long dilation_w, long pad_top, long pad_left,
                               long pad_bottom, long pad_right);

/// Adds an inner product with `weights` ([out, features], row-major, features = the current tensor's
/// elements per sample in plain [c, h, w] order, as after PyTorch's flatten; copied), optional `bias`,
/// then `activation`. The result is [n, out].
int gradus_network_add_inner_product(gradus_network *net, long out_features, const float *weights, const float *bias,
                                     int activation, float alpha, float beta);

/// Adds batch normalization with fixed statistics (PyTorch's evaluation mode) of the current
/// [n, c] or [n, c, h, w] tensor: (x − mean[c]) / √(variance[c] + epsilon) · scale[c] + shift[c], with
/// `scale` and `shift` optional (NULL: 1 and 0); the arrays are copied. With `relu` nonzero, max(·, 0)
/// of the result in the same step (oneDNN's fused normalization and ReLU).
int gradus_network_add_batch_normalization(gradus_network *net, const float *mean, const float *variance,
                                           const float *scale, const float *shift, float epsilon, int relu);

/// Adds an element-wise `activation` of the current tensor.
int gradus_network_add_activation(gradus_network *net, int activation, float alpha, float beta);

/// The rank (2 or 4) of the current tensor, with its dimensions written to `dims` (4 entries).
int gradus_network_output_shape(const gradus_network *net, long *dims);

/// Runs the chain on `input` (plain, the creation shape) into `output` (plain, the output shape).
/// oneDNN parallelizes with the calling thread's OpenMP thread limit. Returns 0 or oneDNN's status.
int gradus_network_run(gradus_network *net, const float *input, float *output);

/// The implementation oneDNN chose for step `index` (e.g. "brgconv:avx512_core"), or NULL past the end.
const char *gradus_network_step_implementation(const gradus_network *net, int index);

/// Frees the chain.
void gradus_network_destroy(gradus_network *net);

#ifdef __cplusplus
}
#endif

#endif
