"""Layers (``mindspore.nn.layer``): every module's ``__all__`` is re-exported, so a new Cell is
added in its own module (and its name in ``MODULES``)."""
import importlib

MODULES = ('basic', 'container', 'conv', 'pooling', 'normalization', 'dropout', 'activation', 'embedding', 'rnns')
__all__ = []
for _name in MODULES:
    _module = importlib.import_module(f"{__name__}.{_name}")
    globals().update({n: getattr(_module, n) for n in _module.__all__})
    __all__ += list(_module.__all__)
