"""The MindSpore 1.x import path ``mindspore.dataset.transforms.c_transforms`` (same classes)."""
from .transforms import Compose, OneHot, TensorOperation, TypeCast  # noqa: F401

__all__ = ["TypeCast", "Compose", "OneHot"]
