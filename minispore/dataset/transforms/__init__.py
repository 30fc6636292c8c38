"""``mindspore.dataset.transforms``: type casts and the operation base class."""
from .transforms import Compose, OneHot, TensorOperation, TypeCast

__all__ = ["TensorOperation", "TypeCast", "Compose", "OneHot"]
