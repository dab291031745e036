import Gradus
import GradusTestSupport
import Testing

/// Module forward hooks (PyTorch's `register_forward_pre_hook` / `register_forward_hook`).
@Suite("forward hooks on modules")
struct ForwardHookTests {
    /// One instance of every single-input layer of Gradus with an input it accepts.
    static func everyLayer() -> [(String, Module, () -> Tensor, (Module, Tensor) -> Tensor)] {
        var g = SeededGenerator(seed: 7)
        let x2 = Tensor.normal([2, 4], generator: &g)
        let x3 = Tensor.normal([2, 4, 6], generator: &g)
        let x4 = Tensor.normal([1, 4, 6, 6], generator: &g)
        let seq = Tensor.normal([3, 2, 4], generator: &g)
        func layer(_ l: any Layer) -> (Module, Tensor) -> Tensor { { m, x in (m as! any Layer)(x) } }
        var list: [(String, Module, () -> Tensor, (Module, Tensor) -> Tensor)] = []
        func add(_ l: any Layer, _ x: Tensor) { list.append(("\(type(of: l))", l, { x }, layer(l))) }
        for a in [ReLU(), LeakyReLU(), ELU(), GELU(), SiLU(), Sigmoid(), Tanh(), Softplus(), Softmax(axis: 1), LogSoftmax(axis: 1),
                  Hardtanh(), ReLU6(), Hardsigmoid(), Hardswish(), Mish(), SELU(), CELU(), LogSigmoid(), Softsign(), PReLU(),
                  Hardshrink(), Softshrink(), Tanhshrink(), Threshold(0.1, value: 0), GLU(axis: 1), Softmin(axis: 1),
                  AlphaDropout(p: 0.3), FeatureAlphaDropout(p: 0.3),
                  Identity(), Flatten(), Dropout(p: 0.5), Linear(4, 3)] as [any Layer] {
            add(a, x2)
        }
        add(Unflatten(axis: 1, sizes: [2, 2]), x2)
        add(LayerNorm([4]), x2)
        add(RMSNorm([4]), x2)
        add(BatchNorm1d(4), x2)
        add(Embedding(5, 3), Tensor(labels: [0, 4, 2]))
        for a in [Conv1d(4, 2, kernelSize: 3), ConvTranspose1d(4, 2, kernelSize: 3), MaxPool1d(2), AvgPool1d(2), AdaptiveAvgPool1d(2),
                  AdaptiveMaxPool1d(2), InstanceNorm1d(4), ZeroPad1d(1), ConstantPad1d(1, value: 2), ReflectionPad1d(1),
                  ReplicationPad1d(1), CircularPad1d(1), GroupNorm(2, 4), Dropout1d(p: 0.5)] as [any Layer] {
            add(a, x3)
        }
        for a in [Conv2d(4, 2, kernelSize: 3), ConvTranspose2d(4, 2, kernelSize: 3), MaxPool2d(2), AvgPool2d(2), AdaptiveAvgPool2d(1),
                  AdaptiveMaxPool2d(2), BatchNorm2d(4), InstanceNorm2d(4), Dropout2d(p: 0.5), Dropout3d(p: 0.5), PixelShuffle(2), PixelUnshuffle(2),
                  Upsample(size: [3, 3]), ZeroPad2d(1), ConstantPad2d(1, value: 1), ReflectionPad2d(1), ReplicationPad2d(1),
                  CircularPad2d(1), ChannelShuffle(groups: 2), Softmax2d(), Unfold(kernelSize: 2), LocalResponseNorm(size: 3),
                  UpsamplingNearest2d(scaleFactor: 2), UpsamplingBilinear2d(size: [3, 3])] as [any Layer] {
            add(a, x4)
        }
        add(Fold(outputSize: [3, 3], kernelSize: 2), Tensor.normal([1, 8, 4], generator: &g))
        for a in [RNN(inputSize: 4, hiddenSize: 3), GRU(inputSize: 4, hiddenSize: 3), LSTM(inputSize: 4, hiddenSize: 3),
                  MultiheadAttention(embedDim: 4, numHeads: 2),
                  TransformerEncoderLayer(dModel: 4, numHeads: 2, dimFeedforward: 8, dropout: 0)] as [any Layer] {
            add(a, seq)
        }
        add(TransformerEncoder(numLayers: 2) { TransformerEncoderLayer(dModel: 4, numHeads: 2, dimFeedforward: 8, dropout: 0) }, seq)
        add(RNNCell(inputSize: 4, hiddenSize: 3), x2)
        add(GRUCell(inputSize: 4, hiddenSize: 3), x2)
        add(LSTMCell(inputSize: 4, hiddenSize: 3), x2)
        add(Sequential { Linear(4, 3); ReLU() }, x2)
        // Unbatched inputs of the layers that batch them and call themselves again.
        add(Conv1d(4, 2, kernelSize: 3), x3.select(axis: 0, index: 0))
        add(Conv2d(4, 2, kernelSize: 3), x4.select(axis: 0, index: 0))
        add(InstanceNorm1d(4), x3.select(axis: 0, index: 0))
        add(InstanceNorm2d(4), x4.select(axis: 0, index: 0))
        add(ConvTranspose1d(4, 2, kernelSize: 3), x3.select(axis: 0, index: 0))
        add(MaxPool1d(2), x3.select(axis: 0, index: 0))
        add(AdaptiveMaxPool2d(2), x4.select(axis: 0, index: 0))
        add(RNN(inputSize: 4, hiddenSize: 3), seq.select(axis: 1, index: 0))
        add(TransformerEncoderLayer(dModel: 4, numHeads: 2, dimFeedforward: 8, dropout: 0), seq.select(axis: 1, index: 0))
        // Volumes [N, C, D, H, W] and one unbatched volume.
        let x5 = Tensor.normal([1, 4, 4, 4, 4], generator: &g)
        for a in [Conv3d(4, 2, kernelSize: 3), ConvTranspose3d(4, 2, kernelSize: 2), MaxPool3d(2), AvgPool3d(2), AdaptiveAvgPool3d(1),
                  AdaptiveMaxPool3d(2), BatchNorm3d(4), InstanceNorm3d(4), ZeroPad3d(1), ConstantPad3d(1, value: 1), ReflectionPad3d(1),
                  ReplicationPad3d(1), CircularPad3d(1)] as [any Layer] {
            add(a, x5)
        }
        add(Conv3d(4, 2, kernelSize: 3, padding: 1, paddingMode: .reflect), x5.select(axis: 0, index: 0))
        add(InstanceNorm3d(4), x5.select(axis: 0, index: 0))
        let pool3 = MaxPool3d(2)
        list.append(("MaxPool3d.withIndices", pool3, { x5 }, { m, x in (m as! MaxPool3d).withIndices(x).values }))
        let (pooled3, indices3) = Functional.maxPool3dWithIndices(x5, kernelSize: (2, 2, 2))
        list.append(("MaxUnpool3d", MaxUnpool3d(2), { pooled3 }, { m, x in (m as! MaxUnpool3d)(x, indices: indices3) }))
        let tokens = Tensor(shape: [1, 3], integers: [1, 2, 0])
        let gpt = GPTLanguageModel(vocabularySize: 5, contextLength: 4, embeddingSize: 4, numHeads: 2, numLayers: 1, generator: &g)
        list.append(("GPTLanguageModel", gpt, { tokens }, { m, x in (m as! GPTLanguageModel)(x) }))
        let pool = MaxPool2d(2)
        list.append(("MaxPool2d.withIndices", pool, { x4 }, { m, x in (m as! MaxPool2d).withIndices(x).values }))
        // Calls with more than one tensor: the hook sees the first.
        let cosine = CosineSimilarity()
        list.append(("CosineSimilarity", cosine, { x2 }, { m, x in (m as! CosineSimilarity)(x, x2) }))
        let distance = PairwiseDistance()
        list.append(("PairwiseDistance", distance, { x2 }, { m, x in (m as! PairwiseDistance)(x, x2) }))
        let bilinear = Bilinear(4, 4, 2)
        list.append(("Bilinear", bilinear, { x2 }, { m, x in (m as! Bilinear)(x, x2) }))
        let decoderLayer = TransformerDecoderLayer(dModel: 4, numHeads: 2, dimFeedforward: 8, dropout: 0)
        list.append(("TransformerDecoderLayer", decoderLayer, { seq }, { m, x in (m as! TransformerDecoderLayer)(x, memory: seq) }))
        let decoder = TransformerDecoder(numLayers: 2) { TransformerDecoderLayer(dModel: 4, numHeads: 2, dimFeedforward: 8, dropout: 0) }
        list.append(("TransformerDecoder", decoder, { seq }, { m, x in (m as! TransformerDecoder)(x, memory: seq) }))
        let transformer = Transformer(dModel: 4, numHeads: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 8, dropout: 0)
        list.append(("Transformer", transformer, { seq }, { m, x in (m as! Transformer)(x, seq) }))
        let (pooled, indices) = Functional.maxPool2dWithIndices(x4, kernelSize: (2, 2))
        let unpool = MaxUnpool2d(2)
        list.append(("MaxUnpool2d", unpool, { pooled }, { m, x in (m as! MaxUnpool2d)(x, indices: indices) }))
        return list
    }

