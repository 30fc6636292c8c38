"""Optimizers and learning-rate schedules (``mindspore.nn.optim``): every module's ``__all__``
is re-exported."""
import importlib

MODULES = ('optimizer', 'momentum', 'sgd', 'adam', 'rmsprop', 'ada_grad')
__all__ = []
for _name in MODULES:
    _module = importlib.import_module(f"{__name__}.{_name}")
    globals().update({n: getattr(_module, n) for n in _module.__all__})
    __all__ += list(_module.__all__)
