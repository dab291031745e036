import Synchronization

/// The backward rule of one recorded operation: given the gradient of the output (and the output
/// itself), the gradients of the inputs in order (`nil` for an input that needs none).
///
/// Rules are written with tensor operations, so that with `createGraph` they are recorded too and
/// gradients can be differentiated again.
public typealias BackwardRule = (_ gradient: Tensor, _ output: Tensor) throws -> [Tensor?]

/// A recorded operation in the graph: its name, its inputs and its backward rule.
///
/// A node does not hold its output, which holds it: the graph has no cycles and is freed with the
/// last tensor that refers to it.
public final class Node: @unchecked Sendable {
    /// The operation's name, as used in error messages and by ``AnomalyMode``.
    public let name: String
    /// The operation's inputs; emptied when the graph is freed after backward.
    @exclusivity(unchecked) public internal(set) var inputs: [Tensor]
    @exclusivity(unchecked) var rule: BackwardRule?
    /// Gradient of this node's output accumulated during one backward pass.
    @exclusivity(unchecked) var pendingGradient: Tensor?
    /// Whether `pendingGradient` is a buffer the backward pass made itself and nothing else refers to,
    /// so that further gradients can be added into it in place.
    @exclusivity(unchecked) var pendingIsOwned = false
    /// For a slice: where its output sits in its input. Without `createGraph`, the backward pass adds the
    /// slice's gradient straight into that region of the input's gradient instead of running the rule
    /// (which pads the gradient with zeros to the input's full size): a sequence cut into T steps then
    /// costs O(T) rather than O(T²).
    @exclusivity(unchecked) var sliceGeometry: (inputShape: [Int], strides: [Int], offset: Int)?
    /// Visit mark for the topological sort.
    @exclusivity(unchecked) var visitEpoch: Int = 0
    /// The number of the backward pass for which this node leads to a requested tensor (a pass that
    /// collects gradients of some tensors runs only such nodes).
    @exclusivity(unchecked) var neededPass: Int = 0
    /// Tensors the rule reads that are not inputs (an index, a condition, class labels): watched for
    /// in-place changes like the inputs; emptied when the graph is freed.
    @exclusivity(unchecked) var saved: [Tensor]
    /// The sum of the storage versions of the inputs, the saved tensors and the output when the
    /// operation was recorded; backward compares it with the current sum (versions only grow, so any
    /// in-place change shows).
    let savedVersion: Int
    /// The order of creation: nodes are numbered as they are recorded, so that a computation can tell the
    /// nodes it recorded from older ones (``Autograd/checkpoint(_:preserveRandomState:_:)-([Tensor],_,_)``).
    let serial: Int

    /// Counts the recorded nodes.
    static let serials = Atomic<Int>(0)

    init(name: String, inputs: [Tensor], saved: [Tensor], output: Tensor, rule: @escaping BackwardRule) {
        self.serial = Node.serials.add(1, ordering: .relaxed).newValue
        self.name = name
        self.inputs = inputs
        self.saved = saved
        self.rule = rule
        self.savedVersion = Node.versionSum(inputs, saved, output)
    }

    @inline(__always)
    static func versionSum(_ inputs: [Tensor], _ saved: [Tensor], _ output: Tensor) -> Int {
        var v = output.storage.version
        for t in inputs { v &+= t.storage.version }
        for t in saved { v &+= t.storage.version }
        return v
    }

    /// Throws when a tensor this node's rule reads was changed in place after it was recorded.
    func checkVersions(output: Tensor) throws {
        guard Node.versionSum(inputs, saved, output) != savedVersion else { return }
        let shapes = (inputs + saved).map { "\($0.shape)" }.joined(separator: ", ")
        throw GradusError(.inPlaceModification,
                          "backward: a tensor that '\(name)' saved for its gradient (inputs \(shapes), output \(output.shape)) was modified by an in-place operation after it was used; change it after backward, or use a clone",
                          op: "backward")
    }

    /// Whether the graph below this node was freed by a backward pass without `retainGraph`.
    public var isReleased: Bool { rule == nil }

    func release() {
        inputs = []
        saved = []
        rule = nil
    }
}

extension Tensor {
    /// Records `output` as the result of `op` on `inputs` with the backward rule `rule`, when grad mode
    /// is on and an input requires gradients. Every differentiable operation calls this once.
    ///
    /// - Parameters:
    ///   - op: the operation's name.
    ///   - output: the freshly computed result.
    ///   - inputs: the operation's tensor inputs, in the order that `rule` returns gradients.
    ///   - saved: other tensors `rule` reads (indices, conditions, labels), checked for in-place changes.
    ///   - rule: the backward rule; must not capture `output` (it is passed in).
    @inline(__always)
    func record(_ op: String, output: Tensor, inputs: [Tensor], saved: [Tensor] = [], rule: @escaping BackwardRule) {
        Tensor.record(op, output: output, inputs: inputs, saved: saved, rule: rule)
    }

    @inline(__always)
    static func record(_ op: String, output: Tensor, inputs: [Tensor], saved: [Tensor] = [], rule: @escaping BackwardRule) {
        guard GradMode.isEnabled else { return }
        var any = false
        for t in inputs where t.requiresGrad { any = true; break }
        guard any else { return }
        output.requiresGrad = true
        output.gradFn = Node(name: op, inputs: inputs, saved: saved, output: output, rule: rule)
        if AnomalyMode.isEnabled { AnomalyMode.checkForward(op, output) }
    }
}
