import Foundation
import Synchronization

/// How Gradus computes Float32 convolutions, grouped or not (``Functional/conv2d(_:weight:bias:stride:padding:dilation:groups:)-(_,_,_,_,(Int,Int),_,_)``,
/// ``Conv2d``, ``Conv1d`` and ``Conv3d``, which compute through it) and their gradients, in training and
/// evaluation alike (an ``InferencePlan`` compiles its own).
///
/// oneDNN's direct convolution kernels — the ones PyTorch's CPU build runs — compute the forward pass,
/// the input gradient and the weight gradient without unfolding the input: on one AMD Zen 5 core they
/// ran at 230-270 GFLOP/s on the image CNNs' 3×3 and 4×4 strided layers where unfolding (im2col) and a
/// matrix product per sample ran at 110-180 (docs/benchmarks.md, thirty-first session). So oneDNN is the
/// default; Gradus still unfolds where oneDNN's kernels are slower or absent: Float64 (oneDNN has no
/// double-precision convolution), pointwise
/// (1×1) convolutions, ungrouped convolutions over fewer than 256 output positions in all (where
/// reordering the weight at each call costs more than the kernel saves), one image of an ungrouped
/// convolution at more than one thread (its products are split over the threads instead), the forward
/// pass of an RGB image's first
/// layer (stride 1, small windows, many output channels), the input gradient of ungrouped layers with
/// fewer than 16 input channels, shapes for which oneDNN offers only its reference kernel, and grouped
/// passes for which it offers only its matrix-product kernel (a depth multiplier above 1, few channels
/// per group). Depthwise layers (one channel per group, MobileNet's) run on oneDNN's depthwise kernels,
/// 3-9 times as fast as unfolding. When products run in bfloat16 (``Float32ProductPrecision/medium``),
/// layers with 16 or more input channels per group (and enough output channels and positions) run on
/// oneDNN's bfloat16 kernels, smaller ones (depthwise ones among them) on its Float32 kernels.
///
/// The choice is read once from `GRADUS_CONVOLUTION_BACKEND` (`onednn` or `unfolded`) and can be changed
/// while a program runs. In Float32 both agree to Float32 rounding (in bfloat16, to bfloat16's); each is
/// deterministic for a given shape, batch and thread count.
///
/// ```swift
/// ConvolutionBackend.active = .unfolded   // e.g. to compare the two
/// let y = Functional.conv2d(x, weight: w, padding: (1, 1))
/// ```
public enum ConvolutionBackend: String, Sendable, CaseIterable, CustomStringConvertible {
    /// oneDNN's convolution primitives (direct kernels on channel-blocked copies of the operands). The default.
    case oneDNN = "onednn"
    /// Each sample unfolded (im2col) and multiplied by the weight (``MatrixProductBackend``'s products).
    case unfolded = "unfolded"

    public var description: String { self == .oneDNN ? "oneDNN" : "unfolded" }

    private static let stored = Atomic<UInt8>(0)   // 0: not set yet, 1: oneDNN, 2: unfolded

    /// `GRADUS_CONVOLUTION_BACKEND` when it names a backend, otherwise oneDNN; a value that names none is
    /// reported once on standard error and ignored.
    private static let environmentChoice: ConvolutionBackend = {
        let value = getenv("GRADUS_CONVOLUTION_BACKEND").map { String(cString: $0) }
        let (selected, warning) = Self.choice(environmentValue: value)
        if let warning { FileHandle.standardError.write(Data("gradus: \(warning)\n".utf8)) }
        return selected
    }()

    /// The backend that a value of `GRADUS_CONVOLUTION_BACKEND` selects (any letter case), and a warning
    /// when the value names no backend.
    static func choice(environmentValue value: String?) -> (ConvolutionBackend, warning: String?) {
        guard let value, !value.isEmpty else { return (.oneDNN, nil) }
        if let choice = ConvolutionBackend(rawValue: value.lowercased()) { return (choice, nil) }
        return (.oneDNN, "GRADUS_CONVOLUTION_BACKEND=\(value) names no backend (onednn, unfolded); using oneDNN")
    }

    /// The backend chosen for this task by ``KernelTesting/withConvolutionBackend(_:_:)``, if any.
    @TaskLocal static var taskOverride: ConvolutionBackend?

    /// The backend this task's convolutions use: the task's override, else ``active``.
    static var effective: ConvolutionBackend { taskOverride ?? active }

    /// The backend that convolutions use now.
    public static var active: ConvolutionBackend {
        get {
            switch stored.load(ordering: .relaxed) {
            case 1: return .oneDNN
            case 2: return .unfolded
            default: return environmentChoice
            }
        }
        set { stored.store(newValue == .oneDNN ? 1 : 2, ordering: .relaxed) }
    }
}
