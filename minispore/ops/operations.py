"""``mindspore.ops.operations`` (imported as ``P`` in model-zoo code): the 1.x primitive
classes, the same objects as ``ops.MatMul`` etc."""
from .. import ops as _ops
from .._unsupported import not_supported

__all__ = [n for n in _ops.__all__ if n[:1].isupper()]
globals().update({n: getattr(_ops, n) for n in __all__})


def __getattr__(name):
    raise not_supported("mindspore.ops.operations", name)
