import Foundation

/// The hyperparameters a study searches over: named ``Parameter``s, each a distribution, in a fixed
/// order (the order of the flags or of the JSON file).
///
/// **Flag form** (`gradus tune --space NAME=SPEC`, ``parse(_:)``):
/// - `loguniform:LOW:HIGH` — real, uniform in log space (`lr=loguniform:1e-4:1e-1`); 0 < LOW < HIGH.
/// - `uniform:LOW:HIGH` — real, uniform (`dropout=uniform:0:0.5`); LOW < HIGH.
/// - `int:LOW:HIGH` — whole number in LOW...HIGH inclusive (`epochs=int:3:10`); `int:LOW:HIGH:log`
///   draws it uniformly in log space (LOW ≥ 1).
/// - `choice:A,B,C` — one of the listed values (`optimizer=choice:sgd,adam`, `batch-size=choice:16,32,64`).
///   When a value itself holds commas (a list of hidden sizes), separate the choices with `|`:
///   `hidden=choice:64|128,64|256,128`.
///
/// **JSON file** (`--space-file`, ``parse(json:)``): an object with an array `parameters`, whose
/// elements are objects `{"name", "type", ...}` or flag strings:
/// ```json
/// {"parameters": [
///   {"name": "lr", "type": "loguniform", "low": 0.0001, "high": 0.1},
///   {"name": "epochs", "type": "int", "low": 3, "high": 10, "log": false},
///   {"name": "batch-size", "type": "choice", "values": [16, 32, 64]},
///   {"name": "optimizer", "type": "choice", "values": ["sgd", "adam"]},
///   "weight-decay=loguniform:1e-6:1e-2"
/// ]}
/// ```
/// `type` is `loguniform`, `uniform`, `int` (with an optional `log`) or `choice` (also `categorical`);
/// choice values may be strings or numbers.
///
/// The names a training run understands (``tunableNames``) are applied to a ``RunConfig`` by
/// ``apply(_:to:)``; a space for another purpose (a synthetic objective) may use any names.
///
/// ```swift
/// let space = try SearchSpace.parse(["lr=loguniform:1e-4:1e-1", "hidden=choice:64,128,256", "epochs=int:3:10"])
/// let space2 = try SearchSpace([.init(name: "x", parameter: .uniform(0, 1))])
/// ```
public struct SearchSpace: Sendable, Equatable, Codable {
    /// The distribution of one hyperparameter.
    public enum Parameter: Sendable, Equatable, Hashable {
        /// A real number uniform in [low, high].
        case uniform(Double, Double)
        /// A real number whose logarithm is uniform in [log low, log high]; 0 < low < high.
        case logUniform(Double, Double)
        /// A whole number in low...high (inclusive), uniform, or uniform in log space with `log`.
        case int(Int, Int, log: Bool = false)
        /// One of the listed values.
        case categorical([String])

        /// The parameter in flag form, e.g. `loguniform:0.0001:0.1` or `choice:sgd,adam`.
        public var specText: String {
            switch self {
            case let .uniform(lo, hi): return "uniform:\(lo):\(hi)"
            case let .logUniform(lo, hi): return "loguniform:\(lo):\(hi)"
            case let .int(lo, hi, log): return "int:\(lo):\(hi)" + (log ? ":log" : "")
            case let .categorical(values):
                return "choice:" + values.joined(separator: values.contains { $0.contains(",") } ? "|" : ",")
            }
        }