    @Test("every layer runs its hooks once per call, and a forward hook's replacement is the call's result")
    func everyLayerRunsHooksOnce() throws {
        for (name, module, input, call) in Self.everyLayer() {
            var pre = 0, post = 0
            var seenInput: Tensor?
            module.registerForwardPreHook { m, x in
                #expect(m === module)
                pre += 1
                seenInput = x
                return nil
            }
            module.registerForwardHook { _, x, y in
                post += 1
                #expect(x === seenInput, "\(name): the hook after sees the pre-hook's input")
                return y * 0 + 5
            }
            let x = input()
            let y = try GradusError.catching { call(module, x) }
            #expect(pre == 1 && post == 1, "\(name): pre \(pre) post \(post)")
            #expect(seenInput === x, "\(name): the hook sees the main input")
            #expect(!y.scalars(as: Double.self).isEmpty && y.scalars(as: Double.self).allSatisfy { $0 == 5 }, "\(name)")
        }
    }

    @Test("pre-hooks replace the input, hooks the output, in registration order (or first with prepend); gradients flow through")
    func replacementAndOrder() throws {
        let linear = Linear(weight: Tensor(shape: [1, 2], values: [1, 2], dtype: .float64).requiringGrad(), bias: nil)
        var order: [String] = []
        linear.registerForwardPreHook { _, x in order.append("pre1"); return x * 2 }
        linear.registerForwardPreHook { _, x in order.append("pre2"); return x + 1 }
        linear.registerForwardPreHook(prepend: true) { _, _ in order.append("pre0"); return nil }
        linear.registerForwardHook { _, _, y in order.append("post1"); return y * 10 }
        linear.registerForwardHook(prepend: true) { _, x, y in
            order.append("post0")
            #expect(x.scalars(as: Double.self) == [3, 5])   // (x · 2) + 1
            return nil
        }
        let x = Tensor([1.0, 2.0], dtype: .float64).requiringGrad()
        let y = linear(x)
        #expect(order == ["pre0", "pre1", "pre2", "post0", "post1"])
        #expect(y.scalars(as: Double.self) == [130])       // (3·1 + 5·2) · 10
        y.sum().backward()
        #expect(try #require(x.grad).scalars(as: Double.self) == [20, 40])        // 10 · 2 · w
        #expect(try #require(linear.weight.grad).scalars(as: Double.self) == [30, 50])
    }

