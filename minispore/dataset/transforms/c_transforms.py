"""The MindSpore 1.x import path ``mindspore.dataset.transforms.c_transforms`` (same classes)."""
from .transforms import TensorOperation, TypeCast  # noqa: F401

__all__ = ["TypeCast"]
