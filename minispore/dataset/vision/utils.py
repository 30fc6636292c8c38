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


class Border(Enum):
    """Padding modes of ``Pad`` / ``RandomCrop`` (MindSpore's names and values).

    CONSTANT fills with ``fill_value``; EDGE repeats the border pixel; REFLECT mirrors without
    repeating the border (``[3 2 | 1 2 3 | 2 1]``); SYMMETRIC mirrors with it
    (``[2 1 | 1 2 3 | 3 2]``).
    """

    CONSTANT = "constant"
    EDGE = "edge"
    REFLECT = "reflect"
    SYMMETRIC = "symmetric"
