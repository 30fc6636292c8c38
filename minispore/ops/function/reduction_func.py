"""Reductions over axes: sum, mean, max, min and their indices (argmax, argmin), and the
statistics built on them: norms, log-sum-exp, product, extremes, variance and standard
deviation."""
import numpy as np

from ...common import dtype as mstype
from ...common.tensor import _contiguous
from .._function import Function, Primitive
from ..._checkparam import as_tensor
from . import array_func as A
from .array_func import _axis, _max
from .comparison_func import NotEqual
from .math_func import Abs, Cast, Exp, Log, Mul, Pow, Sqrt, Sub, _call_checked

__all__ = ["sum", "mean", "norm", "logsumexp", "amax", "amin", "std", "var", "TENSOR_METHODS"]


class _Reduce(Function):
    @classmethod
    def check(cls, input, axis=None, keep_dims=False):  # noqa: A002
        x = as_tensor(cls.name, "input", input)
        return (x,), {"axis": _axis(cls.name, axis, x.ndim), "keepdims": bool(keep_dims)}

    @classmethod
    def call(cls, *args, **kwargs):
        inputs, attrs = cls.check(*args, **kwargs)
        return _call_checked(cls, inputs, attrs)  # BFloat16 reduces in Float32

    def _expand(self, dy):
        if not self.keepdims and self.axis is not None:
            dy = np.expand_dims(dy, self.axis)
        return dy


def _reduce_primitive():
    return Primitive({"keep_dims": False},
                     call=lambda fn, p, x, axis=(): fn(x, axis, p.keep_dims))


class ReduceSum(_Reduce):
    """Sum over ``axis`` (all axes when None or ())."""
    name, primitives = "reduce_sum", {"ReduceSum": _reduce_primitive()}
    tensor_methods = {"sum": lambda fn, self, axis=None, keepdims=False: fn(self, axis, keepdims)}

    def forward(self, a, axis, keepdims):
        self.shape, self.axis, self.keepdims = a.shape, axis, keepdims
        return _contiguous(np.sum(a, axis=axis, keepdims=keepdims, dtype=a.dtype))

    def backward(self, dy):
        return (np.broadcast_to(self._expand(dy), self.shape).copy(),)


class ReduceMean(_Reduce):
    """Mean over ``axis`` (all axes when None or ())."""
    name, primitives = "reduce_mean", {"ReduceMean": _reduce_primitive()}
    tensor_methods = {"mean": lambda fn, self, axis=None, keep_dims=False:
                      fn(self, axis, keep_dims)}

    def forward(self, a, axis, keepdims):
        self.shape, self.axis, self.keepdims = a.shape, axis, keepdims
        out = np.mean(a, axis=axis, keepdims=keepdims)
        self.count = a.size // _max(out.size, 1) if a.size else 1
        return _contiguous(out.astype(a.dtype, copy=False))

    def backward(self, dy):
        return ((np.broadcast_to(self._expand(dy), self.shape) / self.count).astype(dy.dtype),)


class _ReduceExtreme(_Reduce):
    """Max/min over ``axis``; the gradient is shared equally among tied extremes (MindSpore's
    ReduceMax/ReduceMin rule)."""

    def forward(self, a, axis, keepdims):
        self.a, self.axis, self.keepdims = a, axis, keepdims
        self.y = self.reduce(a, axis=axis, keepdims=True)
        out = self.y if keepdims else (self.y.reshape(()) if axis is None
                                       else np.squeeze(self.y, axis))
        return _contiguous(out)

    def backward(self, dy):
        hit = self.a == self.y
        share = hit / hit.sum(axis=self.axis, keepdims=True)
        return ((share * self._expand(dy)).astype(dy.dtype, copy=False),)


class ReduceMax(_ReduceExtreme):
    """Maximum over ``axis`` (all axes when None or ())."""
    name, reduce = "reduce_max", staticmethod(np.max)
    primitives = {"ReduceMax": _reduce_primitive()}
    tensor_methods = {"max": lambda fn, self, axis=None, keepdims=False: fn(self, axis, keepdims)}