    @Test("a handle removes its own hook only, once; hooks may remove themselves while running")
    func removal() {
        let relu = ReLU()
        var a = 0, b = 0
        let ha = relu.registerForwardHook { _, _, _ in a += 1; return nil }
        let hb = relu.registerForwardPreHook { _, _ in b += 1; return nil }
        _ = relu(Tensor([1.0]))
        ha.remove(); ha.remove()
        _ = relu(Tensor([1.0]))
        #expect(a == 1 && b == 2 && relu.hasForwardHooks)
        hb.remove()
        #expect(!relu.hasForwardHooks)
        var once = 0
        var handle: HookHandle?
        handle = relu.registerForwardHook { _, _, _ in once += 1; handle?.remove(); return nil }
        _ = relu(Tensor([1.0])); _ = relu(Tensor([1.0]))
        #expect(once == 1 && !relu.hasForwardHooks)
    }

    @Test("hooks read intermediate activations of a model: the features equal the prefix's output")
    func featureExtraction() throws {
        var g = SeededGenerator(seed: 3)
        let model = Sequential { Linear(4, 8, generator: &g); ReLU(); Linear(8, 2, generator: &g) }
        var features: Tensor?
        let handle = model[1].registerForwardHook { _, _, y in features = y.detach(); return nil }
        let x = Tensor.normal([5, 4], generator: &g)
        _ = model(x)
        handle.remove()
        let expected = model[1](model[0](x))
        #expect(try #require(features).scalars() == expected.scalars())
    }

