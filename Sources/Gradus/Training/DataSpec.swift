import Foundation

/// Where a run's data comes from and how it is split, stored in checkpoints so that evaluation finds
/// the same test set.
///
/// Formats:
/// - `digits`: the embedded 8×8 digits (``Digits``), 1,437 training and 360 test images.
/// - `mnist`: a folder with the four MNIST IDX files (``MNIST``): 60,000 + 10,000 images.
/// - `csv`: a CSV file with a header; ``target`` names the target column, the other columns are features;
///   split by ``testFraction``.
/// - `npy`: an `.npz` file holding `x` and `y` (or `x_train`, `y_train`, `x_test`, `y_test`), or a folder
///   holding `x.npy` and `y.npy` (or the four split files); images may be `[n, h, w]` or `[n, c, h, w]`.
///
/// ```swift
/// let spec = DataSpec(format: .csv, path: "houses.csv", target: "price")
/// let data = try spec.load(task: .regress)
/// ```
public struct DataSpec: Codable, Sendable, Equatable {
    /// The data formats.
    public enum Format: String, Codable, Sendable, CaseIterable {
        /// The embedded digits.
        case digits
        /// MNIST-format IDX files.
        case mnist
        /// A CSV file.
        case csv
        /// NumPy `.npy` / `.npz` files.
        case npy
        /// A text file (UTF-8), or the embedded corpus without a path: language modelling.
        case text
    }

    /// The format.
    public var format: Format
    /// The file or folder (nil for `digits`).
    public var path: String?
    /// The CSV target column.
    public var target: String?
    /// The fraction held out for testing when the data has no split of its own.
    public var testFraction: Double
    /// The seed of the train/test split.
    public var splitSeed: UInt64
    /// Whether features are standardized with statistics of the training part.
    public var standardize: Bool
    /// A test set of its own (same format and columns as ``path``), or nil to split ``path``.
    public var testPath: String? = nil
    /// When set, the test part is left untouched and replaced by a validation part of this fraction,
    /// carved from the training part (seeded by ``splitSeed``): for choosing hyperparameters or epochs
    /// without looking at the test set ("no peeking").
    public var validationFraction: Double? = nil
    /// Whether regression targets are standardized with the training part's mean and deviation (the
    /// model learns standardized targets; predictions are turned back into data units; losses are
    /// reported in standardized units).
    public var standardizeTarget: Bool? = nil
    /// Text: how characters become tokens (default: a character vocabulary).
    public var tokenizer: TextTokenizer? = nil
    /// Text: tokens per training window (the model's context length).
    public var contextLength: Int? = nil
    /// NPZ with several inputs: the names of the input arrays (each `[N, ...]`; test arrays, when the
    /// file has them, are named `<name>_test`); the target array is ``target`` (default `y`, test
    /// `y_test`).
    public var inputNames: [String]? = nil

    /// Creates a description.
    ///
    /// - Parameters:
    ///   - format: the format (see ``infer(path:)``).
    ///   - path: the file or folder.
    ///   - target: the CSV target column.
    ///   - testFraction: the held-out fraction for data without a split.
    ///   - splitSeed: the split's seed.
    ///   - standardize: standardize features.
    ///
    /// ```swift
    /// let digits = DataSpec(format: .digits)
    /// ```
    public init(format: Format, path: String? = nil, target: String? = nil, testFraction: Double = 0.2,
                splitSeed: UInt64 = 0, standardize: Bool = false) {
        self.format = format
        self.path = path
        self.target = target
        self.testFraction = testFraction
        self.splitSeed = splitSeed
        self.standardize = standardize
    }

