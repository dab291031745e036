#!/usr/bin/env python3
"""Checks the ONNX files that Gradus exported and records ONNX Runtime's outputs for the Swift tests.

Flow (Tests/ONNXTests/ONNXRuntimeParityTests.swift):
  1. GRADUS_RECORD_ONNX_FIXTURES=1 swift test --filter exportIsReproducible
     writes Tests/Fixtures/onnx/<name>.onnx and <name>.inputs.safetensors (seeded inputs, batches 1 and 7);
  2. this script checks every <name>.onnx with onnx.checker.check_model(full_check=True) (which runs
     shape inference too), runs it in ONNX Runtime (CPU, default optimizations) on each input and writes
     the outputs, under the same keys, to <name>.ort.safetensors;
  3. swift test --filter ONNX compares Gradus's outputs with these, and a fresh export with the file.

Needs: pip install onnx onnxruntime safetensors numpy (tested with onnx 1.23.2, onnxruntime 1.32.0).
With --check-only it runs the checks and compares with the committed outputs without writing (for CI).
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
    (graph_input,) = session.get_inputs()
    (graph_output,) = session.get_outputs()
    outputs = {}
    for key in sorted(inputs):
        x = inputs[key]
        x = x.astype(np.int64) if graph_input.type == "tensor(int64)" else x.astype(np.float32)
        (y,) = session.run([graph_output.name], {graph_input.name: x})
        outputs[key] = np.ascontiguousarray(y.astype(np.float32))
        print(f"  {path.stem} {key}: {list(x.shape)} -> {list(y.shape)}")
    ort_file = path.with_name(path.stem + ".ort.safetensors")
    if check_only:
        committed = load_file(str(ort_file))
        for key, y in outputs.items():
            if key not in committed or committed[key].shape != y.shape or not np.allclose(committed[key], y, rtol=1e-5, atol=1e-6):
                problems.append(f"{path.stem} {key}: ONNX Runtime's output differs from {ort_file.name}")
    else:
        save_file(outputs, str(ort_file))
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check-only", action="store_true", help="check and compare, write nothing")
    parser.add_argument("names", nargs="*", help="only these fixtures (default: all)")
    args = parser.parse_args()
    files = sorted(FIXTURES.glob("*.onnx"))
    if args.names:
        files = [f for f in files if f.stem in args.names]
    if not files:
        print(f"no .onnx files in {FIXTURES}; record them first: GRADUS_RECORD_ONNX_FIXTURES=1 swift test --filter exportIsReproducible")
        return 1
    print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__}")
    problems = []
    for f in files:
        problems += run(f, args.check_only)
    for p in problems:
        print("FAILED:", p)
    print(f"{len(files)} models checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
