"""Embedding (``mindspore.nn.Embedding``): a trainable lookup table of vectors."""
import numpy as np

from ... import ops
from ...common import dtype as mstype
from ...common.initializer import initializer
from ...common.parameter import Parameter
from ...common.tensor import Tensor
from ..cell import Cell
from ._validation import check_positive_int

__all__ = ["Embedding"]


class Embedding(Cell):
    """Maps integer ids to rows of ``embedding_table`` (vocab_size, embedding_size): output
    shape ids.shape + (embedding_size,).

    Args:
        vocab_size (int): number of rows.
        embedding_size (int): length of each vector.
        use_one_hot (bool): MindSpore computes the lookup as a one-hot matmul when True; the
            result is the same, minispore always gathers. Default: ``False``.
        embedding_table: initializer of the table. Default: ``'normal'`` (N(0, 0.01^2)).
        dtype: the ids' dtype MindSpore expects. Default: ``mstype.int32``.
        padding_idx (int): if given, that row starts as zeros (as MindSpore: it is still
            trained, unlike PyTorch's). Default: ``None``.

    Parameter ``embedding_table`` (checkpoint name ``<cell>.embedding_table``).
    """

    def __init__(self, vocab_size, embedding_size, use_one_hot=False, embedding_table="normal",
                 dtype=mstype.int32, padding_idx=None):
        super().__init__()
        self.vocab_size = check_positive_int(vocab_size, "vocab_size", "Embedding")
        self.embedding_size = check_positive_int(embedding_size, "embedding_size", "Embedding")
        if not isinstance(use_one_hot, bool):
            raise TypeError(f"For 'Embedding', 'use_one_hot' must be a bool, but got "
                            f"{type(use_one_hot).__name__}.")
        if padding_idx is not None and (isinstance(padding_idx, bool) or
                                        not isinstance(padding_idx, int) or
                                        not 0 <= padding_idx < vocab_size):
            raise ValueError(f"For 'Embedding', 'padding_idx' must be an int in [0, "
                             f"{vocab_size}), but got {padding_idx!r}.")
        self.use_one_hot, self.dtype, self.padding_idx = use_one_hot, dtype, padding_idx
        table = initializer(embedding_table, (vocab_size, embedding_size), mstype.float32)
        if padding_idx is not None:
            values = table.asnumpy().copy()
            values[padding_idx] = 0
            table = Tensor(values.astype(np.float32))
        self.embedding_table = Parameter(table, name="embedding_table")

    def construct(self, ids):
        return ops.embedding(ids, self.embedding_table)

    def extend_repr(self):
        return (f"vocab_size={self.vocab_size}, embedding_size={self.embedding_size}, "
                f"use_one_hot={self.use_one_hot}, embedding_table={self.embedding_table}, "
                f"dtype={self.dtype}, padding_idx={self.padding_idx}")