    @Test("LSTM and attention hooks see the sequence and output and keep the rest of the result; self-attention's replaced query is its key and value")
    func multiTensorResults() throws {
        var g = SeededGenerator(seed: 5)
        let lstm = LSTM(inputSize: 3, hiddenSize: 2, generator: &g)
        let x = Tensor.normal([4, 1, 3], generator: &g)
        let plain = lstm(x, nil)
        lstm.registerForwardHook { _, _, y in y * 2 }
        let hooked = lstm(x, nil)
        #expect(hooked.output.scalars() == (plain.output * 2).scalars())
        #expect(hooked.state.hidden.scalars() == plain.state.hidden.scalars() && hooked.state.cell.scalars() == plain.state.cell.scalars())

        let attention = MultiheadAttention(embedDim: 4, numHeads: 2, generator: &g)
        let q = Tensor.normal([3, 1, 4], generator: &g)
        let expected = attention(query: q * 3, key: q * 3, value: q * 3)
        let handle = attention.registerForwardPreHook { _, x in x * 3 }
        let got = attention(query: q, key: q, value: q)
        #expect(got.output.allClose(expected.output, rtol: 1e-6, atol: 1e-6))
        #expect(try #require(got.weights).allClose(try #require(expected.weights), rtol: 1e-6, atol: 1e-6))
        handle.remove()
        // Inside a Transformer layer, its attention's hooks run too.
        let layer = TransformerEncoderLayer(dModel: 4, numHeads: 2, dimFeedforward: 8, dropout: 0, generator: &g)
        var calls = 0
        layer.selfAttention.registerForwardHook { _, _, _ in calls += 1; return nil }
        _ = layer(q)
        #expect(calls == 1)
    }

    @Test("a hook that throws fails the call like an operation, with its message; hooks do not run in a failed scope")
    func throwingHooks() {
        let linear = Linear(2, 1)
        linear.registerForwardPreHook { _, x in
            guard x.shape.last == 2 else { throw GradusError(.shapeMismatch, "hook: expected 2 features, got \(x.shape)") }
            return nil
        }
        #expect(failure { linear(Tensor.zeros([1, 3])) }?.message.contains("hook: expected 2 features") == true)
        let tanh = Tanh()
        var ran = 0
        tanh.registerForwardHook { _, _, _ in ran += 1; return nil }
        let error = failure {
            _ = Tensor.zeros([2]).matmul(Tensor.zeros([3]))   // fails the scope
            return tanh(Tensor([1.0]))
        }
        #expect(error != nil && ran == 0)
        _ = tanh(Tensor([1.0]))
        #expect(ran == 1)
        // A hook after the computation that throws: the error is the call's, and the hooks after it do not run.
        let relu = ReLU()
        var later = 0
        relu.registerForwardHook { _, _, _ in throw GradusError(.invalidArgument, "post-hook refuses") }
        relu.registerForwardHook { _, _, _ in later += 1; return nil }
        let postError = failure { relu(Tensor([1.0])) }
        #expect(postError?.message == "post-hook refuses" && later == 0)
    }

