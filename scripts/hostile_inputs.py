#!/usr/bin/env python3
"""Hostile inputs for the `gradus` command: a generator of cases and a runner that checks each one.

Every case is a `gradus` invocation with a hostile file, checkpoint, flag, FIFO, bomb, or valid but
unusual data. The runner first trains two small good checkpoints (embedded digits, and a tiny CSV it
writes), then builds each case's files in its own folder and runs it with a 10 s timeout, standard
input from /dev/null, and its peak resident memory read from `wait4` (a watchdog kills a case that
goes past 1.5 GiB so that a bomb cannot take the machine down; it fails either way).

A hostile case passes when the process exits normally with a status in 1..123 (not a signal, not a
timeout), in under 10 s, under 1 GiB peak RSS, its stdout+stderr holds the expected words (the flag,
file or key that is wrong: any reasonable message names it), and every protected file (a good
checkpoint in `--out`, the checkpoint given to the command) is byte-identical afterwards. A valid but
unusual case passes when it exits 0 with the expected output, under the same time and memory limits.

    python3 scripts/hostile_inputs.py --gradus .build/release/gradus
    python3 scripts/hostile_inputs.py --gradus .build/release/gradus --only ckpt_ --keep --work /tmp/hi
    python3 scripts/hostile_inputs.py --list

Python 3 standard library only. Exit status: 0 when every case passes, 1 otherwise, 2 on a setup error.
See docs/hostile-inputs.md.
"""

import argparse
import gzip
import hashlib
import json
import os
import queue
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TIMEOUT_S = 10.0
MEMORY_LIMIT_KIB = 1 << 20            # 1 GiB
WATCHDOG_KILL_KIB = 3 << 19           # 1.5 GiB: kill early, the case has failed anyway
OUTPUT_READ_LIMIT = 4 << 20           # bytes of stdout/stderr searched for the expected words
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

# ---------------------------------------------------------------------------------------------------
# File format writers
# ---------------------------------------------------------------------------------------------------


def f32(values):
    values = list(values)
    return struct.pack("<%df" % len(values), *values)


def npy_bytes(descr="<f4", shape=(3, 64), payload=None, fortran=False, version=(1, 0), header=None,
              header_len=None):
    """A .npy file; `header` replaces the dict text, `header_len` the length field."""
    if header is None:
        shape_text = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
        header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, "True" if fortran else "False", shape_text)
    prefix = 10 if version[0] == 1 else 12
    raw = header.encode("latin-1")
    pad = (64 - (prefix + len(raw) + 1) % 64) % 64
    raw = raw + b" " * pad + b"\n"
    n = len(raw) if header_len is None else header_len
    length = struct.pack("<H", n) if version[0] == 1 else struct.pack("<I", n)
    if payload is None:
        count = 1
        for d in shape:
            count *= d
        # Values on the scale of the digits model's inputs (pixels scaled to [0, 1]): a float input on
        # another scale is refused by predict, as it should be.
        payload = f32(float(i % 17) / 16 for i in range(count)) if descr == "<f4" else b""
    return b"\x93NUMPY" + bytes(version) + length + raw + payload


def zip_bytes(entries):
    """A zip archive. Each entry: dict(name, data) stored, or with method=8 deflated; `comp` gives the
    compressed bytes directly; crc, usize, csize, flags and method override what the headers claim."""
    out = bytearray()
    central = bytearray()
    for e in entries:
        name = e["name"].encode()
        data = e.get("data", b"")
        method = e.get("method", 0)
        if "comp" in e:
            comp = e["comp"]
        elif method == 8:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            comp = c.compress(data) + c.flush()
        else:
            comp = data
        crc = e.get("crc", zlib.crc32(data) & 0xFFFFFFFF)
        usize = e.get("usize", len(data))
        csize = e.get("csize", len(comp))
        flags = e.get("flags", 0)
        method = e.get("claim_method", method)
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0x21, crc, csize, usize, len(name), 0)
        out += name + comp
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, 0, 0x21, crc, csize, usize,
                               len(name), 0, 0, 0, 0, 0, offset) + name
    cd_offset = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), cd_offset, 0)
    return bytes(out)


def npz_bytes(arrays, compressed=False):
    """arrays: name -> .npy bytes."""
    return zip_bytes([{"name": k + ".npy", "data": v, "method": 8 if compressed else 0} for k, v in arrays.items()])