    /// Guesses the format of `path`: `digits` for nil, `mnist` for a folder with MNIST files, `npy` for
    /// `.npy`/`.npz` files or folders holding them, `csv` otherwise.
    ///
    /// ```swift
    /// DataSpec.infer(path: "data.csv")   // .csv
    /// ```
    public static func infer(path: String?) -> Format {
        guard let path else { return .digits }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            if names.contains(where: { $0.hasPrefix(MNIST.fileNames.trainImages) }) { return .mnist }
            if names.contains(where: { $0.hasSuffix(".npy") }) { return .npy }
            return .mnist
        }
        let lower = path.lowercased()
        if lower.hasSuffix(".npy") || lower.hasSuffix(".npz") { return .npy }
        if lower.hasSuffix(".txt") || lower.hasSuffix(".txt.gz") { return .text }
        return .csv
    }

    /// Loads the data and splits it into a training and a test part.
    ///
    /// - Parameters:
    ///   - task: classification needs whole-number labels (converted to `int64`).
    ///   - vocabulary: for text, a trained model's vocabulary (characters outside it are refused); nil
    ///     builds it from the whole text.
    /// - Returns: the two parts with their shapes and names.
    /// - Throws: ``DataError`` for unreadable files, ``TrainingError`` for data that does not fit the task.
    ///
    /// ```swift
    /// let data = try DataSpec(format: .digits).load(task: .classify)
    /// ```
    public func load(task: LearningTask, vocabulary: CharacterVocabulary? = nil) throws -> LoadedData {
        guard (format == .text) == (task == .languageModel) else {
            throw TrainingError(format == .text
                ? "text data is for --task language-model"
                : "--task language-model reads text: give a .txt file with --data (or no --data for the embedded corpus)")
        }
        guard testFraction > 0, testFraction < 1 else {
            throw TrainingError("the test fraction must lie strictly between 0 and 1, got \(testFraction)")
        }
        if let fraction = validationFraction {
            guard fraction > 0, fraction < 1 else {
                throw TrainingError("the validation fraction must lie strictly between 0 and 1, got \(fraction)")
            }
            var whole = self
            whole.validationFraction = nil
            let full = try whole.load(task: task)
            guard full.train.count >= 2 else {
                throw TrainingError("\(full.source): \(full.train.count) training sample(s) cannot be split into training and validation parts")
            }
            let parts = try full.train.holdingOut(fraction, seed: splitSeed &+ 0x5EED)
            var data = try LoadedData(train: parts.train, test: parts.validation, imageShape: full.imageShape,
                                      featureNames: full.featureNames, task: task, source: full.source + " (validation split)")
            data.pixelScale = full.pixelScale
            if task == .classify { data.classes = Swift.max(data.classes ?? 0, full.classes ?? 0) }
            return data
        }
        switch format {
        case .text:
            return try loadText(vocabulary: vocabulary)
        case .digits:
            let (train, test) = try Digits.trainTestSplit(seed: splitSeed)
            var data = try LoadedData(train: train, test: test, imageShape: [8, 8], featureNames: nil, task: task, source: "digits")
            data.pixelScale = 1.0 / 16
            return data
        case .mnist:
            let folder = try requirePath()
            let m = try MNIST.load(folder: folder)
            // The files' own image size (28x28 for MNIST and Fashion-MNIST; other IDX sets differ).
            let image = m.trainImages.rank == 3 ? [m.trainImages.shape[1], m.trainImages.shape[2]] : [28, 28]
            var data = try LoadedData(train: TensorDataset(m.trainImages, m.trainLabels),
                                      test: TensorDataset(m.testImages, m.testLabels),
                                      imageShape: image, featureNames: nil, task: task, source: folder)
            data.pixelScale = 1.0 / 255
            return data
        case .csv:
            let file = try requirePath()
            guard let target else { throw TrainingError("CSV data needs --target COLUMN naming the target column") }
            let table = try CSVReader.read(file, targetColumn: target, targetDType: task == .classify ? .int64 : .float32)
            let all = TensorDataset(table.features, table.targets)
            let (train, test): (TensorDataset, TensorDataset)
            if let testPath {
                let other = try CSVReader.read(testPath, targetColumn: target, targetDType: task == .classify ? .int64 : .float32)
                guard other.featureNames == table.featureNames else {
                    throw TrainingError("\(testPath): the test set's columns \(other.featureNames) differ from the training data's \(table.featureNames)")
                }
                (train, test) = (all, TensorDataset(other.features, other.targets))
            } else {
                (train, test) = try split(all)
            }
            return try LoadedData(train: train, test: test, imageShape: nil, featureNames: table.featureNames,
                                  task: task, source: file)
        case .npy where inputNames != nil:
            return try loadNamedInputs(task: task)
        case .npy:
            let path = try requirePath()
            var arrays = try Self.readArrays(path)
            if let testPath {
                // The whole of --data trains; the test file's x and y test.
                let test = try Self.readArrays(testPath)
                guard let x = arrays["x"] ?? arrays["x_train"], let y = arrays["y"] ?? arrays["y_train"],
                      let tx = test["x"] ?? test["x_test"], let ty = test["y"] ?? test["y_test"] else {
                    throw DataError(.badHeader, file: testPath, "expected arrays x and y in both --data and the test set")
                }
                arrays = ["x_train": x, "y_train": y, "x_test": tx, "y_test": ty]
            }
            let pair: (TensorDataset, TensorDataset)
            if let xtr = arrays["x_train"], let ytr = arrays["y_train"], let xte = arrays["x_test"], let yte = arrays["y_test"] {
                pair = (try Self.dataset(xtr, ytr, task: task, file: path), try Self.dataset(xte, yte, task: task, file: path))
            } else if let x = arrays["x"], let y = arrays["y"] {
                pair = try split(try Self.dataset(x, y, task: task, file: path))
            } else {
                throw DataError(.badHeader, file: path,
                                "expected arrays x and y (or x_train, y_train, x_test, y_test), found \(arrays.keys.sorted())")
            }
            let x = pair.0.inputs
            let image: [Int]? = x.rank == 3 ? [x.shape[1], x.shape[2]] : (x.rank == 4 ? [x.shape[2], x.shape[3]] : nil)
            // Integer images whose values are 8-bit pixels are scaled to [0, 1], as the MNIST files are.
            let rawInputs = [arrays["x_train"], arrays["x_test"], arrays["x"]].compactMap { $0 }
            let pixels = image != nil && rawInputs.allSatisfy { Self.holdsPixels($0) }
            var data = try LoadedData(train: pixels ? TensorDataset(pair.0.inputs * (1.0 / 255), pair.0.targets) : pair.0,
                                      test: pixels ? TensorDataset(pair.1.inputs * (1.0 / 255), pair.1.targets) : pair.1,
                                      imageShape: image, featureNames: nil, task: task, source: path)
            if pixels { data.pixelScale = 1.0 / 255 }
            return data
        }
    }

    /// Several named input arrays of one `.npz` file (or folder of `.npy` files): each becomes a float32
    /// input (8-bit integer images scaled to [0, 1]; `[N, H, W]` images stay two-dimensional), the
    /// target array gives labels or values; `<name>_test` arrays, when all are present, are the test
    /// part, else a seeded ``testFraction`` of the rows is held out (the same rows for every input).
    func loadNamedInputs(task: LearningTask) throws -> LoadedData {
        let path = try requirePath()
        let names = inputNames ?? []
        guard !names.isEmpty, Set(names).count == names.count else {
            throw TrainingError("--inputs must name one or more distinct arrays, got \(names)")
        }
        if let testPath { throw TrainingError("--test-data \(testPath): with --inputs, put the test arrays (<name>_test) in --data") }
        let arrays = try Self.readArrays(path)
        let targetName = target ?? "y"
        func array(_ name: String) throws -> Tensor {
            guard let t = arrays[name] else {
                throw DataError(.badHeader, file: path, "no array named \(name); the file holds \(arrays.keys.sorted())")
            }
            return t
        }
        func inputs(_ suffix: String) throws -> [(String, Tensor)] {
            try names.map { name in
                let x = try array(name + suffix)
                guard x.rank >= 2 && x.rank <= 4 else {
                    throw DataError(.badHeader, file: path, "input \(name + suffix) of shape \(x.shape) must be [N, F], [N, H, W] or [N, C, H, W]")
                }
                if let bad = (x.dtype.isFloatingPoint ? x.firstNonFinite() : nil) {
                    throw DataError(.parse, file: path, "input \(name + suffix) holds a value that is not finite (\(bad))")
                }
                let pixels = x.rank >= 3 && Self.holdsPixels(x)
                return (name, pixels ? x.to(.float32) * (1.0 / 255) : (x.dtype == .float32 ? x : x.to(.float32)))
            }
        }
        func part(_ suffix: String) throws -> GroupDataset {
            let fields = try inputs(suffix)
            let y = try array(targetName + suffix)
            // The targets are checked (labels whole and in range) as for one input.
            let checked = try Self.dataset(fields[0].1, y, task: task, file: path)
            for (name, x) in fields where x.shape[0] != y.shape[0] {
                throw DataError(.badHeader, file: path, "input \(name + suffix) has \(x.shape[0]) rows but \(targetName + suffix) has \(y.shape[0])")
            }
            return try GroupDataset(TensorGroup(fields), checked.targets)
        }
        let hasTest = names.allSatisfy { arrays[$0 + "_test"] != nil } && arrays[targetName + "_test"] != nil
        let train: GroupDataset, test: GroupDataset
        if hasTest {
            (train, test) = (try part(""), try part("_test"))
        } else {
            let all = try part("")
            guard all.count >= 2 else {
                throw TrainingError("\(path): \(all.count) sample(s) cannot be split into a training and a test part; give at least 2")
            }
            (train, test) = try all.holdingOut(testFraction, seed: splitSeed)
        }
        for name in names where train.inputs[name].shape.dropFirst() != test.inputs[name].shape.dropFirst() {
            throw DataError(.badHeader, file: path, "input \(name): training samples \(Array(train.inputs[name].shape.dropFirst())) and test samples \(Array(test.inputs[name].shape.dropFirst())) differ in shape")
        }
        var data = try LoadedData(train: TensorDataset(train.inputs.tensors[0], train.targets),
                                  test: TensorDataset(test.inputs.tensors[0], test.targets),
                                  imageShape: nil, featureNames: nil, task: task, source: path)
        data.groups = LoadedData.InputGroups(train: train, test: test)
        return data
    }

    /// The most tokens a text may have (windows are materialized as int64 tensors).
    public static let maxTextTokens = 1 << 28

    /// Text: tokens, then windows of ``contextLength`` tokens, split into a training and a validation
    /// stretch (``TextWindowDataset/split(validationFraction:seed:)``, by ``testFraction`` and
    /// ``splitSeed``). With `vocabulary` (a trained model's) characters outside it are refused;
    /// without, the vocabulary is built from the whole text.
    func loadText(vocabulary given: CharacterVocabulary?) throws -> LoadedData {
        guard testFraction > 0, testFraction < 1 else {
            throw TrainingError("the validation fraction of text must lie strictly between 0 and 1, got \(testFraction)")
        }
        guard let length = contextLength, length >= 1, length <= 1 << 16 else {
            throw TrainingError("text data needs a context length in 1...65536, got \(contextLength.map(String.init) ?? "none")")
        }
        let source = path ?? "the embedded corpus (Shakespeare)"
        let tokens: [Int]
        var vocabulary: CharacterVocabulary? = nil
        switch tokenizer ?? .character {
        case .byte:
            tokens = (try path.map { try TextCorpus.readBytes($0) } ?? Array(TextCorpus.shakespeare().utf8)).map(Int.init)
        case .character:
            let text = try path.map { try TextCorpus.read($0) } ?? TextCorpus.shakespeare()
            let v = given ?? CharacterVocabulary(corpus: text)
            guard v.size <= LoadedData.maxClasses else {
                throw DataError(.parse, file: source, "the text has \(v.size) distinct characters, over the limit of \(LoadedData.maxClasses); use --tokenizer byte")
            }
            do {
                tokens = try v.encode(text)
            } catch let error as GradusError {
                throw DataError(.parse, file: source, error.message + " (the model's vocabulary was built from its training text)")
            }
            vocabulary = v
        }
        guard tokens.count <= Self.maxTextTokens else {
            throw DataError(.parse, file: source, "\(tokens.count) tokens are over the limit of \(Self.maxTextTokens)")
        }
        let parts: (train: TextWindowDataset, validation: TextWindowDataset)
        do {
            parts = try TextWindowDataset(tokens: tokens, length: length).split(validationFraction: testFraction, seed: splitSeed)
        } catch let error as GradusError {
            throw DataError(.parse, file: source, "\(tokens.count) tokens cannot make training and validation windows of \(length) tokens: \(error.message)")
        }
        func tensors(_ d: TextWindowDataset) throws -> TensorDataset {
            try MemoryBudget.check(d.count.multipliedReportingOverflow(by: 16 * length).overflow ? nil : d.count * 16 * length,
                                   for: "the text windows", source: source)
            var inputs: [Int] = [], targets: [Int] = []
            inputs.reserveCapacity(d.count * length)
            targets.reserveCapacity(d.count * length)
            for i in 0..<d.count {
                let start = i * d.stride
                inputs += d.tokens[start..<(start + length)]
                targets += d.tokens[(start + 1)...(start + length)]
            }
            return TensorDataset(Tensor(shape: [d.count, length], integers: inputs), Tensor(shape: [d.count, length], integers: targets))
        }
        var data = try LoadedData(train: tensors(parts.train), test: tensors(parts.validation), imageShape: nil, featureNames: nil,
                                  task: .languageModel, source: source)
        data.classes = vocabulary?.size ?? 256
        data.vocabulary = vocabulary
        return data
    }

    func requirePath() throws -> String {
        guard let path else { throw TrainingError("--data is required for the \(format.rawValue) format") }
        return path
    }

    func split(_ data: TensorDataset) throws -> (TensorDataset, TensorDataset) {
        guard data.count >= 2 else {
            throw TrainingError("\(path ?? format.rawValue): \(data.count) sample(s) cannot be split into a training and a test part; give at least 2")
        }
        let parts = try data.holdingOut(testFraction, seed: splitSeed)
        return (parts.train, parts.validation)
    }

    /// Reads the arrays of an `.npz` file, an `.npy` file (as `x`), or a folder of `.npy` files.
    static func readArrays(_ path: String) throws -> [String: Tensor] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw DataError(.io, file: path, "no such file or folder")
        }
        if isDir.boolValue {
            var out: [String: Tensor] = [:]
            for name in ["x", "y", "x_train", "y_train", "x_test", "y_test"] {
                let file = (path as NSString).appendingPathComponent(name + ".npy")
                if FileManager.default.fileExists(atPath: file) { out[name] = try NPYReader.read(file) }
            }
            return out
        }
        if path.lowercased().hasSuffix(".npz") {
            return try NPZReader.read(path).reduce(into: [:]) { r, kv in
                r[kv.key.hasSuffix(".npy") ? String(kv.key.dropLast(4)) : kv.key] = kv.value
            }
        }
        return ["x": try NPYReader.read(path)]
    }

    /// Whether `t` holds 8-bit pixels: an integer array (NumPy `u1` and other integer types are read as
    /// int64) with every value in 0...255.
    static func holdsPixels(_ t: Tensor) -> Bool {
        guard t.dtype == .int64, t.count > 0 else { return false }
        return t.intScalars.allSatisfy { $0 >= 0 && $0 <= 255 }
    }

    /// Pairs features and targets, converting labels to int64 for classification.
    static func dataset(_ x: Tensor, _ y: Tensor, task: LearningTask, file: String) throws -> TensorDataset {
        guard x.rank >= 1, y.rank >= 1, x.shape[0] == y.shape[0], x.shape[0] > 0 else {
            throw DataError(.badHeader, file: file, "features \(x.shape) and targets \(y.shape) must share a non-empty first dimension")
        }
        let features = x.dtype == .float32 ? x : x.to(.float32)
        switch task {
        case .languageModel:
            throw DataError(.badHeader, file: file, "--task language-model reads text files, not arrays")
        case .classify:
            guard y.rank == 1 else { throw DataError(.badHeader, file: file, "class labels must be a vector, got shape \(y.shape)") }
            let values = y.scalars(as: Double.self)
            if let bad = values.firstIndex(where: { !($0 >= 0 && $0 == $0.rounded() && $0 < Double(LoadedData.maxClasses)) }) {
                throw DataError(.parse, file: file, "class label \(values[bad]) at row \(bad) is not a whole number in 0..<\(LoadedData.maxClasses); use --task regress for real targets")
            }
            return TensorDataset(features, Tensor(labels: values.map { Int($0) }))
        case .regress:
            return TensorDataset(features, y.to(.float32))
        }
    }
}

