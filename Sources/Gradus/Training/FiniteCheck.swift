/// Fast all-finite checks of parameters and gradients, used by ``Trainer`` for ``NonFiniteLossPolicy``.
enum FiniteCheck {
    /// Whether every element of `t` is finite. `x - x` is 0 for a finite x and NaN for ±Inf or NaN, so
    /// one vectorized pass that sums it finds any non-finite element.
    static func allFinite(_ t: Tensor) -> Bool {
        switch t.dtype {
        case .float32:
            let b = t.buffer(Float.self)
            guard let base = b.baseAddress else { return true }
            let n = b.count
            var acc = SIMD16<Float>(repeating: 0)
            var i = 0
            let raw = UnsafeRawPointer(base)
            while i &+ 16 <= n {
                let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
                acc += v - v
                i &+= 16
            }
            var tail: Float = 0
            while i < n { tail += base[i] - base[i]; i &+= 1 }
            return (acc.sum() + tail).isFinite
        case .float64:
            return t.buffer(Double.self).allSatisfy(\.isFinite)
        case .int64:
            return true
        }
    }

    /// The first named tensor holding a non-finite element, described ("0.weight holds nan at index 3").
    static func firstProblem(_ named: [(name: String, tensor: Tensor)]) -> String? {
        for (name, t) in named where !allFinite(t) {
            return "\(name) holds \(t.firstNonFinite() ?? "a non-finite value")"
        }
        return nil
    }
}
