/// A type that a ``Buffer`` can hold: a `Tensor`, or an optional one (`nil` = no buffer, like
/// PyTorch's `register_buffer(name, None)`).
public protocol BufferValue {
    /// The tensor held, if any.
    var bufferTensor: Tensor? { get }
}

extension Tensor: BufferValue {
    /// This tensor.
    public var bufferTensor: Tensor? { self }
}

extension Optional: BufferValue where Wrapped == Tensor {
    /// The wrapped tensor, or nil.
    public var bufferTensor: Tensor? { self }
}

/// Type-erased view of a ``Buffer``, for discovery by ``Module``.
protocol AnyBuffer {
    var key: String? { get }
    var persistent: Bool { get }
    var tensor: Tensor? { get }
}

/// Marks a tensor property of a ``Module`` as a *buffer*: state that is saved in
/// ``Module/stateDict()`` but is not a parameter (not trained, not returned by
/// ``Module/parameters()``), like PyTorch's `register_buffer`. BatchNorm's running statistics are buffers.
///
/// Every stored `Tensor` property of a module is marked: `@Parameter` for what is trained, `@Buffer` for saved state.
/// The state-dictionary key is the property's name unless `key` is given (use it for PyTorch's
/// snake_case names). A non-persistent buffer is found by ``Module/namedBuffers()`` but left out of the
/// state dictionary.
///
/// Update a buffer's values in place (under ``GradMode/noGrad(_:)``), so that tensors returned by
/// ``Module/stateDict()`` stay in step with it.
///
/// ```swift
/// final class Normalizer: Module, Layer {
///     @Buffer("running_mean") var runningMean = Tensor.zeros([4])
///     func callAsFunction(_ x: Tensor) -> Tensor { x - runningMean }
/// }
/// ```
@propertyWrapper
public struct Buffer<Value: BufferValue>: AnyBuffer {
    /// The buffer's tensor (or optional tensor). Assigning a new tensor replaces the buffer (modules
    /// notice it: see ``Module``).
    public var wrappedValue: Value {
        didSet { Module.structureChanged() }
    }
    /// The state-dictionary key, or nil to use the property's name.
    public let key: String?
    /// Whether the buffer is part of the state dictionary.
    public let persistent: Bool

    /// Wraps `wrappedValue` as a buffer.
    ///
    /// - Parameters:
    ///   - wrappedValue: the buffer's initial tensor.
    ///   - key: the state-dictionary key (default: the property's name).
    ///   - persistent: whether ``Module/stateDict()`` includes it (default true).
    public init(wrappedValue: Value, _ key: String? = nil, persistent: Bool = true) {
        self.wrappedValue = wrappedValue
        self.key = key
        self.persistent = persistent
    }

    var tensor: Tensor? { wrappedValue.bufferTensor }
}
