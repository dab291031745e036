#!/usr/bin/env python3
"""Writes the seed corpus of the Gradus fuzz targets: Fuzz/corpus/<target>/.

Small valid files made by the reference writers (numpy, safetensors, gzip, zipfile) and a few
near-valid ones (truncated, one field wrong), so that libFuzzer starts from inputs that reach deep
into each reader. Deterministic: running it again rewrites the same bytes.

    /tmp/torchenv/bin/python Fuzz/make_corpus.py
"""
import gzip
import io
import json
import os
import shutil
import struct
import zipfile
import zlib

import numpy as np
from safetensors.numpy import save as st_save

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
rng = np.random.default_rng(0)


def put(target, name, data):
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(data)


def gz(data):
    return gzip.compress(data, mtime=0)


def npy_bytes(a, version=None):
    buf = io.BytesIO()
    if version is None:
        np.save(buf, a)
    else:
        np.lib.format.write_array(buf, a, version=version)
    return buf.getvalue()


# ---- safetensors -------------------------------------------------------------------------------
def safetensors_seeds():
    t = "safetensors"
    put(t, "f32.safetensors", st_save({"w": rng.standard_normal((2, 3)).astype(np.float32)}))
    put(t, "mixed.safetensors", st_save({
        "a": rng.standard_normal(3).astype(np.float64),
        "b": np.arange(4, dtype=np.int64),
        "c": rng.standard_normal((2, 2)).astype(np.float16),
        "d": np.array([1, -2, 3], dtype=np.int32),
        "e": np.array([1, 0, 1], dtype=np.bool_),
        "f": np.array([7, 250], dtype=np.uint8),
        "g": np.array([-7, 5], dtype=np.int8),
        "h": np.array([-300, 5], dtype=np.int16),
    }, metadata={"epoch": "3"}))  # one key: the writer orders keys at random
    put(t, "scalar-and-empty.safetensors", st_save({"s": np.array(2.5, dtype=np.float32),
                                                    "z": np.zeros((0, 4), dtype=np.float32)}))
    put(t, "empty.safetensors", st_save({}))
    # BF16 written by hand (numpy has no bfloat16).
    header = json.dumps({"x": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}).encode()
    header += b" " * ((8 - len(header) % 8) % 8)
    put(t, "bf16.safetensors", struct.pack("<Q", len(header)) + header + b"\x80\x3f\x00\x40")
    good = st_save({"w": np.ones((2, 2), dtype=np.float32)})
    put(t, "near-truncated.safetensors", good[:-3])
    put(t, "near-bad-offsets.safetensors", good.replace(b"[0,16]", b"[0,15]"))
    put(t, "near-big-length.safetensors", struct.pack("<Q", 1 << 40) + good[8:])


# ---- IDX ---------------------------------------------------------------------------------------
def idx_bytes(code, shape, payload):
    return bytes([0, 0, code, len(shape)]) + b"".join(struct.pack(">I", d) for d in shape) + payload


def idx_seeds():
    t = "idx"
    images = rng.integers(0, 256, size=(2, 3, 3), dtype=np.uint8)
    put(t, "images-u8.idx3", idx_bytes(0x08, images.shape, images.tobytes()))
    put(t, "labels-u8.idx1", idx_bytes(0x08, (5,), bytes([0, 1, 2, 9, 4])))
    put(t, "labels-u8.idx1.gz", gz(idx_bytes(0x08, (5,), bytes([3, 1, 4, 1, 5]))))
    put(t, "i8.idx", idx_bytes(0x09, (3,), np.array([-1, 0, 1], dtype=np.int8).tobytes()))
    put(t, "i16.idx", idx_bytes(0x0B, (2, 2), np.array([1, -2, 300, -400], dtype=">i2").tobytes()))
    put(t, "i32.idx", idx_bytes(0x0C, (2,), np.array([70000, -5], dtype=">i4").tobytes()))
    put(t, "f32.idx", idx_bytes(0x0D, (3,), np.array([0.5, -1.25, 3e10], dtype=">f4").tobytes()))
    put(t, "f64.idx", idx_bytes(0x0E, (1, 2), np.array([0.1, -2.0], dtype=">f8").tobytes()))
    put(t, "empty.idx", idx_bytes(0x08, (0, 28, 28), b""))
    put(t, "near-truncated.idx", idx_bytes(0x08, (2, 3, 3), images.tobytes()[:-1]))
    put(t, "near-huge-dims.idx", idx_bytes(0x08, (0xFFFFFFFF, 0xFFFFFFFF), b"\x01"))


