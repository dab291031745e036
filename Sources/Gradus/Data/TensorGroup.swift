/// Named tensors in a fixed order: the input of a model that takes several tensors (an image and a
/// feature vector, tokens and a mask), as the dictionaries that PyTorch's `default_collate` batches.
///
/// A dataset whose ``Dataset/Input`` is a group (``GroupDataset``) gives batches whose fields are
/// stacked one by one (``collate(_:)``); a ``MultiInputLayer`` reads them by name. Names are unique;
/// the order is the order of creation (a dictionary literal keeps its written order).
///
/// ```swift
/// let sample: TensorGroup = ["image": Tensor.zeros([1, 8, 8]), "features": Tensor([0.5, 1, -2])]
/// print(sample.names)             // ["image", "features"]
/// let image = sample["image"]     // [1, 8, 8]
/// for (name, tensor) in sample { print(name, tensor.shape) }
/// ```
public struct TensorGroup: Collatable, Sendable, ExpressibleByDictionaryLiteral, Sequence, CustomStringConvertible {
    /// The fields' names, in order; no two are equal.
    public let names: [String]
    /// The fields' tensors, in the order of ``names``.
    public let tensors: [Tensor]

    /// A group of named tensors in the order given.
    ///
    /// - Parameter fields: (name, tensor) pairs; the names must be unique (a repeated name fails as a
    ///   misconfigured layer does: recorded inside ``GradusError/catching(_:)``, a stop outside).
    ///
    /// ```swift
    /// let group = TensorGroup([("tokens", ids), ("mask", mask)])
    /// ```
    public init(_ fields: [(String, Tensor)]) {
        let names = fields.map { $0.0 }
        var seen = Set<String>()
        var fields = fields
        if let repeated = names.first(where: { !seen.insert($0).inserted }),
           !validSetting(false, "TensorGroup: the name \"\(repeated)\" appears twice in \(names); names must be unique") {
            var kept = Set<String>()
            fields = fields.filter { kept.insert($0.0).inserted }
        }
        self.init(validatedNames: fields.map { $0.0 }, tensors: fields.map { $0.1 })
    }

    /// A group from a dictionary literal, in the literal's order.
    ///
    /// - Parameter elements: the name–tensor pairs of the literal; the names must be unique.
    ///
    /// ```swift
    /// let group: TensorGroup = ["image": images, "features": features]
    /// ```
    public init(dictionaryLiteral elements: (String, Tensor)...) {
        self.init(elements)
    }

    /// A group whose names are known to be unique.
    init(validatedNames names: [String], tensors: [Tensor]) {
        self.names = names
        self.tensors = tensors
    }

    /// The number of fields.
    ///
    /// ```swift
    /// let fields = group.count
    /// ```
    public var count: Int { names.count }

    /// Whether the group has no fields.
    ///
    /// ```swift
    /// if group.isEmpty { print("nothing to feed") }
    /// ```
    public var isEmpty: Bool { names.isEmpty }

    /// The tensor named `name`. A missing name is a ``GradusError`` naming it and the group's names
    /// (recorded inside ``GradusError/catching(_:)``, where an empty placeholder comes back; a stop
    /// with the message outside); ``tensor(named:)`` asks without failing.
    ///
    /// - Parameter name: a field's name.
    ///
    /// ```swift
    /// let logits = head(inputs["features"])
    /// ```
    public subscript(name: String) -> Tensor {
        checked {
            guard let i = names.firstIndex(of: name) else {
                throw GradusError(.invalidArgument, "TensorGroup: no tensor named \"\(name)\"; the group holds \(names)")
            }
            return tensors[i]
        }
    }

    /// The tensor named `name`, or nil when the group has no such field.
    ///
    /// - Parameter name: a field's name.
    ///
    /// ```swift
    /// let mask = inputs.tensor(named: "mask") ?? Tensor.ones([n, length])
    /// ```
    public func tensor(named name: String) -> Tensor? {
        names.firstIndex(of: name).map { tensors[$0] }
    }

