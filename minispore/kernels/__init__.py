"""numba kernels on plain arrays: no framework imports, outputs preallocated and passed first.

The validated, allocating wrappers live in :mod:`minispore.ops._array_ops`; flags live in
:mod:`minispore.kernels._jit`.
"""
from . import activation, conv, im2col, loss, optim, pool

__all__ = ["activation", "conv", "im2col", "loss", "optim", "pool"]
