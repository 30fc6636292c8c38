"""numba kernels on plain arrays: no framework imports, outputs preallocated and passed first.

Modules: ``activation`` (ReLU), ``gelu``, ``conv`` and ``conv_flat`` (direct convolution, and the
dense layer's product), ``im2col``, ``loss``, ``optim``, ``pool``; every numba flag lives in
``_jit``. The primitives that call them are declared in :mod:`minispore.ops.function`. Importing this package imports no numba: a primitive
module binds its kernels with :func:`lazy`, so ``import minispore`` stays light and numba loads
on the first kernel call.
"""
import importlib

__all__ = ["lazy", "exact_njit"]


class _LazyModule:
    """A stand-in for ``minispore.kernels.<name>`` that imports it on first attribute access."""

    def __init__(self, name):
        self.__dict__["_name"] = f"{__name__}.{name}"

    def __getattr__(self, attr):
        module = importlib.import_module(self.__dict__["_name"])
        self.__dict__.update(vars(module))
        return getattr(module, attr)


def lazy(name):
    return _LazyModule(name)


def exact_njit(fn):
    """numba-compile ``fn`` bit-exact (fastmath off), with minispore's cache setting; imports
    numba when called. For kernels outside this package (``minispore.dataset``)."""
    from ._jit import exact_njit as compile_exact  # noqa: PLC0415  (numba loads here, not at import)
    return compile_exact(fn)