def idx_bytes(type_code, dims, payload, magic_prefix=b"\x00\x00"):
    return magic_prefix + bytes([type_code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload


ZEROS_BLOCK = 16 << 20


def deflate_zeros_stream(prefix, zero_count):
    """Raw deflate bytes of `prefix` followed by `zero_count` zero bytes, built from one compressed
    16 MiB block repeated (each block ends with a full flush, so it does not depend on the data before
    it): a few MB of output for gigabytes of zeros, in well under a second. Returns (stream, crc32)."""
    head_zeros = zero_count % ZEROS_BLOCK
    blocks = zero_count // ZEROS_BLOCK
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(prefix + bytes(head_zeros)) + c.flush(zlib.Z_FULL_FLUSH)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(ZEROS_BLOCK)
    block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(prefix + bytes(head_zeros))
    for _ in range(blocks):
        crc = zlib.crc32(zeros, crc)
    return first + block * blocks + b"\x03\x00", crc & 0xFFFFFFFF


def gzip_bomb(prefix, total_size, filler=None):
    """A multi-member gzip file that inflates to `prefix` + filler up to about `total_size` bytes
    (members of 64 MiB compressed once and repeated; gunzip, and Gradus, join members)."""
    member_size = 64 << 20
    filler = filler or b"\x00"
    body = (filler * (member_size // len(filler) + 1))[:member_size]
    member = gzip.compress(body, compresslevel=9, mtime=0)
    count = max(1, (total_size - len(prefix)) // member_size)
    return gzip.compress(prefix, mtime=0) + member * count


# --- safetensors -----------------------------------------------------------------------------------


def st_parse(blob):
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    meta = header.pop("__metadata__", {})
    tensors = []
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        b, e = info["data_offsets"]
        tensors.append([name, info["dtype"], list(info["shape"]), data[b:e]])
    return meta, tensors


def st_header_bytes(header):
    raw = json.dumps(header, separators=(",", ":")).encode()
    return raw + b" " * ((8 - len(raw) % 8) % 8)


def st_build(meta, tensors, keep_offsets=None):
    """Lays out tensors [name, dtype, shape, bytes] in order; keep_offsets maps a name to forced offsets."""
    header = {"__metadata__": meta} if meta is not None else {}
    data = bytearray()
    for name, dtype, shape, raw in tensors:
        begin = len(data)
        data += raw
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [begin, len(data)]}
    for name, offsets in (keep_offsets or {}).items():
        header[name]["data_offsets"] = offsets
    hb = st_header_bytes(header)
    return struct.pack("<Q", len(hb)) + hb + bytes(data)


def st_raw(header_bytes, data=b"", length=None):
    return struct.pack("<Q", len(header_bytes) if length is None else length) + header_bytes + data


# ---------------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------------


class Case:
    def __init__(self, name, family, setup, expect, ok=False, requires=(), note=""):
        self.name = name
        self.family = family
        self.setup = setup          # setup(ctx, CaseDir) -> list of gradus arguments
        self.expect = expect        # list of str or tuple of alternatives (case-insensitive)
        self.ok = ok                # valid but unusual: must exit 0
        self.requires = requires    # ("train", "--max-memory"): skipped when the binary lacks the flag
        self.note = note


CASES = []


def case(name, family, expect, ok=False, requires=(), note=""):
    def register(fn):
        if any(c.name == name for c in CASES):
            raise SystemExit("duplicate case name " + name)
        CASES.append(Case(name, family, fn, expect, ok=ok, requires=requires, note=note))
        return fn
    return register


class CaseDir:
    """The folder of one case, with helpers that create files and record protected ones."""

    def __init__(self, ctx, path):
        self.ctx = ctx
        self.path = path
        self.protected = []
        path.mkdir(parents=True, exist_ok=True)

    def file(self, name, data):
        p = self.path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, (bytes, bytearray)) else data.encode())
        return str(p)

    def fifo(self, name):
        p = self.path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(p)
        return str(p)

    def symlink(self, name, target):
        p = self.path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, p)
        return str(p)

    def folder(self, name):
        p = self.path / name
        p.mkdir(parents=True, exist_ok=True)
        return str(p)

    def protect(self, path):
        self.protected.append(str(path))
        return str(path)

    def good_out(self):
        """An --out folder holding a copy of the good digits checkpoint, which must stay byte-identical."""
        out = self.path / "out"
        out.mkdir(exist_ok=True)
        shutil.copyfile(self.ctx.ckpt_digits, out / "checkpoint.safetensors")
        self.protect(out / "checkpoint.safetensors")
        return str(out)

    def fresh_out(self):
        return str(self.path / "out")

    def ckpt_copy(self, name="good.safetensors", source=None):
        p = self.path / name
        shutil.copyfile(source or self.ctx.ckpt_digits, p)
        return self.protect(p)


def base(path):
    return os.path.basename(str(path).rstrip("/"))


FAST = ["--epochs", "1", "--hidden", "4", "--quiet"]

# --- CSV ------------------------------------------------------------------------------------------


def csv_rows(n=40, label=lambda i: i % 3, cols=("sepal", "petal", "stem"), target="kind"):
    lines = [",".join(list(cols) + [target])]
    for i in range(n):
        lines.append(",".join(["%g" % ((i * (k + 3)) % 11 / 2.0) for k in range(len(cols))] + [str(label(i))]))
    return "\n".join(lines) + "\n"


def csv_case(name, text, expect=None, ok=False, target="kind", extra=(), fname=None, note=""):
    fname = fname or name + ".csv"

    @case(name, "csv", expect if expect is not None else ([("test accuracy", "test mse")] if ok else [fname]), ok=ok, note=note)
    def setup(ctx, d):
        f = d.file(fname, text)
        out = d.fresh_out() if ok else d.good_out()
        return ["train", "--data", f, "--target", target] + FAST + list(extra) + ["--out", out]


def _with_label(value):
    def text():
        lines = csv_rows(30).splitlines()
        lines[7] = lines[7].rsplit(",", 1)[0] + "," + value
        return "\n".join(lines) + "\n"
    return text()


csv_case("csv_label_minus1", _with_label("-1"), [("csv_label_minus1.csv"), ("label", "class")])
csv_case("csv_label_minus100", _with_label("-100"), ["csv_label_minus100.csv", ("label", "class")])
csv_case("csv_label_1e8", _with_label("100000000"), ["csv_label_1e8.csv", ("label", "class")])
csv_case("csv_label_1e8_sci", _with_label("1e8"), ["csv_label_1e8_sci.csv", ("label", "class")])
csv_case("csv_label_2_5", _with_label("2.5"), ["csv_label_2_5.csv", "2.5"])
csv_case("csv_label_1e300", _with_label("1e300"), ["csv_label_1e300.csv"])
csv_case("csv_label_int64_max", _with_label("9223372036854775807"), ["csv_label_int64_max.csv"])
csv_case("csv_label_nan", _with_label("nan"), ["csv_label_nan.csv"])
csv_case("csv_label_text", _with_label("setosa"), ["csv_label_text.csv", "setosa"])
csv_case("csv_header_only", "sepal,petal,stem,kind\n", ["csv_header_only.csv"])
csv_case("csv_empty", "", ["csv_empty.csv"])
csv_case("csv_only_bom", "\ufeff", ["csv_only_bom.csv"])
csv_case("csv_only_newlines", "\n\n\n\r\n", ["csv_only_newlines.csv"])
csv_case("csv_one_row", "sepal,petal,stem,kind\n1,2,3,0\n", ["csv_one_row.csv"])
csv_case("csv_nul_in_cell", csv_rows(30).replace("\n1,", "\n1\x00abc,", 1), ["csv_nul_in_cell.csv"])
csv_case("csv_nan_feature", csv_rows(30).replace("\n1,", "\nnan,", 1), ["csv_nan_feature.csv"])
csv_case("csv_inf_feature", csv_rows(30).replace("\n1,", "\ninf,", 1), ["csv_inf_feature.csv"])
csv_case("csv_neg_inf_feature", csv_rows(30).replace("\n1,", "\n-inf,", 1), ["csv_neg_inf_feature.csv"])
csv_case("csv_float32_overflow", csv_rows(30).replace("\n1,", "\n1e300,", 1), ["csv_float32_overflow.csv"],
         note="finite as a double, infinite as float32")
csv_case("csv_empty_cell", csv_rows(30).replace("\n1,", "\n,", 1), ["csv_empty_cell.csv"])
csv_case("csv_ragged_short", csv_rows(30) + "1,2\n", ["csv_ragged_short.csv"])
csv_case("csv_ragged_long", csv_rows(30) + "1,2,3,0,5,6\n", ["csv_ragged_long.csv"])
csv_case("csv_trailing_comma", csv_rows(30).replace("\n", ",\n"), ["csv_trailing_comma.csv"])
csv_case("csv_wide_10000_cols_1_row",
         ",".join("c%d" % i for i in range(10000)) + ",kind\n" + ",".join("1" for _ in range(10000)) + ",0\n",
         ["csv_wide_10000_cols_1_row.csv"])
csv_case("csv_duplicate_column", csv_rows(30, cols=("sepal", "dupcol", "dupcol")), ["csv_duplicate_column.csv", "dupcol"])
csv_case("csv_duplicate_target", "kind,petal,kind\n" + "".join("%d,%d,%d\n" % (i % 3, i % 7, (i + 1) % 3) for i in range(30)),
         ["csv_duplicate_target.csv", "kind"], note="two columns named like the target")
csv_case("csv_target_absent", csv_rows(30), ["csv_target_absent.csv", "nosuchcolumn"], extra=["--target", "nosuchcolumn"])
csv_case("csv_target_only_column", "kind\n0\n1\n0\n1\n", ["csv_target_only_column.csv"])
csv_case("csv_quoted_newline", 'sepal,petal,kind\n"1\n2",3,0\n4,5,1\n6,7,0\n8,9,1\n', ["csv_quoted_newline.csv"])
csv_case("csv_unclosed_quote", 'sepal,petal,kind\n"1,3,0\n4,5,1\n6,7,0\n', ["csv_unclosed_quote.csv"])
csv_case("csv_non_utf8", "sepal,petal,kind\n1,2,0\n".encode() + b"\xff\xfe\xfa,1,1\n3,4,0\n", ["csv_non_utf8.csv"])
csv_case("csv_latin1_header", b"s\xe9pal,petal,kind\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,1,0\n", ["csv_latin1_header.csv"])
csv_case("csv_utf16", csv_rows(20).encode("utf-16"), ["csv_utf16.csv"])
csv_case("csv_binary_garbage", bytes((i * 131 + 7) % 256 for i in range(4096)), ["csv_binary_garbage.csv"])
csv_case("csv_hex_float", csv_rows(30).replace("\n1,", "\n0x1p3,", 1), ["csv_hex_float.csv"],
         note="C hex floats are not CSV numbers")
csv_case("csv_test_fraction_all_test", csv_rows(10), ["csv_test_fraction_all_test.csv"], extra=["--test-fraction", "0.96"])
csv_case("csv_regress_nan_target", csv_rows(30).replace(",0\n", ",nan\n", 1), ["csv_regress_nan_target.csv"],
         extra=["--task", "regress"])

# valid but unusual
csv_case("csv_ok_bom_before_header", "\ufeff" + csv_rows(40), ok=True)
csv_case("csv_ok_bom_target_first", "\ufeffkind,sepal,petal\n" + "".join("%d,%d,%d\n" % (i % 3, i % 7, i % 5) for i in range(40)),
         ok=True, note="header starts with a BOM and the target column is the first one")
csv_case("csv_ok_crlf", csv_rows(40).replace("\n", "\r\n"), ok=True)
csv_case("csv_ok_cr_only_last_line", csv_rows(40).rstrip("\n") + "\r\n", ok=True)
csv_case("csv_ok_quoted_header", csv_rows(40).replace("sepal,petal,stem,kind", '"sepal","petal","stem","kind"'), ok=True)
csv_case("csv_ok_quoted_cells", "\n".join(
    [l if i == 0 else ",".join('"%s"' % c for c in l.split(",")) for i, l in enumerate(csv_rows(40).splitlines())]) + "\n",
    ok=True)
csv_case("csv_ok_spaces_and_blank_lines", csv_rows(40).replace(",", " , ").replace("\n", "\n   \n"), ok=True)
csv_case("csv_ok_no_final_newline", csv_rows(40).rstrip("\n"), ok=True)
csv_case("csv_ok_scientific", csv_rows(40).replace("\n1,", "\n1.0e0,"), ok=True)
csv_case("csv_ok_sparse_labels", csv_rows(40, label=lambda i: 7 * (i % 2)), ok=True, note="labels 0 and 7 only")
csv_case("csv_ok_two_rows", "sepal,petal,kind\n1,2,0\n3,4,1\n", ok=True)
csv_case("csv_ok_constant_feature", "sepal,flat,kind\n" + "".join("%d,5,%d\n" % (i % 7, i % 3) for i in range(40)), ok=True,
         note="a column with zero deviation")
csv_case("csv_ok_wide_2000_cols", ",".join("c%d" % i for i in range(2000)) + ",kind\n" + "".join(
    ",".join(str((r * 7 + i) % 5) for i in range(2000)) + ",%d\n" % (r % 2) for r in range(10)), ok=True)
csv_case("csv_ok_unicode_names", csv_rows(40, cols=("länge", "größe", "高さ")), ok=True)
csv_case("csv_ok_regress", csv_rows(40, label=lambda i: "%.3f" % (i * 0.5)), ok=True, extra=["--task", "regress"])


@case("csv_long_line_16mb", "csv", ["csv_long_line_16mb.csv"])
def _(ctx, d):
    f = d.path / "csv_long_line_16mb.csv"
    with open(f, "wb") as out:
        out.write(b"sepal,kind\n")
        out.write(b"1" * (16 << 20))
        out.write(b",0\n2,1\n3,0\n")
    return ["train", "--data", str(f), "--target", "kind"] + FAST + ["--out", d.good_out()]


@case("csv_gzip_bomb", "csv", ["csv_gzip_bomb.csv"])
def _(ctx, d):
    f = d.file("csv_gzip_bomb.csv", ctx.cached("csv_bomb", lambda: gzip_bomb(b"sepal,kind\n", 3 << 30, b"0,0\n")))
    return ["train", "--data", f, "--target", "kind"] + FAST + ["--out", d.good_out()]


@case("csv_gzip_truncated", "csv", ["csv_gzip_truncated.csv"])
def _(ctx, d):
    blob = gzip.compress(csv_rows(400).encode(), mtime=0)
    f = d.file("csv_gzip_truncated.csv", blob[:len(blob) // 2])
    return ["train", "--data", f, "--target", "kind"] + FAST + ["--out", d.good_out()]


@case("csv_gzip_corrupt", "csv", ["csv_gzip_corrupt.csv"])
def _(ctx, d):
    f = d.file("csv_gzip_corrupt.csv", b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4)
    return ["train", "--data", f, "--target", "kind"] + FAST + ["--out", d.good_out()]


@case("csv_data_is_folder", "csv", ["/csv_folder"])
def _(ctx, d):
    return ["train", "--data", d.folder("csv_folder"), "--format", "csv", "--target", "kind"] + FAST + ["--out", d.good_out()]


@case("csv_data_folder_guessed", "csv", ["/empty_folder"])
def _(ctx, d):
    return ["train", "--data", d.folder("empty_folder"), "--target", "kind"] + FAST + ["--out", d.good_out()]


@case("csv_data_fifo", "csv", ["csv_fifo.csv"])
def _(ctx, d):
    return ["train", "--data", d.fifo("csv_fifo.csv"), "--target", "kind"] + FAST + ["--out", d.good_out()]


@case("csv_data_dev_zero", "csv", ["/dev/zero"])
def _(ctx, d):
    return ["train", "--data", "/dev/zero", "--format", "csv", "--target", "kind"] + FAST + ["--out", d.good_out()]


@case("csv_data_dev_urandom", "csv", ["/dev/urandom"])
def _(ctx, d):
    return ["train", "--data", "/dev/urandom", "--format", "csv", "--target", "kind"] + FAST + ["--out", d.good_out()]


@case("csv_data_symlink_dev_zero", "csv", ["zero_link.csv"])
def _(ctx, d):
    return ["train", "--data", d.symlink("zero_link.csv", "/dev/zero"), "--target", "kind"] + FAST + ["--out", d.good_out()]


@case("csv_data_symlink_loop", "csv", ["loop.csv"])
def _(ctx, d):
    return ["train", "--data", d.symlink("loop.csv", "loop.csv"), "--target", "kind"] + FAST + ["--out", d.good_out()]


@case("csv_data_missing", "csv", ["no_such_file.csv"])
def _(ctx, d):
    return ["train", "--data", str(d.path / "no_such_file.csv"), "--target", "kind"] + FAST + ["--out", d.good_out()]


@case("csv_data_no_permission", "csv", ["unreadable.csv"], note="skipped as root")
def _(ctx, d):
    if IS_ROOT:
        return None
    f = d.file("unreadable.csv", csv_rows(30))
    os.chmod(f, 0)
    return ["train", "--data", f, "--target", "kind"] + FAST + ["--out", d.good_out()]


@case("csv_missing_target_flag", "csv", ["--target"])
def _(ctx, d):
    return ["train", "--data", d.file("data.csv", csv_rows(30))] + FAST + ["--out", d.good_out()]


@case("csv_target_empty_string", "csv", [("--target", "column")])
def _(ctx, d):
    return ["train", "--data", d.file("data.csv", csv_rows(30)), "--target", ""] + FAST + ["--out", d.good_out()]


# --- predict / explain inputs (CSV and NumPy files given to --input) --------------------------------


def predict_case(name, data, expect=None, ok=False, fname=None, ckpt="digits", extra=(), note=""):
    fname = fname or name + (".npy" if isinstance(data, (bytes, bytearray)) and data.startswith(b"\x93NUMPY") else ".csv")

    @case(name, "npy" if fname.endswith(".npy") and name.startswith("npy_") else "input",
          expect if expect is not None else (["row 0"] if ok else [fname]), ok=ok, note=note)
    def setup(ctx, d):
        f = d.file(fname, data() if callable(data) else data)
        source = ctx.ckpt_digits if ckpt == "digits" else ctx.ckpt_csv
        return ["predict", "--checkpoint", d.ckpt_copy(source=source), "--input", f] + list(extra)


IRIS_IN = "sepal,petal,stem\n1,2,3\n4,5,6\n"
predict_case("predict_csv_missing_column", "sepal,stem\n1,3\n", ["petal"], ckpt="csv")
predict_case("predict_csv_nan", "sepal,petal,stem\nnan,2,3\n", ["predict_csv_nan.csv"], ckpt="csv")
predict_case("predict_csv_empty", "", ["predict_csv_empty.csv"], ckpt="csv")
predict_case("predict_csv_header_only", "sepal,petal,stem\n", ["predict_csv_header_only.csv"], ckpt="csv")
predict_case("predict_csv_ragged", "sepal,petal,stem\n1,2\n", ["predict_csv_ragged.csv"], ckpt="csv")
predict_case("predict_csv_non_utf8", b"sepal,petal,stem\n\xff,2,3\n", ["predict_csv_non_utf8.csv"], ckpt="csv")
predict_case("predict_csv_duplicate_column", "sepal,petal,petal,stem\n1,2,9,3\n", ["predict_csv_duplicate_column.csv"], ckpt="csv")
predict_case("predict_csv_on_image_model", IRIS_IN, ["predict_csv_on_image_model.csv"], ckpt="digits",
             note="a table of 3 columns for a model of 64 pixels")
predict_case("predict_ok_csv_bom", "\ufeff" + IRIS_IN, ok=True, ckpt="csv")
predict_case("predict_ok_csv_bom_first_column_used", "\ufeffsepal,petal,stem\n1,2,3\n", ok=True, ckpt="csv")
predict_case("predict_ok_csv_crlf", IRIS_IN.replace("\n", "\r\n"), ok=True, ckpt="csv")
predict_case("predict_ok_csv_reordered_extra_columns", "stem,extra,petal,kind,sepal\n3,9,2,1,1\n", ok=True, ckpt="csv")
predict_case("predict_ok_csv_quoted_header", '"sepal","petal","stem"\n1,2,3\n', ok=True, ckpt="csv")


@case("predict_csv_gzip_bomb", "input", ["predict_bomb.csv"])
def _(ctx, d):
    f = d.file("predict_bomb.csv", ctx.cached("csv_bomb", lambda: gzip_bomb(b"sepal,kind\n", 3 << 30, b"0,0\n")))
    return ["predict", "--checkpoint", d.ckpt_copy(source=ctx.ckpt_csv), "--input", f]


@case("predict_input_dev_zero", "input", ["/dev/zero"])
def _(ctx, d):
    return ["predict", "--checkpoint", d.ckpt_copy(), "--input", "/dev/zero"]


@case("predict_input_dev_urandom_npy", "input", ["urandom.npy"])
def _(ctx, d):
    return ["predict", "--checkpoint", d.ckpt_copy(), "--input", d.symlink("urandom.npy", "/dev/urandom")]


@case("predict_input_fifo_csv", "input", ["in_fifo.csv"])
def _(ctx, d):
    return ["predict", "--checkpoint", d.ckpt_copy(source=ctx.ckpt_csv), "--input", d.fifo("in_fifo.csv")]


@case("predict_input_fifo_npy", "input", ["in_fifo.npy"])
def _(ctx, d):
    return ["predict", "--checkpoint", d.ckpt_copy(), "--input", d.fifo("in_fifo.npy")]


@case("predict_input_folder", "input", ["in_folder.npy"])
def _(ctx, d):
    return ["predict", "--checkpoint", d.ckpt_copy(), "--input", d.folder("in_folder.npy")]


@case("predict_input_missing", "input", ["missing.npy"])
def _(ctx, d):
    return ["predict", "--checkpoint", d.ckpt_copy(), "--input", str(d.path / "missing.npy")]


@case("explain_input_nan", "input", ["explain_nan.npy"])
def _(ctx, d):
    f = d.file("explain_nan.npy", npy_bytes(shape=(1, 64), payload=f32([float("nan")] * 64)))
    return ["explain", "--checkpoint", d.ckpt_copy(), "--input", f, "--index", "0", "--out", str(d.path / "e.svg")]


@case("explain_input_wrong_features", "input", ["explain_63.npy"])
def _(ctx, d):
    f = d.file("explain_63.npy", npy_bytes(shape=(2, 63), payload=f32([1.0] * 126)))
    return ["explain", "--checkpoint", d.ckpt_copy(), "--input", f, "--index", "0", "--out", str(d.path / "e.svg")]


# --- NPY (as --input of predict) ------------------------------------------------------------------

GOOD_NPY = npy_bytes()
predict_case("npy_bad_magic", b"\x93NUMPX" + GOOD_NPY[6:], ["npy_bad_magic.npy"], fname="npy_bad_magic.npy")
predict_case("npy_truncated_header", GOOD_NPY[:30], ["npy_truncated_header.npy"], fname="npy_truncated_header.npy")
predict_case("npy_too_short", b"\x93NUM", ["npy_too_short.npy"], fname="npy_too_short.npy")
predict_case("npy_shape_1e12", npy_bytes(shape=(10 ** 12,), payload=f32([1.0] * 64)), ["npy_shape_1e12.npy"])
predict_case("npy_shape_1e12_by_64", npy_bytes(shape=(10 ** 12, 64), payload=f32([1.0] * 64)), ["npy_shape_1e12_by_64.npy"])
predict_case("npy_shape_overflow", npy_bytes(shape=(2 ** 62, 2 ** 62, 16), payload=b""), ["npy_shape_overflow.npy"])
predict_case("npy_shape_dim_overflow", npy_bytes(shape=(10 ** 30,), payload=b""), ["npy_shape_dim_overflow.npy"])
predict_case("npy_shape_zero_dim_overflow", npy_bytes(shape=(0, 2 ** 40, 2 ** 40), payload=b""),
             ["npy_shape_zero_dim_overflow.npy", "overflow"], note="no element, but strides that overflow")
predict_case("npy_shape_zero_dim_overflow_fortran", npy_bytes(shape=(0, 2 ** 40, 2 ** 40), payload=b"", fortran=True),
             ["npy_shape_zero_dim_overflow_fortran.npy", "overflow"])
predict_case("npy_shape_negative", npy_bytes(shape=(-1, 64), payload=f32([1.0] * 64)), ["npy_shape_negative.npy"])
predict_case("npy_dtype_complex", npy_bytes(descr="<c16", shape=(1, 64), payload=bytes(16 * 64)), ["npy_dtype_complex.npy", "c16"])
predict_case("npy_dtype_object", npy_bytes(descr="|O", shape=(1, 64), payload=bytes(8 * 64)), ["npy_dtype_object.npy"])
predict_case("npy_dtype_unicode", npy_bytes(descr="<U10", shape=(1, 64), payload=bytes(40 * 64)), ["npy_dtype_unicode.npy"])
predict_case("npy_dtype_structured", npy_bytes(header="{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (64,), }",
                                               payload=bytes(4 * 64)), ["npy_dtype_structured.npy"])
predict_case("npy_version_9", npy_bytes(version=(9, 0)), ["npy_version_9.npy"])
predict_case("npy_header_not_dict", npy_bytes(header="[1, 2, 3]"), ["npy_header_not_dict.npy"])
predict_case("npy_header_extra_key", npy_bytes(header="{'descr': '<f4', 'fortran_order': False, 'shape': (3, 64), 'evil': 1, }"),
             ["npy_header_extra_key.npy"])
predict_case("npy_header_length_huge", npy_bytes(version=(2, 0), header_len=0xFFFFFFFF), ["npy_header_length_huge.npy"])
predict_case("npy_data_short", npy_bytes(shape=(3, 64), payload=f32([1.0] * 100)), ["npy_data_short.npy"])
predict_case("npy_data_long", npy_bytes(shape=(3, 64), payload=f32([1.0] * 300)), ["npy_data_long.npy"])
predict_case("npy_u8_over_int64", npy_bytes(descr="<u8", shape=(1, 64), payload=b"\xff" * 8 * 64), ["npy_u8_over_int64.npy"])
predict_case("npy_zero_rows", npy_bytes(shape=(0, 64), payload=b""), ["npy_zero_rows.npy"])
predict_case("npy_wrong_features", npy_bytes(shape=(3, 63), payload=f32([1.0] * 189)), ["npy_wrong_features.npy"])
predict_case("npy_scalar", npy_bytes(shape=(), payload=f32([1.0])), ["npy_scalar.npy"])
predict_case("npy_nan_inputs", npy_bytes(shape=(2, 64), payload=f32([float("nan")] * 128)), ["npy_nan_inputs.npy"])
predict_case("npy_inf_inputs", npy_bytes(shape=(2, 64), payload=f32([float("inf")] * 128)), ["npy_inf_inputs.npy"])
predict_case("npy_gzip_truncated", gzip.compress(GOOD_NPY, mtime=0)[:100], ["npy_gzip_truncated.npy"], fname="npy_gzip_truncated.npy")
predict_case("npy_ok_fortran_order", npy_bytes(shape=(3, 64), fortran=True), ok=True)
predict_case("npy_ok_big_endian", npy_bytes(descr=">f4", shape=(3, 64), payload=struct.pack(">192f", *[float(i % 9) / 8 for i in range(192)])), ok=True)
predict_case("npy_ok_float16", npy_bytes(descr="<f2", shape=(2, 64), payload=struct.pack("<128e", *[float(i % 5) / 4 for i in range(128)])), ok=True)
predict_case("npy_ok_int_pixels_scaled", npy_bytes(descr="<i8", shape=(2, 64), payload=struct.pack("<128q", *[i % 17 for i in range(128)])), ok=True)
predict_case("npy_float_pixels_unscaled", npy_bytes(shape=(2, 64), payload=f32([float(i % 17) for i in range(128)])), ["npy_float_pixels_unscaled.npy", "scale"])
predict_case("npy_ok_uint8_pixels", npy_bytes(descr="|u1", shape=(2, 8, 8), payload=bytes(i % 16 for i in range(128))), ok=True)
predict_case("npy_ok_rank5_one_sample", npy_bytes(shape=(1, 1, 1, 8, 8), payload=f32([1.0] * 64)), ok=True)
predict_case("npy_ok_one_flat_sample", npy_bytes(shape=(64,), payload=f32([0.5] * 64)), ok=True)
predict_case("npy_ok_gzipped", gzip.compress(GOOD_NPY, mtime=0), ok=True, fname="npy_ok_gzipped.npy")
predict_case("npy_ok_version_3", npy_bytes(version=(3, 0)), ok=True)


@case("npy_gzip_bomb", "npy", ["npy_gzip_bomb.npy"])
def _(ctx, d):
    n = (3 << 30) // 256
    header = npy_bytes(shape=(n, 64), payload=b"")
    f = d.file("npy_gzip_bomb.npy", ctx.cached("npy_bomb", lambda: gzip_bomb(header, len(header) + n * 256)))
    return ["predict", "--checkpoint", d.ckpt_copy(), "--input", f]


# --- NPZ (as --data of train) ---------------------------------------------------------------------


def xy(n=30, features=4, classes=3, x=None, y=None):
    xb = x if x is not None else npy_bytes(shape=(n, features), payload=f32(((i * 7) % 13) / 3.0 for i in range(n * features)))
    yb = y if y is not None else npy_bytes(descr="<i8", shape=(n,), payload=struct.pack("<%dq" % n, *[i % classes for i in range(n)]))
    return xb, yb


def labels_npy(values, descr="<i8"):
    fmt = {"<i8": "q", "<f4": "f", "<f8": "d"}[descr]
    return npy_bytes(descr=descr, shape=(len(values),), payload=struct.pack("<%d%s" % (len(values), fmt), *values))


def npz_case(name, blob, expect=None, ok=False, extra=(), note=""):
    fname = name + ".npz"

    @case(name, "npz", expect if expect is not None else ([("test accuracy", "test mse")] if ok else [fname]), ok=ok, note=note)
    def setup(ctx, d):
        f = d.file(fname, blob() if callable(blob) else blob)
        return ["train", "--data", f] + FAST + list(extra) + ["--out", d.fresh_out() if ok else d.good_out()]


X30, Y30 = xy()
npz_case("npz_not_a_zip", b"PK\x03\x04 this is not really a zip archive" * 10)
npz_case("npz_empty_file", b"")
npz_case("npz_truncated", lambda: npz_bytes({"x": X30, "y": Y30})[:200])
npz_case("npz_xy_length_mismatch", npz_bytes({"x": X30, "y": labels_npy([i % 3 for i in range(29)])}))
npz_case("npz_y_label_1e9", npz_bytes({"x": X30, "y": labels_npy([i % 3 for i in range(29)] + [10 ** 9])}),
         ["npz_y_label_1e9.npz", ("label", "class")])
npz_case("npz_y_label_negative", npz_bytes({"x": X30, "y": labels_npy([i % 3 for i in range(29)] + [-5])}),
         ["npz_y_label_negative.npz", ("label", "class")])
npz_case("npz_y_float_labels", npz_bytes({"x": X30, "y": labels_npy([0.5] * 30, "<f4")}), ["npz_y_float_labels.npz"])
npz_case("npz_y_2d_classify", npz_bytes({"x": X30, "y": npy_bytes(descr="<i8", shape=(30, 2), payload=bytes(8 * 60))}))
npz_case("npz_x_zero_samples", npz_bytes({"x": npy_bytes(shape=(0, 4), payload=b""), "y": labels_npy([])}))
npz_case("npz_missing_y", npz_bytes({"x": X30}))
npz_case("npz_partial_split", npz_bytes({"x_train": X30, "y_train": Y30, "x_test": X30}))
npz_case("npz_train_test_feature_mismatch", npz_bytes({"x_train": X30, "y_train": Y30, "y_test": Y30,
                                                     "x_test": npy_bytes(shape=(30, 5), payload=f32([1.0] * 150))}))
npz_case("npz_x_rank5_lenet", npz_bytes({"x": npy_bytes(shape=(30, 1, 1, 8, 8), payload=f32([1.0] * 1920)), "y": Y30}),
         [("npz_x_rank5_lenet.npz", "lenet")], extra=["--model", "lenet"])
npz_case("npz_x_nan", npz_bytes({"x": npy_bytes(shape=(30, 4), payload=f32([float("nan")] * 120)), "y": Y30}),
         [("npz_x_nan.npz", "nan", "finite")])
npz_case("npz_duplicate_entries", zip_bytes([{"name": "x.npy", "data": X30}, {"name": "x.npy", "data": X30}, {"name": "y.npy", "data": Y30}]))
npz_case("npz_encrypted_entry", zip_bytes([{"name": "x.npy", "data": X30, "flags": 1}, {"name": "y.npy", "data": Y30}]))
npz_case("npz_bad_crc", zip_bytes([{"name": "x.npy", "data": X30, "crc": 0x12345678}, {"name": "y.npy", "data": Y30}]))
npz_case("npz_unknown_method", zip_bytes([{"name": "x.npy", "data": X30, "claim_method": 12}, {"name": "y.npy", "data": Y30}]))
npz_case("npz_entry_not_npy", npz_bytes({"x": b"hello, I am not an array", "y": Y30}), [("npz_entry_not_npy.npz", "x.npy")])
npz_case("npz_entry_size_lie_small", zip_bytes([{"name": "x.npy", "data": X30, "usize": 10}, {"name": "y.npy", "data": Y30}]))
npz_case("npz_entry_offset_past_end", lambda: (lambda b: b[:-6] + struct.pack("<I", 0x7FFFFFF0) + b[-2:])(npz_bytes({"x": X30, "y": Y30})))
npz_case("npz_eocd_only", struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 65535, 65535, 0xFFFFFFF0, 0, 0))
npz_case("npz_ok_compressed", npz_bytes({"x": X30, "y": Y30}, compressed=True), ok=True)
npz_case("npz_ok_int16_features", npz_bytes({"x": npy_bytes(descr="<i2", shape=(30, 4), payload=struct.pack("<120h", *range(120))),
                                            "y": Y30}), ok=True)
npz_case("npz_ok_rank5_mlp", npz_bytes({"x": npy_bytes(shape=(30, 1, 1, 2, 2), payload=f32((i % 7) for i in range(120))), "y": Y30}), ok=True)
npz_case("npz_ok_class_only_in_test", npz_bytes({"x_train": X30, "y_train": Y30, "x_test": X30,
                                                "y_test": labels_npy([3] + [i % 3 for i in range(29)])}), ok=True,
         note="class 3 appears only in the test part")
npz_case("npz_ok_many_extra_entries", lambda: zip_bytes([{"name": "x.npy", "data": X30}, {"name": "y.npy", "data": Y30}] +
                                                      [{"name": "junk%d.txt" % i, "data": b"j"} for i in range(3000)]), ok=True)
npz_case("npz_ok_bool_labels_regress", npz_bytes({"x": X30, "y": npy_bytes(descr="|b1", shape=(30,), payload=bytes(i % 2 for i in range(30)))}),
         ok=True, extra=["--task", "regress"])


@case("npz_zip_bomb_size_lie", "npz", ["npz_zip_bomb_size_lie.npz"])
def _(ctx, d):
    def build():
        header = npy_bytes(shape=((1 << 30) // 16, 4), payload=b"")
        stream, crc = deflate_zeros_stream(header, 1 << 30)
        return zip_bytes([{"name": "x.npy", "comp": stream, "method": 8, "usize": 200, "crc": crc}, {"name": "y.npy", "data": Y30}])
    f = d.file("npz_zip_bomb_size_lie.npz", ctx.cached("zip_bomb_lie", build))
    return ["train", "--data", f] + FAST + ["--out", d.good_out()]


@case("npz_zip_bomb_honest_1gib", "npz", ["npz_zip_bomb_honest_1gib.npz"])
def _(ctx, d):
    def build():
        n = (1 << 30) // 16
        header = npy_bytes(shape=(n, 4), payload=b"")
        stream, crc = deflate_zeros_stream(header, n * 16)
        yh = npy_bytes(descr="|u1", shape=(n,), payload=b"")
        ystream, ycrc = deflate_zeros_stream(yh, n)
        return zip_bytes([{"name": "x.npy", "comp": stream, "method": 8, "usize": len(header) + n * 16, "crc": crc},
                          {"name": "y.npy", "comp": ystream, "method": 8, "usize": len(yh) + n, "crc": ycrc}])
    f = d.file("npz_zip_bomb_honest_1gib.npz", ctx.cached("zip_bomb_honest", build))
    return ["train", "--data", f] + FAST + ["--out", d.good_out()]


@case("npy_folder_y_fifo", "npz", ["y.npy"])
def _(ctx, d):
    folder = d.folder("npyfolder")
    d.file("npyfolder/x.npy", X30)
    d.fifo("npyfolder/y.npy")
    return ["train", "--data", folder] + FAST + ["--out", d.good_out()]


@case("npy_folder_x_is_folder", "npz", ["x.npy"])
def _(ctx, d):
    folder = d.folder("npyfolder")
    d.folder("npyfolder/x.npy")
    d.file("npyfolder/y.npy", Y30)
    return ["train", "--data", folder, "--format", "npy"] + FAST + ["--out", d.good_out()]


@case("npy_single_file_as_data", "npz", ["x_only.npy"])
def _(ctx, d):
    return ["train", "--data", d.file("x_only.npy", X30)] + FAST + ["--out", d.good_out()]


# --- MNIST / IDX / gzip ---------------------------------------------------------------------------

MN = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def mnist_files(n_train=24, n_test=10, train_labels=None, test_labels=None, side=28):
    def images(n):
        return idx_bytes(0x08, [n, side, side], bytes((i * 37) % 256 for i in range(n * side * side)))
    tl = train_labels if train_labels is not None else [i % 5 for i in range(n_train)]
    vl = test_labels if test_labels is not None else [i % 5 for i in range(n_test)]
    return {MN[0]: images(n_train), MN[1]: idx_bytes(0x08, [len(tl)], bytes(tl)),
            MN[2]: images(n_test), MN[3]: idx_bytes(0x08, [len(vl)], bytes(vl))}


def mnist_case(name, change=None, expect=None, ok=False, extra=(), gz=False, note=""):
    @case(name, "mnist", expect if expect is not None else ([("test accuracy", "test mse")] if ok else ["/mnist"]), ok=ok, note=note)
    def setup(ctx, d):
        files = mnist_files()
        if change:
            files = change(ctx, files) or files
        folder = d.folder("mnist")
        for fname, blob in files.items():
            target = os.path.join(folder, fname)
            if blob is None:
                continue
            if isinstance(blob, tuple):        # ("fifo",) / ("dir",) / ("link", target)
                if blob[0] == "fifo":
                    os.mkfifo(target)
                elif blob[0] == "dir":
                    os.mkdir(target)
                else:
                    os.symlink(blob[1], target)
                continue
            if gz and not fname.endswith(".gz"):
                blob, target = gzip.compress(blob, mtime=0), target + ".gz"
            with open(target, "wb") as out:
                out.write(blob)
        return ["train", "--data", folder] + FAST + list(extra) + ["--out", d.fresh_out() if ok else d.good_out()]


def replace(key, value):
    def change(ctx, files):
        files = dict(files)
        files[key] = value(ctx) if callable(value) else value
        return files
    return change


def images_bomb(ctx):
    n = (3 << 30) // 784
    header = idx_bytes(0x08, [n, 28, 28], b"")
    return ctx.cached("idx_bomb", lambda: gzip_bomb(header, len(header) + n * 784))


def bomb_change(ctx, files):
    files = dict(files)
    files.pop(MN[0])
    files[MN[0] + ".gz"] = images_bomb(ctx)
    return files


mnist_case("mnist_ok_tiny", ok=True)
mnist_case("mnist_ok_gzipped", ok=True, gz=True)
mnist_case("mnist_ok_class_only_in_test", lambda c, f: mnist_files(test_labels=[7] + [i % 5 for i in range(9)]), ok=True,
           note="label 7 appears only in the test files")
mnist_case("mnist_ok_14x14_mlp", lambda c, f: mnist_files(side=14), ok=True, note="MNIST files of 14x14 images")
mnist_case("mnist_gzip_bomb", bomb_change, [MN[0]])
mnist_case("mnist_gzip_truncated", lambda c, f: {**{k: v for k, v in f.items() if k != MN[0]},
                                                   MN[0] + ".gz": gzip.compress(f[MN[0]], mtime=0)[:300]}, [MN[0]])
mnist_case("mnist_gzip_empty", lambda c, f: {**{k: v for k, v in f.items() if k != MN[0]}, MN[0] + ".gz": b""}, [MN[0]])
mnist_case("mnist_bad_magic", replace(MN[0], lambda c: b"\x12\x34" + mnist_files()[MN[0]][2:]), [MN[0]])
mnist_case("mnist_images_count_1e9", replace(MN[0], idx_bytes(0x08, [10 ** 9, 28, 28], bytes(784 * 4))), [MN[0]])
mnist_case("mnist_images_dims_overflow", replace(MN[0], idx_bytes(0x08, [0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF], bytes(64))), [MN[0]])
mnist_case("mnist_images_zero_dims", lambda c, f: {**f, MN[0]: idx_bytes(0x08, [0, 28, 28], b""), MN[1]: idx_bytes(0x08, [0], b"")},
           [("/mnist", MN[0])],
           note="no training images at all")
mnist_case("mnist_images_float_type", replace(MN[0], idx_bytes(0x0D, [2, 28, 28], bytes(784 * 8))), [MN[0]])
mnist_case("mnist_images_unknown_type", replace(MN[0], idx_bytes(0x42, [2, 28, 28], bytes(784 * 2))), [MN[0]])
mnist_case("mnist_images_rank2", replace(MN[0], idx_bytes(0x08, [24, 784], bytes(784 * 24))), [MN[0]])
mnist_case("mnist_images_header_truncated", replace(MN[0], b"\x00\x00\x08\x03\x00\x00"), [MN[0]])
mnist_case("mnist_images_trailing_bytes", replace(MN[0], lambda c: mnist_files()[MN[0]] + b"extra"), [MN[0]])
mnist_case("mnist_ok_label_200", replace(MN[1], idx_bytes(0x08, [24], bytes([200] + [i % 5 for i in range(23)]))), ok=True,
           note="the class count comes from all the data: 201 classes (EMNIST-style files use the MNIST format with more classes)")
mnist_case("mnist_labels_count_mismatch", replace(MN[1], idx_bytes(0x08, [23], bytes(i % 5 for i in range(23)))), [MN[1]])
mnist_case("mnist_labels_rank2", replace(MN[1], idx_bytes(0x08, [24, 1], bytes(i % 5 for i in range(24)))), [MN[1]])
mnist_case("mnist_missing_test_labels", lambda c, f: {k: v for k, v in f.items() if k != MN[3]}, [MN[3]])
mnist_case("mnist_images_is_folder", replace(MN[0], ("dir",)), [MN[0]])
mnist_case("mnist_images_fifo", replace(MN[0], ("fifo",)), [MN[0]])
mnist_case("mnist_images_symlink_dev_zero", replace(MN[0], ("link", "/dev/zero")), [MN[0]])
mnist_case("mnist_8x8_lenet", lambda c, f: mnist_files(side=8), [("lenet", "12")], extra=["--model", "lenet"])


# --- checkpoints ----------------------------------------------------------------------------------


def corrupt_config(mutate):
    def fn(ctx):
        meta, tensors = st_parse(ctx.ckpt_bytes)
        cfg = json.loads(meta["config"])
        mutate(cfg)
        meta["config"] = json.dumps(cfg)
        return st_build(meta, tensors)
    return fn


def corrupt_meta(key, value):
    def fn(ctx):
        meta, tensors = st_parse(ctx.ckpt_bytes)
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
        return st_build(meta, tensors)
    return fn


def corrupt_tensors(mutate):
    def fn(ctx):
        meta, tensors = st_parse(ctx.ckpt_bytes)
        copy = [list(t) for t in tensors]
        tensors = mutate(copy) or copy
        return st_build(meta, tensors)
    return fn


def tensor(tensors, name):
    for t in tensors:
        if t[0] == name:
            return t
    raise KeyError(name)


def set_path(cfg, path, value):
    obj = cfg
    for k in path[:-1]:
        obj = obj[k]
    obj[path[-1]] = value


def cfg_set(*path_value):
    *path, value = path_value
    return corrupt_config(lambda cfg: set_path(cfg, path, value))


def raw_header_ckpt(header_text, data=b"", length=None):
    return lambda ctx: st_raw(header_text if isinstance(header_text, bytes) else header_text.encode(), data, length)


def _overlap(ctx):
    meta, tensors = st_parse(ctx.ckpt_bytes)
    blob = st_build(meta, tensors, keep_offsets={tensors[1][0]: [0, len(tensors[1][3])]})
    return blob


def _out_of_range(ctx):
    meta, tensors = st_parse(ctx.ckpt_bytes)
    last = tensors[-1]
    total = sum(len(t[3]) for t in tensors)
    return st_build(meta, tensors, keep_offsets={last[0]: [total - len(last[3]) + 4096, total + 4096]})


def _dtype_i32(ts):
    t = tensor(ts, "model.0.weight")
    t[1] = "I32"


def _dtype_f64_half(ts):
    t = tensor(ts, "model.0.weight")
    t[1], t[2] = "F64", [8, 32]


def _transpose(ts):
    t = tensor(ts, "model.0.weight")
    t[2] = [64, 8]


def _drop(name):
    return lambda ts: [t for t in ts if t[0] != name]


def _std_shape(ts):
    t = tensor(ts, "extra.standardizer.mean")
    t[2], t[3] = [63], t[3][:63 * 4]


def _std_nan(name):
    def m(ts):
        t = tensor(ts, name)
        t[3] = f32([float("nan")] * 64)
    return m


def _std_zero(ts):
    tensor(ts, "extra.standardizer.scale")[3] = f32([0.0] * 64)


def _weights_nan(ts):
    tensor(ts, "model.0.weight")[3] = f32([float("nan")] * 512)


def _nested(depth):
    return "[" * depth + "]" * depth


# (name, corruption(ctx) -> bytes | special, expect, commands)
# Every command that loads a checkpoint.
CKPT_LOADERS = ("evaluate", "predict", "explain", "resume", "export")
CKPT = [
    ("empty", lambda ctx: b"", ["{f}"], CKPT_LOADERS),
    ("truncated_half", lambda ctx: ctx.ckpt_bytes[:len(ctx.ckpt_bytes) // 2], ["{f}"], CKPT_LOADERS),
    ("seven_bytes", lambda ctx: b"\x10\x00\x00\x00\x00\x00\x00", ["{f}"], ("evaluate", "resume")),
    ("header_len_2p63", lambda ctx: struct.pack("<Q", 1 << 63) + ctx.ckpt_bytes[8:], ["{f}"], CKPT_LOADERS),
    ("header_len_past_eof", lambda ctx: struct.pack("<Q", len(ctx.ckpt_bytes)) + ctx.ckpt_bytes[8:], ["{f}"], CKPT_LOADERS),
    ("header_len_zero", lambda ctx: struct.pack("<Q", 0) + ctx.ckpt_bytes[8:], ["{f}"], ("evaluate", "resume")),
    ("header_not_json", raw_header_ckpt(b"{this is not json at all}"), ["{f}"], CKPT_LOADERS),
    ("header_nested_100000", raw_header_ckpt(b'{"a":' + _nested(100000).encode() + b"}"), ["{f}"], CKPT_LOADERS),
    ("header_not_utf8", raw_header_ckpt(b'{"\xff\xfe":1}   '), ["{f}"], ("evaluate", "resume")),
    ("header_duplicate_key", lambda ctx: st_raw(b'{"__metadata__":{},"__metadata__":{}}'), ["{f}"], ("evaluate",)),
    ("offsets_overlap", _overlap, ["{f}"], CKPT_LOADERS),
    ("offsets_out_of_range", _out_of_range, ["{f}"], CKPT_LOADERS),
    ("shape_overflow", lambda ctx: st_raw(st_header_bytes({"model.0.weight": {"dtype": "F32", "shape": [2 ** 40, 2 ** 40], "data_offsets": [0, 8]}}),
                                          bytes(8)), ["{f}"], ("evaluate", "resume")),
    ("unknown_dtype", lambda ctx: st_raw(st_header_bytes({"model.0.weight": {"dtype": "Q4", "shape": [2], "data_offsets": [0, 8]}}), bytes(8)),
     ["{f}"], ("evaluate",)),
    ("not_safetensors_png", lambda ctx: b"\x89PNG\r\n\x1a\n" + bytes(200), ["{f}"], ("evaluate", "predict")),
    ("not_safetensors_csv", lambda ctx: csv_rows(30).encode(), ["{f}"], ("evaluate", "resume")),
    ("missing_config", corrupt_meta("config", None), [("{f}", "config")], CKPT_LOADERS),
    ("config_not_json", corrupt_meta("config", "{{{{ not json"), [("{f}", "config")], CKPT_LOADERS),
    ("config_nested_100000", corrupt_meta("config", _nested(100000)), [("{f}", "config")], CKPT_LOADERS),
    ("config_empty_object", corrupt_meta("config", "{}"), [("{f}", "config")], ("evaluate", "resume")),
    ("config_missing_model", corrupt_config(lambda c: c.pop("model")), [("{f}", "model")], ("evaluate", "explain")),
    ("unknown_architecture", cfg_set("model", "architecture", "transformer"), [("{f}", "transformer", "architecture")], CKPT_LOADERS),
    ("hidden_1e9", cfg_set("model", "hidden", [10 ** 9]), [("{f}", "hidden", "1000000000")], CKPT_LOADERS),
    ("hidden_many_layers", cfg_set("model", "hidden", [8] * 100000), [("{f}", "hidden", "layer")], ("evaluate", "predict")),
    ("outputs_1e9", cfg_set("model", "outputs", 10 ** 9), [("{f}", "output", "1000000000")], CKPT_LOADERS),
    ("outputs_zero", cfg_set("model", "outputs", 0), [("{f}", "output")], ("evaluate", "predict")),
    ("inputshape_overflow", cfg_set("model", "inputShape", [2 ** 32, 2 ** 32, 2 ** 32]), [("{f}", "input")], CKPT_LOADERS),
    ("inputshape_product_overflow", cfg_set("model", "inputShape", [2 ** 24, 2 ** 24, 2 ** 24]), [("{f}", "input")], CKPT_LOADERS),
    ("inputshape_negative", cfg_set("model", "inputShape", [-8, -8]), [("{f}", "input")], CKPT_LOADERS),
    ("inputshape_empty", cfg_set("model", "inputShape", []), [("{f}", "input")], ("evaluate", "predict")),
    ("weight_dtype_i32", corrupt_tensors(_dtype_i32), [("{f}", "weight", "dtype")], CKPT_LOADERS),
    ("weight_dtype_f64_half", corrupt_tensors(_dtype_f64_half), [("{f}", "weight")], ("evaluate", "predict")),
    ("weight_shape_transposed", corrupt_tensors(_transpose), [("{f}", "weight")], CKPT_LOADERS),
    ("weight_missing", corrupt_tensors(_drop("model.2.bias")), [("{f}", "bias", "weight")], CKPT_LOADERS),
    ("weights_nan", corrupt_tensors(_weights_nan), [("{f}", "nan", "finite")], ("evaluate", "predict", "explain")),
    ("unexpected_tensor", corrupt_tensors(lambda ts: ts + [["stray.tensor", "F32", [1], f32([1.0])]]), [("{f}", "stray")], ("evaluate",)),
    ("standardizer_wrong_shape", corrupt_tensors(_std_shape), [("{f}", "standardizer")], CKPT_LOADERS),
    ("standardizer_mean_nan", corrupt_tensors(_std_nan("extra.standardizer.mean")), [("{f}", "standardizer")], CKPT_LOADERS),
    ("standardizer_scale_nan", corrupt_tensors(_std_nan("extra.standardizer.scale")), [("{f}", "standardizer")], ("evaluate", "predict")),
    ("standardizer_scale_zero", corrupt_tensors(_std_zero), [("{f}", "standardizer")], ("evaluate", "predict")),
    ("standardizer_missing_scale", corrupt_tensors(_drop("extra.standardizer.scale")), [("{f}", "standardizer")], ("evaluate", "predict")),
    ("format_version_2", corrupt_meta("gradus.checkpoint", "2"), [("{f}", "format", "version")], ("evaluate", "resume")),
    ("not_a_gradus_checkpoint", corrupt_meta("gradus.checkpoint", None), [("{f}", "gradus")], ("evaluate",)),
    ("metadata_value_number", lambda ctx: st_raw(st_header_bytes({"__metadata__": {"config": 5}})), ["{f}"], ("evaluate",)),
    # resume-only: the saved training state
    ("batch_size_max", cfg_set("batchSize", 2 ** 63 - 1), [("{f}", "batch")], ("resume",)),
    ("batch_size_zero", cfg_set("batchSize", 0), [("{f}", "batch")], ("resume",)),
    ("epochs_negative", cfg_set("epochs", -5), [("{f}", "epoch")], ("resume_noepochs",)),
    ("lr_negative", cfg_set("optimizer", "learningRate", -1), [("{f}", "learning rate", "lr")], ("resume",)),
    ("lr_1e300", cfg_set("optimizer", "learningRate", 1e300), [("{f}", "learning rate", "lr", "finite", "loss")], ("resume",)),
    ("momentum_5", cfg_set("optimizer", "momentum", 5), [("{f}", "momentum")], ("resume",)),
    ("schedule_unknown", cfg_set("schedule", "exponential"), [("{f}", "schedule", "exponential")], ("resume",)),
    ("test_fraction_5", cfg_set("data", "testFraction", 5), [("{f}", "fraction")], ("evaluate", "resume")),
    ("data_path_missing", corrupt_config(lambda c: c.update(data={"format": "csv", "path": "/nonexistent-gradus-data/x.csv", "target": "y",
                                                                  "splitSeed": 0, "standardize": True, "testFraction": 0.2})),
     ["nonexistent-gradus-data"], ("evaluate",)),
    ("data_path_dev_zero", corrupt_config(lambda c: c.update(data={"format": "csv", "path": "/dev/zero", "target": "y",
                                                                   "splitSeed": 0, "standardize": True, "testFraction": 0.2})),
     ["/dev/zero"], ("evaluate",)),
    ("task_regress_on_classifier", cfg_set("task", "regress"), [("{f}", "task", "regress", "output")], ("evaluate",)),
    ("gradus_epoch_negative", corrupt_meta("gradus.epoch", "-1"), [("{f}", "epoch")], ("evaluate", "resume")),
    ("gradus_epoch_overflow", corrupt_meta("gradus.epoch", "99999999999999999999"), [("{f}", "epoch")], ("resume",)),
    ("gradus_epoch_beyond_run", corrupt_meta("gradus.epoch", "5"), [("{f}", "epoch")], ("resume",)),
    ("gradus_epoch_int_max", corrupt_meta("gradus.epoch", str(2 ** 63 - 1)), [("{f}", "epoch")], ("resume_noepochs",)),
    ("gradus_step_int_max", corrupt_meta("gradus.step", str(2 ** 63 - 1)), [("{f}", "step")], ("resume",)),
    ("rng_garbage", corrupt_meta("gradus.rng", "1,2,three"), [("{f}", "rng")], ("resume",)),
    ("rng_all_zero", corrupt_meta("gradus.rng", "0,0,0,0"), [("{f}", "rng")], ("resume",)),
    ("rng_trailing_garbage", corrupt_meta("gradus.rng", "1,2,3,4,x"), [("{f}", "rng")], ("resume",)),
    ("rng_empty_field", corrupt_meta("gradus.rng", "1,2,,3,4"), [("{f}", "rng")], ("resume",)),
    ("optimizer_lr_nan", corrupt_meta("gradus.optimizer.group.0.lr", "nan"), [("{f}", "lr", "learning rate", "finite")], ("resume",)),
    ("optimizer_beta1_nan", corrupt_meta("gradus.optimizer.group.0.beta1", "nan"), [("{f}", "beta1", "finite")], ("resume",)),
    ("optimizer_eps_negative", corrupt_meta("gradus.optimizer.group.0.eps", "-1"), [("{f}", "eps")], ("resume",)),
    ("optimizer_param_count_nan", corrupt_meta("gradus.optimizer.group.0.parameterCount", "nan"), [("{f}", "parametercount", "optimizer")], ("resume",)),
    ("optimizer_param_count_huge", corrupt_meta("gradus.optimizer.group.0.parameterCount", "1e18"), [("{f}", "parametercount", "optimizer")], ("resume",)),
    ("optimizer_step_negative", corrupt_meta("gradus.optimizer.state.0.step", "-5"), [("{f}", "step")], ("resume",)),
    ("optimizer_step_inf", corrupt_meta("gradus.optimizer.state.0.step", "inf"), [("{f}", "step")], ("resume",)),
    ("optimizer_state_missing", corrupt_tensors(_drop("optimizer.state.0.exp_avg")), [("{f}", "exp_avg", "optimizer")], ("resume",)),
    ("metrics_garbage", corrupt_meta("metrics", "epoch,train_loss\nnot,numbers\n"), [("{f}", "metrics")], ("resume",)),
    ("image_shape_negative", corrupt_meta("image_shape", "-8,-8"), [("{f}", "image_shape", "image")], ("explain",)),
    ("image_shape_huge", corrupt_meta("image_shape", "4294967296,4294967296"), [("{f}", "image_shape", "image")], ("explain",)),
]


def ckpt_command(cmd, ctx, d, f):
    if cmd == "evaluate":
        return ["evaluate", "--checkpoint", f]
    if cmd == "predict":
        return ["predict", "--checkpoint", f, "--input", d.file("in.npy", GOOD_NPY)]
    if cmd == "explain":
        return ["explain", "--checkpoint", f, "--index", "0", "--out", str(d.path / "e.svg")]
    if cmd == "resume":
        return ["train", "--resume", f, "--epochs", "2", "--quiet", "--out", d.good_out()]
    if cmd == "resume_noepochs":
        return ["train", "--resume", f, "--quiet", "--out", d.good_out()]
    if cmd == "export":
        return ["export", "--checkpoint", f, "--out", str(d.path / "model.onnx")]
    raise ValueError(cmd)


def ckpt_case(label, corruption, expect, cmd):
    fname = label + ".safetensors"
    short = cmd.replace("_noepochs", "")

    @case("ckpt_%s_%s" % (label, short), "checkpoint", [tuple(a.format(f=fname) for a in (e if isinstance(e, tuple) else (e,)))
                                                       for e in expect])
    def setup(ctx, d):
        f = d.protect(d.file(fname, ctx.cached("ckpt_" + label, lambda: corruption(ctx))))
        return ckpt_command(cmd, ctx, d, f)


for _label, _fn, _expect, _cmds in CKPT:
    for _cmd in _cmds:
        ckpt_case(_label, _fn, _expect, _cmd)


def ckpt_special(label, make, expect, cmds=CKPT_LOADERS):
    for cmd in cmds:
        def setup(ctx, d, cmd=cmd):
            return ckpt_command(cmd, ctx, d, make(d))
        CASES.append(Case("ckpt_%s_%s" % (label, cmd), "checkpoint", setup, expect))


ckpt_special("fifo", lambda d: d.fifo("ckpt_fifo.safetensors"), ["ckpt_fifo.safetensors"])
ckpt_special("folder", lambda d: d.folder("ckpt_folder.safetensors"), ["ckpt_folder.safetensors"])
ckpt_special("symlink_dev_zero", lambda d: d.symlink("zero.safetensors", "/dev/zero"), ["zero.safetensors"], ("evaluate", "resume"))
ckpt_special("missing", lambda d: str(d.path / "missing.safetensors"), ["missing.safetensors"], ("evaluate", "resume"))


@case("ckpt_config_data_fifo_evaluate", "checkpoint", ["data_fifo.csv"])
def _(ctx, d):
    fifo = d.fifo("data_fifo.csv")
    meta, tensors = st_parse(ctx.ckpt_bytes)
    cfg = json.loads(meta["config"])
    cfg["data"] = {"format": "csv", "path": fifo, "target": "y", "splitSeed": 0, "standardize": True, "testFraction": 0.2}
    meta["config"] = json.dumps(cfg)
    f = d.protect(d.file("data_fifo.safetensors", st_build(meta, tensors)))
    return ["evaluate", "--checkpoint", f]


@case("ckpt_feature_names_mismatch_predict", "checkpoint", [("names_mismatch.safetensors", "feature", "column")])
def _(ctx, d):
    meta, tensors = st_parse(Path(ctx.ckpt_csv).read_bytes())
    meta["feature_names"] = "sepal\npetal"
    f = d.protect(d.file("names_mismatch.safetensors", st_build(meta, tensors)))
    return ["predict", "--checkpoint", f, "--input", d.file("in.csv", IRIS_IN)]


@case("ckpt_resume_data_mismatch", "checkpoint", ["iris.csv"])
def _(ctx, d):
    return ["train", "--resume", d.ckpt_copy(), "--data", d.file("iris.csv", csv_rows(30)), "--target", "kind",
            "--epochs", "2", "--quiet", "--out", d.good_out()]


@case("ckpt_resume_ok", "checkpoint", ["test accuracy"], ok=True)
def _(ctx, d):
    return ["train", "--resume", d.file("good.safetensors", ctx.ckpt_bytes), "--epochs", "2", "--quiet", "--out", d.fresh_out()]


@case("ckpt_evaluate_ok", "checkpoint", ["test accuracy"], ok=True)
def _(ctx, d):
    return ["evaluate", "--checkpoint", d.ckpt_copy()]


@case("ckpt_explain_ok", "checkpoint", ["integrated gradients"], ok=True)
def _(ctx, d):
    return ["explain", "--checkpoint", d.ckpt_copy(), "--index", "3", "--out", str(d.path / "e.svg")]


@case("ckpt_evaluate_labels_beyond_model", "checkpoint", ["labels65.csv", ("label", "class")])
def _(ctx, d):
    rows = ["c%d" % i for i in range(64)] + ["y"]
    text = ",".join(rows) + "\n" + "".join(",".join(["1"] * 64) + ",%d\n" % (i % 3 if i else 50) for i in range(20))
    return ["evaluate", "--checkpoint", d.ckpt_copy(), "--data", d.file("labels65.csv", text), "--target", "y"]


@case("ckpt_evaluate_data_wrong_width", "checkpoint", ["iris.csv"])
def _(ctx, d):
    return ["evaluate", "--checkpoint", d.ckpt_copy(), "--data", d.file("iris.csv", csv_rows(30)), "--target", "kind"]


# --- flags ----------------------------------------------------------------------------------------


def flag_case(name, args, expect, ok=False, requires=(), out="good", note=""):
    @case(name, "flags", expect, ok=ok, requires=requires, note=note)
    def setup(ctx, d):
        argv = []
        for a in args:
            if a == "{ckpt}":
                a = d.ckpt_copy()
            elif a == "{csv}":
                a = d.file("iris.csv", csv_rows(40))
            elif a == "{npy}":
                a = d.file("in.npy", GOOD_NPY)
            elif a == "{svg}":
                a = str(d.path / "e.svg")
            argv.append(a)
        if argv and argv[0] == "train" and "--out" not in argv and out:
            argv += ["--out", d.good_out() if out == "good" else d.fresh_out()]
        return argv


T = ["train", "--epochs", "1", "--hidden", "4", "--quiet"]
T_NOEPOCHS = ["train", "--hidden", "4", "--quiet"]
I64MAX = str(2 ** 63 - 1)
flag_case("flag_batch_size_int64_max", T + ["--batch-size", I64MAX], ["--batch-size"])
flag_case("flag_batch_size_zero", T + ["--batch-size", "0"], ["--batch-size"])
flag_case("flag_batch_size_negative", T + ["--batch-size=-1"], ["--batch-size"])
flag_case("flag_batch_size_overflow", T + ["--batch-size", "99999999999999999999"], ["--batch-size"])
flag_case("flag_epochs_int64_max_onecycle", T_NOEPOCHS + ["--epochs", I64MAX, "--schedule", "onecycle"], ["--epochs"])
flag_case("flag_epochs_zero", T_NOEPOCHS + ["--epochs", "0"], ["--epochs"])
flag_case("flag_epochs_negative", T_NOEPOCHS + ["--epochs=-3"], ["--epochs"])
flag_case("flag_epochs_fraction", T_NOEPOCHS + ["--epochs", "1.5"], ["--epochs"])
flag_case("flag_hidden_4e9", ["train", "--epochs", "1", "--quiet", "--hidden", "4000000000"], ["--hidden"])
flag_case("flag_hidden_product_overflow", ["train", "--epochs", "1", "--quiet", "--hidden", "3037000500,3037000500"], ["--hidden"])
flag_case("flag_hidden_zero", ["train", "--epochs", "1", "--quiet", "--hidden", "0"], ["--hidden"])
flag_case("flag_hidden_negative", ["train", "--epochs", "1", "--quiet", "--hidden=-8"], ["--hidden"])
flag_case("flag_hidden_garbage", ["train", "--epochs", "1", "--quiet", "--hidden", "wide"], ["--hidden"])
flag_case("flag_hidden_empty_item", ["train", "--epochs", "1", "--quiet", "--hidden", "8,,8"], ["--hidden"])
flag_case("flag_hidden_overflow", ["train", "--epochs", "1", "--quiet", "--hidden", "99999999999999999999"], ["--hidden"])
flag_case("flag_lr_nan", T + ["--lr", "nan"], ["--lr"])
flag_case("flag_lr_inf", T + ["--lr", "inf"], ["--lr"])
flag_case("flag_lr_negative", T + ["--lr=-1"], ["--lr"])
flag_case("flag_lr_zero", T + ["--lr", "0"], ["--lr"])
flag_case("flag_lr_text", T + ["--lr", "fast"], ["--lr"])
flag_case("flag_lr_1e300_sgd", T + ["--lr", "1e300", "--optimizer", "sgd"], [("--lr", "learning rate", "loss", "finite")],
          note="the weights overflow: a stop that keeps the good checkpoint")
flag_case("flag_momentum_nan", T + ["--optimizer", "sgd", "--momentum", "nan"], ["--momentum"])
flag_case("flag_momentum_one", T + ["--optimizer", "sgd", "--momentum", "1"], ["--momentum"])
flag_case("flag_momentum_negative", T + ["--optimizer", "sgd", "--momentum=-0.5"], ["--momentum"])
flag_case("flag_weight_decay_nan", T + ["--weight-decay", "nan"], ["--weight-decay"])
flag_case("flag_weight_decay_negative", T + ["--weight-decay=-1"], ["--weight-decay"])
flag_case("flag_weight_decay_inf", T + ["--weight-decay", "inf"], ["--weight-decay"])
flag_case("flag_threads_zero", T + ["--threads", "0"], ["--threads"])
flag_case("flag_threads_negative", T + ["--threads=-2"], ["--threads"])
flag_case("flag_threads_100000", T + ["--threads", "100000"], ["--threads"])
flag_case("flag_seed_negative", T + ["--seed=-1"], ["--seed"])
flag_case("flag_seed_overflow", T + ["--seed", "18446744073709551616"], ["--seed"])
flag_case("flag_test_fraction_zero", T + ["--test-fraction", "0"], ["--test-fraction"])
flag_case("flag_test_fraction_one", T + ["--test-fraction", "1"], ["--test-fraction"])
flag_case("flag_test_fraction_nan", T + ["--test-fraction", "nan"], ["--test-fraction"])
flag_case("flag_test_fraction_negative", T + ["--test-fraction=-0.2"], ["--test-fraction"])
flag_case("flag_save_every_negative", T + ["--save-every=-1"], ["--save-every"])
flag_case("flag_model_unknown", T + ["--model", "transformer"], ["--model"])
flag_case("flag_format_unknown", T + ["--format", "xml"], ["--format"])
flag_case("flag_optimizer_unknown", T + ["--optimizer", "lion"], ["--optimizer"])
flag_case("flag_schedule_unknown", T + ["--schedule", "exponential"], ["--schedule"])
flag_case("flag_task_unknown", T + ["--task", "cluster"], ["--task"])
flag_case("flag_on_nonfinite_unknown", T + ["--on-nonfinite", "explode"], ["--on-nonfinite"])
flag_case("flag_format_mnist_without_data", T + ["--format", "mnist"], [("--data", "mnist")])
flag_case("flag_model_lenet_on_table", T + ["--model", "lenet", "--data", "{csv}", "--target", "kind"], ["lenet"])
flag_case("flag_model_lenet_on_8x8_digits", T + ["--model", "lenet"], ["lenet"])
flag_case("flag_unknown_option", T + ["--frobnicate"], ["frobnicate"])
flag_case("flag_unknown_subcommand", ["frobnicate"], ["frobnicate"])
flag_case("flag_missing_value", T_NOEPOCHS + ["--epochs"], ["--epochs"])
flag_case("flag_data_empty_string", T + ["--data", ""], ["--data"])
flag_case("flag_data_path_too_long", T + ["--data", "/tmp/" + "a" * 5000 + ".csv", "--target", "kind"], ["aaaaaaaaaa"])
flag_case("flag_out_proc", T + ["--out", "/proc/gradus-hostile-out"], ["/proc/gradus-hostile-out"])
flag_case("flag_out_dev_null", T + ["--out", "/dev/null"], ["/dev/null"])
flag_case("flag_evaluate_split_unknown", ["evaluate", "--checkpoint", "{ckpt}", "--split", "validation"], ["--split"])
flag_case("flag_evaluate_threads_zero", ["evaluate", "--checkpoint", "{ckpt}", "--threads", "0"], ["--threads"])
flag_case("flag_evaluate_threads_100000", ["evaluate", "--checkpoint", "{ckpt}", "--threads", "100000"], ["--threads"])
flag_case("flag_evaluate_no_checkpoint", ["evaluate"], ["--checkpoint"])
flag_case("flag_evaluate_checkpoint_empty_string", ["evaluate", "--checkpoint", ""], ["--checkpoint"])
flag_case("flag_predict_index_1e12", ["predict", "--checkpoint", "{ckpt}", "--input", "{npy}", "--index", str(10 ** 12)], ["--index"])
flag_case("flag_predict_index_negative", ["predict", "--checkpoint", "{ckpt}", "--input", "{npy}", "--index=-1"], ["--index"])
flag_case("flag_predict_index_overflow", ["predict", "--checkpoint", "{ckpt}", "--input", "{npy}", "--index", "1" * 30], ["--index"])
flag_case("flag_predict_limit_zero", ["predict", "--checkpoint", "{ckpt}", "--input", "{npy}", "--limit", "0"], ["--limit"])
flag_case("flag_predict_no_input", ["predict", "--checkpoint", "{ckpt}"], ["--input"])
flag_case("flag_explain_steps_1e9", ["explain", "--checkpoint", "{ckpt}", "--index", "0", "--steps", "1000000000", "--out", "{svg}"], ["--steps"])
flag_case("flag_explain_steps_int64_max", ["explain", "--checkpoint", "{ckpt}", "--index", "0", "--steps", I64MAX, "--out", "{svg}"], ["--steps"])
flag_case("flag_explain_steps_zero", ["explain", "--checkpoint", "{ckpt}", "--index", "0", "--steps", "0", "--out", "{svg}"], ["--steps"])
flag_case("flag_explain_index_1e12", ["explain", "--checkpoint", "{ckpt}", "--index", str(10 ** 12), "--out", "{svg}"], ["--index"])
flag_case("flag_explain_index_negative", ["explain", "--checkpoint", "{ckpt}", "--index=-4", "--out", "{svg}"], ["--index"])
flag_case("flag_explain_class_99", ["explain", "--checkpoint", "{ckpt}", "--index", "0", "--class", "99", "--out", "{svg}"], ["--class"])
flag_case("flag_explain_class_negative", ["explain", "--checkpoint", "{ckpt}", "--index", "0", "--class=-1", "--out", "{svg}"], ["--class"])
flag_case("flag_explain_class_int64_max", ["explain", "--checkpoint", "{ckpt}", "--index", "0", "--class", I64MAX, "--out", "{svg}"], ["--class"])
flag_case("flag_explain_out_proc", ["explain", "--checkpoint", "{ckpt}", "--index", "0", "--out", "/proc/gradus-hostile.svg"],
          ["/proc/gradus-hostile.svg"])
flag_case("flag_max_memory_zero", T + ["--max-memory", "0"], ["--max-memory"], requires=("train", "--max-memory"))
flag_case("flag_max_memory_garbage", T + ["--max-memory", "lots"], ["--max-memory"], requires=("train", "--max-memory"))
flag_case("flag_max_memory_overflow", T + ["--max-memory", "99999999999999999999T"], ["--max-memory"], requires=("train", "--max-memory"))
flag_case("flag_max_memory_negative", T + ["--max-memory=-1G"], ["--max-memory"], requires=("train", "--max-memory"))
flag_case("flag_ok_max_memory_64m", T + ["--max-memory", "64M"], ["test accuracy"], ok=True, out="fresh", requires=("train", "--max-memory"))
flag_case("flag_ok_no_hidden", ["train", "--epochs", "1", "--quiet", "--hidden", ""], ["test accuracy"], ok=True, out="fresh")
flag_case("flag_ok_regress_digits", T + ["--task", "regress"], ["test mse"], ok=True, out="fresh")
flag_case("flag_ok_threads_one", T + ["--threads", "1"], ["test accuracy"], ok=True, out="fresh")
flag_case("flag_ok_hidden_200_layers", ["train", "--epochs", "1", "--quiet", "--hidden", ",".join(["4"] * 200)], ["test accuracy"],
          ok=True, out="fresh")
flag_case("flag_ok_batch_size_bigger_than_data", T + ["--batch-size", "100000"], ["test accuracy"], ok=True, out="fresh")
flag_case("flag_ok_onecycle_sgd", T + ["--schedule", "onecycle", "--optimizer", "sgd"], ["test accuracy"], ok=True, out="fresh")


@case("flag_out_is_a_file", "flags", ["checkpoint.safetensors"])
def _(ctx, d):
    out = d.good_out()
    return T + ["--out", os.path.join(out, "checkpoint.safetensors")]


@case("flag_out_under_a_file", "flags", ["checkpoint.safetensors"])
def _(ctx, d):
    out = d.good_out()
    return T + ["--out", os.path.join(out, "checkpoint.safetensors", "sub")]


@case("flag_explain_out_is_checkpoint", "flags", ["--out"])
def _(ctx, d):
    f = d.ckpt_copy()
    return ["explain", "--checkpoint", f, "--index", "0", "--out", f]


@case("flag_explain_out_is_folder", "flags", ["/svg_folder"])
def _(ctx, d):
    return ["explain", "--checkpoint", d.ckpt_copy(), "--index", "0", "--out", d.folder("svg_folder")]


@case("flag_explain_data_fifo", "flags", ["explain_fifo.csv"])
def _(ctx, d):
    return ["explain", "--checkpoint", d.ckpt_copy(), "--index", "0", "--data", d.fifo("explain_fifo.csv"), "--target", "y",
            "--out", str(d.path / "e.svg")]


@case("flag_evaluate_data_fifo", "flags", ["eval_fifo.csv"])
def _(ctx, d):
    return ["evaluate", "--checkpoint", d.ckpt_copy(), "--data", d.fifo("eval_fifo.csv"), "--target", "y"]


@case("flag_evaluate_data_dev_zero", "flags", ["/dev/zero"])
def _(ctx, d):
    return ["evaluate", "--checkpoint", d.ckpt_copy(), "--data", "/dev/zero", "--format", "csv", "--target", "y"]


@case("flag_export_out_is_checkpoint", "flags", ["--out"])
def _(ctx, d):
    f = d.ckpt_copy()
    return ["export", "--checkpoint", f, "--out", f]


@case("flag_export_out_is_folder", "flags", ["/onnx_folder"])
def _(ctx, d):
    return ["export", "--checkpoint", d.ckpt_copy(), "--out", d.folder("onnx_folder")]


@case("flag_export_out_under_missing_folder", "flags", ["missing_folder/"])
def _(ctx, d):
    return ["export", "--checkpoint", d.ckpt_copy(), "--out", str(d.path / "missing_folder" / "m.onnx")]


@case("flag_export_out_fifo", "flags", ["out_fifo.onnx"])
def _(ctx, d):
    # A device or FIFO is refused, not replaced by the renamed temporary file (as root, /dev/full would be).
    return ["export", "--checkpoint", d.ckpt_copy(), "--out", d.fifo("out_fifo.onnx")]


def export_flag_case(name, extra, expect):
    @case(name, "flags", expect)
    def _(ctx, d):
        return ["export", "--checkpoint", d.ckpt_copy(), "--out", str(d.path / "m.onnx")] + extra


# gradus tune --workers: the counts are bounded; a worker started by hand without a job says what it is.
TUNE = ["tune", "--trials", "1", "--epochs", "1", "--quiet"]
flag_case("flag_tune_workers_0", TUNE + ["--workers", "0"], ["--workers"], requires=("tune", "--workers"))
flag_case("flag_tune_workers_int64_max", TUNE + ["--workers", I64MAX], ["--workers"], requires=("tune", "--workers"))
flag_case("flag_tune_workers_negative", TUNE + ["--workers", "-2"], ["--workers"], requires=("tune", "--workers"))
flag_case("flag_tune_worker_threads_0", TUNE + ["--workers", "2", "--worker-threads", "0"], ["--worker-threads"],
          requires=("tune", "--worker-threads"))
flag_case("flag_tune_worker_no_job", ["tune-worker"], ["no job"], requires=("tune", "--workers"),
          note="stdin is /dev/null: the worker must explain itself, not hang or crash")


export_flag_case("flag_export_opset_16", ["--opset", "16"], ["--opset"])
export_flag_case("flag_export_opset_int64_max", ["--opset", I64MAX], ["--opset"])
export_flag_case("flag_export_format_tflite", ["--format", "tflite"], ["--format"])


# ---------------------------------------------------------------------------------------------------
# Runner
# ---------------------------------------------------------------------------------------------------


class Context:
    def __init__(self, gradus, work):
        self.gradus = gradus
        self.work = work
        self._cache = {}
        self._lock = threading.Lock()
        self.ckpt_digits = None
        self.ckpt_csv = None
        self.ckpt_bytes = None
        self.help = {}

    def cached(self, key, build):
        with self._lock:
            if key not in self._cache:
                self._cache[key] = build()
            return self._cache[key]


# The processes are started by a small helper process, not by this one: Linux counts the parent's
# peak RSS at fork time into the child's ru_maxrss (the high-water mark survives fork and exec), so a
# runner that grew while building bombs would report its own size for every case. The helper stays at
# the size of a bare Python interpreter, well below gradus's own.
HELPER_SOURCE = r"""
import json, os, signal, subprocess, sys, time

def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid, "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None

def kill_group(pid):
    for fn, target in ((os.killpg, pid), (os.kill, pid)):
        try:
            fn(target, signal.SIGKILL)
            return
        except (ProcessLookupError, PermissionError):
            pass

for line in sys.stdin:
    req = json.loads(line)
    with open(req["stdout"], "wb") as out, open(req["stderr"], "wb") as err:
        start = time.monotonic()
        try:
            p = subprocess.Popen(req["argv"], cwd=req["cwd"], stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                 env=req["env"], start_new_session=True)
        except OSError as e:
            sys.stdout.write(json.dumps({"error": "cannot start the process: %s" % e}) + "\n")
            sys.stdout.flush()
            continue
        timed_out = killed_rss = False
        delay = 0.001
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid == p.pid:
                break
            if not (timed_out or killed_rss):
                if time.monotonic() - start > req["timeout"]:
                    timed_out = True
                    kill_group(p.pid)
                else:
                    r = rss_kib(p.pid)
                    if r is not None and r > req["kill_kib"]:
                        killed_rss = True
                        kill_group(p.pid)
            time.sleep(delay)
            delay = min(delay * 2, 0.01)
        seconds = time.monotonic() - start
        p.returncode = status
    sys.stdout.write(json.dumps({
        "seconds": seconds, "maxrss_kib": usage.ru_maxrss, "timeout": timed_out, "killed_rss": killed_rss,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "status": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None}) + "\n")
    sys.stdout.flush()
"""


class Spawner:
    """One helper process; runs one gradus process at a time."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", HELPER_SOURCE], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)

    def run(self, request):
        if self.proc.poll() is not None:       # should not happen; start a new one rather than fail every case
            self.__init__()
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the spawn helper died")
        return json.loads(line)

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            pass


SPAWNERS = queue.Queue()


def run_gradus(argv, cwd, timeout=TIMEOUT_S, env=None):
    """Runs one process; returns dict(status, signal, timeout, killed_rss, seconds, maxrss_kib, stdout, stderr)."""
    cwd = Path(cwd)
    out_path, err_path = cwd / ".stdout", cwd / ".stderr"
    spawner = SPAWNERS.get()
    try:
        result = spawner.run({"argv": argv, "cwd": str(cwd), "stdout": str(out_path), "stderr": str(err_path),
                              "timeout": timeout, "kill_kib": WATCHDOG_KILL_KIB, "env": env or dict(os.environ)})
    finally:
        SPAWNERS.put(spawner)
    if "error" in result:
        raise RuntimeError(result["error"])
    result["stdout"] = read_head(out_path)
    result["stderr"] = read_head(err_path)
    return result


def read_head(path):
    with open(path, "rb") as f:
        return f.read(OUTPUT_READ_LIMIT).decode("utf-8", "replace")


def sha256(path):
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError as e:
        return "unreadable: %s" % e
    return h.hexdigest()


def first_line(text):
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line
    return ""


def child_env():
    env = dict(os.environ)
    # A trap would otherwise start swift-backtrace, which takes seconds; a crash fails the case either way.
    env["SWIFT_BACKTRACE"] = "enable=no"
    env.pop("NO_COLOR", None)
    return env


def prepare(ctx):
    """Trains the good checkpoints the cases corrupt or protect."""
    env = child_env()
    good = ctx.work / "good"
    good.mkdir(parents=True, exist_ok=True)
    r = run_gradus([ctx.gradus, "train", "--epochs", "1", "--hidden", "8", "--quiet", "--out", str(good / "digits")],
                   good, timeout=120, env=env)
    if r["status"] != 0:
        raise SystemExit("setup: training the good digits checkpoint failed:\n" + r["stderr"] + r["stdout"])
    (good / "iris.csv").write_text(csv_rows(60))
    r = run_gradus([ctx.gradus, "train", "--data", str(good / "iris.csv"), "--target", "kind", "--epochs", "1", "--hidden", "4",
                    "--quiet", "--out", str(good / "csv")], good, timeout=120, env=env)
    if r["status"] != 0:
        raise SystemExit("setup: training the good CSV checkpoint failed:\n" + r["stderr"] + r["stdout"])
    ctx.ckpt_digits = str(good / "digits" / "checkpoint.safetensors")
    ctx.ckpt_csv = str(good / "csv" / "checkpoint.safetensors")
    ctx.ckpt_bytes = Path(ctx.ckpt_digits).read_bytes()
    for cmd in ("train", "evaluate", "predict", "explain", "tune"):
        r = run_gradus([ctx.gradus, cmd, "--help"], good, timeout=30, env=env)
        ctx.help[cmd] = r["stdout"] + r["stderr"]


def matches(expect, text, work):
    """The expectations not met. A file name, path or flag (holding '.', '/' or '-') is looked for in the
    whole output; a plain word ('label', 'epoch') only outside the paths of the work folder, whose case
    folder and file names would otherwise supply it."""
    low = text.lower()
    words_only = re.sub(re.escape(str(work).lower()) + r"/\S*", "<path>", low)
    missing = []
    for e in expect:
        alternatives = e if isinstance(e, tuple) else (e,)
        if not any(a.lower() in (low if any(ch in a for ch in "./-") else words_only) for a in alternatives):
            missing.append(" or ".join(repr(a) for a in alternatives))
    return missing


def run_case(ctx, c):
    if c.requires and c.requires[1] not in ctx.help.get(c.requires[0], ""):
        return {"verdict": "SKIP", "why": "%s %s is not in this binary" % c.requires}
    d = CaseDir(ctx, ctx.work / "cases" / c.name)
    args = c.setup(ctx, d)
    if args is None:
        return {"verdict": "SKIP", "why": "not applicable here (%s)" % (c.note or "setup")}
    before = {p: sha256(p) for p in d.protected}
    r = run_gradus([ctx.gradus] + args, d.path, env=child_env())
    text = r["stderr"] + "\n" + r["stdout"]
    problems = []
    if r["timeout"]:
        problems.append("timeout after %.0f s" % TIMEOUT_S)
    elif r["signal"] is not None:
        problems.append("killed by signal %d" % r["signal"] + (" (watchdog: RSS over 1.5 GiB)" if r["killed_rss"] else ""))
    elif c.ok:
        if r["status"] != 0:
            problems.append("exit %d, expected 0 (valid input)" % r["status"])
    elif r["status"] == 0:
        problems.append("exit 0, expected an error")
    elif not 1 <= r["status"] <= 123:
        problems.append("exit %d outside 1..123" % r["status"])
    if r["seconds"] >= TIMEOUT_S and not r["timeout"]:
        problems.append("took %.1f s" % r["seconds"])
    if r["maxrss_kib"] >= MEMORY_LIMIT_KIB:
        problems.append("peak RSS %.0f MiB" % (r["maxrss_kib"] / 1024))
    if not r["timeout"] and r["signal"] is None:
        missing = matches(c.expect, text, ctx.work)
        if missing:
            problems.append("message lacks " + ", ".join(missing))
    for p, h in before.items():
        if sha256(p) != h:
            problems.append("protected file changed: " + os.path.relpath(p, str(d.path)))
    if r["signal"] is not None:
        exit_text = "sig%d" % r["signal"] if not r["timeout"] else "timeout"
    else:
        exit_text = str(r["status"])
    message = first_line(r["stderr"]) or first_line(r["stdout"])
    return {"verdict": "FAIL" if problems else "PASS", "exit": exit_text, "seconds": r["seconds"],
            "mib": r["maxrss_kib"] / 1024, "message": message, "problems": problems, "argv": args}


def main():
    ap = argparse.ArgumentParser(description="Generate and run hostile inputs for the gradus command.")
    ap.add_argument("--gradus", help="the gradus binary (e.g. .build/release/gradus)")
    ap.add_argument("--work", help="folder for the generated cases (default: a new temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (always kept when --work is given)")
    ap.add_argument("--only", action="append", default=[], help="run only cases whose name contains this (repeatable)")
    ap.add_argument("--list", action="store_true", help="print the case names and exit")
    ap.add_argument("--jobs", type=int, default=1, help="cases run at once (default 1)")
    ap.add_argument("--verbose", action="store_true", help="print each failing case's command line and problems")
    args = ap.parse_args()

    selected = [c for c in CASES if not args.only or any(s in c.name for s in args.only)]
    if args.list:
        for c in selected:
            print(c.name + ("  (valid: must succeed)" if c.ok else ""))
        print("%d cases" % len(selected), file=sys.stderr)
        return 0
    if not args.gradus:
        ap.error("--gradus PATH is required")
    gradus = os.path.abspath(args.gradus)
    if not os.access(gradus, os.X_OK):
        ap.error("--gradus %s is not an executable file" % args.gradus)

    began = time.monotonic()
    spawners = [Spawner() for _ in range(max(1, args.jobs))]
    for sp in spawners:
        SPAWNERS.put(sp)
    work = Path(args.work).resolve() if args.work else Path(tempfile.mkdtemp(prefix="gradus-hostile-"))
    if args.work and (work / "cases").exists():
        shutil.rmtree(work / "cases")
    work.mkdir(parents=True, exist_ok=True)
    ctx = Context(gradus, work)
    try:
        prepare(ctx)
        results = {}
        width = max(len(c.name) for c in selected)

        def one(c):
            try:
                return c, run_case(ctx, c)
            except Exception as e:  # a generator bug must not hide the other cases
                return c, {"verdict": "FAIL", "exit": "-", "seconds": 0.0, "mib": 0.0, "message": "",
                           "problems": ["generator error: %r" % e], "argv": []}

        def show(c, r):
            if r["verdict"] == "SKIP":
                print("SKIP  %-*s  %s" % (width, c.name, r["why"]), flush=True)
                return
            print("%s  %-*s  exit %-7s %5.2f s %7.1f MiB  %s" % (r["verdict"], width, c.name, r["exit"], r["seconds"], r["mib"],
                                                             r["message"][:110]), flush=True)
            if r["verdict"] == "FAIL":
                print("      -> " + "; ".join(r["problems"]), flush=True)
                if args.verbose:
                    print("      $ gradus " + " ".join(a if len(a) < 80 else a[:77] + "..." for a in r["argv"]), flush=True)

        if args.jobs > 1:
            with ThreadPoolExecutor(max_workers=args.jobs) as pool:
                for c, r in pool.map(one, selected):
                    results[c.name] = r
                    show(c, r)
        else:
            for c in selected:
                c, r = one(c)
                results[c.name] = r
                show(c, r)

        counts = {v: sum(1 for r in results.values() if r["verdict"] == v) for v in ("PASS", "FAIL", "SKIP")}
        families = {}
        for c in selected:
            f = families.setdefault(c.family, [0, 0])
            if results[c.name]["verdict"] != "SKIP":
                f[0] += 1
                f[1] += results[c.name]["verdict"] == "PASS"
        print()
        print("families: " + ", ".join("%s %d/%d" % (k, v[1], v[0]) for k, v in families.items()))
        ran = counts["PASS"] + counts["FAIL"]
        print("%d cases: %d passed, %d failed, %d skipped (%d valid-but-unusual cases must succeed); %.1f s in all" % (
            ran, counts["PASS"], counts["FAIL"], counts["SKIP"], sum(1 for c in selected if c.ok and results[c.name]["verdict"] != "SKIP"),
            time.monotonic() - began))
        print("work folder: %s" % work if (args.keep or args.work) else "work folder removed (use --keep to keep it)")
        return 1 if counts["FAIL"] else 0
    finally:
        for sp in spawners:
            sp.close()
        if not (args.keep or args.work):
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