        /// Checks the bounds (finite, ordered, positive for log scales) and the choices (at least one,
        /// no duplicates); the ``TrainingError`` names `name`.
        public func validate(name: String) throws {
            switch self {
            case let .uniform(lo, hi):
                guard lo.isFinite, hi.isFinite else {
                    throw TrainingError("search space \(name): the bounds must be finite numbers, got \(lo) and \(hi)")
                }
                guard lo < hi else { throw TrainingError("search space \(name): the low bound \(lo) must be below the high bound \(hi)") }
            case let .logUniform(lo, hi):
                guard lo.isFinite, hi.isFinite else {
                    throw TrainingError("search space \(name): the bounds must be finite numbers, got \(lo) and \(hi)")
                }
                guard lo > 0 else { throw TrainingError("search space \(name): a log-uniform low bound must be positive, got \(lo)") }
                guard lo < hi else { throw TrainingError("search space \(name): the low bound \(lo) must be below the high bound \(hi)") }
            case let .int(lo, hi, log):
                let m = SearchSpace.maxInteger
                guard lo >= -m, lo <= m, hi >= -m, hi <= m else {
                    throw TrainingError("search space \(name): whole-number bounds must lie within ±\(SearchSpace.maxInteger), got \(lo) and \(hi)")
                }
                guard lo <= hi else { throw TrainingError("search space \(name): the low bound \(lo) must not exceed the high bound \(hi)") }
                if log, lo < 1 { throw TrainingError("search space \(name): a log-scale whole number needs a low bound of at least 1, got \(lo)") }
            case let .categorical(values):
                guard !values.isEmpty else { throw TrainingError("search space \(name): a choice needs at least one value") }
                guard values.count <= SearchSpace.maxChoices else {
                    throw TrainingError("search space \(name): \(values.count) choices; at most \(SearchSpace.maxChoices)")
                }
                if let empty = values.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                    throw TrainingError("search space \(name): choice \(empty + 1) is empty")
                }
                var seen = Set<String>()
                for v in values where !seen.insert(v).inserted {
                    throw TrainingError("search space \(name): the choice '\(v)' is listed twice")
                }
            }
        }
    }

    /// A named parameter.
    public struct Dimension: Sendable, Equatable {
        /// The hyperparameter's name, e.g. `lr`.
        public var name: String
        /// Its distribution.
        public var parameter: Parameter

        /// Creates a named parameter.
        ///
        /// ```swift
        /// let d = SearchSpace.Dimension(name: "lr", parameter: .logUniform(1e-4, 1e-1))
        /// ```
        public init(name: String, parameter: Parameter) {
            self.name = name
            self.parameter = parameter
        }
    }

    /// The parameters, in order.
    public private(set) var dimensions: [Dimension]

    /// The largest magnitude of a whole-number bound.
    public static let maxInteger = 1 << 40
    /// The largest number of choices of one parameter.
    public static let maxChoices = 10_000
    /// The largest number of parameters.
    public static let maxDimensions = 64

    /// Creates a space after checking every parameter (see ``validate()``).
    ///
    /// - Parameter dimensions: the named parameters, in order.
    /// - Throws: ``TrainingError`` naming a bad bound, choice or name.
    ///
    /// ```swift
    /// let space = try SearchSpace([.init(name: "lr", parameter: .logUniform(1e-4, 1e-1)),
    ///                              .init(name: "epochs", parameter: .int(3, 10))])
    /// ```
    public init(_ dimensions: [Dimension]) throws {
        self.dimensions = dimensions
        try validate()
    }

    /// The parameters' names, in order.
    public var names: [String] { dimensions.map(\.name) }

    /// The distribution named `name`, or nil.
    public subscript(name: String) -> Parameter? { dimensions.first { $0.name == name }?.parameter }

    /// Checks the names (non-empty, letters, digits, `-`, `_` and `.`, no duplicates, at most
    /// ``maxDimensions``) and every parameter.
    ///
    /// - Throws: ``TrainingError`` naming the problem.
    public func validate() throws {
        guard !dimensions.isEmpty else { throw TrainingError("the search space is empty; give at least one parameter, e.g. --space lr=loguniform:1e-4:1e-1") }
        guard dimensions.count <= Self.maxDimensions else {
            throw TrainingError("the search space has \(dimensions.count) parameters; at most \(Self.maxDimensions)")
        }
        var seen = Set<String>()
        for d in dimensions {
            guard !d.name.isEmpty, d.name.count <= 64,
                  d.name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                throw TrainingError("search space: '\(d.name)' is not a parameter name (letters, digits, '-', '_' and '.', at most 64)")
            }
            guard seen.insert(d.name).inserted else { throw TrainingError("search space: the parameter \(d.name) is given twice") }
            try d.parameter.validate(name: d.name)
        }
    }

    // MARK: - Flag form

    /// Parses `NAME=SPEC` strings (see the type's documentation).
    ///
    /// - Parameter specs: one string per parameter, e.g. `lr=loguniform:1e-4:1e-1`.
    /// - Returns: the validated space.
    /// - Throws: ``TrainingError`` naming the string and what is wrong with it.
    ///
    /// ```swift
    /// let space = try SearchSpace.parse(["lr=loguniform:1e-4:1e-1", "optimizer=choice:sgd,adam"])
    /// ```
    public static func parse(_ specs: [String]) throws -> SearchSpace {
        try SearchSpace(specs.map(parseDimension))
    }

    /// Parses one `NAME=SPEC` string.
    ///
    /// ```swift
    /// let d = try SearchSpace.parseDimension("epochs=int:3:10")
    /// ```
    public static func parseDimension(_ text: String) throws -> Dimension {
        guard let eq = text.firstIndex(of: "=") else {
            throw TrainingError("search space '\(text)': expected NAME=SPEC, e.g. lr=loguniform:1e-4:1e-1")
        }
        let name = text[..<eq].trimmingCharacters(in: .whitespaces)
        let spec = text[text.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        guard let colon = spec.firstIndex(of: ":") else {
            throw TrainingError("search space '\(text)': expected KIND:ARGUMENTS after '=', with KIND loguniform, uniform, int or choice")
        }
        let kind = spec[..<colon].lowercased()
        let rest = String(spec[spec.index(after: colon)...])
        func bounds(_ example: String) throws -> (Double, Double) {
            let parts = rest.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { throw TrainingError("search space '\(text)': expected \(kind):LOW:HIGH, e.g. \(example)") }
            guard let lo = Double(parts[0]) else { throw TrainingError("search space '\(text)': the low bound '\(parts[0])' is not a number") }
            guard let hi = Double(parts[1]) else { throw TrainingError("search space '\(text)': the high bound '\(parts[1])' is not a number") }
            return (lo, hi)
        }
        let parameter: Parameter
        switch kind {
        case "loguniform", "log-uniform", "logfloat":
            let (lo, hi) = try bounds("\(name)=loguniform:1e-4:1e-1")
            parameter = .logUniform(lo, hi)
        case "uniform", "float":
            let (lo, hi) = try bounds("\(name)=uniform:0:0.5")
            parameter = .uniform(lo, hi)
        case "int", "integer":
            let parts = rest.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 || (parts.count == 3 && parts[2].lowercased() == "log") else {
                throw TrainingError("search space '\(text)': expected int:LOW:HIGH or int:LOW:HIGH:log, e.g. \(name)=int:3:10")
            }
            guard let lo = Int(parts[0]) else { throw TrainingError("search space '\(text)': the low bound '\(parts[0])' is not a whole number") }
            guard let hi = Int(parts[1]) else { throw TrainingError("search space '\(text)': the high bound '\(parts[1])' is not a whole number") }
            parameter = .int(lo, hi, log: parts.count == 3)
        case "choice", "categorical":
            let separator: Character = rest.contains("|") ? "|" : ","
            let values = rest.split(separator: separator, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            parameter = .categorical(values)
        default:
            throw TrainingError("search space '\(text)': unknown kind '\(kind)'; use loguniform, uniform, int or choice")
        }
        do {
            try parameter.validate(name: name)
        } catch let e as TrainingError {
            throw TrainingError(e.message + " (in '\(text)')")
        }
        return Dimension(name: name, parameter: parameter)
    }

    // MARK: - JSON

    /// Parses the JSON form (see the type's documentation).
    ///
    /// - Parameter json: the text.
    /// - Returns: the validated space.
    /// - Throws: ``TrainingError`` naming what is malformed.
    ///
    /// ```swift
    /// let space = try SearchSpace.parse(json: #"{"parameters": ["lr=loguniform:1e-4:1e-1"]}"#)
    /// ```
    public static func parse(json: String) throws -> SearchSpace {
        do {
            return try JSONDecoder().decode(SearchSpace.self, from: Data(json.utf8))
        } catch let e as TrainingError {
            throw e
        } catch let DecodingError.dataCorrupted(context) {
            throw TrainingError("search space JSON: \(context.debugDescription) \(Self.path(context.codingPath))")
        } catch let DecodingError.keyNotFound(key, context) {
            throw TrainingError("search space JSON: the key '\(key.stringValue)' is missing \(Self.path(context.codingPath))")
        } catch let DecodingError.typeMismatch(_, context) {
            throw TrainingError("search space JSON: \(context.debugDescription) \(Self.path(context.codingPath))")
        } catch let DecodingError.valueNotFound(_, context) {
            throw TrainingError("search space JSON: a value is missing \(Self.path(context.codingPath))")
        } catch {
            throw TrainingError("search space JSON: \(error)")
        }
    }

    /// Reads a JSON file (see ``parse(json:)``).
    ///
    /// ```swift
    /// let space = try SearchSpace.load(file: "space.json")
    /// ```
    public static func load(file: String) throws -> SearchSpace {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file) else {
            throw DataError(.io, file: file, "no such file")
        }
        if let size = (attributes[.size] as? NSNumber)?.intValue, size > 1 << 20 {
            throw DataError(.tooLarge, file: file, "a search space file of \(size) bytes; at most 1 MiB")
        }
        guard let data = FileManager.default.contents(atPath: file) else { throw DataError(.io, file: file, "cannot read the file") }
        do {
            return try parse(json: String(decoding: data, as: UTF8.self))
        } catch let e as TrainingError {
            throw TrainingError("\(file): " + e.message)
        }
    }

    /// The space as JSON text (objects, in order), as the study journal stores it.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.isEmpty ? "" : "(at " + codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") + ")"
    }

    private enum CodingKeys: String, CodingKey { case parameters }
    private enum DimensionKeys: String, CodingKey { case name, type, low, high, log, values }

    /// A JSON choice value: a string or a number.
    private struct ChoiceValue: Decodable {
        let text: String
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) {
                text = s
            } else if let i = try? c.decode(Int.self) {
                text = String(i)
            } else {
                text = "\(try c.decode(Double.self))"
            }
        }
    }

    /// One element of `parameters`: a flag string or an object.
    private struct DimensionJSON: Decodable {
        let dimension: Dimension
        init(from decoder: any Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                dimension = try SearchSpace.parseDimension(text)
                return
            }
            let c = try decoder.container(keyedBy: DimensionKeys.self)
            let name = try c.decode(String.self, forKey: .name)
            let type = try c.decode(String.self, forKey: .type).lowercased()
            func bound(_ key: DimensionKeys) throws -> Double {
                guard let v = try c.decodeIfPresent(Double.self, forKey: key) else {
                    throw TrainingError("search space \(name): the \(type) parameter needs '\(key.stringValue)'")
                }
                return v
            }
            func whole(_ key: DimensionKeys) throws -> Int {
                let v = try bound(key)
                guard v == v.rounded(), abs(v) <= Double(SearchSpace.maxInteger) else {
                    throw TrainingError("search space \(name): '\(key.stringValue)' must be a whole number within ±\(SearchSpace.maxInteger), got \(v)")
                }
                return Int(v)
            }
            let parameter: Parameter
            switch type {
            case "loguniform", "log-uniform": parameter = .logUniform(try bound(.low), try bound(.high))
            case "uniform", "float": parameter = .uniform(try bound(.low), try bound(.high))
            case "int", "integer": parameter = .int(try whole(.low), try whole(.high), log: try c.decodeIfPresent(Bool.self, forKey: .log) ?? false)
            case "choice", "categorical":
                guard let values = try c.decodeIfPresent([ChoiceValue].self, forKey: .values) else {
                    throw TrainingError("search space \(name): a choice needs 'values'")
                }
                parameter = .categorical(values.map(\.text))
            default:
                throw TrainingError("search space \(name): unknown type '\(type)'; use loguniform, uniform, int or choice")
            }
            try parameter.validate(name: name)
            dimension = Dimension(name: name, parameter: parameter)
        }
    }

    /// Decodes the JSON form and validates it.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dimensions = try c.decode([DimensionJSON].self, forKey: .parameters).map(\.dimension)
        try validate()
    }

    /// Encodes the JSON form (objects).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        var list = c.nestedUnkeyedContainer(forKey: .parameters)
        for d in dimensions {
            var o = list.nestedContainer(keyedBy: DimensionKeys.self)
            try o.encode(d.name, forKey: .name)
            switch d.parameter {
            case let .uniform(lo, hi):
                try o.encode("uniform", forKey: .type)
                try o.encode(lo, forKey: .low)
                try o.encode(hi, forKey: .high)
            case let .logUniform(lo, hi):
                try o.encode("loguniform", forKey: .type)
                try o.encode(lo, forKey: .low)
                try o.encode(hi, forKey: .high)
            case let .int(lo, hi, log):
                try o.encode("int", forKey: .type)
                try o.encode(lo, forKey: .low)
                try o.encode(hi, forKey: .high)
                try o.encode(log, forKey: .log)
            case let .categorical(values):
                try o.encode("choice", forKey: .type)
                try o.encode(values, forKey: .values)
            }
        }
    }

    // MARK: - Values

    /// Checks that `parameters` gives every parameter of the space (and nothing else) a value inside its
    /// distribution, and returns them as the kind each draws: `.double` for real parameters, `.int` for
    /// whole numbers, `.string` for choices (numbers read back from JSON are converted).
    ///
    /// - Throws: ``TrainingError`` naming the missing, extra or out-of-range value.
    ///
    /// ```swift
    /// let values = try space.normalize(["lr": .int(0)])   // throws: lr 0 is outside [0.0001, 0.1]
    /// ```
    public func normalize(_ parameters: [String: TrialValue]) throws -> [String: TrialValue] {
        let extra = parameters.keys.filter { self[$0] == nil }.sorted()
        guard extra.isEmpty else {
            throw TrainingError("values for \(extra.joined(separator: ", ")), which the search space (\(names.joined(separator: ", "))) does not have")
        }
        var out: [String: TrialValue] = [:]
        for d in dimensions {
            guard let value = parameters[d.name] else { throw TrainingError("no value for the parameter \(d.name)") }
            switch d.parameter {
            case let .uniform(lo, hi), let .logUniform(lo, hi):
                guard let x = value.number, x.isFinite, x >= lo, x <= hi else {
                    throw TrainingError("\(d.name) = \(value) is outside [\(lo), \(hi)]")
                }
                out[d.name] = .double(x)
            case let .int(lo, hi, _):
                guard let x = value.number, x.isFinite, x == x.rounded(), x >= Double(lo), x <= Double(hi) else {
                    throw TrainingError("\(d.name) = \(value) is not a whole number in \(lo)...\(hi)")
                }
                out[d.name] = .int(Int(x))
            case let .categorical(values):
                let text = value.description
                guard values.contains(text) else {
                    throw TrainingError("\(d.name) = \(value) is not one of the choices \(values.joined(separator: ", "))")
                }
                out[d.name] = .string(text)
            }
        }
        return out
    }
}
