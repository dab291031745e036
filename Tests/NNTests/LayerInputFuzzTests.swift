import Foundation
import Gradus
import GradusTestSupport
import Testing

/// Every layer against inputs of every odd kind — scalars, empty dimensions, wrong ranks, other
/// dtypes, NaN — inside `GradusError.catching`, in training and evaluation mode, forward and backward:
/// each call either computes or throws a `GradusError`; none may stop the process. (Before this test,
/// the recurrent layers and attention trapped on a Float64 input.)
@Suite("Layers against odd inputs")
struct LayerInputFuzzTests {
    static func layers() -> [(String, (Tensor) -> Tensor, Module)] {
        var list: [(String, any Layer)] = [
            ("Linear", Linear(4, 3)), ("Conv1d", Conv1d(3, 4, kernelSize: 3)), ("Conv2d", Conv2d(3, 4, kernelSize: 3)),
            ("ConvTranspose2d", ConvTranspose2d(3, 4, kernelSize: 3)), ("BatchNorm1d", BatchNorm1d(4)),
            ("BatchNorm2d", BatchNorm2d(3)), ("LayerNorm", LayerNorm(4)), ("GroupNorm", GroupNorm(1, 3)),
            ("Embedding", Embedding(10, 4)), ("Dropout", Dropout(p: 0.5)), ("MaxPool2d", MaxPool2d(2)),
            ("AvgPool2d", AvgPool2d(2)), ("AdaptiveAvgPool2d", AdaptiveAvgPool2d(2)), ("Flatten", Flatten()),
            ("Unflatten", Unflatten(axis: 1, sizes: [2, 2])), ("ReLU", ReLU()), ("LeakyReLU", LeakyReLU()), ("ELU", ELU()),
            ("GELU", GELU()), ("SiLU", SiLU()), ("Sigmoid", Sigmoid()), ("Tanh", Tanh()), ("Softplus", Softplus()),
            ("Softmax", Softmax(axis: 1)), ("LogSoftmax", LogSoftmax(axis: 1)),
            ("TransformerEncoderLayer", TransformerEncoderLayer(dModel: 4, numHeads: 2, dimFeedforward: 8, dropout: 0)),
            ("Sequential", Sequential { Linear(4, 4); ReLU(); Linear(4, 2) }),
        ]
        list.append(("Identity", Identity()))
        var result: [(String, (Tensor) -> Tensor, Module)] = list.map { name, layer in (name, { layer($0) }, layer as! Module) }
        let lstm = LSTM(inputSize: 4, hiddenSize: 3), gru = GRU(inputSize: 4, hiddenSize: 3), rnn = RNN(inputSize: 4, hiddenSize: 3)
        let attention = MultiheadAttention(embedDim: 4, numHeads: 2)
        result += [("LSTM", { lstm($0) }, lstm), ("GRU", { gru($0) }, gru), ("RNN", { rnn($0) }, rnn),
                   ("MultiheadAttention", { attention(query: $0, key: $0, value: $0).output }, attention)]
        return result
    }

    static func inputs() -> [(String, Tensor)] {
        var list: [(String, Tensor)] = [
            ("scalar", Tensor(scalar: 1)), ("[0]", Tensor.zeros([0])), ("[4]", Tensor.uniform([4])),
            ("[2, 4]", Tensor.uniform([2, 4])), ("[2, 0]", Tensor.zeros([2, 0])), ("[0, 4]", Tensor.zeros([0, 4])),
            ("[2, 3, 4]", Tensor.uniform([2, 3, 4])), ("[2, 3, 8]", Tensor.uniform([2, 3, 8])),
            ("[2, 3, 8, 8]", Tensor.uniform([2, 3, 8, 8])), ("[1, 3, 0, 8]", Tensor.zeros([1, 3, 0, 8])),
            ("[1, 3, 2, 2]", Tensor.uniform([1, 3, 2, 2])), ("[2, 3, 4, 4, 1]", Tensor.uniform([2, 3, 4, 4, 1])),
            ("NaN [2, 3, 8, 8]", Tensor.full([2, 3, 8, 8], value: .nan)), ("inf [2, 4]", Tensor.full([2, 4], value: .infinity)),
        ]
        list += list.map { ("float64 " + $0.0, $0.1.to(.float64)) }
        list += [("int64 [2, 4]", Tensor(shape: [2, 4], integers: [1, 2, 3, 4, 5, 6, 7, 9])),
                 ("int64 [3]", Tensor(labels: [0, 11, -1])), ("int64 [2, 3, 4]", Tensor.zeros([2, 3, 4], dtype: .int64))]
        return list
    }

