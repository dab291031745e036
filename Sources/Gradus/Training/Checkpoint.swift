/// A training checkpoint in one safetensors file: the model's state dictionary, the optimizer's state,
/// extra tensors (e.g. standardization statistics), the epoch and step counters, the global random
/// generator's state, and string metadata (e.g. the run's configuration as JSON), so that a run can be
/// resumed exactly and a model rebuilt from the file alone.
///
/// Layout: tensors `model.<name>`, `optimizer.<name>`, `extra.<name>`; metadata `gradus.checkpoint`,
/// `gradus.epoch`, `gradus.step`, `gradus.rng`, `gradus.optimizer.<scalar>`, plus the entries of
/// ``metadata`` (whose keys must not start with `gradus.`). Any safetensors reader can open it.
///
/// ```swift
/// let checkpoint = Checkpoint(model: model.stateDict(), optimizer: optimizer.stateDict(),
///                             epoch: 3, step: 135, metadata: ["note": "digits"])
/// try checkpoint.save(to: "run/checkpoint.safetensors")
/// let restored = try Checkpoint.load("run/checkpoint.safetensors")
/// try model.loadStateDict(restored.model)
/// ```
public struct Checkpoint: @unchecked Sendable {
    /// The model's state dictionary.
    public var model: [String: Tensor]
    /// The optimizer's state.
    public var optimizer: OptimizerState
    /// Other tensors to keep with the model.
    public var extra: [String: Tensor]
    /// The number of completed epochs.
    public var epoch: Int
    /// The number of optimizer steps taken.
    public var step: Int
    /// The state of the global generator (``Random/state``) when the checkpoint was made.
    public var rngState: [UInt64]
    /// The progress of the epoch under way when the checkpoint was written mid-epoch (an interrupted
    /// run), or nil at an epoch boundary.
    public var unfinishedEpoch: EpochProgress? = nil
    /// Free-form string entries; keys must not start with `gradus.`.
    public var metadata: [String: String]

    /// The format version written in `gradus.checkpoint`.
    public static let formatVersion = "1"

    /// Creates a checkpoint.
    ///
    /// - Parameters:
    ///   - model: the model's state dictionary.
    ///   - optimizer: the optimizer's state (empty when only the model is kept).
    ///   - extra: other tensors.
    ///   - epoch: completed epochs.
    ///   - step: optimizer steps taken.
    ///   - rngState: the global generator's state (default: the current one).
    ///   - metadata: string entries.
    ///
    /// ```swift
    /// let c = Checkpoint(model: model.stateDict())
    /// ```
    public init(model: [String: Tensor], optimizer: OptimizerState = OptimizerState(), extra: [String: Tensor] = [:],
                epoch: Int = 0, step: Int = 0, rngState: [UInt64] = Random.state, metadata: [String: String] = [:]) {
        var metadata = metadata
        if let reserved = metadata.keys.sorted().first(where: { $0.hasPrefix("gradus.") }),
           !validSetting(false, "Checkpoint: metadata keys starting with 'gradus.' are reserved, got '\(reserved)'") {
            metadata = metadata.filter { !$0.key.hasPrefix("gradus.") }
        }
        self.model = model
        self.optimizer = optimizer
        self.extra = extra
        self.epoch = epoch
        self.step = step
        self.rngState = rngState
        self.metadata = metadata
    }

    /// The flat tensors and metadata written to the file.
    public func encoded() -> (tensors: [String: Tensor], metadata: [String: String]) {
        var tensors: [String: Tensor] = [:]
        for (k, v) in model { tensors["model." + k] = v }
        for (k, v) in optimizer.tensors { tensors["optimizer." + k] = v }
        for (k, v) in extra { tensors["extra." + k] = v }
        var meta = metadata
        meta["gradus.checkpoint"] = Self.formatVersion
        meta["gradus.epoch"] = String(epoch)
        meta["gradus.step"] = String(step)
        meta["gradus.rng"] = rngState.map(String.init).joined(separator: ",")
        for (k, v) in optimizer.scalars { meta["gradus.optimizer." + k] = "\(v)" }
        if let unfinishedEpoch { meta["gradus.partial"] = unfinishedEpoch.text }
        return (tensors, meta)
    }

