"""Argument checks shared by the array-level primitives: each raises an error naming the op,
the argument and the shapes, so bad input never surfaces as a traceback from inside numpy or
numba."""
import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _floats(op, **arrays):
    """Return the arrays as C-contiguous arrays of one float dtype (float32 unless any is float64)."""
    out = []
    for name, a in arrays.items():
        a = np.asarray(a)
        if a.dtype not in FLOAT_DTYPES:
            raise TypeError(f"{op}: '{name}' must be float32 or float64, but got {a.dtype} "
                            f"(shape {a.shape}).")
        out.append(a)
    dtype = np.result_type(*out)
    return [np.ascontiguousarray(a, dtype=dtype) for a in out]


def _ndim(op, name, a, ndim, layout):
    if a.ndim != ndim:
        raise ValueError(f"{op}: '{name}' must be {ndim}-D {layout}, but got shape {a.shape}.")


def _pair(op, name, value, minimum=1):
    if isinstance(value, (int, np.integer)):
        value = (value, value)
    try:
        a, b = (int(v) for v in value)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: '{name}' must be an int or a pair of ints, but got {value!r}.")
    if a < minimum or b < minimum:
        raise ValueError(f"{op}: '{name}' must be >= {minimum}, but got {(a, b)}.")
    return a, b


def _pad4(op, padding):
    if isinstance(padding, (int, np.integer)):
        padding = (padding,) * 4
    try:
        pad = tuple(int(p) for p in padding)
    except (TypeError, ValueError):
        pad = ()
    if len(pad) != 4 or min(pad) < 0:
        raise ValueError(f"{op}: 'padding' must be a non-negative int or (top, bottom, left, "
                         f"right), but got {padding!r}.")
    return pad


def _shape4(op, name, shape):
    try:
        shape = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        shape = ()
    if len(shape) != 4 or min(shape) < 1:
        raise ValueError(f"{op}: '{name}' must be 4 positive ints, but got {shape!r}.")
    return shape
