"""Elementwise comparisons, logical operators and predicates: Bool Tensors, not differentiable."""
import numpy as np

from ...common import dtype as mstype
from .._function import Primitive
from .math_func import _Binary, _Unary

__all__ = ["eq", "gt", "ge", "lt", "le", "not_equal", "TENSOR_METHODS"]


class _Compare(_Binary):
    differentiable = False

    def forward(self, a, b):
        return np.asarray(self.ufunc(a, b))

    @classmethod
    def call(cls, input, other):  # noqa: A002
        out = super().call(input, other)
        out._dtype = mstype.bool_
        return out


def _compare(name, ufunc, prim, dunder):
    cls = type(prim, (_Compare,), {"name": name, "ufunc": staticmethod(ufunc),
                                   "primitives": {prim: Primitive()},
                                   "tensor_methods": (dunder,),
                                   "__doc__": f"Elementwise ``{ufunc.__name__}``, a Bool Tensor "
                                              f"(not differentiable)."})
    cls.__module__ = __name__
    return cls


Equal = _compare("equal", np.equal, "Equal", "__eq__")
NotEqual = _compare("ne", np.not_equal, "NotEqual", "__ne__")
Less = _compare("less", np.less, "Less", "__lt__")
LessEqual = _compare("less_equal", np.less_equal, "LessEqual", "__le__")
Greater = _compare("greater", np.greater, "Greater", "__gt__")
GreaterEqual = _compare("greater_equal", np.greater_equal, "GreaterEqual", "__ge__")


def _alias(cls, name):
    def fn(input, other):  # noqa: A002
        return cls.call(input, other)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"The same as ``ops.{cls.name}``: {cls.__doc__}"
    return fn


eq, not_equal = _alias(Equal, "eq"), _alias(NotEqual, "not_equal")
gt, ge = _alias(Greater, "gt"), _alias(GreaterEqual, "ge")
lt, le = _alias(Less, "lt"), _alias(LessEqual, "le")


def _logical(name, ufunc, prim):
    cls = type(prim, (_Compare,), {"name": name, "ufunc": staticmethod(ufunc),
                                   "primitives": {prim: Primitive()},
                                   "__doc__": f"Elementwise ``{ufunc.__name__}`` of the truth "
                                              f"values, a Bool Tensor (not differentiable)."})
    cls.__module__ = __name__
    return cls


LogicalAnd = _logical("logical_and", np.logical_and, "LogicalAnd")
LogicalOr = _logical("logical_or", np.logical_or, "LogicalOr")


class _Predicate(_Unary):
    differentiable = False

    def forward(self, a):
        return np.asarray(self.ufunc(a))

    @classmethod
    def call(cls, input):  # noqa: A002
        out = super().call(input)
        out._dtype = mstype.bool_
        return out


class LogicalNot(_Predicate):
    """NOT input elementwise (truth values), a Bool Tensor."""
    name, ufunc, primitives = "logical_not", staticmethod(np.logical_not), \
        {"LogicalNot": Primitive()}


class IsNan(_Predicate):
    """True where input is NaN."""
    name, ufunc, primitives = "isnan", staticmethod(np.isnan), {"IsNan": Primitive()}


class IsInf(_Predicate):
    """True where input is +-inf."""
    name, ufunc, primitives = "isinf", staticmethod(np.isinf), {"IsInf": Primitive()}


class IsFinite(_Predicate):
    """True where input is neither NaN nor +-inf."""
    name, ufunc, primitives = "isfinite", staticmethod(np.isfinite), {"IsFinite": Primitive()}


# Tensor methods that are compositions (installed by ``minispore.ops``).
TENSOR_METHODS = {
    "equal": lambda self, other: Equal.call(self, other),
}
