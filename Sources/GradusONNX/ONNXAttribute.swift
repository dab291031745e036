import Foundation

/// An attribute of an ONNX node: a name and a number, a list of numbers or a string (the ONNX
/// `AttributeProto` kinds that the exporter writes).
///
/// ```swift
/// graph.node("Conv", [x.name, w], attributes: [.ints("strides", [2, 2]), .int("group", 1)])
/// ```
public enum ONNXAttribute: Sendable, Equatable {
    /// An integer, e.g. `group`.
    case int(String, Int)
    /// A list of integers, e.g. `kernel_shape`.
    case ints(String, [Int])
    /// A floating-point number (stored as float32), e.g. `epsilon`.
    case float(String, Double)
    /// A list of floating-point numbers.
    case floats(String, [Double])
    /// A string, e.g. `direction`.
    case string(String, String)
    /// A list of strings, e.g. the `activations` of an `RNN` node.
    case strings(String, [String])

    /// The attribute's name.
    public var name: String {
        switch self {
        case .int(let n, _), .ints(let n, _), .float(let n, _), .floats(let n, _), .string(let n, _), .strings(let n, _):
            return n
        }
    }

    /// The attribute as a protobuf message.
    var proto: Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        switch self {
        case .int(_, let v):
            a.type = .int
            a.i = Int64(v)
        case .ints(_, let v):
            a.type = .ints
            a.ints = v.map(Int64.init)
        case .float(_, let v):
            a.type = .float
            a.f = Float(v)
        case .floats(_, let v):
            a.type = .floats
            a.floats = v.map(Float.init)
        case .string(_, let v):
            a.type = .string
            a.s = Data(v.utf8)
        case .strings(_, let v):
            a.type = .strings
            a.strings = v.map { Data($0.utf8) }
        }
        return a
    }
}
