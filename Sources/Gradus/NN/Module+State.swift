/// Why ``Module/loadStateDict(_:strict:)`` refused a state dictionary. Nothing is loaded when it throws.
///
/// ```swift
/// do { try model.loadStateDict(saved) } catch let error as StateDictError { print(error) }
/// ```
public struct StateDictError: Error, CustomStringConvertible, Equatable {
    /// A key whose tensor does not have the module's shape.
    public struct Mismatch: Equatable, Sendable {
        /// The state-dictionary key.
        public let key: String
        /// The shape the module has.
        public let expected: [Int]
        /// The shape that was given.
        public let given: [Int]

        /// A mismatch for `key`.
        public init(key: String, expected: [Int], given: [Int]) {
            self.key = key
            self.expected = expected
            self.given = given
        }
    }

    /// Keys the module has but the dictionary lacks (only reported when `strict`).
    public let missingKeys: [String]
    /// Keys the dictionary has but the module lacks (only reported when `strict`).
    public let unexpectedKeys: [String]
    /// Keys present in both whose shapes differ (always reported).
    public let shapeMismatches: [Mismatch]

    /// An error listing the problems found.
    public init(missingKeys: [String], unexpectedKeys: [String], shapeMismatches: [Mismatch]) {
        self.missingKeys = missingKeys
        self.unexpectedKeys = unexpectedKeys
        self.shapeMismatches = shapeMismatches
    }

    /// All problems, one after another, e.g. `loadStateDict: missing keys: 0.bias`.
    public var description: String {
        var parts: [String] = []
        if !missingKeys.isEmpty { parts.append("missing keys: \(missingKeys.joined(separator: ", "))") }
        if !unexpectedKeys.isEmpty { parts.append("unexpected keys: \(unexpectedKeys.joined(separator: ", "))") }
        for m in shapeMismatches {
            parts.append("size mismatch for \(m.key): the module has shape \(m.expected), the state dictionary \(m.given)")
        }
        return "loadStateDict: " + parts.joined(separator: "; ")
    }
}

extension Module {
    /// Every parameter and persistent buffer by its dotted key, like PyTorch's `state_dict()`
    /// (`0.weight`, `bn.running_mean`, `bn.num_batches_tracked`, …).
    ///
    /// The tensors are detached and share storage with the module's, so they follow later updates;
    /// serialize them (or ``Tensor/clone()`` them) to keep a snapshot.
    ///
    /// ```swift
    /// let state = model.stateDict()
    /// try other.loadStateDict(state)
    /// ```
    public func stateDict() -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (name, p) in namedParameters() { result[name] = p.detach() }
        for (name, b) in namedBufferEntries() where b.persistent { result[name] = b.tensor!.detach() }
        return result
    }

    /// Copies values from `state` into this module's parameters and persistent buffers, in place (the
    /// tensors keep their identity, so an optimizer built on ``parameters()`` keeps working). Values
    /// are converted to each tensor's dtype.
    ///
    /// Every entry is checked before anything is copied: when `strict` (the default) missing and
    /// unexpected keys are errors; mis-shaped entries always are.
    ///
    /// - Parameters:
    ///   - state: tensors by key, as made by ``stateDict()`` here or by PyTorch's `state_dict()`.
    ///   - strict: whether the keys must match exactly.
    /// - Throws: ``StateDictError`` listing every problem found.
    ///
    /// ```swift
    /// try model.loadStateDict(checkpoint)
    /// try model.loadStateDict(pretrained, strict: false)   // ignore the classifier head
    /// ```
    public func loadStateDict(_ state: [String: Tensor], strict: Bool = true) throws {
        var targets: [(String, Tensor)] = namedParameters().map { ($0.name, $0.tensor) }
        targets += namedBufferEntries().filter { $0.1.persistent }.map { ($0.0, $0.1.tensor!) }
        let known = Set(targets.map(\.0))
        let missing = targets.map(\.0).filter { state[$0] == nil }
        let unexpected = state.keys.filter { !known.contains($0) }.sorted()
        var mismatches: [StateDictError.Mismatch] = []
        for (key, t) in targets {
            if let v = state[key], v.shape != t.shape {
                mismatches.append(.init(key: key, expected: t.shape, given: v.shape))
            }
        }
        if !mismatches.isEmpty || (strict && (!missing.isEmpty || !unexpected.isEmpty)) {
            throw StateDictError(missingKeys: strict ? missing : [], unexpectedKeys: strict ? unexpected : [],
                                 shapeMismatches: mismatches)
        }
        try GradMode.noGrad {
            for (key, t) in targets {
                guard let v = state[key] else { continue }
                try t.copyValues(from: v)
            }
        }
    }
}

extension Tensor {
    /// Overwrites this tensor's elements with `source`'s (same shape; converted to this dtype), in
    /// place, without recording anything; counts a new storage version.
    func copyValues(from source: Tensor) throws {
        try require(source.shape == shape, "copyValues: shape \(source.shape) does not match \(shape)", .shapeMismatch)
        let converted = GradMode.noGrad { source.to(dtype) }
        try writeValues(from: converted, "copyValues")
    }
}
