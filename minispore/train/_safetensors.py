"""``format="safetensors"``: the standard safetensors layout, written and read without the package.

Layout: 8-byte little-endian header length N, N bytes of JSON header (padded with spaces to a
multiple of 8, as the reference implementation does), then the tensor bytes. The header maps each
name to ``{"dtype", "shape", "data_offsets": [begin, end]}`` (offsets relative to the data start)
plus ``"__metadata__": {"format": "ms"}`` first. Entries are ordered like the safetensors package
(0.4-0.8) orders them, which is what MindSpore's files show: by dtype rank descending (U64, I64,
F64, F32, U32, I32, BF16, F16, U16, I16, I8, U8, BOOL), then by name; header keys follow the data.
So files are byte-identical to MindSpore's (checked against a golden file).
Python ``str`` values, which safetensors cannot hold as tensors, go into ``__metadata__`` under
their own name and come back as ``str`` (MindSpore has no answer for them).

Loading validates like the safetensors crate: header length capped at 100 MB and within the file,
JSON must be an object of well-formed entries, known dtypes, non-negative shapes, offsets sorted,
non-overlapping, matching ``prod(shape) * itemsize`` and covering the data buffer exactly.
"""
import json
import math
import mmap
import os

import numpy as np

from ._ckpt_reader import CheckpointError, open_regular

__all__ = ["encode_pieces", "read_safetensors", "TO_ST", "MAX_HEADER", "str_entries"]

MAX_HEADER = 100_000_000
MAX_NDIM = 64
# A str value named "format" (or already starting with this) is stored under this prefix, so it
# cannot collide with the format marker {"format": "ms"} and vanish on load.
STR_ESCAPE = "minispore.str:"
TO_ST = {"Float16": "F16", "Float32": "F32", "Float64": "F64", "BFloat16": "BF16",
         "Int8": "I8", "Int16": "I16", "Int32": "I32", "Int64": "I64",
         "UInt8": "U8", "UInt16": "U16", "UInt32": "U32", "UInt64": "U64", "Bool": "BOOL"}
FROM_ST = {v: k for k, v in TO_ST.items()}
_RANK = {d: i for i, d in enumerate(["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32",
                                     "F32", "F64", "I64", "U64"])}
_NP = {"F16": "<f2", "F32": "<f4", "F64": "<f8", "BF16": "<u2", "I8": "i1", "I16": "<i2",
       "I32": "<i4", "I64": "<i8", "U8": "u1", "U16": "<u2", "U32": "<u4", "U64": "<u8",
       "BOOL": "?"}


