"""minispore: MindSpore's API on a small numba-jitted core.

``import minispore as ms`` gives the names a MindSpore script imports from ``mindspore``.
"""
from . import common
from .common import dtype
from .common import dtype as mstype
from .common.dtype import *  # noqa: F401,F403
from .common import Parameter, ParameterTuple, Tensor, set_seed, get_seed

__version__ = "0.1.0"
