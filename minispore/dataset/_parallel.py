"""Ordered parallel execution of the pipeline's per-row work (``num_parallel_workers``).

Rows are cut into fixed chunks of ``CHUNK`` rows; chunk ``k`` is computed by ``job(state, k,
rows)`` on a pool of threads (default) or forked processes (``python_multiprocessing=True``) and
the results are yielded in input order, with at most ``2 * workers`` chunks in flight. Random
operations draw from a generator seeded by ``(epoch seed, k)``, so the output does not depend on
the number of workers or on their timing. The pool lives only while an epoch is iterated and is
shut down when it ends or is abandoned.
"""
import collections
import itertools
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

CHUNK = 64

_WORKER = {}


def _install(job, state):
    _WORKER["job"], _WORKER["state"] = job, state


def _run_installed(index, rows):
    return _WORKER["job"](_WORKER["state"], index, rows)


def chunks(rows):
    """``(k, list of up to CHUNK rows)`` for consecutive chunks of an iterable."""
    it = iter(rows)
    for k in itertools.count():
        block = list(itertools.islice(it, CHUNK))
        if not block:
            return
        yield k, block


def ordered_map(job, state, rows, workers, processes):
    """Yield every output row of ``job(state, k, chunk_rows)`` (a list per chunk), in order."""
    if workers <= 1:
        for k, block in chunks(rows):
            yield from job(state, k, block)
        return
    if processes:
        # fork: the job and its state (operations, source) reach the workers without pickling;
        # only the rows and results cross the process boundary.
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_install, initargs=(job, state))

        def submit(k, block):
            return pool.submit(_run_installed, k, block)
    else:
        pool = ThreadPoolExecutor(workers, thread_name_prefix="minispore-dataset")

        def submit(k, block):
            return pool.submit(job, state, k, block)
    pending = collections.deque()
    try:
        for k, block in chunks(rows):
            pending.append(submit(k, block))
            if len(pending) >= 2 * workers:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