# ---- CSV ---------------------------------------------------------------------------------------
def csv_seeds():
    t = "csv"
    put(t, "basic.csv", b"x1,x2,y\n1,2,0\n3.5,-4e2,1\n")
    put(t, "crlf-quotes.csv", b'"a","b,c",y\r\n"1","2.5",3\r\n  4 , 5 , 6 \r\n\r\n')
    put(t, "target-first.csv", b"y,f\n0,0.25\n1,1e-3\n")
    put(t, "labels.csv", b"sepal length,sepal width,petal length,petal width,y\n"
                         b"5.1,3.5,1.4,0.2,0\n7.0,3.2,4.7,1.4,1\n6.3,3.3,6.0,2.5,2\n")
    put(t, "header-only.csv", b"a,y\n")
    put(t, "basic.csv.gz", gz(b"x1,x2,y\n1,2,0\n3,4,1\n"))
    put(t, "near-ragged.csv", b"x1,x2,y\n1,2\n")
    put(t, "near-bad-cell.csv", b"x1,x2,y\n1,nan,0\n")
    put(t, "near-open-quote.csv", b'x1,"x2,y\n1,2,0\n')


# ---- NPY ---------------------------------------------------------------------------------------
def npy_seeds():
    t = "npy"
    put(t, "f4.npy", npy_bytes(rng.standard_normal((2, 3)).astype(np.float32)))
    put(t, "f8.npy", npy_bytes(rng.standard_normal(4)))
    put(t, "i8.npy", npy_bytes(np.arange(-3, 3, dtype=np.int64).reshape(2, 3)))
    put(t, "u1.npy", npy_bytes(np.array([0, 7, 255], dtype=np.uint8)))
    put(t, "scalar.npy", npy_bytes(np.array(1.5, dtype=np.float32)))
    put(t, "empty.npy", npy_bytes(np.zeros((0, 3), dtype=np.float64)))
    put(t, "v2.npy", npy_bytes(np.arange(3, dtype=np.float32), version=(2, 0)))
    put(t, "v3.npy", npy_bytes(np.arange(3, dtype=np.float32), version=(3, 0)))
    put(t, "f4.npy.gz", gz(npy_bytes(np.arange(4, dtype=np.float32))))
    put(t, "near-fortran.npy", npy_bytes(np.asfortranarray(np.ones((2, 2), dtype=np.float32))))
    put(t, "near-big-endian.npy", npy_bytes(np.arange(2, dtype=">f4")))
    good = npy_bytes(np.arange(4, dtype=np.float32))
    put(t, "near-truncated.npy", good[:-2])
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 0), }"
    header += b" " * (63 - len(header) % 64) + b"\n"
    put(t, "near-huge-shape.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header)


def zip64_by_hand(name, data):
    """A one-entry stored zip whose sizes and offsets all live in ZIP64 fields: 0xFFFFFFFF in the
    central directory with an extra block 0x0001, and a ZIP64 end-of-central-directory record and
    locator (Python's zipfile only writes these for large archives)."""
    name = name.encode()
    crc = zlib.crc32(data)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x21, crc, len(data), len(data), len(name), 0)
    local += name + data
    extra = struct.pack("<HHQQQ", 0x0001, 24, len(data), len(data), 0)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0x21, crc,
                          0xFFFFFFFF, 0xFFFFFFFF, len(name), len(extra), 0, 0, 0, 0, 0xFFFFFFFF) + name + extra
    cd_offset = len(local)
    record_offset = cd_offset + len(central)
    record = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, 1, 1, len(central), cd_offset)
    locator = struct.pack("<IIQI", 0x07064B50, 0, record_offset, 1)
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return local + central + record + locator + eocd


