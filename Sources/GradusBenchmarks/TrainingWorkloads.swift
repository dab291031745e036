import Gradus

/// The training and inference workloads of ../shared/bench/pytorch_ref.py, with the same shapes,
/// hyper-parameters and names, and the 32×32 image CNN's (`cnn_c3_b64`, `cnn_infer_b1`), whose PyTorch
/// side is in scripts/pytorch_micro.py.
enum TrainingWorkloads {
    static func mlp(_ rng: inout SeededGenerator) -> Sequential {
        Sequential {
            Linear(784, 256, generator: &rng)
            ReLU()
            Linear(256, 128, generator: &rng)
            ReLU()
            Linear(128, 10, generator: &rng)
        }
    }

    static func lenet(_ rng: inout SeededGenerator) -> Sequential {
        Sequential {
            Conv2d(1, 6, kernelSize: 5, padding: 2, generator: &rng)
            ReLU()
            MaxPool2d(2)
            Conv2d(6, 16, kernelSize: 5, generator: &rng)
            ReLU()
            MaxPool2d(2)
            Flatten()
            Linear(400, 120, generator: &rng)
            ReLU()
            Linear(120, 84, generator: &rng)
            ReLU()
            Linear(84, 10, generator: &rng)
        }
    }

    /// A VGG-style CNN for 3-channel 32×32 images (issue 15): three blocks of a 3×3 convolution
    /// (padding 1; 32, 64 then 128 channels), batch normalization, ReLU and 2×2 max pooling, then a
    /// linear classifier on the flattened 128×4×4 features (114,186 parameters).
    static func cnn(_ rng: inout SeededGenerator) -> Sequential {
        Sequential {
            Conv2d(3, 32, kernelSize: 3, padding: 1, generator: &rng)
            BatchNorm2d(32)
            ReLU()
            MaxPool2d(2)
            Conv2d(32, 64, kernelSize: 3, padding: 1, generator: &rng)
            BatchNorm2d(64)
            ReLU()
            MaxPool2d(2)
            Conv2d(64, 128, kernelSize: 3, padding: 1, generator: &rng)
            BatchNorm2d(128)
            ReLU()
            MaxPool2d(2)
            Flatten()
            Linear(128 * 4 * 4, 10, generator: &rng)
        }
    }

    /// nn.Linear(1, 1), MSE, SGD lr 0.01, full batch of 100 points.
    static let linreg = Workload(name: "linreg_step") {
        var rng = SeededGenerator(seed: 0)
        let x = Tensor.normal([100, 1], generator: &rng)
        let y = x * 2 + 1
        let model = Linear(1, 1, generator: &rng)
        let optimizer = SGD(model.parameters(), lr: 0.01)
        let criterion = MSELoss()
        let t = secondsPerCall(reps: repetitions(1000)) {
            optimizer.zeroGrad()
            let loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
        }
        return (t * 1e6, "us/step")
    }

    static func classifierStep(_ name: String, batch: Int, inputShape: [Int], reps: Int,
                               model build: @escaping @Sendable (inout SeededGenerator) -> Sequential,
                               optimizer makeOptimizer: @escaping @Sendable ([Tensor]) -> Optimizer) -> Workload {
        Workload(name: name) {
            var rng = SeededGenerator(seed: 0)
            let model = build(&rng)
            let optimizer = makeOptimizer(model.parameters())
            let x = Tensor.uniform([batch] + inputShape, generator: &rng)
            let y = Tensor.randint(0, 10, shape: [batch], generator: &rng)
            let t = secondsPerCall(reps: reps) {
                optimizer.zeroGrad()
                let loss = model(x).crossEntropy(y)
                loss.backward()
                optimizer.step()
            }
            return (Double(batch) / t, "samples/s")
        }
    }

    static let mlpSGD = classifierStep("mlp_sgd_b64", batch: 64, inputShape: [784], reps: 100, model: mlp) {
        SGD($0, lr: 0.05, momentum: 0.9)
    }

    static let mlpAdam = classifierStep("mlp_adam_b64", batch: 64, inputShape: [784], reps: 100, model: mlp) {
        Adam($0, lr: 1e-3)
    }

    static let lenetSGD = classifierStep("lenet_sgd_b64", batch: 64, inputShape: [1, 28, 28], reps: 30, model: lenet) {
        SGD($0, lr: 0.05, momentum: 0.9)
    }

