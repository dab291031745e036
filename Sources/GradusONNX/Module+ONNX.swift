import Foundation
import Gradus

extension Module {
    /// Writes this model to an ONNX file, for ONNX Runtime and the tools that read ONNX.
    ///
    /// The model runs once on `sampleInput` in evaluation mode (dropout off, batch normalization with
    /// its running statistics; each module's mode is restored after), without gradients, while each
    /// layer writes its nodes; the sample fixes every size but the batch's. The file is written
    /// atomically; a destination that exists and is not a regular file (a folder, a device) is refused.
    /// Weights are stored as float32 initializers named as in `namedParameters()`.
    ///
    /// - Parameters:
    ///   - path: the file to write (`model.onnx`).
    ///   - sampleInput: an input of the shape and type the model takes (float32, or int64 indices for an
    ///     `Embedding`), e.g. one sample with its batch axis.
    ///   - opset: the ONNX operator set version, 17 to 21.
    ///   - dynamicBatch: whether the batch axis is left free (`dim_param` `batch`) or fixed to the sample's.
    ///   - inputName: the graph input's name.
    ///   - outputName: the graph output's name.
    /// - Throws: a `GradusError` (operation `exportONNX`) naming the layer that cannot be exported or
    ///   the option that is wrong, or the error of writing the file.
    ///
    /// ```swift
    /// let model = Sequential { Linear(784, 128); ReLU(); Linear(128, 10) }
    /// try model.exportONNX(to: "mlp.onnx", sampleInput: Tensor.zeros([1, 784]))
    /// ```
    public func exportONNX(to path: String, sampleInput: Tensor, opset: Int = 17, dynamicBatch: Bool = true,
                           inputName: String = "input", outputName: String = "output") throws {
        let options = ONNXExportOptions(opset: opset, dynamicAxes: dynamicBatch ? .batch : .none,
                                        inputName: inputName, outputName: outputName)
        try exportONNX(to: path, sampleInput: sampleInput, options: options)
    }

    /// Writes this model to an ONNX file with the given options (see
    /// ``exportONNX(to:sampleInput:opset:dynamicBatch:inputName:outputName:)``).
    ///
    /// - Parameters:
    ///   - path: the file to write.
    ///   - sampleInput: an input of the shape and type the model takes.
    ///   - options: opset, dynamic axes, names and metadata.
    /// - Throws: a `GradusError` naming what cannot be exported, or the error of writing the file.
    ///
    /// ```swift
    /// try lstm.exportONNX(to: "lstm.onnx", sampleInput: x, options: ONNXExportOptions(dynamicAxes: .custom([0: "time", 1: "batch"])))
    /// ```
    public func exportONNX(to path: String, sampleInput: Tensor, options: ONNXExportOptions) throws {
        let bytes: [UInt8] = try onnxModel(sampleInput: sampleInput, options: options).serializedBytes()
        try ONNXExport.write(bytes, to: path)
    }

    /// This model as the bytes of an ONNX file (see
    /// ``exportONNX(to:sampleInput:opset:dynamicBatch:inputName:outputName:)``).
    ///
    /// - Parameters:
    ///   - sampleInput: an input of the shape and type the model takes.
    ///   - options: opset, dynamic axes, names and metadata.
    /// - Returns: the serialized `ModelProto`.
    /// - Throws: a `GradusError` naming what cannot be exported.
    ///
    /// ```swift
    /// let bytes = try model.onnxData(sampleInput: Tensor.zeros([1, 4]))
    /// ```
    public func onnxData(sampleInput: Tensor, options: ONNXExportOptions = ONNXExportOptions()) throws -> Data {
        try onnxModel(sampleInput: sampleInput, options: options).serializedBytes()
    }

    /// This model as an ONNX `ModelProto` message, to inspect or amend before serializing it.
    ///
    /// - Parameters:
    ///   - sampleInput: an input of the shape and type the model takes.
    ///   - options: opset, dynamic axes, names and metadata.
    /// - Returns: the model.
    /// - Throws: a `GradusError` naming what cannot be exported.
    ///
    /// ```swift
    /// let proto = try model.onnxModel(sampleInput: x)
    /// print(proto.graph.node.map(\.opType))   // ["Gemm", "Relu", "Gemm"]
    /// ```
    public func onnxModel(sampleInput: Tensor, options: ONNXExportOptions = ONNXExportOptions()) throws -> Onnx_ModelProto {
        try ONNXExport.model(of: self, sampleInput: sampleInput, options: options)
    }
}
