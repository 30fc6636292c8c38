"""``mindspore.ops.composite`` (imported as ``C`` in model-zoo code): GradOperation and the
gradient functions."""
from ._grad import GradOperation, grad, value_and_grad
from .._unsupported import not_supported

__all__ = ["GradOperation", "grad", "value_and_grad"]


def __getattr__(name):
    raise not_supported("mindspore.ops.composite", name)