/// Data loaded by ``DataSpec/load(task:vocabulary:)``: the training and test parts with what a model needs to know.
///
/// ```swift
/// let data = try DataSpec(format: .digits).load(task: .classify)
/// print(data.train.count, data.test.count, data.classes ?? 0)
/// ```
public struct LoadedData: Sendable {
    /// The largest number of classes accepted (labels 0..<maxClasses).
    public static let maxClasses = 100_000

    /// The training part.
    public var train: TensorDataset
    /// The test part.
    public var test: TensorDataset
    /// The shape of one sample as loaded.
    public var sampleShape: [Int]
    /// The height and width of image samples, or nil for tabular data.
    public var imageShape: [Int]?
    /// The feature names of tabular data (CSV), or nil.
    public var featureNames: [String]?
    /// The number of classes (1 + the largest training label), or nil for regression.
    public var classes: Int?
    /// The number of regression outputs per sample.
    public var targetWidth: Int
    /// The file or folder read, for messages.
    public var source: String
    /// The factor that turned stored 8-bit pixels into the model's inputs (1/255 for MNIST files and
    /// 8-bit NumPy images, 1/16 for the digits), or nil for data used as stored. Checkpoints keep it, so
    /// that predictions on raw pixels are scaled as training was.
    public var pixelScale: Double? = nil
    /// Text with character tokens: the vocabulary the tokens index.
    public var vocabulary: CharacterVocabulary? = nil
    /// Several named inputs (`--inputs`): the training and test parts with all their inputs. ``train``
    /// and ``test`` then hold the first input only (with the targets).
    public var groups: InputGroups? = nil

