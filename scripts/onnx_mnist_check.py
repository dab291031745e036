#!/usr/bin/env python3
"""End-to-end check of `gradus export`: a model trained on MNIST by `gradus train`, exported to ONNX,
classifies the MNIST test set in ONNX Runtime with the accuracy `gradus evaluate` reports.

For each model (MLP and LeNet by default):
  1. gradus train on MNIST (short: --epochs, default 2);
  2. gradus evaluate on the test set -> "test accuracy: NN.NN%";
  3. gradus export (logits) and gradus export --probabilities;
  4. ONNX Runtime on the 10,000 raw test images (uint8 pixels as float32, as gradus predict reads them):
     accuracy from the logits' argmax;
  5. gradus predict --output csv on the same images (a .npy of raw pixels) against ONNX Runtime's
     probabilities: largest difference and the number of images whose class differs.

Needs: a built gradus (swift build -c release), numpy and onnxruntime. Results go to docs/onnx.md by hand.

  python3 scripts/onnx_mnist_check.py --gradus .build/release/gradus --data ../shared/data/mnist
"""
import argparse
import gzip
import pathlib
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort


def idx(path: pathlib.Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def gradus(binary: str, *args: str) -> str:
    result = subprocess.run([binary, *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"gradus {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gradus", default=".build/release/gradus")
    parser.add_argument("--data", default="../shared/data/mnist")
    parser.add_argument("--models", default="mlp,lenet")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--work", default=None, help="folder for runs and models (default: a temporary one)")
    args = parser.parse_args()

    data = pathlib.Path(args.data)
    images, labels = idx(data / "t10k-images-idx3-ubyte.gz"), idx(data / "t10k-labels-idx1-ubyte.gz")
    work = pathlib.Path(args.work or tempfile.mkdtemp(prefix="gradus-onnx-mnist-"))
    work.mkdir(parents=True, exist_ok=True)
    pixels_npy = work / "test-images.npy"
    np.save(pixels_npy, images)
    print(f"onnxruntime {ort.__version__}; MNIST test set {images.shape}; work folder {work}")

    rows = []
    ok = True
    for model in args.models.split(","):
        run = work / f"run-{model}"
        started = time.time()
        gradus(args.gradus, "train", "--data", str(data), "--format", "mnist", "--model", model,
               "--epochs", str(args.epochs), "--out", str(run))
        trained = time.time() - started
        checkpoint = str(run / "checkpoint.safetensors")
        evaluation = gradus(args.gradus, "evaluate", "--checkpoint", checkpoint)
        gradus_accuracy = float(re.search(r"test accuracy: ([0-9.]+)%", evaluation).group(1))

        logits_file, probabilities_file = work / f"{model}.onnx", work / f"{model}-probabilities.onnx"
        print(gradus(args.gradus, "export", "--checkpoint", checkpoint, "--format", "onnx", "--out", str(logits_file)).strip())
        gradus(args.gradus, "export", "--checkpoint", checkpoint, "--out", str(probabilities_file), "--probabilities")

        session = ort.InferenceSession(str(logits_file), providers=["CPUExecutionProvider"])
        shape = [d if isinstance(d, int) else len(images) for d in session.get_inputs()[0].shape]
        x = images.astype(np.float32).reshape(shape)
        started = time.time()
        (logits,) = session.run(None, {"input": x})
        inference = time.time() - started
        ort_accuracy = 100 * float((logits.argmax(1) == labels).mean())

        (ort_p,) = ort.InferenceSession(str(probabilities_file), providers=["CPUExecutionProvider"]).run(None, {"input": x})
        csv = gradus(args.gradus, "predict", "--checkpoint", checkpoint, "--input", str(pixels_npy), "--output", "csv")
        lines = csv.strip().splitlines()
        predicted = np.array([[float(v) for v in line.split(",")[2:]] for line in lines[1:]], dtype=np.float64)
        difference = float(np.abs(predicted - ort_p).max())
        disagreements = int((predicted.argmax(1) != ort_p.argmax(1)).sum())

        same = f"{ort_accuracy:.2f}" == f"{gradus_accuracy:.2f}"
        ok = ok and same and disagreements == 0
        rows.append((model, args.epochs, trained, gradus_accuracy, ort_accuracy, difference, disagreements, inference))

    print()
    print("| model | epochs | training (s) | gradus evaluate | ONNX Runtime | largest probability difference vs gradus predict | classes differing | ORT inference, 10,000 images (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for model, epochs, trained, ga, oa, diff, dis, inf in rows:
        print(f"| {model} | {epochs} | {trained:.1f} | {ga:.2f}% | {oa:.2f}% | {diff:.2e} | {dis} | {inf:.3f} |")
    print("\nsame accuracy and classes: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
