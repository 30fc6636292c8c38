"""Cell wrappers for training and evaluation: every module's ``__all__`` is re-exported."""
import importlib

MODULES = ('cell_wrapper', 'grad_reducer')
__all__ = []
for _name in MODULES:
    _module = importlib.import_module(f"{__name__}.{_name}")
    globals().update({n: getattr(_module, n) for n in _module.__all__})
    __all__ += list(_module.__all__)
