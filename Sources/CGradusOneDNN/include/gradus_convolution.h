// Float32 training convolutions through oneDNN's convolution primitives (Debian libdnnl-dev): the
// forward pass, the gradient of the input (backward data) and the gradient of the weight (backward
// weights) of a 2-D convolution, grouped or not, on tensors in PyTorch's plain layouts (NCHW, OIHW).
//
// oneDNN's direct convolution kernels read and write channel-blocked layouts (nChw16c); each call
// reorders its plain operands into the layout the kernel chose, runs it, and reorders the result back,
// in scratch memory of the calling thread. Measured on one AMD Zen 5 core beside Gradus's unfolding
// (im2col) + matrix-product path, the kernels run at 230-270 GFLOP/s where the unfolded products ran
// 110-180 (docs/benchmarks.md, thirty-first session); PyTorch's CPU convolutions use the same kernels.
//
// Each calling thread keeps the primitives of the last GRADUS_CONVOLUTION_PRIMITIVES (shape, pass,
// OpenMP thread count) combinations it made (first in, first out), with their reorders and memory objects, and its scratch memory:
// creating them costs 0.1-1 ms, running them a few microseconds to milliseconds. Primitives run with
// the OpenMP thread count the caller set (Gradus splits batches over its own threads and gives each
// call one OpenMP thread).
#ifndef GRADUS_CONVOLUTION_H
#define GRADUS_CONVOLUTION_H

/// The sizes of one 2-D convolution: input [batch, in_channels, height, width], weight
/// [out_channels, in_channels / groups, kernel_h, kernel_w], output [batch, out_channels, out_h, out_w]
/// with out = (in + 2·pad − dilation·(kernel − 1) − 1) / stride + 1; dilation 1 is no dilation
/// (PyTorch's convention, not oneDNN's). `groups` divides both channel counts; 1 is ungrouped (each
/// group's channels and filters are contiguous, as in PyTorch: depthwise when groups = in_channels).
typedef struct {
    long batch, in_channels, height, width, out_channels, kernel_h, kernel_w;
    long stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, out_h, out_w;
    long groups;
    /// 1: the kernels read bfloat16 copies of their inputs (x, w, dy; rounded to nearest even by oneDNN's
    /// reorders, which round subnormal values to zero — as the processors' bfloat16 dot products,
    /// VDPBF16PS and AMX, treat subnormal inputs anyway) and accumulate and write Float32 (mixed
    /// precision); 0: Float32 throughout.
    long bfloat16;
} gradus_convolution_shape;

/// y = conv(x, w) + bias (bias NULL: none), every array dense in its plain layout. Returns 0 on success,
/// oneDNN's status otherwise (y then holds nothing to rely on).
int gradus_convolution_forward(const gradus_convolution_shape *shape, const float *x, const float *w,
                               const float *bias, float *y);

/// dx = the gradient of the input for output gradient dy (a transposed convolution of dy with w).
/// Returns 0 or oneDNN's status.
int gradus_convolution_backward_data(const gradus_convolution_shape *shape, const float *dy, const float *w, float *dx);

/// dw = Σ over the batch of the correlation of dy with x: the gradient of the weight (overwritten).
/// Returns 0 or oneDNN's status.
int gradus_convolution_backward_weights(const gradus_convolution_shape *shape, const float *x, const float *dy, float *dw);

/// The name of the kernel oneDNN chose for a pass (0 forward, 1 backward data, 2 backward weights) of
/// this shape on the calling thread, e.g. "jit:avx512_core"; "" when it has none. For tests and reports.
const char *gradus_convolution_kernel(const gradus_convolution_shape *shape, int pass);

/// How many passes the calling thread has run through oneDNN successfully (for tests: a failed call
/// returns its status and Gradus unfolds instead, which gives the same numbers).
long gradus_convolution_runs_on_this_thread(void);

/// Primitives each thread keeps; when full, the one made longest ago is replaced.
#define GRADUS_CONVOLUTION_PRIMITIVES 64

/// Bytes of scratch a thread keeps between calls (64 MiB); a call that needs more allocates and frees it.
#define GRADUS_CONVOLUTION_SCRATCH_KEPT (1L << 26)
#endif
