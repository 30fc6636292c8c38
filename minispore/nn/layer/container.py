"""SequentialCell and CellList: children named ``0``, ``1``, ... as in MindSpore."""
from collections import OrderedDict

from ..cell import Cell

__all__ = ["SequentialCell", "CellList"]


class SequentialCell(Cell):
    """Runs its cells in order. Takes cells, a list of cells, or an OrderedDict name -> cell."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            items = list(args[0].items())
        elif len(args) == 1 and isinstance(args[0], list):
            items = [(str(i), c) for i, c in enumerate(args[0])]
        else:
            items = [(str(i), c) for i, c in enumerate(args)]
        for name, cell in items:
            if not isinstance(cell, Cell):
                raise TypeError(f"For 'SequentialCell', each element must be a Cell, but got "
                                f"{type(cell)} at '{name}'.")
            self.insert_child_to_cell(name, cell)

    def __getitem__(self, index):
        cells = list(self._cells.values())
        if isinstance(index, slice):
            return SequentialCell(cells[index])
        return cells[index]

    def __len__(self):
        return len(self._cells)

    def append(self, cell):
        self.insert_child_to_cell(str(len(self._cells)), cell)

    def construct(self, x):
        for cell in self._cells.values():
            x = cell(x)
        return x


class CellList(Cell):
    """A list of cells, registered as children ``0``, ``1``, ... (no construct of its own)."""

    def __init__(self, args=None):
        super().__init__()
        for cell in args or []:
            self.append(cell)

    def __getitem__(self, index):
        return list(self._cells.values())[index]

    def __len__(self):
        return len(self._cells)

    def __iter__(self):
        return iter(self._cells.values())

    def append(self, cell):
        self.insert_child_to_cell(str(len(self._cells)), cell)

    def extend(self, cells):
        for c in cells:
            self.append(c)
        return self