# ---- NPZ ---------------------------------------------------------------------------------------
def npz_seeds():
    t = "npz"
    a = rng.standard_normal((2, 2)).astype(np.float32)
    b = np.arange(3, dtype=np.int64)
    buf = io.BytesIO(); np.savez(buf, x=a, y=b); put(t, "stored.npz", buf.getvalue())
    buf = io.BytesIO(); np.savez_compressed(buf, x=a, y=b); put(t, "deflated.npz", buf.getvalue())
    buf = io.BytesIO(); np.savez(buf); put(t, "empty.npz", buf.getvalue())
    # ZIP64 extra fields on every entry.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("w.npy", date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as f:
            f.write(npy_bytes(np.arange(5, dtype=np.float64)))
        z.writestr(zipfile.ZipInfo("notes.txt", date_time=(1980, 1, 1, 0, 0, 0)), b"not an array")
    put(t, "zip64.npz", buf.getvalue())
    put(t, "zip64-full.npz", zip64_by_hand("v.npy", npy_bytes(np.arange(3, dtype=np.int64))))
    stored = io.BytesIO(); np.savez(stored, x=a); good = stored.getvalue()
    put(t, "near-truncated.npz", good[:-5])
    bad_crc = bytearray(good); bad_crc[14] ^= 0xFF  # local header CRC (central one still right)
    i = good.rfind(b"PK\x01\x02"); bad_crc[i + 16] ^= 0xFF  # central directory CRC
    put(t, "near-bad-crc.npz", bytes(bad_crc))


# ---- gzip --------------------------------------------------------------------------------------
def gzip_seeds():
    t = "gzip"
    text = b"Gradus gzip seed: " + bytes(range(256)) * 2
    put(t, "text.gz", gz(text))
    put(t, "empty.gz", gz(b""))
    put(t, "two-members.gz", gz(b"first member\n") + gz(b"second member\n"))
    put(t, "zlib.z", zlib.compress(text, 9))
    put(t, "stored-level0.gz", gzip.compress(b"abc" * 20, compresslevel=0, mtime=0))
    put(t, "zeros.gz", gz(b"\0" * 100000))
    put(t, "near-truncated.gz", gz(text)[:-6])
    put(t, "near-trailing.gz", gz(b"x") + b"junk")


def regression_controls():
    """Valid files next to the committed crash inputs (Tests/Fixtures/fuzz-regressions/valid/):
    they must still read after the fixes."""
    out = os.path.join(os.path.dirname(ROOT), "..", "Tests", "Fixtures", "fuzz-regressions", "valid")
    os.makedirs(out, exist_ok=True)
    # 4 MB of zeros deflate about 1020:1, close to deflate's 1032:1 limit that NPZ sizes are checked against.
    buf = io.BytesIO(); np.savez_compressed(buf, z=np.zeros(4_000_000, dtype=np.uint8))
    with open(os.path.join(out, "max-ratio.npz"), "wb") as f:
        f.write(buf.getvalue())
    # Sizes and offsets only in ZIP64 fields: v = [0, 1, 2] (int64).
    with open(os.path.join(out, "zip64-full.npz"), "wb") as f:
        f.write(zip64_by_hand("v.npy", npy_bytes(np.arange(3, dtype=np.int64))))


if __name__ == "__main__":
    regression_controls()
    shutil.rmtree(ROOT, ignore_errors=True)
    for make in (safetensors_seeds, idx_seeds, csv_seeds, npy_seeds, npz_seeds, gzip_seeds):
        make()
    for target in sorted(os.listdir(ROOT)):
        files = os.listdir(os.path.join(ROOT, target))
        size = sum(os.path.getsize(os.path.join(ROOT, target, f)) for f in files)
        print(f"{target}: {len(files)} files, {size} bytes")