    /// The parts of data with several named inputs.
    public struct InputGroups: Sendable {
        /// The training part.
        public var train: GroupDataset
        /// The test part.
        public var test: GroupDataset
        /// Both parts with the named inputs standardized (others unchanged).
        func standardized(_ standardizers: [String: Standardizer]) -> InputGroups {
            InputGroups(train: Self.standardize(train, standardizers), test: Self.standardize(test, standardizers))
        }

        /// `data` with the named inputs standardized.
        static func standardize(_ data: GroupDataset, _ standardizers: [String: Standardizer]) -> GroupDataset {
            let inputs = TensorGroup(zip(data.inputs.names, data.inputs.tensors).map { name, x in
                (name, standardizers[name].map { $0.transform(x) } ?? x)
            })
            return GroupDataset(validatedInputs: inputs, targets: data.targets)
        }

        /// The inputs' names and per-sample shapes.
        public var shapes: [ModelSpec.NamedShape] {
            zip(train.inputs.names, train.inputs.tensors).map { ModelSpec.NamedShape(name: $0, shape: Array($1.shape.dropFirst())) }
        }
    }

    /// Checks the parts against each other and the task.
    ///
    /// - Throws: ``TrainingError`` when the parts disagree or labels are out of range.
    ///
    /// ```swift
    /// let d = try LoadedData(train: a, test: b, imageShape: nil, featureNames: nil, task: .classify, source: "x")
    /// ```
    public init(train: TensorDataset, test: TensorDataset, imageShape: [Int]?, featureNames: [String]?,
                task: LearningTask, source: String) throws {
        guard train.count > 0, test.count > 0 else {
            throw TrainingError("\(source): the training and test parts must both hold samples (got \(train.count) and \(test.count))")
        }
        let shape = Array(train.inputs.shape.dropFirst())
        guard Array(test.inputs.shape.dropFirst()) == shape else {
            throw TrainingError("\(source): training samples \(shape) and test samples \(Array(test.inputs.shape.dropFirst())) differ in shape")
        }
        self.train = train
        self.test = test
        self.sampleShape = shape
        self.imageShape = imageShape
        self.featureNames = featureNames
        self.source = source
        switch task {
        case .classify:
            guard train.targets.dtype == .int64, train.targets.rank == 1,
                  test.targets.dtype == .int64, test.targets.rank == 1 else {
                throw TrainingError("\(source): classification needs integer class labels")
            }
            // The class count comes from all the data (a class may appear only in the test part), and
            // every label is checked before a model or a one-hot matrix is sized from it.
            var largest = -1
            for (part, targets) in [("training", train.targets), ("test", test.targets)] {
                for (row, label) in targets.intScalars.enumerated() {
                    guard label >= 0 && label < Self.maxClasses else {
                        throw TrainingError("\(source): class label \(label) in row \(row) of the \(part) part is outside 0..<\(Self.maxClasses); labels must count classes from 0 (use --task regress for real-valued targets)")
                    }
                    largest = Swift.max(largest, label)
                }
            }
            classes = largest + 1
            targetWidth = 1
        case .regress:
            classes = nil
            targetWidth = train.targets.rank == 1 ? 1 : train.targets.count / train.targets.shape[0]
        case .languageModel:
            guard train.inputs.dtype == .int64, train.targets.dtype == .int64, train.inputs.rank == 2,
                  train.targets.shape == train.inputs.shape, test.targets.shape.dropFirst() == train.targets.shape.dropFirst() else {
                throw TrainingError("\(source): language modelling needs [N, T] int64 token windows and targets of the same shape")
            }
            let largest = [train.inputs, test.inputs, train.targets, test.targets].map { $0.intScalars.max() ?? -1 }.max() ?? -1
            classes = largest + 1
            targetWidth = train.targets.shape[1]
        }
    }

