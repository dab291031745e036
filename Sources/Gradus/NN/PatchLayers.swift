// PyTorch's `nn.Unfold` and `nn.Fold`: sliding windows of images as columns and back, in PyTorch's
// layout `[N, C·kH·kW, L]` (Gradus's ``Functional/unfold(_:kernelSize:stride:padding:dilation:)``
// returns the windows as rows, `[N, L, C·kH·kW]`; these layers transpose).

/// Extracts sliding windows of `[N, C, H, W]` images as columns (PyTorch's `nn.Unfold`, im2col):
/// `[N, C·kH·kW, L]`, L the number of windows; `[C, H, W]` gives `[C·kH·kW, L]`.
///
/// ```swift
/// let columns = Unfold(kernelSize: 3, padding: 1)(images)   // [N, C·9, H·W]
/// ```
public final class Unfold: Module, Layer {
    /// The window size.
    public let kernelSize: Size2
    /// The spacing between a window's elements.
    public let dilation: Size2
    /// Zeros added on each side.
    public let padding: Size2
    /// The step between windows.
    public let stride: Size2

    /// An unfolding layer (PyTorch's argument order).
    public init(kernelSize: Size2, dilation: Size2 = 1, padding: Size2 = 0, stride: Size2 = 1) {
        (self.kernelSize, self.dilation, self.padding, self.stride) = (kernelSize, dilation, padding, stride)
        super.init()
    }

    /// The windows of `input` as columns.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            checked {
                try require(input.rank == 3 || input.rank == 4, "Unfold: input must be [N, C, H, W] or [C, H, W], got \(input.shape)", .shapeMismatch)
                let batched = input.rank == 4 ? input : input.unsqueeze(0)
                let rows = Functional.unfold(batched, kernelSize: (kernelSize.height, kernelSize.width), stride: (stride.height, stride.width),
                                             padding: (padding.height, padding.width), dilation: (dilation.height, dilation.width))
                try GradusError.throwIfRecorded()
                let columns = rows.transpose(1, 2)
                return input.rank == 4 ? columns : columns.squeeze(0)
            }
        }
    }

    /// The configuration shown by ``Module/description``.
    public override var extraDescription: String {
        "kernelSize: \(kernelSize), dilation: \(dilation), padding: \(padding), stride: \(stride)"
    }
}

/// Sums columns of sliding windows back into images (PyTorch's `nn.Fold`, col2im), the adjoint of
/// ``Unfold``: `[N, C·kH·kW, L]` gives `[N, C, outputSize…]`; `[C·kH·kW, L]` gives `[C, …]`.
/// Overlapping windows add up.
///
/// ```swift
/// let images = Fold(outputSize: [8, 8], kernelSize: 3, padding: 1)(columns)
/// ```
public final class Fold: Module, Layer {
    /// The height and width of the images.
    public let outputSize: Size2
    /// The window size.
    public let kernelSize: Size2
    /// The spacing between a window's elements.
    public let dilation: Size2
    /// Zeros that were added on each side.
    public let padding: Size2
    /// The step between windows.
    public let stride: Size2

    /// A folding layer (PyTorch's argument order).
    public init(outputSize: Size2, kernelSize: Size2, dilation: Size2 = 1, padding: Size2 = 0, stride: Size2 = 1) {
        (self.outputSize, self.kernelSize, self.dilation, self.padding, self.stride) = (outputSize, kernelSize, dilation, padding, stride)
        super.init()
    }

    /// The images the columns of `input` sum to.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withForwardHooks(input) { input in
            checked {
                try require(input.rank == 2 || input.rank == 3, "Fold: input must be [N, C·kH·kW, L] or [C·kH·kW, L], got \(input.shape)", .shapeMismatch)
                let batched = input.rank == 3 ? input : input.unsqueeze(0)
                let images = Functional.fold(batched.transpose(1, 2), outputSize: (outputSize.height, outputSize.width),
                                             kernelSize: (kernelSize.height, kernelSize.width), stride: (stride.height, stride.width),
                                             padding: (padding.height, padding.width), dilation: (dilation.height, dilation.width))
                try GradusError.throwIfRecorded()
                return input.rank == 3 ? images : images.squeeze(0)
            }
        }
    }

    /// The configuration shown by ``Module/description``.
    public override var extraDescription: String {
        "outputSize: \(outputSize), kernelSize: \(kernelSize), dilation: \(dilation), padding: \(padding), stride: \(stride)"
    }
}