    /// One SGD step (lr 0.01, momentum 0.9) of ``cnn(_:)`` in training mode (batch statistics) on 64
    /// random 3×32×32 images with labels in 0..<10, cross-entropy; scripts/pytorch_micro.py's `cnn_c3_b64`.
    static let cnnSGD = classifierStep("cnn_c3_b64", batch: 64, inputShape: [3, 32, 32], reps: 30, model: cnn) {
        SGD($0, lr: 0.01, momentum: 0.9)
    }

    /// A small 3-D CNN for volumes or clips: two blocks of a 3×3×3 convolution (padding 1; 16 then 32
    /// channels), batch normalization, ReLU and 2×2×2 max pooling, then global average pooling and a
    /// linear classifier (14,730 parameters).
    static func cnn3d(_ rng: inout SeededGenerator) -> Sequential {
        Sequential {
            Conv3d(1, 16, kernelSize: 3, padding: 1, generator: &rng)
            BatchNorm3d(16)
            ReLU()
            MaxPool3d(2)
            Conv3d(16, 32, kernelSize: 3, padding: 1, generator: &rng)
            BatchNorm3d(32)
            ReLU()
            MaxPool3d(2)
            AdaptiveAvgPool3d(1)
            Flatten()
            Linear(32, 10, generator: &rng)
        }
    }

    /// One SGD step (lr 0.01, momentum 0.9) of ``cnn3d(_:)`` on 8 random 1×16×32×32 volumes;
    /// scripts/pytorch_micro.py's `cnn3d_b8`.
    static let cnn3dSGD = classifierStep("cnn3d_b8", batch: 8, inputShape: [1, 16, 32, 32], reps: 10, model: cnn3d) {
        SGD($0, lr: 0.01, momentum: 0.9)
    }

    /// A MobileNet-style CNN for 3-channel 32×32 images: a 3×3 convolution to 32 channels, then four
    /// depthwise-separable blocks (a depthwise 3×3 convolution, `groups` = channels, and a pointwise 1×1
    /// one, each followed by batch normalization and ReLU; 32 → 64, 64 → 128 stride 2, 128 → 128,
    /// 128 → 256 stride 2), global average pooling and Linear(256, 10).
    static func mobileNet(_ rng: inout SeededGenerator) -> Sequential {
        func separable(_ c: Int, _ o: Int, stride: Int, _ rng: inout SeededGenerator) -> [any Layer] {
            [Conv2d(c, c, kernelSize: 3, stride: Size2(stride), padding: 1, groups: c, bias: false, generator: &rng),
             BatchNorm2d(c), ReLU(),
             Conv2d(c, o, kernelSize: 1, bias: false, generator: &rng), BatchNorm2d(o), ReLU()]
        }
        var layers: [any Layer] = [Conv2d(3, 32, kernelSize: 3, padding: 1, bias: false, generator: &rng), BatchNorm2d(32), ReLU()]
        layers += separable(32, 64, stride: 1, &rng)
        layers += separable(64, 128, stride: 2, &rng)
        layers += separable(128, 128, stride: 1, &rng)
        layers += separable(128, 256, stride: 2, &rng)
        layers += [AdaptiveAvgPool2d(1), Flatten(), Linear(256, 10, generator: &rng)]
        return Sequential(layers)
    }

    /// One-image inference of ``mobileNet(_:)`` in evaluation mode without recording, with argmax, through
    /// the model or an ``InferencePlan``; scripts/pytorch_micro.py's `mobilenet_infer_b1` for both.
    static let mobileNetInfer = oneSampleInference("mobilenet_infer_b1", model: mobileNet, inputShape: [1, 3, 32, 32], plan: false)
    static let mobileNetInferPlan = oneSampleInference("mobilenet_infer_b1_plan", model: mobileNet, inputShape: [1, 3, 32, 32], plan: true)

    /// One SGD step (lr 0.01, momentum 0.9) of ``mobileNet(_:)`` on 64 random 3×32×32 images,
    /// cross-entropy; scripts/pytorch_micro.py's `mobilenet_b64`.
    static let mobileNetSGD = classifierStep("mobilenet_b64", batch: 64, inputShape: [3, 32, 32], reps: 20, model: mobileNet) {
        SGD($0, lr: 0.01, momentum: 0.9)
    }

