"""The MindSpore 1.x import path ``mindspore.dataset.vision.c_transforms`` (same classes)."""
from .transforms import HWC2CHW, Normalize, Rescale, Resize  # noqa: F401
from ._geometry import Pad, RandomCrop, RandomHorizontalFlip, ToTensor
from .utils import Border, Inter  # noqa: F401

__all__ = ["HWC2CHW", "Normalize", "Rescale", "Resize", "Inter", "Border", "Pad", "RandomCrop",
           "RandomHorizontalFlip", "ToTensor"]
