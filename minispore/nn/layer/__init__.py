"""Layers (``mindspore.nn.layer``): every module's ``__all__`` is re-exported, so a new Cell is
added in its own module only."""
from .basic import *  # noqa: F401,F403
from .basic import __all__ as _basic
from .container import *  # noqa: F401,F403
from .container import __all__ as _container
from .conv import *  # noqa: F401,F403
from .conv import __all__ as _conv
from .pooling import *  # noqa: F401,F403
from .pooling import __all__ as _pooling

__all__ = _basic + _container + _conv + _pooling