    /// Batch normalization (training statistics) and ReLU on [64, 128, 16, 16] (a MobileNet block's
    /// activations), forward and backward to the input, γ and β with a fixed upstream gradient, through
    /// a `Sequential` of the two layers; `separate`: a no-op forward hook on the ReLU keeps the two layers
    /// apart (the path without the fused operation). scripts/pytorch_micro.py's `bn_relu_b64` for both.
    static func batchNormReLU(separate: Bool) -> Workload {
        blockStep(separate ? "bn_relu_b64_separate" : "bn_relu_b64", input: [64, 128, 16, 16], output: [64, 128, 16, 16],
                  hookedLayer: separate ? 1 : nil) { Sequential { BatchNorm2d(128); ReLU() } }
    }

    /// Batch normalization (training statistics), ReLU and 2×2 max pooling on [64, 32, 32, 32] (the end
    /// of cnn_c3_b64's first block), forward and backward to the input, γ and β with a fixed upstream
    /// gradient, through a `Sequential` of the three layers; `separate`: a no-op forward hook on the
    /// pooling keeps it apart (BatchNorm and ReLU then run as their pair). scripts/pytorch_micro.py's
    /// `bn_relu_pool_b64` for both.
    static func batchNormReLUPool(separate: Bool) -> Workload {
        blockStep(separate ? "bn_relu_pool_b64_separate" : "bn_relu_pool_b64", input: [64, 32, 32, 32], output: [64, 32, 16, 16],
                  hookedLayer: separate ? 2 : nil) { Sequential { BatchNorm2d(32); ReLU(); MaxPool2d(2) } }
    }

    /// One forward and backward pass of `block()` on a random input with a fixed random upstream
    /// gradient (µs per step, 30 steps); a no-op forward hook on layer `hookedLayer` keeps the layers
    /// around it from running as one operation.
    private static func blockStep(_ name: String, input: [Int], output: [Int], hookedLayer: Int?,
                                  _ block: @escaping @Sendable () -> Sequential) -> Workload {
        Workload(name: name) {
            var rng = SeededGenerator(seed: 0)
            let model = block()
            if let hookedLayer { model[hookedLayer].registerForwardHook { _, _, _ in nil } }
            let x = Tensor.normal(input, generator: &rng).requiringGrad()
            let upstream = Tensor.normal(output, generator: &rng)
            let t = secondsPerCall(reps: 30) {
                model(x).backward(upstream)
                x.grad = nil
                model.zeroGrad()
            }
            return (t * 1e6, "us/step")
        }
    }

    /// A DCGAN generator for 3-channel 32×32 images: a 100-value code [100, 1, 1] through transposed
    /// 4×4 convolutions 100 → 256 (stride 1, to 4×4), 256 → 128, 128 → 64 and 64 → 3 (stride 2, padding 1:
    /// 8×8, 16×16, 32×32), batch normalization and ReLU between them, Tanh at the end.
    static func dcganGenerator(_ rng: inout SeededGenerator) -> Sequential {
        Sequential {
            ConvTranspose2d(100, 256, kernelSize: 4, bias: false, generator: &rng)
            BatchNorm2d(256)
            ReLU()
            ConvTranspose2d(256, 128, kernelSize: 4, stride: 2, padding: 1, bias: false, generator: &rng)
            BatchNorm2d(128)
            ReLU()
            ConvTranspose2d(128, 64, kernelSize: 4, stride: 2, padding: 1, bias: false, generator: &rng)
            BatchNorm2d(64)
            ReLU()
            ConvTranspose2d(64, 3, kernelSize: 4, stride: 2, padding: 1, bias: false, generator: &rng)
            Tanh()
        }
    }

    /// One image from one code through ``dcganGenerator(_:)`` in evaluation mode (argmax of the image, as
    /// the other one-sample workloads), through the model or an ``InferencePlan``;
    /// scripts/pytorch_micro.py's `dcgan_infer_b1` for both.
    static let dcganInfer = oneSampleInference("dcgan_infer_b1", model: dcganGenerator, inputShape: [1, 100, 1, 1], plan: false)
    static let dcganInferPlan = oneSampleInference("dcgan_infer_b1_plan", model: dcganGenerator, inputShape: [1, 100, 1, 1], plan: true)

