"""``mindspore.dataset.vision``: image operations on HWC arrays (batched where possible)."""
from . import c_transforms, utils
from .transforms import HWC2CHW, Normalize, Rescale, Resize
from ._geometry import Pad, RandomCrop, RandomHorizontalFlip, ToTensor
from .utils import Border, Inter

__all__ = ["HWC2CHW", "Normalize", "Rescale", "Resize", "Inter", "Border", "Pad", "RandomCrop",
           "RandomHorizontalFlip", "ToTensor"]