class ReduceMin(_ReduceExtreme):
    """Minimum over ``axis`` (all axes when None or ())."""
    name, reduce = "reduce_min", staticmethod(np.min)
    primitives = {"ReduceMin": _reduce_primitive()}
    tensor_methods = {"min": lambda fn, self, axis=None, keepdims=False: fn(self, axis, keepdims)}


def _arg_primitive():
    return Primitive({"axis": -1, "output_type": mstype.int32},
                     call=lambda fn, p, x: Cast.call(fn(x, p.axis), p.output_type))


class Argmax(Function):
    """Index of the maximum along ``dim`` (over the flattened input when None), Int64 (the 1.x
    primitive ``Argmax(axis=-1, output_type=mstype.int32)`` gives Int32). Not differentiable."""
    name, differentiable = "argmax", False
    primitives = {"Argmax": _arg_primitive()}
    tensor_methods = {"argmax": lambda fn, self, axis=None, keepdims=False: fn(self, axis,
                                                                               keepdims)}
    pick = staticmethod(np.argmax)

    @classmethod
    def check(cls, input, dim=None, keepdim=False):  # noqa: A002
        x = as_tensor(cls.name, "input", input)
        if dim is not None:
            dim = _axis(cls.name, dim, x.ndim)[0]
        return (x,), {"axis": dim, "keepdims": bool(keepdim)}

    def forward(self, a, axis, keepdims):
        if a.size == 0:
            raise ValueError(f"For '{self.name}', the input is empty (shape {a.shape}).")
        return _contiguous(self.pick(a, axis=axis, keepdims=keepdims).astype(np.int64))


class Argmin(Argmax):
    """Index of the minimum along ``axis`` (over the flattened input when None), Int64 (the 1.x
    primitive ``Argmin(axis=-1, output_type=mstype.int32)`` gives Int32). Not differentiable."""
    name, primitives = "argmin", {"Argmin": _arg_primitive()}
    tensor_methods = ("argmin",)
    pick = staticmethod(np.argmin)

    @classmethod
    def check(cls, input, axis=None, keepdims=False):  # noqa: A002
        return super().check(input, axis, keepdims)


def sum(input, axis=None, keepdims=False):  # noqa: A001,A002
    return ReduceSum.call(input, axis, keepdims)


def mean(input, axis=None, keep_dims=False):  # noqa: A002
    return ReduceMean.call(input, axis, keep_dims)



def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: A002,N803
    """Vector norm of ``A`` over ``dim`` (all elements when None): ord None/'fro'/2 is the
    Euclidean norm, inf/-inf the max/min of |A|, 0 the count of non-zeros, p the p-norm.
    Matrix norms (a 2-tuple ``dim`` with ord 'nuc', +-1, +-2, +-inf) are not supported."""
    x = as_tensor("norm", "A", A)
    if dtype is not None:
        x = Cast.call(x, dtype)
    if x._data.dtype.kind != "f":
        raise TypeError(f"For 'norm', 'A' must be a float Tensor, but got {x.dtype}.")
    matrix = isinstance(dim, (tuple, list)) and len(dim) == 2
    if ord == "nuc" or (matrix and ord not in (None, "fro")):
        raise ValueError(f"For 'norm', the matrix norm ord={ord!r} is not supported by "
                         f"minispore (only 'fro' and vector norms).")
    if ord == "fro" and not (matrix or dim is None):
        raise ValueError("For 'norm', ord='fro' needs dim=None or a 2-tuple of dims.")
    axis = None if dim is None else dim
    if ord in (None, "fro", 2):
        return Sqrt.call(ReduceSum.call(Mul.call(x, x), axis, keepdim))
    if ord == float("inf"):
        return ReduceMax.call(Abs.call(x), axis, keepdim)
    if ord == float("-inf"):
        return ReduceMin.call(Abs.call(x), axis, keepdim)
    if ord == 0:
        return ReduceSum.call(Cast.call(NotEqual.call(x, 0), x.dtype), axis, keepdim)
    if isinstance(ord, (int, float)) and not isinstance(ord, bool):
        s = ReduceSum.call(Pow.call(Abs.call(x), float(ord)), axis, keepdim)
        return Pow.call(s, 1.0 / ord)
    raise ValueError(f"For 'norm', 'ord' must be None, 'fro', a number or +-inf, but got "
                     f"{ord!r}.")


