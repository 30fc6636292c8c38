"""Value operations for the ``minispore-ckpt`` CLI: renaming, float casts, tensor comparison.

* :class:`NameMap` - ``--map FILE``: a JSON object old name -> new name. A key is an exact name
  unless it starts with ``re:``; then the rest is a Python regex that must match the WHOLE name
  (``re.fullmatch``) and the value is a replacement template (``\\1``, ``\\g<name>``). Exact keys
  win; otherwise the first matching regex key in file order; unmatched names are kept.
* :func:`parse_dtype` / :func:`cast` - ``--dtype SRC:DST`` or ``DST`` between Float16, Float32,
  Float64 and BFloat16 (held as uint16 bits; float -> bf16 rounds to nearest even, NaN stays NaN).
* :func:`compare` - max |a - b| and the count of elements outside ``atol + rtol * |b|``, computed
  in blocks so no float64 copy of a whole big tensor is made; NaN equals NaN here.
"""
import json
import re

import numpy as np

from ._formats import FLOAT_TYPES, UsageError
from ..train import _ckpt_codec as codec

__all__ = ["NameMap", "parse_dtype", "cast", "to_float", "compare"]

_BLOCK = 1 << 20
_ALIASES = {
    "float16": "Float16", "fp16": "Float16", "f16": "Float16", "half": "Float16",
    "float32": "Float32", "fp32": "Float32", "f32": "Float32", "float": "Float32",
    "float64": "Float64", "fp64": "Float64", "f64": "Float64", "double": "Float64",
    "bfloat16": "BFloat16", "bf16": "BFloat16",
}


class NameMap:
    """Renaming rules loaded from a JSON file (see the module docstring for the rule)."""

    def __init__(self, mapping, where="--map"):
        if not isinstance(mapping, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
            raise UsageError(f"{where}: must be a JSON object mapping names to names (strings)")
        self.exact, self.rules = {}, []
        for key, new in mapping.items():
            if key.startswith("re:"):
                try:
                    self.rules.append((re.compile(key[3:]), new, key))
                except re.error as exc:
                    raise UsageError(f"{where}: bad regex {key[3:]!r}: {exc}") from None
            else:
                self.exact[key] = new
        self.where = where

    @classmethod
    def load(cls, path):
        """Read the JSON file ``path``; UsageError (exit 2) naming it when unreadable or invalid."""
        try:
            with open(path, encoding="utf-8") as f:
                mapping = json.load(f)
        except OSError as exc:
            raise UsageError(f"{path}: cannot read the --map file: {exc.strerror or exc}") from None
        except (ValueError, RecursionError) as exc:
            raise UsageError(f"{path}: the --map file is not valid JSON: {exc}") from None
        return cls(mapping, where=f"{path}")

    def __call__(self, name):
        if name in self.exact:
            return self.exact[name]
        for pattern, template, key in self.rules:
            m = pattern.fullmatch(name)
            if m:
                try:
                    return m.expand(template)
                except (re.error, IndexError) as exc:
                    raise UsageError(f"{self.where}: replacement {template!r} of {key!r} "
                                     f"fails on {name!r}: {exc}") from None
        return name


def _float_type(text, option):
    t = _ALIASES.get(text.strip().lower())
    if t is None:
        raise UsageError(f"{option}: {text!r} is not a floating type; use float16, float32, "
                         f"float64 or bfloat16")
    return t


def parse_dtype(spec):
    """``'float16:float32'`` -> ('Float16', 'Float32'); ``'float32'`` -> (None, 'Float32')."""
    src, sep, dst = spec.partition(":")
    if not sep:
        return None, _float_type(spec, "--dtype")
    return _float_type(src, "--dtype"), _float_type(dst, "--dtype")


def _bf16_to_f32(bits):
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def _f32_to_bf16(x):
    x = np.asarray(x, dtype=np.float32)
    u = x.view(np.uint32).astype(np.uint64)
    out = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(x)
    if nan.any():
        out[nan] = ((u[nan] >> 16) | 0x40).astype(np.uint16)
    return out


def to_float(arr, ttype):
    """float64 values of a numeric array (BFloat16 bits decoded; bool -> 0/1)."""
    if ttype == "BFloat16":
        return _bf16_to_f32(arr).astype(np.float64)
    return np.asarray(arr).astype(np.float64)


def cast(arr, src, dst):
    """``arr`` (stored as ``src``) converted to ``dst``; both must be floating types."""
    if src == dst:
        return arr
    assert src in FLOAT_TYPES and dst in FLOAT_TYPES
    x = _bf16_to_f32(arr) if src == "BFloat16" else arr
    with np.errstate(over="ignore"):
        if dst == "BFloat16":
            return _f32_to_bf16(x.astype(np.float32))
        return x.astype(codec.NUMPY_DTYPE[dst].newbyteorder("="))


def compare(blocks_a, ta, blocks_b, tb, atol=0.0, rtol=0.0):
    """(max_abs_diff, n_outside_tolerance) of two same-shape values given as aligned flat blocks.

    Blocks of the same dtype whose bytes are equal are skipped without any float arithmetic, so
    comparing identical files costs about one ``memcmp``.
    """
    worst, bad = 0.0, 0
    known = ta in codec.NUMPY_DTYPE and tb in codec.NUMPY_DTYPE
    for xa, xb in zip(blocks_a, blocks_b):
        if xa.size != xb.size:
            raise ValueError("blocks of different sizes")
        if ta == tb and xa.tobytes() == xb.tobytes():
            continue
        if not known:                                   # e.g. numpy:<U5 in an npz
            bad += int(np.count_nonzero(xa != xb)) if ta == tb else xa.size
            worst = float("nan")
            continue
        x, y = to_float(xa, ta), to_float(xb, tb)
        both_nan = np.isnan(x) & np.isnan(y)
        same = (xa == xb) if ta == tb else (x == y)
        with np.errstate(invalid="ignore", over="ignore"):
            d = np.abs(x - y)
            d[same | both_nan] = 0.0
            ok = same | both_nan | (d <= atol + rtol * np.abs(y))
        bad += int(ok.size - np.count_nonzero(ok))
        if d.size:
            m = float(np.max(d))           # NaN propagates: a NaN against a number
            worst = m if (m != m or m > worst) and worst == worst else worst
    return worst, bad
