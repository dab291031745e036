#!/usr/bin/env python3
"""End-to-end check of `gradus export` for models of several named inputs (`--model fusion`): a fusion
model trained by `gradus train` on an NPZ of 8-bit images and feature vectors, exported to ONNX, gives
in ONNX Runtime the probabilities `gradus predict` gives.

For each fusion (concat, gated, attention by default):
  1. gradus train --model fusion --inputs image,features on a synthetic NPZ (an 8x8 uint8 image and 3
     features; the label is the XOR of a bright quadrant and the first feature's sign, as in
     Tests/CLITests/FusionCommandTests.swift);
  2. gradus export --probabilities: graph inputs 'image' [batch, 8, 8] and 'features' [batch, 3];
  3. ONNX Runtime on new data, the images divided by 255 as the exported graph expects (it does not
     scale pixels) and the raw features (standardized in the graph);
  4. gradus predict --output csv on the same NPZ (raw uint8 images): largest probability difference and
     the number of samples whose class differs; accuracy of both against the labels.

Needs: a built gradus (swift build), numpy and onnxruntime.

  python3 scripts/onnx_fusion_check.py --gradus .build/release/gradus
"""
import argparse
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime as ort


def gradus(binary: str, *args: str) -> str:
    result = subprocess.run([binary, *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"gradus {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def write(path: pathlib.Path, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, 2, n), rng.integers(0, 2, n)
    images = rng.integers(0, 40, (n, 8, 8))
    for i in range(n):
        if a[i]:
            images[i, :4, :4] = rng.integers(200, 250, (4, 4))
        else:
            images[i, 4:, 4:] = rng.integers(200, 250, (4, 4))
    features = np.stack([np.where(b == 1, 2.0, -2.0) + rng.random(n) - 0.5, 10 * rng.random(n), rng.random(n)], axis=1)
    np.savez(path, image=images.astype(np.uint8), features=features.astype(np.float32), y=(a ^ b).astype(np.int64))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gradus", default=".build/release/gradus")
    parser.add_argument("--fusions", default="concat,gated,attention")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--work", default=None, help="folder for data, runs and models (default: a temporary one)")
    args = parser.parse_args()

    work = pathlib.Path(args.work or tempfile.mkdtemp(prefix="gradus-onnx-fusion-"))
    work.mkdir(parents=True, exist_ok=True)
    write(work / "train.npz", 600, 1)
    write(work / "new.npz", 200, 9)
    new = np.load(work / "new.npz")
    print(f"onnxruntime {ort.__version__}; work folder {work}")

    rows, ok = [], True
    for fusion in args.fusions.split(","):
        run = work / f"run-{fusion}"
        gradus(args.gradus, "train", "--data", str(work / "train.npz"), "--inputs", "image,features", "--model", "fusion",
               "--fusion", fusion, "--embedding", "16", "--hidden", "16", "--epochs", str(args.epochs), "--lr", "0.01",
               "--quiet", "--out", str(run))
        checkpoint = str(run / "checkpoint.safetensors")
        model = work / f"fusion-{fusion}.onnx"
        print(gradus(args.gradus, "export", "--checkpoint", checkpoint, "--out", str(model), "--probabilities").strip())
        session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        names = [i.name for i in session.get_inputs()]
        assert names == ["image", "features"], names
        (ort_p,) = session.run(None, {"image": new["image"].astype(np.float32) / 255, "features": new["features"]})
        csv = gradus(args.gradus, "predict", "--checkpoint", checkpoint, "--input", str(work / "new.npz"), "--output", "csv")
        lines = csv.strip().splitlines()
        predicted = np.array([[float(v) for v in line.split(",")[2:]] for line in lines[1:]], dtype=np.float64)
        difference = float(np.abs(predicted - ort_p).max())
        disagreements = int((predicted.argmax(1) != ort_p.argmax(1)).sum())
        ort_accuracy = 100 * float((ort_p.argmax(1) == new["y"]).mean())
        gradus_accuracy = 100 * float((predicted.argmax(1) == new["y"]).mean())
        ok = ok and difference < 1e-5 and disagreements == 0
        rows.append((fusion, args.epochs, gradus_accuracy, ort_accuracy, difference, disagreements))

    print()
    print("| fusion | epochs | gradus predict accuracy | ONNX Runtime accuracy | largest probability difference | classes differing |")
    print("|---|---|---|---|---|---|")
    for fusion, epochs, ga, oa, diff, dis in rows:
        print(f"| {fusion} | {epochs} | {ga:.1f}% | {oa:.1f}% | {diff:.2e} | {dis} |")
    print("\nsame probabilities (1e-5) and classes: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
