import Gradus

/// bf16 mixed precision (``Float32ProductPrecision/medium``): existing workloads run inside
/// `MatrixProductBackend.withFloat32Precision(.medium)`, named with a `_bf16` suffix;
/// scripts/pytorch_micro.py runs the same under `torch.autocast("cpu", dtype=torch.bfloat16)`.
enum MixedPrecisionWorkloads {
    static func bf16(_ workload: Workload) -> Workload {
        Workload(name: workload.name + "_bf16") {
            MatrixProductBackend.withFloat32Precision(.medium) { workload.run() }
        }
    }

    static let all: [Workload] = [
        bf16(FoundationWorkloads.sgemm(1024)), bf16(FoundationWorkloads.sgemm(2048)),
        bf16(TrainingWorkloads.mlpSGD), bf16(TrainingWorkloads.lenetSGD), bf16(TrainingWorkloads.cnnSGD),
        bf16(SequenceWorkloads.transformerLong),
    ]
}
