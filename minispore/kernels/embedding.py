"""Embedding lookup gradient: rows of dy scattered (added) into the rows of the table they
were looked up from."""
from ._jit import njit, prange


@njit(parallel=True)
def embedding_bwd(dw, dy, ids):
    """dw (V, D) = sum over n with ids[n] == v of dy[n] (dy (N, D), ids (N,)); overwritten.

    Parallel over column blocks of D: each thread owns whole columns, so repeated ids never
    race; the rows are added in order n = 0..N-1 (deterministic)."""
    V, D = dw.shape
    N = ids.shape[0]
    block = 16
    for b in prange((D + block - 1) // block):
        lo = b * block
        hi = min(D, lo + block)
        for v in range(V):
            for d in range(lo, hi):
                dw[v, d] = 0.0
        for n in range(N):
            row = ids[n]
            for d in range(lo, hi):
                dw[row, d] += dy[n, d]
