#!/usr/bin/env python3
"""ONNX Runtime's side of Gradus's inference benchmarks: the models of gradus-bench's `mlp_infer_b1`,
`mlp_infer_b1_int8` and `cnn_infer_b1`, built in PyTorch with the same shapes, exported to ONNX
(TorchScript exporter, opset 17) and run by an ONNX Runtime session on one sample, argmax included,
printing the same `NAME VALUE UNIT threads=N` lines as gradus-bench. `mlp_infer_b1_int8` is the exported
model quantized by ONNX Runtime's own `quantize_dynamic` (int8 weights, dynamic activations).

    /tmp/torchenv/bin/python scripts/onnxruntime_ref.py --threads 1 mlp_infer_b1
    python3 scripts/compare_pytorch.py --torch-python /tmp/torchenv/bin/python \\
        --reference scripts/onnxruntime_ref.py mlp_infer_b1 mlp_infer_b1_int8 cnn_infer_b1

Needs torch, numpy, onnx and onnxruntime (pip); the session uses --threads intra-op threads, one
inter-op thread, all graph optimizations, sequential execution.
"""
import argparse, os, sys, tempfile, time, warnings
import numpy as np, torch
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(__file__))
from pytorch_micro import cnn, mlp, timeit  # the same models as PyTorch's side

def session(model, example, threads, quantize=False):
    folder = tempfile.mkdtemp(prefix="gradus-ort-")
    path = os.path.join(folder, "model.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (example,), path, dynamo=False, input_names=["x"], opset_version=17)
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic
        quantized = os.path.join(folder, "model.int8.onnx")
        quantize_dynamic(path, quantized, weight_type=QuantType.QInt8)
        path = quantized
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])

def one_sample(model, shape, threads, quantize=False):
    x = torch.rand(*shape)
    s = session(model, x, threads, quantize)
    feed = {"x": x.numpy()}
    def f(): s.run(None, feed)[0].argmax()
    return timeit(f, reps=1000) * 1e6, "us/sample"

W = {"mlp_infer_b1": lambda t: one_sample(mlp(), (1, 784), t),
     "mlp_infer_b1_int8": lambda t: one_sample(mlp(), (1, 784), t, quantize=True),
     "cnn_infer_b1": lambda t: one_sample(cnn(), (1, 3, 32, 32), t)}
# Gradus's `_plan` rows run the same models through its InferencePlan.
W.update({"mlp_infer_b1_plan": W["mlp_infer_b1"], "cnn_infer_b1_plan": W["cnn_infer_b1"],
          "mlp_infer_b1_int8_plan": W["mlp_infer_b1_int8"]})

if __name__ == "__main__":
    p = argparse.ArgumentParser(); p.add_argument("--threads", type=int, default=1); p.add_argument("only", nargs="*")
    a = p.parse_args(); torch.set_num_threads(a.threads)
    for name, fn in W.items():
        if a.only and name not in a.only: continue
        v, unit = fn(a.threads); print(f"{name} {v:.1f} {unit} threads={a.threads}", flush=True)
