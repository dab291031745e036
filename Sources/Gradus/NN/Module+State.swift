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
        for (key, t) in stateEntries() { result[key] = t.detach() }
        return result
    }

    /// Every parameter and persistent buffer under every path that reaches it, as PyTorch's
    /// `state_dict()` lists them: a tied tensor or a module used twice appears under each name
    /// (``namedParameters()`` lists each tensor once).
    func stateEntries() -> [(key: String, tensor: Tensor)] {
        var result: [(key: String, tensor: Tensor)] = []
        var ancestors = Set<ObjectIdentifier>()   // a module reached again below itself is not walked twice
        func visit(_ m: Module, _ prefix: String) {
            guard ancestors.insert(ObjectIdentifier(m)).inserted else { return }
            defer { ancestors.remove(ObjectIdentifier(m)) }
            func key(_ name: String) -> String { prefix.isEmpty ? name : "\(prefix).\(name)" }
            let members = m.members()
            for (name, t) in members.parameters { result.append((key(name), t)) }
            for (name, b) in members.buffers where b.persistent { result.append((key(name), b.tensor!)) }
            for (name, child) in members.children { visit(child, key(name)) }
        }
        visit(self, "")
        return result
    }

    /// Copies values from `state` into this module's parameters and persistent buffers, in place (the
    /// tensors keep their identity, so an optimizer built on ``parameters()`` keeps working). Values
    /// are converted to each tensor's dtype.
    ///
    /// Every entry is checked before anything is copied: when `strict` (the default) missing and
    /// unexpected keys are errors; mis-shaped entries always are. A tensor listed under several keys (a
    /// tied weight) counts as present when any of them is given, and a batch norm's
    /// `num_batches_tracked` may be absent (older and converted PyTorch checkpoints lack it; PyTorch
    /// accepts them too), which leaves its count as it is.
    ///
    /// - Parameters:
    ///   - state: tensors by key, as made by ``stateDict()`` here or by PyTorch's `state_dict()`.
    ///   - strict: whether the keys must match exactly.
    /// - Returns: the keys of the module that were not given and the keys given that the module does not
    ///   have (both empty after a strict load), as PyTorch's `load_state_dict` returns them.
    /// - Throws: ``StateDictError`` listing every problem found.
    ///
    /// ```swift
    /// try model.loadStateDict(checkpoint)
    /// let skipped = try model.loadStateDict(pretrained, strict: false)   // e.g. another classifier head
    /// print(skipped.missingKeys, skipped.unexpectedKeys)
    /// ```
    @discardableResult
    public func loadStateDict(_ state: [String: Tensor], strict: Bool = true) throws -> (missingKeys: [String], unexpectedKeys: [String]) {
        let targets = stateEntries().map { ($0.key, $0.tensor) }
        let known = Set(targets.map(\.0))
        let given = Set(targets.filter { state[$0.0] != nil }.map { ObjectIdentifier($0.1) })
        let missing = targets.filter { key, t in
            state[key] == nil && !given.contains(ObjectIdentifier(t)) && !key.hasSuffix("num_batches_tracked")
        }.map(\.0).sorted()
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
        return (missing, unexpected)
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
