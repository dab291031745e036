import Gradus

/// The training and inference workloads of ../shared/bench/pytorch_ref.py, with the same shapes,
/// hyper-parameters and names.
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

    /// nn.Linear(1, 1), MSE, SGD lr 0.01, full batch of 100 points.
    static let linreg = Workload(name: "linreg_step") {
        var rng = SeededGenerator(seed: 0)
        let x = Tensor.normal([100, 1], generator: &rng)
        let y = x * 2 + 1
        let model = Linear(1, 1, generator: &rng)
        let optimizer = SGD(model.parameters(), lr: 0.01)
        let criterion = MSELoss()
        let t = secondsPerCall(reps: 1000) {
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

    /// One-sample MLP inference without recording, with argmax.
    static let mlpInfer = Workload(name: "mlp_infer_b1") {
        var rng = SeededGenerator(seed: 0)
        let model = mlp(&rng)
        let x = Tensor.uniform([1, 784], generator: &rng)
        let t = secondsPerCall(reps: 1000) {
            GradMode.noGrad { _ = model(x).argmax() }
        }
        return (t * 1e6, "us/sample")
    }

    static let all: [Workload] = [linreg, mlpSGD, mlpAdam, lenetSGD, mlpInfer]
}