    /// One Adam step (lr 2e-4, betas 0.5 and 0.999) of ``dcganGenerator(_:)`` on 64 random codes, the
    /// mean squared error against 64 random images in [-1, 1); scripts/pytorch_micro.py's `dcgan_b64`.
    static let dcganStep = Workload(name: "dcgan_b64") {
        var rng = SeededGenerator(seed: 0)
        let model = dcganGenerator(&rng)
        let optimizer = Adam(model.parameters(), lr: 2e-4, betas: (0.5, 0.999))
        let codes = Tensor.normal([64, 100, 1, 1], generator: &rng)
        let images = Tensor.uniform([64, 3, 32, 32], generator: &rng) * 2 - 1
        let t = secondsPerCall(reps: 20) {
            optimizer.zeroGrad()
            let loss = model(codes).mseLoss(images)
            loss.backward()
            optimizer.step()
        }
        return (64 / t, "samples/s")
    }

    /// One-sample MLP inference without recording, with argmax.
    static let mlpInfer = oneSampleInference("mlp_infer_b1", model: mlp, inputShape: [1, 784], plan: false)

    /// mlp_infer_b1 with the model's linear layers dynamically quantized to 8-bit weights
    /// (``Module/quantizeDynamic()``): scripts/pytorch_micro.py's `mlp_infer_b1_int8` runs PyTorch's
    /// `quantize_dynamic` of the same model.
    static let mlpInferInt8 = quantizedInference("mlp_infer_b1_int8", plan: false)

    /// mlp_infer_b1_int8 through an ``InferencePlan`` (the integer layers on the plan's buffers, ReLU
    /// fused); the reference sides run the same models as for mlp_infer_b1_int8.
    static let mlpInferInt8Plan = quantizedInference("mlp_infer_b1_int8_plan", plan: true)

    static func quantizedInference(_ name: String, plan usePlan: Bool) -> Workload {
        Workload(name: name) {
            var rng = SeededGenerator(seed: 0)
            let model = mlp(&rng)
            model.eval()
            model.quantizeDynamic()
            let plan = InferencePlan(model)
            let x = Tensor.uniform([1, 784], generator: &rng)
            let t = secondsPerCall(reps: repetitions(1000)) {
                _ = usePlan ? try! plan(x).argmax() : GradMode.noGrad { model(x).argmax() }
            }
            return (t * 1e6, "us/sample")
        }
    }

    /// One-image inference of ``cnn(_:)`` in evaluation mode (batch normalization with its running
    /// statistics) without recording, with argmax; scripts/pytorch_micro.py's `cnn_infer_b1`.
    static let cnnInfer = oneSampleInference("cnn_infer_b1", model: cnn, inputShape: [1, 3, 32, 32], plan: false)

    /// mlp_infer_b1 through an ``InferencePlan`` (row products with bias and ReLU fused, planned buffers);
    /// the reference sides run the same model as for mlp_infer_b1.
    static let mlpInferPlan = oneSampleInference("mlp_infer_b1_plan", model: mlp, inputShape: [1, 784], plan: true)

    /// cnn_infer_b1 through an ``InferencePlan`` (one oneDNN chain: batch normalization folded into the
    /// convolutions, ReLU fused, blocked layouts); the reference sides run the same model as for cnn_infer_b1.
    static let cnnInferPlan = oneSampleInference("cnn_infer_b1_plan", model: cnn, inputShape: [1, 3, 32, 32], plan: true)

    /// One-sample inference of `model` in evaluation mode with argmax, 1000 calls per timing: through
    /// the model without recording, or through an ``InferencePlan``.
    static func oneSampleInference(_ name: String, model build: @escaping @Sendable (inout SeededGenerator) -> Sequential,
                                   inputShape: [Int], plan usePlan: Bool) -> Workload {
        Workload(name: name) {
            var rng = SeededGenerator(seed: 0)
            let model = build(&rng)
            model.eval()
            let plan = InferencePlan(model)
            let x = Tensor.uniform(inputShape, generator: &rng)
            let t = secondsPerCall(reps: repetitions(1000)) {
                _ = usePlan ? try! plan(x).argmax() : GradMode.noGrad { model(x).argmax() }
            }
            return (t * 1e6, "us/sample")
        }
    }

