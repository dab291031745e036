"""Tensors as JSON for the fixture scripts whose values may be NaN or infinite: JSON has no such numbers,
so they are written as the strings "nan", "inf" and "-inf", which the Swift tests decode with
Foundation's non-conforming float strategy (Tests/GradusTestSupport/Fixtures.swift). Used by
make_nonfinite_fixtures.py and make_semantics_fixtures.py.
"""
import math

import torch

DTYPE_NAMES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64", torch.bool: "bool"}


def json_value(v):
    """A number as JSON can hold it: the number itself, or its name when it is NaN or infinite."""
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def encode(t):
    """A tensor as {shape, dtype, data} with flat values."""
    return {"shape": list(t.shape), "dtype": DTYPE_NAMES[t.dtype],
            "data": [json_value(v) for v in t.detach().reshape(-1).tolist()]}
