"""``mindspore.dataset.transforms``: type casts and the operation base class."""
from .transforms import TensorOperation, TypeCast

__all__ = ["TensorOperation", "TypeCast"]
