import ArgumentParser
import Foundation
import Gradus

/// Reading the raw inputs of `predict` and `explain` from a CSV or NumPy file.
enum InputFile {
    /// The rows of `path` as a tensor `[n, ...]` (or one sample), in the feature order of `trained`.
    static func read(_ path: String, for trained: TrainedModel) throws -> Tensor {
        let lower = path.lowercased()
        if lower.hasSuffix(".npy") { return try NPYReader.read(path) }
        if lower.hasSuffix(".npz") {
            let arrays = try NPZReader.read(path)
            for key in ["x", "x.npy", "x_test", "x_test.npy"] { if let x = arrays[key] { return x } }
            guard arrays.count == 1, let only = arrays.values.first else {
                throw DataError(.badHeader, file: path, "expected an array named x, found \(arrays.keys.sorted())")
            }
            return only
        }
        return try readCSV(path, featureNames: trained.featureNames, target: trained.config.data.target)
    }

    /// The named input arrays of a model with several inputs from an `.npz` file: `<name>` or, when
    /// absent, `<name>_test` for each of the model's inputs.
    static func readGroup(_ path: String, for trained: TrainedModel) throws -> TensorGroup {
        var isDir: ObjCBool = false
        var arrays: [String: Tensor] = [:]
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            // A folder of <name>.npy files.
            for input in trained.config.model.inputs ?? [] {
                for name in [input.name, input.name + "_test"] {
                    let file = (path as NSString).appendingPathComponent(name + ".npy")
                    if FileManager.default.fileExists(atPath: file) { arrays[name] = try NPYReader.read(file) }
                }
            }
        } else {
            guard path.lowercased().hasSuffix(".npz") else {
                throw DataError(.badHeader, file: path, "a model with several inputs reads them from an .npz file (or a folder of .npy files) with named arrays")
            }
            arrays = try NPZReader.read(path)
        }
        let names = (trained.config.model.inputs ?? []).map(\.name)
        return TensorGroup(try names.map { name in
            guard let x = arrays[name] ?? arrays[name + ".npy"] ?? arrays[name + "_test"] ?? arrays[name + "_test.npy"] else {
                throw DataError(.badHeader, file: path, "no array named \(name) (or \(name)_test); the model takes \(names), the file holds \(arrays.keys.sorted())")
            }
            return (name, x)
        })
    }

    /// `raw` named inputs prepared for `trained`, an error naming `path` otherwise; and the rows chosen.
    static func prepareGroup(_ raw: TensorGroup, from path: String, for trained: TrainedModel, index: Int?) throws -> (TensorGroup, [Int]) {
        let counts = Set(raw.tensors.map { $0.shape.first ?? 0 })
        guard counts.count == 1, let n = counts.first else {
            throw DataError(.badHeader, file: path, "the input arrays \(raw.names) have different numbers of rows")
        }
        var group = raw
        var rows = Array(0..<n)
        if let index {
            guard index >= 0, index < n else { throw ValidationError("--index \(index) is out of range: the input has \(n) samples (0..<\(n))") }
            group = raw.mapTensors { $0.select(axis: 0, index: index).unsqueeze(0) }
            rows = [index]
        }
        do {
            return (try trained.prepare(group), rows)
        } catch let error as GradusError {
            throw DataError(.badHeader, file: path, error.message)
        }
    }

    /// Reads CSV rows; columns are matched to `featureNames` by name; a target column is ignored.
    static func readCSV(_ path: String, featureNames: [String]?, target: String?) throws -> Tensor {
        let text = try CSVReader.text(of: path, maxBytes: ReaderLimits.defaultMaxBytes)
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: true)
        guard let headerLine = lines.first else { throw DataError(.parse, file: path, "the file is empty") }
        let header = headerLine.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let dummy = "__gradus_no_target__"
        let useTarget = target.flatMap { header.contains($0) ? $0 : nil } ?? dummy
        let augmented = useTarget == dummy ? lines.enumerated().map { i, l in l + (i == 0 ? "," + dummy : ",0") } : lines.map(String.init)
        let table = try CSVReader.parse(augmented.joined(separator: "\n"), file: path, targetColumn: useTarget)
        guard let names = featureNames else { return table.features }
        var columns: [Int] = []
        for name in names {
            guard let k = table.featureNames.firstIndex(of: name) else {
                throw DataError(.parse, file: path, "no column named \"\(name)\"; the model needs the columns \(names)")
            }
            columns.append(k)
        }
        return table.features.indexSelect(axis: 1, index: Tensor(labels: columns))
    }

    /// `raw` prepared for `trained` (see ``TrainedModel/prepare(_:)``), an error naming `path` otherwise.
    static func prepare(_ raw: Tensor, from path: String, for trained: TrainedModel) throws -> Tensor {
        let per = trained.config.model.inputFeatures
        do {
            return try trained.prepare(raw.count == per ? raw.reshape([1, per]) : raw)
        } catch let error as TrainingError {
            throw TrainingError("\(path): \(error.message)")
        }
    }

    /// The sample `index` of `batch`, or all rows when nil.
    static func select(_ batch: Tensor, index: Int?) throws -> (Tensor, [Int]) {
        let n = batch.shape[0]
        guard let index else { return (batch, Array(0..<n)) }
        guard index >= 0, index < n else { throw ValidationError("--index \(index) is out of range: the input has \(n) samples (0..<\(n))") }
        return (batch.select(axis: 0, index: index).unsqueeze(0), [index])
    }
}
