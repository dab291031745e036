#!/usr/bin/env python3
"""Export scikit-learn's handwritten digits (1,797 8x8 images, values 0-16, labels 0-9) as two
gzip-compressed IDX files, shipped as resources of the Gradus target:

  Sources/Gradus/Data/Resources/digits-images-idx3-ubyte.gz   (uint8, shape [1797, 8, 8])
  Sources/Gradus/Data/Resources/digits-labels-idx1-ubyte.gz   (uint8, shape [1797])

and a small summary (pixel sum, label counts, first image) in Tests/Fixtures/data/digits_summary.json.

IDX is the MNIST format, so the same reader serves both. Run with /tmp/torchenv/bin/python.
The gzip header carries no timestamp (mtime=0), so the output is byte-for-byte reproducible.
"""
import gzip
import json
import os
import struct

import numpy as np
from sklearn.datasets import load_digits

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Sources", "Gradus", "Data", "Resources")


def write_idx(path, array):
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + b"".join(struct.pack(">I", d) for d in array.shape)
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as f:
            f.write(header + array.tobytes())


def main():
    digits = load_digits()
    images = digits.images  # float64, [1797, 8, 8], integers 0..16
    labels = digits.target  # int, [1797]
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    assert np.all(images == np.round(images)) and images.min() >= 0 and images.max() <= 16
    assert labels.min() == 0 and labels.max() == 9
    os.makedirs(OUT, exist_ok=True)
    write_idx(os.path.join(OUT, "digits-images-idx3-ubyte.gz"), images.astype(np.uint8))
    write_idx(os.path.join(OUT, "digits-labels-idx1-ubyte.gz"), labels.astype(np.uint8))
    # A summary the Swift tests compare against, so they need no Python.
    summary = {
        "count": int(images.shape[0]),
        "pixel_sum": int(images.sum()),
        "label_counts": [int((labels == k).sum()) for k in range(10)],
        "first_image": [float(v) for v in images[0].reshape(-1)],
        "first_label": int(labels[0]),
        "last_label": int(labels[-1]),
    }
    fixtures = os.path.join(ROOT, "Tests", "Fixtures", "data")
    os.makedirs(fixtures, exist_ok=True)
    with open(os.path.join(fixtures, "digits_summary.json"), "w") as f:
        json.dump(summary, f)
    print(summary["pixel_sum"], summary["label_counts"])


if __name__ == "__main__":
    main()