    @Test("forward and backward either compute or throw a GradusError, in training and evaluation mode")
    func everyLayerEveryInput() {
        var computed = 0, refused = 0
        for (layerName, call, module) in Self.layers() {
            for training in [true, false] {
                module.train(training)
                for (inputName, input) in Self.inputs() {
                    switch ScopedOutcome.of({ call(input.dtype.isFloatingPoint ? input.detach().requiringGrad() : input) }) {
                    case .computed: computed += 1
                    case .refused(let error):
                        #expect(!error.message.isEmpty, "\(layerName) on \(inputName)")
                        refused += 1
                    case .otherError(let error): Issue.record("\(layerName) on \(inputName) threw \(error), not a GradusError")
                    }
                    module.zeroGrad()
                }
            }
        }
        // Both outcomes occur: the grid holds inputs each layer takes and inputs it refuses.
        #expect(computed > 50 && refused > 300, "computed \(computed), refused \(refused)")
    }

    @Test("every loss against odd predictions and targets computes or throws a GradusError")
    func everyLossEveryPair() {
        let losses: [(String, (Tensor, Tensor) -> Tensor)] = [
            ("crossEntropy", { $0.crossEntropy($1) }), ("crossEntropy smoothed", { $0.crossEntropy($1, labelSmoothing: 0.1) }),
            ("nllLoss", { $0.nllLoss($1) }), ("mseLoss", { $0.mseLoss($1) }), ("l1Loss", { $0.l1Loss($1) }),
            ("huberLoss", { $0.huberLoss($1) }), ("smoothL1Loss", { $0.smoothL1Loss($1) }), ("klDivLoss", { $0.klDivLoss($1) }),
            ("binaryCrossEntropy", { $0.sigmoid().binaryCrossEntropy($1) }),
            ("binaryCrossEntropyWithLogits", { $0.binaryCrossEntropyWithLogits($1) }),
            ("marginRankingLoss", { $0.marginRankingLoss($0 * 0.5, target: $1) }),
        ]
        let predictions = Self.inputs().filter { $0.1.dtype.isFloatingPoint }
        let targets: [(String, Tensor)] = [
            ("labels [2]", Tensor(labels: [0, 3])), ("labels out of range [2]", Tensor(labels: [0, 99])),
            ("labels [0]", Tensor(labels: [])), ("labels [2, 3]", Tensor.zeros([2, 3], dtype: .int64)),
            ("scalar label", Tensor(shape: [], integers: [1])), ("float [2, 4]", Tensor.uniform([2, 4])),
            ("float [2]", Tensor.uniform([2])), ("float64 [2, 4]", Tensor.uniform([2, 4], dtype: .float64)),
            ("float [0, 4]", Tensor.zeros([0, 4])), ("NaN [2, 4]", Tensor.full([2, 4], value: .nan)),
        ]
        var computed = 0, refused = 0
        for (lossName, loss) in losses {
            for (predictionName, prediction) in predictions {
                for (targetName, target) in targets {
                    switch ScopedOutcome.of({ loss(prediction.detach().requiringGrad(), target) }) {
                    case .computed: computed += 1
                    case .refused: refused += 1
                    case .otherError(let error):
                        Issue.record("\(lossName)(\(predictionName), \(targetName)) threw \(error), not a GradusError")
                    }
                }
            }
        }
        #expect(computed > 30 && refused > 1000, "computed \(computed), refused \(refused)")
    }
}
