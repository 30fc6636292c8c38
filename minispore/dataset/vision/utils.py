"""Enums of ``mindspore.dataset.vision``."""
from enum import Enum


class Inter(Enum):
    """Interpolation modes of ``Resize`` (values as in MindSpore)."""

    NEAREST = 0
    ANTIALIAS = 1
    BILINEAR = LINEAR = 2
    BICUBIC = CUBIC = 3
    AREA = 4
    PILCUBIC = 5
