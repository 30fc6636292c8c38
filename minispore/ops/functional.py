"""``mindspore.ops.functional`` (imported as ``F`` in model-zoo code): the functional forms,
the same objects as ``ops.cast`` etc., plus the 1.x spellings ``tensor_add`` and friends."""
from .. import ops as _ops
from .._unsupported import not_supported

__all__ = [n for n in _ops.__all__ if not n[:1].isupper()]
globals().update({n: getattr(_ops, n) for n in __all__})
tensor_add, tensor_sub, tensor_mul, tensor_div = _ops.add, _ops.sub, _ops.mul, _ops.div
__all__ += ["tensor_add", "tensor_sub", "tensor_mul", "tensor_div"]


def __getattr__(name):
    raise not_supported("mindspore.ops.functional", name)