    /// The same names with each tensor transformed.
    ///
    /// ```swift
    /// let batchOfOne = sample.mapTensors { $0.unsqueeze(0) }
    /// ```
    public func mapTensors(_ transform: (Tensor) throws -> Tensor) rethrows -> TensorGroup {
        TensorGroup(validatedNames: names, tensors: try tensors.map(transform))
    }

    /// The size of the first field's first dimension: the number of samples of a batch (0 when empty).
    var leadingCount: Int { tensors.first?.shape.first ?? 0 }

    // MARK: Sequence

    /// Iterates the fields of a ``TensorGroup`` in order, as (name, tensor) pairs.
    public struct Iterator: IteratorProtocol {
        let group: TensorGroup
        var position = 0

        /// The next field, or nil after the last.
        public mutating func next() -> (name: String, tensor: Tensor)? {
            guard position < group.names.count else { return nil }
            defer { position += 1 }
            return (name: group.names[position], tensor: group.tensors[position])
        }
    }

    /// An iterator over the fields in order.
    ///
    /// ```swift
    /// for (name, tensor) in group { print(name, tensor.shape) }
    /// ```
    public func makeIterator() -> Iterator { Iterator(group: self) }

    /// The number of fields.
    public var underestimatedCount: Int { names.count }

    // MARK: Collatable

    /// Groups with the same names (in the same order) batched field by field: each field's tensors are
    /// stacked along a new first dimension (``Tensor/collate(_:)``).
    ///
    /// - Parameter items: at least one group; all with the names of the first, in its order.
    /// - Returns: a group with the same names whose tensors hold the items along their first dimension.
    /// - Throws: ``GradusError`` naming the first item whose names differ from item 0's (the field it
    ///   lacks or adds, or the other order), or the field and item whose shapes do not match.
    ///
    /// ```swift
    /// let a: TensorGroup = ["x": Tensor([1, 2]), "m": Tensor([1])]
    /// let b: TensorGroup = ["x": Tensor([3, 4]), "m": Tensor([0])]
    /// let batch = try TensorGroup.collate([a, b])   // x: [2, 2], m: [2, 1]
    /// ```
    public static func collate(_ items: [TensorGroup]) throws -> TensorGroup {
        try require(!items.isEmpty, "TensorGroup.collate: needs at least one item")
        let first = items[0]
        for (k, item) in items.enumerated().dropFirst() where item.names != first.names {
            throw GradusError(.invalidArgument, "TensorGroup.collate: " + difference(item.names, item: k, expected: first.names))
        }
        var fields: [Tensor] = []
        fields.reserveCapacity(first.count)
        for (j, name) in first.names.enumerated() {
            do {
                fields.append(try Tensor.collate(items.map { $0.tensors[j] }))
            } catch let error as GradusError {
                throw GradusError(error.kind, "TensorGroup.collate: field \"\(name)\": \(error.message)")
            }
        }
        return TensorGroup(validatedNames: first.names, tensors: fields)
    }

    /// How item `k`'s names differ from item 0's, for an error message.
    static func difference(_ names: [String], item k: Int, expected: [String]) -> String {
        let both = "(item \(k): \(names), item 0: \(expected))"
        if let missing = expected.first(where: { !names.contains($0) }) {
            return "item \(k) has no field \"\(missing)\" \(both)"
        }
        if let extra = names.first(where: { !expected.contains($0) }) {
            return "item \(k) has a field \"\(extra)\" that item 0 lacks \(both)"
        }
        return "item \(k) has the fields in another order \(both)"
    }

    /// A group without fields: what a failed batch gives inside a ``GradusError/catching(_:)`` scope.
    ///
    /// ```swift
    /// let nothing = TensorGroup.emptyPlaceholder
    /// ```
    public static var emptyPlaceholder: TensorGroup { TensorGroup(validatedNames: [], tensors: []) }

    // MARK: Description

    /// The fields with their shapes and dtypes, e.g. `TensorGroup(image: [32, 1, 8, 8] float32, features: [32, 3] float32)`.
    public var description: String {
        "TensorGroup(" + zip(names, tensors).map { "\($0): \($1.shape) \($1.dtype)" }.joined(separator: ", ") + ")"
    }
}
