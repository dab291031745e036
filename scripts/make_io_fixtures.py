#!/usr/bin/env python3
"""Reference files for Gradus's data and checkpoint readers, written by the Python packages that
define the formats. Run with /tmp/torchenv/bin/python; writes under Tests/Fixtures/data/:

  torch.safetensors      torch tensors of several dtypes + metadata, by safetensors.torch.save_file
  npy_*.npy              numpy arrays: <f4, <f8, |u1, <i8, format versions 1/2/3, Fortran order, >f4;
                         more element types (<f2, |i1, <i2, <i4, <u2, <u4, <u8, |b1), big-endian
                         integers and floats, Fortran-ordered 3-D float64, int64 and big-endian int32,
                         and npy_u8_overflow.npy (a <u8 value above int64's maximum, to be refused)
  arrays.npz             np.savez (stored entries); arrays_compressed.npz: np.savez_compressed (deflated);
                         arrays_types.npz: np.savez_compressed of an int32 and a Fortran-ordered array
  small-images-idx3-ubyte.gz / small-labels-idx1-ubyte.gz   a 3x4x5 IDX image file and its labels, gzip
  expected.json          the values every file above holds, as flat lists of full-precision floats
"""
import gzip
import io
import json
import os
import struct

import numpy as np
import torch
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "data")


def flat(t):
    return [float(v) for v in np.asarray(t, dtype=np.float64).reshape(-1)]


