import Synchronization

/// Finds the first operation whose forward result or backward gradient is not finite (NaN or ±Inf).
///
/// When enabled, every recorded operation checks its output, and every backward rule its gradients, and
/// stops with a message naming the operation. It costs a pass over every result, so it is for debugging.
///
/// ```swift
/// AnomalyMode.isEnabled = true
/// let loss = (x.log() * y).sum()   // x holds a zero: stops here, naming "log"
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

    static func checkForward(_ op: String, _ t: Tensor) {
        if let bad = t.firstNonFinite() {
            fatalError("AnomalyMode: forward of '\(op)' produced \(bad) (output shape \(t.shape))")
        }
    }

    static func checkBackward(_ op: String, _ t: Tensor) {
        if let bad = t.firstNonFinite() {
            fatalError("AnomalyMode: backward of '\(op)' produced \(bad) in a gradient of shape \(t.shape)")
        }
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
}