    /// The parts reshaped to `shape` per sample (same element count), e.g. `[64]` to `[1, 8, 8]`.
    ///
    /// - Throws: ``TrainingError`` when the element counts differ.
    ///
    /// ```swift
    /// let images = try data.reshaped(to: [1, 28, 28])
    /// ```
    public func reshaped(to shape: [Int]) throws -> LoadedData {
        guard shape != sampleShape else { return self }
        guard shape.reduce(1, *) == sampleShape.reduce(1, *) else {
            throw TrainingError("\(source): samples of shape \(sampleShape) do not fit a model input of shape \(shape)")
        }
        var copy = self
        copy.train = TensorDataset(train.inputs.reshape([train.count] + shape), train.targets)
        copy.test = TensorDataset(test.inputs.reshape([test.count] + shape), test.targets)
        copy.sampleShape = shape
        return copy
    }

    /// The parts with `standardizer` applied to their (regression) targets, `[n, width]` or `[n]`.
    public func targetsStandardized(with standardizer: Standardizer) -> LoadedData {
        func apply(_ t: Tensor) -> Tensor {
            standardizer.transform(t.reshape([t.shape[0], -1])).reshape(t.shape)
        }
        var copy = self
        copy.train = TensorDataset(train.inputs, apply(train.targets))
        copy.test = TensorDataset(test.inputs, apply(test.targets))
        return copy
    }

    /// The parts with `standardizer` applied to flat features.
    ///
    /// ```swift
    /// let s = Standardizer.fit(data.train.inputs)
    /// let z = data.standardized(with: s)
    /// ```
    public func standardized(with standardizer: Standardizer) -> LoadedData {
        var copy = self
        copy.train = TensorDataset(standardizer.transform(train.inputs), train.targets)
        copy.test = TensorDataset(standardizer.transform(test.inputs), test.targets)
        return copy
    }
}