def entry(array, dtype):
    a = np.asarray(array)
    return {"shape": list(a.shape), "dtype": dtype, "data": flat(a)}


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    expected = {}

    # safetensors, written by the Python package from torch tensors.
    tensors = {
        "linear.weight": torch.randn(3, 4, generator=g),
        "linear.bias": torch.randn(3, generator=g),
        "double": torch.randn(2, 2, generator=g, dtype=torch.float64),
        "steps": torch.tensor([0, -7, 2**40], dtype=torch.int64),
        "half": torch.tensor([0.5, -1.25, 3.0], dtype=torch.float16),
        "bfloat": torch.tensor([1.5, -2.0], dtype=torch.bfloat16),
        "int32": torch.tensor([[1, -2], [3, 2**31 - 1]], dtype=torch.int32),
        "bytes": torch.tensor([0, 255, 17], dtype=torch.uint8),
        "mask": torch.tensor([True, False, True]),
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 3),
    }
    metadata = {"format": "pt", "epoch": "3", "note": "caf\u00e9 \"quoted\""}
    save_file(tensors, os.path.join(OUT, "torch.safetensors"), metadata=metadata)
    swift_dtype = {torch.float32: "float32", torch.float64: "float64", torch.float16: "float32",
                   torch.bfloat16: "float32", torch.int64: "int64", torch.int32: "int64",
                   torch.uint8: "int64", torch.bool: "int64"}
    expected["safetensors"] = {
        "tensors": {k: entry(v.to(torch.float64).numpy(), swift_dtype[v.dtype]) for k, v in tensors.items()},
        "metadata": metadata,
    }

    # .npy in the four supported dtypes, three format versions, plus two rejected layouts.
    rng = np.random.default_rng(0)
    arrays = {
        "f4": rng.standard_normal((2, 3)).astype("<f4"),
        "f8": rng.standard_normal((4,)).astype("<f8"),
        "u1": rng.integers(0, 256, (2, 2, 2)).astype("|u1"),
        "i8": np.array([-(2**40), 0, 5], dtype="<i8"),
        "scalar": np.array(1.5, dtype="<f4"),
    }
    npy = {}
    for name, a in arrays.items():
        np.save(os.path.join(OUT, f"npy_{name}.npy"), a)
        npy[name] = entry(a, {"f4": "float32", "f8": "float64"}.get(name, "float32" if name == "scalar" else "int64"))
    for version in [(2, 0), (3, 0)]:
        with open(os.path.join(OUT, f"npy_v{version[0]}.npy"), "wb") as f:
            np.lib.format.write_array(f, arrays["f4"], version=version)
    fortran = np.asfortranarray(rng.standard_normal((3, 2)).astype("<f4"))
    np.save(os.path.join(OUT, "npy_fortran.npy"), fortran)
    npy["fortran"] = entry(fortran, "float32")
    bigendian = np.arange(3, dtype=">f4")
    np.save(os.path.join(OUT, "npy_bigendian.npy"), bigendian)
    npy["bigendian"] = entry(bigendian, "float32")

    # More element types, byte orders and Fortran layouts, with fixed values (no draws from `rng`, so
    # that the files below keep their values). Integers and booleans read as int64, <f2 as float32.
    # Values stay within 2^53 so that expected.json's floats hold them exactly.
    more = {
        "i4": (np.array([[-(2**31), -1, 0], [1, 7, 2**31 - 1]], dtype="<i4"), "int64"),
        "i2": (np.array([-32768, -2, 0, 3, 32767], dtype="<i2"), "int64"),
        "i1": (np.array([-128, -1, 0, 127], dtype="|i1"), "int64"),
        "u2": (np.array([0, 1, 300, 65535], dtype="<u2"), "int64"),
        "u4": (np.array([[0, 123456], [2**31, 2**32 - 1]], dtype="<u4"), "int64"),
        "u8": (np.array([0, 5, 2**53, 2**62], dtype="<u8"), "int64"),
        "b1": (np.array([[True, False, True], [False, False, True]], dtype="|b1"), "int64"),
        "f2": (np.array([0.5, -1.25, 65504.0, 6e-8, 0.0], dtype="<f2"), "float32"),
        "i4_be": (np.array([-(2**31), -1, 0, 65536, 2**31 - 1], dtype=">i4"), "int64"),
        "i2_be": (np.array([[-32768, 258], [-2, 32767]], dtype=">i2"), "int64"),
        "i8_be": (np.array([-(2**40), 1, 2**62], dtype=">i8"), "int64"),
        "u4_be": (np.array([1, 2**32 - 1], dtype=">u4"), "int64"),
        "f8_be": (np.array([[1.5, -0.1], [1e300, -2.5e-300]], dtype=">f8"), "float64"),
        "f2_be": (np.array([0.5, -1.25, 65504.0], dtype=">f2"), "float32"),
        "fortran3d": (np.asfortranarray(np.arange(24, dtype="<f8").reshape(2, 3, 4) * 0.5 - 3), "float64"),
        "fortran_i8": (np.asfortranarray(np.arange(6, dtype="<i8").reshape(2, 3) * 1000 - 2**40), "int64"),
        "fortran_be": (np.asfortranarray((np.arange(12).reshape(3, 4) - 5).astype(">i4")), "int64"),
    }
    for name, (a, dtype) in more.items():
        assert name[-3:] != "_be" or a.dtype.byteorder == ">", name
        assert not name.startswith("fortran") or not a.flags.c_contiguous, name
        np.save(os.path.join(OUT, f"npy_{name}.npy"), a)
        npy[name] = entry(a, dtype)
    np.save(os.path.join(OUT, "npy_u8_overflow.npy"), np.array([1, 2**63, 2**64 - 1], dtype="<u8"))
    np.savez_compressed(os.path.join(OUT, "arrays_types.npz"), counts=more["i4"][0], cube=more["fortran3d"][0])
    expected["npy"] = npy

    # .npz: stored and deflated archives of the same arrays.
    np.savez(os.path.join(OUT, "arrays.npz"), x=arrays["f4"], y=arrays["i8"], pixels=arrays["u1"])
    np.savez_compressed(os.path.join(OUT, "arrays_compressed.npz"), x=arrays["f4"], y=arrays["i8"], pixels=arrays["u1"])

    # A small IDX pair, gzip-compressed as MNIST's files are.
    images = rng.integers(0, 256, (3, 4, 5)).astype(np.uint8)
    labels = np.array([7, 0, 9], dtype=np.uint8)
    for name, a in [("small-images-idx3-ubyte.gz", images), ("small-labels-idx1-ubyte.gz", labels)]:
        header = struct.pack(">BBBB", 0, 0, 8, a.ndim) + b"".join(struct.pack(">I", d) for d in a.shape)
        with open(os.path.join(OUT, name), "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
                f.write(header + a.tobytes())
    expected["idx"] = {"images": entry(images, "float32"), "labels": entry(labels, "int64")}

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main()