    /// Inference of ``cnn(_:)`` in evaluation mode on a batch of 64 images, through the model
    /// (`plan` false) or an ``InferencePlan``; scripts/pytorch_micro.py's `cnn_infer_b64` for both.
    static func cnnInferBatch(plan usePlan: Bool) -> Workload {
        Workload(name: usePlan ? "cnn_infer_b64_plan" : "cnn_infer_b64") {
            var rng = SeededGenerator(seed: 0)
            let model = cnn(&rng)
            model.eval()
            let plan = InferencePlan(model)
            let x = Tensor.uniform([64, 3, 32, 32], generator: &rng)
            let t = secondsPerCall(reps: repetitions(20)) {
                _ = usePlan ? try! plan(x).argmax(axis: 1) : GradMode.noGrad { model(x).argmax(axis: 1) }
            }
            return (64 / t, "samples/s")
        }
    }

    /// `Trainer.evaluate` of ``cnn(_:)`` on 1,024 labelled images in batches of 256 (loss, accuracy and
    /// confusion matrix, as the command evaluates a checkpoint and the trainer each epoch); Gradus only.
    static let cnnEvaluate = Workload(name: "cnn_evaluate_1k") {
        var rng = SeededGenerator(seed: 0)
        let model = cnn(&rng)
        let images = Tensor.uniform([1024, 3, 32, 32], generator: &rng)
        let labels = Tensor(labels: (0..<1024).map { $0 % 10 })
        let data = TensorDataset(images, labels)
        let t = secondsPerCall(warm: 1, reps: repetitions(3)) {
            _ = Trainer.evaluate(model: model, task: .classify, data: data, batchSize: 256)
        }
        return (1024 / t, "samples/s")
    }

    /// A GAN discriminator's layers as a classifier, every weight spectrally normalized (one power-iteration
    /// step per call): 4×4 convolutions of stride 2 (3 → 64 → 128 channels) with LeakyReLU(0.2), then
    /// Linear(128·8·8, 10).
    static func spectralCNN(_ rng: inout SeededGenerator) -> Sequential { stridedCNN(&rng, spectral: true) }

    /// ``spectralCNN(_:)`` with its parametrizations or without (`strided_cnn_b64`, the cost of the
    /// layers alone).
    static func stridedCNN(_ rng: inout SeededGenerator, spectral: Bool) -> Sequential {
        func normalized<M: Module>(_ m: M, _ rng: inout SeededGenerator) -> M {
            // Constant, valid settings: registration cannot fail here.
            spectral ? try! Parametrizations.spectralNorm(m, generator: &rng) : m
        }
        return Sequential([
            normalized(Conv2d(3, 64, kernelSize: 4, stride: 2, padding: 1, generator: &rng), &rng),
            LeakyReLU(negativeSlope: 0.2),
            normalized(Conv2d(64, 128, kernelSize: 4, stride: 2, padding: 1, generator: &rng), &rng),
            LeakyReLU(negativeSlope: 0.2),
            Flatten(),
            normalized(Linear(128 * 8 * 8, 10, generator: &rng), &rng),
        ])
    }

    /// ``spectralCNNAdam`` without spectral normalization.
    static let stridedCNNAdam = classifierStep("strided_cnn_b64", batch: 64, inputShape: [3, 32, 32], reps: 20,
                                               model: { stridedCNN(&$0, spectral: false) }) {
        Adam($0, lr: 2e-4)
    }

    /// One Adam step (lr 2e-4) of ``spectralCNN(_:)`` on 64 random 3×32×32 images, cross-entropy;
    /// scripts/pytorch_micro.py's `sn_cnn_b64` (torch.nn.utils.parametrizations.spectral_norm).
    static let spectralCNNAdam = classifierStep("sn_cnn_b64", batch: 64, inputShape: [3, 32, 32], reps: 20, model: spectralCNN) {
        Adam($0, lr: 2e-4)
    }

    static let all: [Workload] = [linreg, mlpSGD, mlpAdam, lenetSGD, mlpInfer, mlpInferInt8, mlpInferInt8Plan, cnnSGD, cnnInfer,
                                  mlpInferPlan, cnnInferPlan, cnnInferBatch(plan: false), cnnInferBatch(plan: true), cnnEvaluate,
                                  cnn3dSGD, spectralCNNAdam, stridedCNNAdam, mobileNetSGD, mobileNetInfer, mobileNetInferPlan, dcganStep, dcganInfer, dcganInferPlan,
                                  batchNormReLU(separate: false), batchNormReLU(separate: true),
                                  batchNormReLUPool(separate: false), batchNormReLUPool(separate: true)]
}
