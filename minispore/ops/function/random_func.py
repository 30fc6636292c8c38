"""Random tensors (``ops.rand``, ``ops.randn``, ``ops.randint``, ...), drawn from the global
generator that ``set_seed`` resets, or from a generator seeded by the call's ``seed``."""
import numpy as np

from ...common import dtype as mstype
from ...common.seed import get_rng
from ...common.tensor import Tensor

__all__ = ["rand", "rand_like", "randn", "randn_like", "randint", "randperm"]


def _size(op, size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    try:
        size = tuple(int(n) for n in size)
    except (TypeError, ValueError):
        raise TypeError(f"For '{op}', the size must be ints or a tuple of ints, but got "
                        f"{size!r}.") from None
    if any(n < 0 for n in size):
        raise ValueError(f"For '{op}', the size must not be negative, but got {size}.")
    return size


def _rng(seed):
    return get_rng() if seed is None else np.random.default_rng(seed)


def _float_out(values, dtype):
    dtype = mstype.float32 if dtype is None else dtype
    if not mstype.is_float(dtype):
        raise TypeError(f"For random floats, 'dtype' must be a float type, but got {dtype}.")
    return Tensor(values.astype(np.float32 if dtype is mstype.bfloat16 else dtype.np_dtype),
                  dtype)


def rand(*size, dtype=None, seed=None):
    """Uniform [0, 1) values of shape ``size`` (Float32 unless ``dtype``)."""
    return _float_out(_rng(seed).random(_size("rand", size)), dtype)


def randn(*size, dtype=None, seed=None):
    """Standard normal values of shape ``size`` (Float32 unless ``dtype``)."""
    return _float_out(_rng(seed).standard_normal(_size("randn", size)), dtype)


def rand_like(input, seed=None, *, dtype=None):  # noqa: A002
    """``rand`` with ``input``'s shape (and dtype unless ``dtype``)."""
    return rand(tuple(input.shape), dtype=dtype or input.dtype, seed=seed)


def randn_like(input, seed=None, *, dtype=None):  # noqa: A002
    """``randn`` with ``input``'s shape (and dtype unless ``dtype``)."""
    return randn(tuple(input.shape), dtype=dtype or input.dtype, seed=seed)


def randint(low, high, size, seed=None, *, dtype=None):
    """Integers uniform in [low, high) of shape ``size`` (Int64 unless ``dtype``)."""
    if not high > low:
        raise ValueError(f"For 'randint', 'high' ({high}) must be greater than 'low' ({low}).")
    dtype = mstype.int64 if dtype is None else dtype
    values = _rng(seed).integers(low, high, _size("randint", (size,)))
    return Tensor(values.astype(dtype.np_dtype), dtype)


def randperm(n, seed=0, offset=0, dtype=mstype.int64):
    """A random permutation of 0 .. n-1."""
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"For 'randperm', 'n' must be a non-negative int, but got {n!r}.")
    rng = get_rng() if seed == 0 and offset == 0 else np.random.default_rng((seed, offset))
    return Tensor(rng.permutation(int(n)).astype(dtype.np_dtype), dtype)