def encode_pieces(entries):
    """Pieces of a safetensors file from [(name, tensor_type, array | str)] (names unique)."""
    header, data, offset = {}, [], 0
    meta = {"format": "ms"}
    order = sorted(entries, key=lambda e: (-_RANK.get(TO_ST.get(e[1]), -1), e[0]))
    for name, ttype, value in order:
        if name == "__metadata__":
            raise ValueError("For 'save_checkpoint', the name '__metadata__' is reserved by the "
                             "safetensors format.")
        if ttype == "str":
            meta[STR_ESCAPE + name if name == "format" or name.startswith(STR_ESCAPE)
                 else name] = value
            continue
        if ttype not in TO_ST:
            raise ValueError(f"For 'save_checkpoint', {name!r} has dtype {ttype}, which "
                             f"safetensors cannot store.")
        arr = np.asarray(value)
        arr = arr if arr.flags.c_contiguous else arr.copy(order="C")
        header[name] = {"dtype": TO_ST[ttype], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
        data.append(memoryview(arr).cast("B") if arr.nbytes else b"")
    head = json.dumps({"__metadata__": meta, **header}, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)
    return [len(head).to_bytes(8, "little"), head, *data]


def str_entries(meta, tensor_names=()):
    """{name: str} of the str values kept in ``__metadata__`` (the format marker excluded,
    escaped names restored; a key shadowed by a tensor of the same name is not a value)."""
    out = {}
    for key, value in meta.items():
        if key == "format" or key in tensor_names:
            continue
        out[key[len(STR_ESCAPE):] if key.startswith(STR_ESCAPE) else key] = value
    return out


def _bad(path, msg):
    raise CheckpointError(f"Failed to read the safetensors file {path}: {msg}")


def read_safetensors(path, select=None):
    """[(name, tensor_type, array | str)] in header (sorted) order, validated before any copy."""
    path = os.path.abspath(path)
    with open_regular(path, "safetensors") as f:
        size = os.fstat(f.fileno()).st_size
        if size < 8:
            _bad(path, f"{size} bytes is shorter than the 8-byte header length")
        n = int.from_bytes(f.read(8), "little")
        if n > MAX_HEADER:
            _bad(path, f"header length {n} exceeds the {MAX_HEADER}-byte cap")
        if n > size - 8:
            _bad(path, f"header length {n} runs past the end of the {size}-byte file")
        try:
            header = json.loads(f.read(n).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            _bad(path, f"header is not valid JSON ({type(exc).__name__}: {exc})")
        if not isinstance(header, dict):
            _bad(path, "header is not a JSON object")
        meta = header.pop("__metadata__", None) or {}
        if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
            _bad(path, "__metadata__ must map strings to strings")
        data_len = size - 8 - n
        spans = []
        for name, e in header.items():
            if not isinstance(e, dict) or set(e) != {"dtype", "shape", "data_offsets"}:
                _bad(path, f"entry {name!r} must have exactly dtype, shape and data_offsets")
            dt, shape, offs = e["dtype"], e["shape"], e["data_offsets"]
            if dt not in _NP:
                _bad(path, f"unknown dtype {dt!r} for {name!r}")
            if not isinstance(shape, list) or len(shape) > MAX_NDIM or \
                    not all(type(d) is int and d >= 0 for d in shape):
                _bad(path, f"invalid shape {str(shape)[:200]} for {name!r} (at most {MAX_NDIM} "
                           f"non-negative int dims)")
            if math.prod(max(d, 1) for d in shape) * np.dtype(_NP[dt]).itemsize >= 1 << 63:
                _bad(path, f"shape {shape} of {name!r} overflows (product x itemsize >= 2**63)")
            if not (isinstance(offs, list) and len(offs) == 2 and
                    all(type(o) is int and o >= 0 for o in offs) and offs[0] <= offs[1]):
                _bad(path, f"invalid data_offsets {offs!r} for {name!r}")
            need = math.prod(shape) * np.dtype(_NP[dt]).itemsize
            if offs[1] - offs[0] != need:
                _bad(path, f"{name!r}: shape {shape} of {dt} needs {need} bytes, data_offsets "
                           f"{offs} give {offs[1] - offs[0]}")
            spans.append((offs[0], offs[1], name))
        spans.sort()
        at = 0
        for begin, end, name in spans:
            if begin != at:
                _bad(path, f"{name!r} starts at {begin}, expected {at} (overlap or gap)")
            at = end
        if at != data_len:
            _bad(path, f"tensors cover {at} bytes but the data buffer has {data_len}")
        out = []
        base = 8 + n
        strs = str_entries(meta, header)
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else None
        try:
            for name in sorted(set(header) | set(strs)):
                if select is not None and not select(name):
                    continue
                if name in header:
                    e = header[name]
                    b, end = e["data_offsets"]
                    dt = np.dtype(_NP[e["dtype"]])
                    value = np.empty(e["shape"], dtype=dt)
                    if end > b:   # no view of the map outlives this statement (mm.close below)
                        value.reshape(-1).view(np.uint8)[:] = \
                            np.frombuffer(mm, dtype=np.uint8, count=end - b, offset=base + b)
                    out.append((name, FROM_ST[e["dtype"]], value))
                else:
                    out.append((name, "str", strs[name]))
        finally:
            if mm is not None:
                mm.close()
        return out