    /// Writes the checkpoint atomically (a crash leaves the old file or the new one, never half of one).
    ///
    /// - Parameter path: the file to write.
    /// - Throws: ``DataError`` when the file cannot be written.
    ///
    /// ```swift
    /// try checkpoint.save(to: "checkpoint.safetensors")
    /// ```
    public func save(to path: String) throws {
        let (tensors, meta) = encoded()
        try SafeTensors.save(tensors, metadata: meta, to: path)
    }

    /// Reads a checkpoint written by ``save(to:)``.
    ///
    /// - Parameter path: the file.
    /// - Returns: the checkpoint.
    /// - Throws: ``DataError`` when the file is missing, malformed, or not a Gradus checkpoint.
    ///
    /// ```swift
    /// let c = try Checkpoint.load("runs/digits-mlp/checkpoint.safetensors")
    /// ```
    public static func load(_ path: String) throws -> Checkpoint {
        try decode(SafeTensors.load(path), file: path)
    }

    /// Rebuilds a checkpoint from decoded safetensors contents; `file` names it in errors.
    ///
    /// ```swift
    /// let c = try Checkpoint.decode(SafeTensors.decode(bytes, file: "x"), file: "x")
    /// ```
    public static func decode(_ contents: SafeTensors.Contents, file: String) throws -> Checkpoint {
        let meta = contents.metadata
        guard let version = meta["gradus.checkpoint"] else {
            throw DataError(.badHeader, file: file, "not a Gradus training checkpoint (no gradus.checkpoint metadata)")
        }
        guard version == formatVersion else {
            throw DataError(.unsupported, file: file, "checkpoint format \(version) is not supported (expected \(formatVersion))")
        }
        func integer(_ key: String) throws -> Int {
            guard let s = meta[key], let v = Int(s), v >= 0, v <= 1 << 50 else {
                throw DataError(.badHeader, file: file, "metadata \(key) is missing or not an integer in 0...2^50")
            }
            return v
        }
        let rngText = meta["gradus.rng"] ?? ""
        let fields = rngText.split(separator: ",", omittingEmptySubsequences: false)
        let rng = fields.compactMap { UInt64($0) }
        guard fields.count == 4, rng.count == 4, rng.contains(where: { $0 != 0 }) else {
            throw DataError(.badHeader, file: file, "metadata gradus.rng must hold 4 integers, not all zero (xoshiro's state), got '\(rngText)'")
        }
        var model: [String: Tensor] = [:], extra: [String: Tensor] = [:]
        var optimizer = OptimizerState()
        for (k, v) in contents.tensors {
            if k.hasPrefix("model.") { model[String(k.dropFirst(6))] = v }
            else if k.hasPrefix("optimizer.") { optimizer.tensors[String(k.dropFirst(10))] = v }
            else if k.hasPrefix("extra.") { extra[String(k.dropFirst(6))] = v }
            else { throw DataError(.badHeader, file: file, "unexpected tensor '\(k)' (expected model., optimizer. or extra. names)") }
        }
        var user: [String: String] = [:]
        for (k, v) in meta {
            if k.hasPrefix("gradus.optimizer.") {
                // Counts, options and rates within 1e15; a group's initial rate only finite: it is the rate
                // the run was configured with, saved as given, and a run that diverged on an absurd rate
                // (and was decayed by its schedule) must still load.
                let isInitialRate = k.hasSuffix(".initialLR")
                guard let d = Double(v), d.isFinite, isInitialRate || abs(d) <= 1e15 else {
                    throw DataError(.badHeader, file: file, "metadata \(k) is not a finite number of reasonable size: '\(v)'")
                }
                optimizer.scalars[String(k.dropFirst(17))] = d
            } else if !k.hasPrefix("gradus.") {
                user[k] = v
            }
        }
        var checkpoint = Checkpoint(model: model, optimizer: optimizer, extra: extra, epoch: try integer("gradus.epoch"),
                                    step: try integer("gradus.step"), rngState: rng, metadata: user)
        if let text = meta["gradus.partial"] {
            guard let progress = EpochProgress(text: text) else {
                throw DataError(.badHeader, file: file, "metadata gradus.partial '\(text)' is not a valid epoch progress record")
            }
            checkpoint.unfinishedEpoch = progress
        }
        return checkpoint
    }
}
