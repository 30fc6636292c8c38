"""``mindspore.dataset.vision``: image operations on HWC arrays (batched where possible)."""
from . import c_transforms, utils
from .transforms import HWC2CHW, Normalize, Rescale, Resize
from .utils import Inter

__all__ = ["HWC2CHW", "Normalize", "Rescale", "Resize", "Inter"]
