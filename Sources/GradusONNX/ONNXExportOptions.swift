import Gradus

/// How a model is written to ONNX: the operator set, the names of the graph's input and output, and
/// which input axes may change size at run time.
///
/// ```swift
/// var options = ONNXExportOptions()
/// options.opset = 18
/// options.dynamicAxes = .custom([0: "batch", 1: "sequence"])
/// let bytes = try model.onnxData(sampleInput: x, options: options)
/// ```
public struct ONNXExportOptions: Sendable, Equatable {
    /// Which input axes are dynamic (`dim_param` in the graph) rather than fixed to the sample's sizes.
    public enum DynamicAxes: Sendable, Equatable {
        /// The batch axis, named `batch`: axis 0, or axis 1 when the model starts with a time-major
        /// sequence layer (`LSTM`, `GRU`, `RNN`, `MultiheadAttention` or a Transformer encoder
        /// without `batchFirst`) given a batched `[T, N, …]` sample. No axis for unbatched samples of
        /// such layers.
        case batch
        /// No dynamic axis: every size is the sample's.
        case none
        /// These input axes with these names, e.g. `[0: "batch", 1: "sequence"]`.
        case custom([Int: String])
    }

    /// The ONNX operator set version, from ``supportedOpsets`` (default 17). It decides how some
    /// operations are written (`ReduceMean`'s axes from 18, `Gelu` from 20) and the IR version of the file.
    public var opset: Int
    /// Which input axes may change size (default: the batch axis).
    public var dynamicAxes: DynamicAxes
    /// The name of the graph's input (default `input`). Models of several named inputs
    /// (`exportONNX(to:sampleInputs:options:)`) name their graph inputs after the group's names instead.
    public var inputName: String
    /// The name of the graph's output (default `output`).
    public var outputName: String
    /// The name of the graph (default: the model's type name).
    public var graphName: String?
    /// Text stored as the model's `doc_string`.
    public var docString: String
    /// Key-value pairs stored as the model's `metadata_props` (written sorted by key).
    public var metadata: [String: String]

    /// The operator set versions the exporter writes: 17 (ONNX 1.12) to 21 (ONNX 1.16).
    public static let supportedOpsets: ClosedRange<Int> = 17...21

    /// Options with the defaults: opset 17, a dynamic batch axis, graph input `input` and output `output`.
    ///
    /// - Parameters:
    ///   - opset: the operator set version.
    ///   - dynamicAxes: which input axes may change size.
    ///   - inputName: the graph input's name.
    ///   - outputName: the graph output's name.
    ///
    /// ```swift
    /// let options = ONNXExportOptions(opset: 18, dynamicAxes: .none)
    /// ```
    public init(opset: Int = 17, dynamicAxes: DynamicAxes = .batch, inputName: String = "input",
                outputName: String = "output") {
        self.opset = opset
        self.dynamicAxes = dynamicAxes
        self.inputName = inputName
        self.outputName = outputName
        self.graphName = nil
        self.docString = ""
        self.metadata = [:]
    }

    /// The ONNX IR version that goes with ``opset`` (the one of the ONNX release that introduced it).
    var irVersion: Int {
        switch opset {
        case ...18: return 8
        case 19...20: return 9
        default: return 10
        }
    }

    /// Checks the options, throwing a `GradusError` naming the wrong one.
    func validate() throws {
        guard Self.supportedOpsets.contains(opset) else {
            throw ONNXExport.error("opset \(opset) is not supported; choose one of \(Self.supportedOpsets.lowerBound)...\(Self.supportedOpsets.upperBound)")
        }
        guard !inputName.isEmpty, !outputName.isEmpty, inputName != outputName else {
            throw ONNXExport.error("the input and output names must be different and not empty, got '\(inputName)' and '\(outputName)'")
        }
        if case .custom(let axes) = dynamicAxes {
            for (axis, name) in axes where name.isEmpty || axis < 0 {
                throw ONNXExport.error("dynamic axis \(axis) named '\(name)': axes must be 0 or more and names not empty")
            }
        }
    }
}