def logsumexp(input, axis, keep_dims=False):  # noqa: A002
    """log(sum(exp(input))) over ``axis``, computed stably."""
    x = as_tensor("logsumexp", "input", input)
    m = stop = A.stop_gradient(ReduceMax.call(x, axis, True))
    out = Log.call(ReduceSum.call(Exp.call(Sub.call(x, stop)), axis, True)) + m
    return out if keep_dims else A.Squeeze.call(out, axis)


class Prod(Function):
    """Product over ``axis`` (all axes when None or ()); the gradient is the product of the
    other elements (exact with zeros too)."""
    name, primitives = "prod", {"ReduceProd": Primitive(
        {"keep_dims": False}, call=lambda fn, p, x, axis=(): fn(x, axis, p.keep_dims))}
    tensor_methods = ("prod",)

    @classmethod
    def check(cls, input, axis=None, keep_dims=False):  # noqa: A002
        x = as_tensor("prod", "input", input)
        return (x,), {"axis": _axis("prod", axis, x.ndim), "keepdims": bool(keep_dims)}

    def forward(self, a, axis, keepdims):
        self.a, self.axis, self.keepdims = a, axis, keepdims
        return np.ascontiguousarray(np.prod(a, axis=axis, keepdims=keepdims))

    def backward(self, dy):
        a, axis = self.a, self.axis
        zero = a == 0
        others = np.prod(np.where(zero, 1, a), axis=axis, keepdims=True)
        zeros = zero.sum(axis=axis, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(zeros == 0, others / np.where(zero, 1, a),
                         np.where((zeros == 1) & zero, others, 0))
        if not self.keepdims and axis is not None:
            dy = np.expand_dims(dy, axis)
        return ((g * dy).astype(a.dtype, copy=False),)


def amax(input, axis=None, keepdims=False):  # noqa: A002
    """Maximum over ``axis`` (all axes when None); the gradient is shared among ties."""
    return ReduceMax.call(input, axis, keepdims)


def amin(input, axis=None, keepdims=False):  # noqa: A002
    """Minimum over ``axis`` (all axes when None); the gradient is shared among ties."""
    return ReduceMin.call(input, axis, keepdims)


def var(input, axis=None, ddof=0, keepdims=False):  # noqa: A002
    """Variance over ``axis`` with ``ddof`` delta degrees of freedom (0: population)."""
    x = as_tensor("var", "input", input)
    axes = _axis("var", axis, x.ndim)
    n = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
    if n - ddof <= 0:
        raise ValueError(f"For 'var', ddof {ddof} leaves no degrees of freedom for {n} "
                         f"elements.")
    d = Sub.call(x, ReduceMean.call(x, axis, True))
    return ReduceSum.call(Mul.call(d, d), axis, keepdims) / float(n - ddof)


def std(input, axis=None, ddof=0, keepdims=False):  # noqa: A002
    """Standard deviation over ``axis`` with ``ddof`` delta degrees of freedom."""
    return Sqrt.call(var(input, axis, ddof, keepdims))


# Tensor methods that are compositions (installed by ``minispore.ops``).
TENSOR_METHODS = {
    "norm": lambda self, ord=None, dim=None, keepdim=False: norm(self, ord, dim, keepdim),
    "std": lambda self, axis=None, ddof=0, keepdims=False: std(self, axis, ddof, keepdims),
    "var": lambda self, axis=None, ddof=0, keepdims=False: var(self, axis, ddof, keepdims),
    "logsumexp": lambda self, axis, keepdims=False: logsumexp(self, axis, keepdims),
}