    @Test("an inference plan runs its model with hooks while it has any; ONNX-style suspension runs none")
    func plansAndSuspension() throws {
        var g = SeededGenerator(seed: 13)
        let model = Sequential { Linear(4, 3, generator: &g); ReLU(); Linear(3, 2, generator: &g) }
        model.eval()
        let plan = InferencePlan(model)
        let x = Tensor.normal([2, 4], generator: &g)
        let plain = try plan(x)
        var calls = 0
        let handle = model[2].registerForwardHook { _, _, y in calls += 1; return y + 1 }
        #expect(try plan(x).allClose(plain + 1, rtol: 1e-5, atol: 1e-5) && calls == 1)
        #expect(Module.withForwardHooksSuspended { model(x) }.allClose(plain, rtol: 1e-5, atol: 1e-5) && calls == 1)
        handle.remove()
        #expect(try plan(x).allClose(plain, rtol: 1e-5, atol: 1e-5) && calls == 1)
        // Backward hooks are not forward hooks: the plan still runs its compiled steps (no gradient there).
        let backwardHandle = model[0].registerFullBackwardHook { _, _, _ in nil }
        #expect(model[0].hasBackwardHooks && !model[0].hasForwardHooks)
        #expect(try plan(x).allClose(plain, rtol: 1e-5, atol: 1e-5))
        backwardHandle.remove()
        #expect(!model[0].hasBackwardHooks)
    }

    @Test("a module freed with hooks releases them; its handles then do nothing")
    func freedModules() {
        var handle: HookHandle?
        weak var released: Module?
        do {
            let relu = ReLU()
            released = relu
            handle = relu.registerForwardHook { module, _, y in _ = module; return y }
        }
        #expect(released == nil)
        handle?.remove()
    }

    @Test("a quantized Linear + ReLU pair runs its hooks (the fused integer pass is skipped while either has hooks)")
    func quantizedPairRunsHooks() {
        var g = SeededGenerator(seed: 11)
        let model = Sequential { Linear(8, 4, generator: &g); ReLU() }
        #expect(model.quantizeDynamic() == 1)
        let x = Tensor.normal([2, 8], generator: &g)
        let fused = model(x)
        for index in [0, 1] {
            var seen: Tensor?
            let handle = model[index].registerForwardHook { _, _, y in seen = y; return nil }
            let hooked = model(x)
            #expect(seen != nil, "layer \(index)")
            #expect(hooked.allClose(fused, rtol: 1e-2, atol: 1e-2))
            handle.remove()
        }
    }
}

/// The code of the ForwardHooks article, as written there.
@Suite struct ForwardHooksArticleTests {
    @Test("the article's examples run and do what it says")
    func articleExamples() throws {
        var g = SeededGenerator(seed: 0)
        let model = Sequential {
            Linear(4, 8, generator: &g)
            ReLU()
            Linear(8, 2, generator: &g)
        }
        var features: Tensor?
        let handle = model[1].registerForwardHook { _, _, output in
            features = output.detach()    // the hidden layer's activations, [N, 8]
            return nil                    // keep the output
        }
        let x = Tensor.normal([5, 4], generator: &g)
        let logits = model(x)
        handle.remove()
        #expect(try #require(features).shape == [5, 8] && logits.shape == [5, 2])

        let plain = model[0](x * 10)
        model[0].registerForwardPreHook { _, x in x.clamp(min: -3, max: 3) }
        model[0].registerForwardHook { _, _, y in y * 0.5 }
        let expected = GradMode.noGrad { Tensor.linear((x * 10).clamp(min: -3, max: 3), weight: (model[0] as! Linear).weight, bias: (model[0] as! Linear).bias) * 0.5 }
        let hooked = model[0](x * 10)
        #expect(hooked.allClose(expected) && !hooked.allClose(plain))
    }
}

/// Module backward hooks (PyTorch's `register_full_backward_hook` / `register_full_backward_pre_hook`).
@Suite("backward hooks on modules")
struct BackwardHookTests {
    /// y = W·x with W = [[1, 2], [3, 4]] (Float64); the loss weighs y by [1, 10].
    func linear() -> Linear {
        Linear(weight: Tensor(shape: [2, 2], values: [1, 2, 3, 4], dtype: .float64).requiringGrad(), bias: nil)
    }

