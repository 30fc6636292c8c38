"""Embedding lookup gradient: rows of dy scattered (added) into the rows of the table they
were looked up from."""
from ._jit import njit


@njit
def embedding_bwd(dw, dy, ids):
    """dw (V, D) += dy[n] at row ids[n] for every n (dy (N, D), ids (N,)); the caller zeroes
    dw. Serial and in order n = 0..N-1, so repeated ids add deterministically; each row add
    is a contiguous vectorised loop. (A column-parallel version that zeroed the table itself
    was 24x slower than PyTorch: it swept the whole table once per column block.)"""
    D = dw.shape[1]
    for n in range(ids.shape[0]):
        row = dw[ids[n]]
        src = dy[n]
        for d in range(D):
            row[d] += src[d]
