import Synchronization

/// Finds the first operation whose forward result is NaN, or whose backward gradient is not finite
/// (NaN or ±Inf).
///
/// When enabled, every recorded operation checks its output, and every backward rule its gradients, and
/// fails with a ``GradusError`` of kind ``GradusError/Kind/nonFinite`` naming the operation: inside
/// ``GradusError/catching(_:)`` the scope throws it, elsewhere the program stops with the message, like
/// any other failed operation. It costs a pass over every result, so it is for debugging.
///
/// Infinities in forward results are not anomalies: additive −∞ attention masks, `log` of a masked
/// zero and the like are deliberate, and only become a problem where they turn into NaN (`0 · ∞`,
/// `∞ − ∞`), which is then the operation named. (PyTorch's `detect_anomaly` checks only backward, for NaN.)
///
/// ```swift
/// AnomalyMode.isEnabled = true
/// do {
///     try GradusError.catching { (x.sqrt() * y).sum().backward() }
/// } catch let error as GradusError {
///     print(error)   // x holds −1: "AnomalyMode: forward of 'sqrt' produced nan at index 0 …"
/// }
/// ```
public enum AnomalyMode {
    private static let flag = Atomic<Bool>(false)

    /// Whether anomaly checks run (process-wide).
    public static var isEnabled: Bool {
        get { flag.load(ordering: .relaxed) }
        set { flag.store(newValue, ordering: .relaxed) }
    }

    /// Runs `body` with anomaly checks enabled, then restores the previous setting.
    public static func enabled<R>(_ body: () throws -> R) rethrows -> R {
        let previous = isEnabled
        isEnabled = true
        defer { isEnabled = previous }
        return try body()
    }

    /// Fails (records in the current error scope, or stops) when the result of `op` holds a NaN.
    static func checkForward(_ op: String, _ t: Tensor) {
        guard let bad = t.firstNaN() else { return }
        ErrorScope.fail(GradusError(.nonFinite, "AnomalyMode: forward of '\(op)' produced \(bad) (output shape \(t.shape))", op: op)) { () }
    }

    /// Throws when a gradient computed by the backward rule of `op` is not finite.
    static func checkBackward(_ op: String, _ t: Tensor) throws {
        guard let bad = t.firstNonFinite() else { return }
        throw GradusError(.nonFinite, "AnomalyMode: backward of '\(op)' produced \(bad) in a gradient of shape \(t.shape)", op: op)
    }
}

extension Tensor {
    /// A description of the first non-finite element ("nan at index 3"), or nil when all are finite.
    public func firstNonFinite() -> String? {
        switch dtype {
        case .float32:
            for (i, v) in buffer(Float.self).enumerated() where !v.isFinite { return "\(v) at index \(i)" }
        case .float64:
            for (i, v) in buffer(Double.self).enumerated() where !v.isFinite { return "\(v) at index \(i)" }
        case .int64: break
        }
        return nil
    }

    /// A description of the first NaN ("nan at index 3"), or nil when there is none.
    func firstNaN() -> String? {
        switch dtype {
        case .float32:
            for (i, v) in buffer(Float.self).enumerated() where v.isNaN { return "\(v) at index \(i)" }
        case .float64:
            for (i, v) in buffer(Double.self).enumerated() where v.isNaN { return "\(v) at index \(i)" }
        case .int64: break
        }
        return nil
    }
}
