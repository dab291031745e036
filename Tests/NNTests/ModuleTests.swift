import Gradus
import GradusTestSupport
import Testing

/// A model that stores sub-modules in every way discovery must handle.
class Composite: Module, Layer {
    let encoder = Linear(2, 3)
    var blocks: [Linear] = [Linear(3, 3), Linear(3, 3, bias: false)]
    var heads: [String: Linear] = ["b": Linear(3, 1), "a": Linear(3, 2)]
    var missing: Linear? = nil
    var present: Linear? = Linear(3, 4)
    @Parameter var scale = Tensor.ones([1]).requiringGrad()
    @Buffer var steps = Tensor.zeros([1])
    let width = 3

    func callAsFunction(_ input: Tensor) -> Tensor { blocks[1](blocks[0](encoder(input))) * scale }
}

final class DerivedComposite: Composite {
    let tail = Linear(1, 1)
}

@Suite("Module discovery and modes")
struct ModuleTests {
    @Test func discoversParametersInDeclarationOrderThroughContainers() {
        let m = DerivedComposite()
        let names = m.namedParameters().map(\.name)
        // As in PyTorch: a module's own parameters, then its children's, each in declaration order.
        #expect(names == [
            "scale",
            "encoder.weight", "encoder.bias",
            "blocks.0.weight", "blocks.0.bias", "blocks.1.weight",
            "heads.a.weight", "heads.a.bias", "heads.b.weight", "heads.b.bias",
            "present.weight", "present.bias",
            "tail.weight", "tail.bias",
        ])
        #expect(m.namedBuffers().map(\.name) == ["steps"])
        #expect(m.namedChildren.map(\.name) == ["encoder", "blocks.0", "blocks.1", "heads.a", "heads.b", "present", "tail"])
        #expect(m.namedModules().map(\.name) == ["", "encoder", "blocks.0", "blocks.1", "heads.a", "heads.b", "present", "tail"])
        #expect(m.parameterCount == (6 + 3) + (9 + 3) + 9 + (3 + 1) + (6 + 2) + (12 + 4) + 1 + 2)
        #expect(m.parameters().count == names.count)
    }

    @Test func sharedParametersAreListedOnce() {
        let shared = Linear(2, 2)
        let model = Sequential([shared, ReLU(), shared])
        #expect(model.namedParameters().map(\.name) == ["0.weight", "0.bias"])
        #expect(model.namedModules().count == 3)   // self, the shared Linear once, ReLU
    }

    @Test func sequentialBuilderNamesChildrenByIndex() {
        let useDropout = true
        let model = Sequential {
            Linear(4, 8)
            ReLU()
            if useDropout { Dropout(p: 0.1) }
            for _ in 0..<2 { Linear(8, 8) }
            Linear(8, 2)
        }
        #expect(model.count == 6)
        #expect(model.namedParameters().map(\.name) == [
            "0.weight", "0.bias", "3.weight", "3.bias", "4.weight", "4.bias", "5.weight", "5.bias",
        ])
        #expect(model(Tensor.zeros([3, 4])).shape == [3, 2])
        let nested = Sequential { Sequential { Linear(1, 1) }; Linear(1, 1) }
        #expect(nested.namedParameters().map(\.name) == ["0.0.weight", "0.0.bias", "1.weight", "1.bias"])
    }

    @Test func trainAndEvalAreRecursive() {
        let m = DerivedComposite()
        #expect(m.modules().allSatisfy { $0.isTraining })
        m.eval()
        #expect(m.modules().allSatisfy { !$0.isTraining })
        m.blocks[0].train()
        #expect(m.blocks[0].isTraining && !m.blocks[1].isTraining)
        m.train()
        #expect(m.modules().allSatisfy { $0.isTraining })
    }

    @Test func zeroGradFreezeAndUnfreeze() {
        let m = DerivedComposite()
        let x = Tensor.normal([4, 2])
        m(x).sum().backward()
        #expect(m.encoder.weight.grad != nil && m.scale.grad != nil)
        m.zeroGrad()
        #expect(m.parameters().allSatisfy { $0.grad == nil })

        m.blocks[0].freeze()
        #expect(!m.blocks[0].weight.requiresGrad && !m.blocks[0].bias!.requiresGrad)
        #expect(m.encoder.weight.requiresGrad)
        #expect(m.parameters().count == 14)   // frozen tensors stay parameters
        #expect(m.trainableParameters().count == 12)
        m(x).sum().backward()
        #expect(m.blocks[0].weight.grad == nil && m.encoder.weight.grad != nil)
        m.unfreeze()
        #expect(m.parameters().allSatisfy { $0.requiresGrad })
    }

    @Test func descriptionRendersTreeAndCounts() {
        let model = Sequential {
            Linear(784, 10)
            ReLU()
            Sequential { Dropout(p: 0.5) }
        }
        #expect(model.description == """
            Sequential(
              (0): Linear(inFeatures: 784, outFeatures: 10, bias: true)
              (1): ReLU()
              (2): Sequential(
                (0): Dropout(p: 0.5)
              )
            )
            Parameters: 7,850 (trainable: 7,850)
            """)
        model.freeze()
        #expect(model.description.hasSuffix("Parameters: 7,850 (trainable: 0)"))
        #expect(Conv2d(1, 6, kernelSize: 5, padding: 2).description.hasPrefix("Conv2d(1, 6, kernelSize: 5, stride: 1, padding: 2)\n"))
    }

    @Test func leNet5HasPyTorchsParameterCountAndShapes() {
        let model = Sequential {
            Conv2d(1, 6, kernelSize: 5, padding: 2); ReLU(); MaxPool2d(2)
            Conv2d(6, 16, kernelSize: 5); ReLU(); MaxPool2d(2)
            Flatten()
            Linear(400, 120); ReLU()
            Linear(120, 84); ReLU()
            Linear(84, 10)
        }
        // 156 + 2,416 + 48,120 + 10,164 + 850, as torchsummary reports for LeNet-5.
        #expect(model.parameterCount == 61_706)
        #expect(model.namedParameters().map(\.name) == [
            "0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "9.weight", "9.bias", "11.weight", "11.bias",
        ])
        let logits = model(Tensor.normal([2, 1, 28, 28]))
        #expect(logits.shape == [2, 10])
        logits.sum().backward()
        #expect(model.parameters().allSatisfy { $0.grad?.shape == $0.shape })
    }

    @Test func applyVisitsEveryModule() {
        let m = DerivedComposite()
        var linears = 0
        m.apply { if $0 is Linear { linears += 1 } }
        #expect(linears == 7)
    }
}
