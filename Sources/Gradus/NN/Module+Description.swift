extension Module: CustomStringConvertible {
    /// A PyTorch-style rendering of the module tree, followed by the number of parameters:
    ///
    /// ```
    /// Sequential(
    ///   (0): Linear(inFeatures: 784, outFeatures: 10, bias: true)
    ///   (1): ReLU()
    /// )
    /// Parameters: 7,850 (trainable: 7,850)
    /// ```
    ///
    /// ```swift
    /// print(model)
    /// ```
    public var description: String {
        let params = parameters()
        let total = params.reduce(0) { $0 + $1.count }
        let trainable = params.filter(\.requiresGrad).reduce(0) { $0 + $1.count }
        return tree() + "\nParameters: \(Module.grouped(total)) (trainable: \(Module.grouped(trainable)))"
    }

    /// The module tree without the parameter-count line.
    func tree() -> String {
        let name = String(describing: type(of: self))
        let kids = members().children
        if kids.isEmpty { return "\(name)(\(extraDescription))" }
        var lines = ["\(name)(" + (extraDescription.isEmpty ? "" : extraDescription)]
        for (childName, child) in kids {
            let body = child.tree().split(separator: "\n", omittingEmptySubsequences: false)
                .enumerated().map { $0.offset == 0 ? String($0.element) : "  " + $0.element }
                .joined(separator: "\n")
            lines.append("  (\(childName)): \(body)")
        }
        lines.append(")")
        return lines.joined(separator: "\n")
    }

    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }
}
