"""Differentiable operations on Tensors (``mindspore.ops``), and the gradient entry points.

Every primitive is declared once, as a ``Function`` in ``ops/function/*_func.py``; this module
derives from those declarations the functional forms (``ops.conv2d``), MindSpore's 1.x primitive
classes (``ops.Conv2D``) and the Tensor methods (``Tensor.reshape``, ``t + u``), and re-exports
the composite functions each family module lists in ``__all__``.
"""
from ..common.tensor import Tensor as _Tensor
from . import function as _function_pkg  # noqa: F401  (registers every primitive)
from ._function import REGISTRY as _REGISTRY
from ._function import Function, Primitive, derive_functional, derive_method, derive_primitive
from ._function import is_recording
from ._grad import GradOperation, grad, value_and_grad
from . import _plan  # noqa: F401  (ms.jit's planner: registers itself with common.api)

__all__ = ["Function", "Primitive", "GradOperation", "value_and_grad", "grad", "is_recording"]
for _family in _function_pkg.modules:
    globals().update({name: getattr(_family, name) for name in _family.__all__})
    __all__ += list(_family.__all__)


def _derive_all():
    """Functional forms, 1.x primitive classes and Tensor methods from the registry."""
    names = {}
    for cls in _REGISTRY:
        fn = derive_functional(cls)
        names[cls.name] = fn
        for prim_name, spec in cls.primitives.items():
            names[prim_name] = derive_primitive(prim_name, spec, fn)
        methods = cls.tensor_methods
        items = methods.items() if isinstance(methods, dict) else ((m, None) for m in methods)
        for method_name, adapter in items:
            setattr(_Tensor, method_name, derive_method(fn, adapter))
    return names


globals().update(_derive_all())
__all__ += [c.name for c in _REGISTRY]
__all__ += [p for c in _REGISTRY for p in c.primitives]

# Names MindSpore spells two ways.
concat = cat = globals()["concat"]
__all__ += ["cat"]


def _install_operators():
    """Python operators and the Tensor methods that are compositions of primitives."""
    def reflected(fn):
        return lambda self, other: fn(other, self)

    binary = {"add": add, "sub": sub, "mul": mul, "truediv": div, "matmul": matmul,  # noqa: F821
              "pow": pow}  # noqa: F821
    for name, fn in binary.items():
        setattr(_Tensor, f"__{name}__", derive_method(fn))
        setattr(_Tensor, f"__r{name}__", reflected(fn))
    extra = {"__neg__": neg, "astype": cast, "to": cast, "squeeze": squeeze,  # noqa: F821
             "expand_dims": expand_dims,  # noqa: F821
             "flatten": lambda self: reshape(self, (-1,))}  # noqa: F821
    for name, fn in extra.items():
        setattr(_Tensor, name, fn if name == "flatten" else derive_method(fn))
    _Tensor.__pos__ = lambda self: self
    equal, not_equal = _Tensor.__eq__, _Tensor.__ne__
    # `t == None` is False (and `!=` True), as for MindSpore's Tensor, not an argument error.
    _Tensor.__eq__ = lambda self, other: False if other is None else equal(self, other)
    _Tensor.__ne__ = lambda self, other: True if other is None else not_equal(self, other)


_install_operators()


# Tensor methods that are compositions, listed by their family modules (``TENSOR_METHODS``).
for _family in _function_pkg.modules:
    for _name, _method in getattr(_family, "TENSOR_METHODS", {}).items():
        setattr(_Tensor, _name, _method)
__all__ = [n for n in __all__ if n != "TENSOR_METHODS"]
del globals()["TENSOR_METHODS"]


def __getattr__(name):
    """A MindSpore op minispore does not have: say so (no "did you mean" to another op)."""
    from .._unsupported import not_supported  # noqa: PLC0415
    raise not_supported("mindspore.ops", name)
