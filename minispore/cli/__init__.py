"""The ``minispore-ckpt`` checkpoint CLI (also ``python -m minispore.ckpt`` / ``-m minispore.cli``).

:mod:`.commands` holds the argument parser and the four subcommands; :mod:`._formats` and
:mod:`._npz` read each file format header-first; :mod:`._ops` renames, casts and compares values.
"""
from .commands import main

__all__ = ["main"]
