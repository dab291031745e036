#!/usr/bin/env python3
"""Checks the ONNX files that Gradus exported and records ONNX Runtime's outputs for the Swift tests.

Flow (Tests/ONNXTests/ONNXRuntimeParityTests.swift):
  1. GRADUS_RECORD_ONNX_FIXTURES=1 swift test --filter exportIsReproducible
     writes Tests/Fixtures/onnx/<name>.onnx and <name>.inputs.safetensors (seeded inputs, batches 1 and 7;
     for models of several named inputs, ONNXFusionTests.swift, the keys are <batch>.<input name>);
  2. this script checks every <name>.onnx with onnx.checker.check_model(full_check=True) (which runs
     shape inference too), runs it in ONNX Runtime (CPU, default optimizations) on each input and writes
     the outputs, under the same keys, to <name>.ort.safetensors;
  3. swift test --filter ONNX compares Gradus's outputs with these, and a fresh export with the file.

Needs: pip install onnx onnxruntime safetensors numpy (tested with onnx 1.23.2, onnxruntime 1.32.0).
With --check-only it runs the checks and compares with the committed outputs without writing (for CI).

With --pytorch (needs torch) it also writes Tests/Fixtures/onnx/pytorch/: a small torch.nn.Sequential
exported by torch.onnx.export (the TorchScript exporter), its input and PyTorch's output, for the test
of Module.loadONNXWeights on a file Gradus did not write.
"""
import argparse
import pathlib
import sys

import numpy as np
import onnx
import onnxruntime as ort
from safetensors.numpy import load_file, save_file

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "onnx"


def run(path: pathlib.Path, check_only: bool) -> list[str]:
    problems = []
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    inputs = load_file(str(path.with_name(path.stem + ".inputs.safetensors")))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    graph_inputs = session.get_inputs()
    (graph_output,) = session.get_outputs()

    def typed(x, graph_input):
        return x.astype(np.int64) if graph_input.type == "tensor(int64)" else x.astype(np.float32)

    outputs = {}
    if len(graph_inputs) == 1:
        (graph_input,) = graph_inputs
        for key in sorted(inputs):
            x = typed(inputs[key], graph_input)
            (y,) = session.run([graph_output.name], {graph_input.name: x})
            outputs[key] = np.ascontiguousarray(y.astype(np.float32))
            print(f"  {path.stem} {key}: {list(x.shape)} -> {list(y.shape)}")
    else:
        # Several named inputs: the inputs file holds <batch>.<input name> (b1.image, b1.features).
        for key in sorted({k.split(".", 1)[0] for k in inputs}):
            feed = {i.name: typed(inputs[f"{key}.{i.name}"], i) for i in graph_inputs}
            (y,) = session.run([graph_output.name], feed)
            outputs[key] = np.ascontiguousarray(y.astype(np.float32))
            shapes = ", ".join(f"{name} {list(x.shape)}" for name, x in feed.items())
            print(f"  {path.stem} {key}: {shapes} -> {list(y.shape)}")
    ort_file = path.with_name(path.stem + ".ort.safetensors")
    if check_only:
        committed = load_file(str(ort_file))
        for key, y in outputs.items():
            if key not in committed or committed[key].shape != y.shape or not np.allclose(committed[key], y, rtol=1e-5, atol=1e-6):
                problems.append(f"{path.stem} {key}: ONNX Runtime's output differs from {ort_file.name}")
    else:
        save_file(outputs, str(ort_file))
    return problems


def pytorch_fixture() -> None:
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(4 * 3 * 3, 6), torch.nn.BatchNorm1d(6), torch.nn.Tanh(), torch.nn.Linear(6, 3))
    model.train()
    with torch.no_grad():
        for _ in range(3):   # running statistics of their own
            model(torch.randn(8, 2, 6, 6) * 2 + 0.5)
    model.eval()
    x = torch.randn(5, 2, 6, 6)
    with torch.no_grad():
        y = model(x)
    folder = FIXTURES / "pytorch"
    folder.mkdir(exist_ok=True)
    torch.onnx.export(model, x[:1], str(folder / "sequential.onnx"), opset_version=17, dynamo=False,
                      input_names=["input"], output_names=["output"], dynamic_axes={"input": {0: "batch"}})
    onnx.checker.check_model(onnx.load(str(folder / "sequential.onnx")), full_check=True)
    save_file({"input": x.numpy(), "output": y.numpy()}, str(folder / "sequential.io.safetensors"))
    print(f"  pytorch/sequential.onnx (torch {torch.__version__}): {list(x.shape)} -> {list(y.shape)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check-only", action="store_true", help="check and compare, write nothing")
    parser.add_argument("--pytorch", action="store_true", help="also write the PyTorch-exported fixture (needs torch)")
    parser.add_argument("names", nargs="*", help="only these fixtures (default: all)")
    args = parser.parse_args()
    files = sorted(FIXTURES.glob("*.onnx"))
    if args.names:
        files = [f for f in files if f.stem in args.names]
    if not files:
        print(f"no .onnx files in {FIXTURES}; record them first: GRADUS_RECORD_ONNX_FIXTURES=1 swift test --filter exportIsReproducible")
        return 1
    print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__}")
    if args.pytorch and not args.check_only:
        pytorch_fixture()
    problems = []
    for f in files:
        problems += run(f, args.check_only)
    for p in problems:
        print("FAILED:", p)
    print(f"{len(files)} models checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