    @Test("the hook sees the input and output gradients of the call and may replace the input gradient")
    func gradients() throws {
        let layer = linear()
        var seen: (Tensor?, Tensor)?
        layer.registerFullBackwardHook { m, gi, go in
            #expect(m === layer)
            seen = (gi, go)
            return gi.map { $0 * 2 }
        }
        let x = Tensor([1.0, -1.0], dtype: .float64).requiringGrad()
        (layer(x) * Tensor([1.0, 10.0], dtype: .float64)).sum().backward()
        let (gi, go) = try #require(seen)
        #expect(go.scalars(as: Double.self) == [1, 10])
        #expect(try #require(gi).scalars(as: Double.self) == [31, 42])          // Wᵀ·[1, 10]
        #expect(try #require(x.grad).scalars(as: Double.self) == [62, 84])      // replaced: doubled
        #expect(try #require(layer.weight.grad).scalars(as: Double.self) == [1, -1, 10, -10])
    }

    @Test("without an input gradient the hook runs once, with nil, when the output gradient arrives; a pre-hook replaces the output gradient before the module's backward")
    func firstLayerAndPreHooks() throws {
        let layer = linear()
        var calls = 0
        layer.registerFullBackwardHook { _, gi, go in
            calls += 1
            #expect(gi == nil && go.scalars(as: Double.self) == [2, 20])
            return nil
        }
        var order: [String] = []
        layer.registerFullBackwardPreHook { _, g in order.append("pre"); return g * 2 }
        layer.registerFullBackwardPreHook(prepend: true) { _, g in order.append("first"); return nil }
        let x = Tensor([1.0, -1.0], dtype: .float64)
        (layer(x) * Tensor([1.0, 10.0], dtype: .float64)).sum().backward()
        #expect(calls == 1 && order == ["first", "pre"])
        #expect(try #require(layer.weight.grad).scalars(as: Double.self) == [2, -2, 20, -20])
        // Calls made without gradients run no backward hook.
        _ = GradMode.noGrad { layer(x) }
        #expect(calls == 1)
    }

    @Test("hooks inside a model run per call, in backward order, and stop after removal; a throwing hook fails the backward pass")
    func insideModels() throws {
        var g = SeededGenerator(seed: 2)
        let model = Sequential { Linear(3, 4, generator: &g); Tanh(); Linear(4, 2, generator: &g) }
        var order: [Int] = []
        let handles = [0, 1, 2].map { i in model[i].registerFullBackwardHook { _, _, _ in order.append(i); return nil } }
        let x = Tensor.randn([5, 3], generator: &g).requiringGrad()
        let plain = Autograd.gradients(of: Module.withForwardHooksSuspended { model(x) }.sum(), wrt: [x])[0]
        model(x).sum().backward()
        #expect(order == [2, 1, 0])
        #expect(try #require(x.grad).allClose(plain))
        for h in handles { h.remove() }
        model(x).sum().backward()
        #expect(order == [2, 1, 0])
        model[2].registerFullBackwardHook { _, _, _ in throw GradusError(.invalidArgument, "backward hook refuses") }
        let error = failure { model(x).sum().backward() }
        #expect(error?.message.contains("backward hook refuses") == true)
    }

    @Test("a recorded backward (createGraph) frees its graph; a recurrent layer whose state alone reaches the loss passes zeros shaped like its output")
    func graphsAndUnusedOutputs() throws {
        weak var weakInput: Tensor?
        do {
            let layer = linear()
            layer.registerFullBackwardHook { _, _, _ in nil }
            let x = Tensor([1.0, -1.0], dtype: .float64).requiringGrad()
            weakInput = x
            let y = layer(x).square().sum()
            let g = Autograd.gradients(of: y, wrt: [x], createGraph: true)[0]
            g.sum().backward()
        }
        #expect(weakInput == nil, "the backward hook's box kept the recorded graph alive")
        var g = SeededGenerator(seed: 9)
        let lstm = LSTM(inputSize: 2, hiddenSize: 3, generator: &g)
        var seenOutputGradient: Tensor?
        lstm.registerFullBackwardHook { _, _, go in seenOutputGradient = go; return nil }
        let x = Tensor.randn([4, 1, 2], generator: &g).requiringGrad()
        lstm(x, nil).state.hidden.sum().backward()
        let go = try #require(seenOutputGradient)
        #expect(go.shape == [4, 1, 3] && go.scalars().allSatisfy { $0 == 0 })
        #expect(x.grad != nil)
    }
}
