/// How a ``Trainer`` (or an evaluation) calls its model: with one tensor (a ``Layer``), with named
/// tensors (a ``MultiInputLayer``), or a model giving named outputs (a ``MultiOutputLayer``).
enum ForwardModel {
    case single(any Layer)
    case multi(any MultiInputLayer)
    case multiOutput(MultiOutputCall)

    /// A ``MultiOutputLayer`` with its input type erased: the type it takes and a call on a value of it.
    struct MultiOutputCall {
        let module: Module
        let inputType: Any.Type
        let call: (Any) -> TensorGroup

        init<M: MultiOutputLayer>(_ model: M) {
            module = model
            inputType = M.Input.self
            call = { model($0 as! M.Input) }
        }
    }

    /// The kind of `module`: a ``MultiInputLayer`` or a ``Layer``.
    init(_ module: Module) throws {
        if let multi = module as? any MultiInputLayer {
            self = .multi(multi)
        } else if let layer = module as? any Layer {
            self = .single(layer)
        } else if let several = module as? any MultiOutputLayer {
            self = .multiOutput(MultiOutputCall(several))
        } else {
            throw GradusError(.invalidArgument,
                              "\(type(of: module)) is neither a Layer, a MultiInputLayer nor a MultiOutputLayer: it cannot be called on data")
        }
    }

    /// The model as a module: parameters, modes, state.
    var module: Module {
        switch self {
        case .single(let layer): return layer
        case .multi(let layer): return layer
        case .multiOutput(let model): return model.module
        }
    }

    /// Whether the model gives named outputs.
    var givesSeveralOutputs: Bool {
        if case .multiOutput = self { return true }
        return false
    }

    /// The model's forward pass on a batch of `Input`, giving the output and the batch's number of
    /// samples; a ``GradusError`` naming `op` when the model does not take `Input` (a ``Layer`` takes a
    /// ``Tensor``, a ``MultiInputLayer`` a ``TensorGroup``, a ``MultiOutputLayer`` its ``MultiOutputLayer/Input``).
    func forward<Input: Collatable>(_: Input.Type, op: String) throws -> (Input) -> (output: ModelOutput, count: Int) {
        switch self {
        case .single(let layer):
            guard Input.self == Tensor.self else {
                throw GradusError(.invalidArgument,
                                  "\(op): the model \(type(of: layer)) is a Layer, which takes one Tensor, but the data's inputs are \(Input.self); "
                                  + "a model for named inputs (TensorGroup) conforms to MultiInputLayer")
            }
            return { inputs in
                let x = inputs as! Tensor
                return (output: .tensor(layer(x)), count: x.shape.first ?? 0)
            }
        case .multi(let layer):
            guard Input.self == TensorGroup.self else {
                throw GradusError(.invalidArgument,
                                  "\(op): the model \(type(of: layer)) is a MultiInputLayer, which takes a TensorGroup, but the data's inputs are \(Input.self); "
                                  + "use a dataset of named inputs such as GroupDataset")
            }
            return { inputs in
                let group = inputs as! TensorGroup
                return (output: .tensor(layer(group)), count: group.leadingCount)
            }
        case .multiOutput(let model):
            guard Input.self == model.inputType else {
                throw GradusError(.invalidArgument,
                                  "\(op): the model \(type(of: model.module)) takes \(model.inputType), but the data's inputs are \(Input.self)")
            }
            return { inputs in
                let outputs = model.call(inputs)
                return (output: .group(outputs), count: outputs.leadingCount)
            }
        }
    }

    /// ``forward(_:op:)`` for inference in evaluation mode, without recording: a model taking one tensor
    /// runs through an ``InferencePlan`` (compiled per batch shape; 2.2-2.4x the model's own path on the
    /// benchmarks' image CNN at batch 64, 1.5x on a whole evaluation), others as ``forward(_:op:)``. A batch the plan cannot take runs the model,
    /// so errors are the model's own, recorded in the caller's scope.
    func inferenceForward<Input: Collatable>(_ type: Input.Type, op: String) throws -> (Input) -> (output: ModelOutput, count: Int) {
        guard case .single(let layer) = self, Input.self == Tensor.self else { return try forward(type, op: op) }
        let plan = InferencePlan(layer)
        return { inputs in
            let x = inputs as! Tensor
            return (output: .tensor((try? plan(x)) ?? layer(x)), count: x.shape.first ?? 0)
        }
    }
}

/// What a model gave for a batch: one tensor, or named tensors (a ``MultiOutputLayer``).
enum ModelOutput {
    case tensor(Tensor)
    case group(TensorGroup)
}
