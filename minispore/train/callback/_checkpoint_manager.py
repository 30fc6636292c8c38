"""Which checkpoint files ModelCheckpoint keeps: the prefix collision rule and rotation.

Rotation here is deliberately safer than MindSpore 2.10's ``CheckpointManager``:

* MindSpore lists every ``<prefix>-*.ckpt`` in the folder (files of earlier runs, copies, files
  it never wrote) and deletes the one with the oldest **mtime** (a ``touch`` or a copy reorders
  them). Here only files that this callback wrote are ever considered, ordered by the
  (epoch, step) they were saved at, with the write order as tie-break.
* MindSpore deletes the oldest file **before** writing the new one, so with
  ``keep_checkpoint_max=1`` a crash during the save leaves no checkpoint. Here ``rotate`` is called
  only after the new file is complete on disk (for async saves: after the writer thread finished),
  and the newest file is never deleted.
"""
import contextlib
import os
import threading

try:
    import fcntl
except ImportError:     # Windows: threads of one process are still serialized
    fcntl = None

__all__ = ["unique_prefix", "claim_prefix", "CheckpointFiles"]

_SUFFIXES = (".ckpt", ".safetensors")


def unique_prefix(directory, prefix):
    """``prefix`` or ``prefix_N`` so that this run cannot reuse an earlier run's file names.

    Scans ``directory`` for ``*.ckpt`` / ``*.safetensors`` (ignoring ``*_breakpoint.ckpt``) whose
    name starts with ``prefix`` followed by a non-letter: ``<prefix>-...`` counts 1 and
    ``<prefix>_<digits>-...`` counts digits + 1; a maximum > 0 gives ``<prefix>_<maximum>``
    (MindSpore's ``_chg_ckpt_file_name_if_same_exist``). Unlike MindSpore, the numbered form
    must use ``_`` (MindSpore also counts e.g. ``lenet.5-1_1.ckpt`` as 5).
    """
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return prefix
    n = len(prefix)
    suffix = 0
    for name in names:
        if name.endswith("_breakpoint.ckpt") or os.path.splitext(name)[1] not in _SUFFIXES:
            continue
        if not name.startswith(prefix) or len(name) == n or name[n].isalpha():
            continue
        dash = name.find("-", n)
        if dash == n:
            suffix = max(suffix, 1)
        elif dash > n + 1 and name[n] == "_" and name[n + 1:dash].isdigit():
            suffix = max(suffix, int(name[n + 1:dash]) + 1)
    return f"{prefix}_{suffix}" if suffix else prefix


_local_claims = threading.Lock()


@contextlib.contextmanager
def claim_prefix(directory, prefix):
    """Yield ``unique_prefix(directory, prefix)`` while holding the folder's prefix lock.

    The caller writes its first file before leaving the block, so the next claimant's scan sees
    that file and picks another prefix. The lock is an ``fcntl.flock`` on the folder itself
    (processes; nothing is created in the folder) plus a process-wide lock (threads).
    """
    with _local_claims:
        fd = None
        try:
            fd = os.open(directory, os.O_RDONLY)
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass            # read-only or exotic folder: the thread lock still serializes us
        try:
            yield unique_prefix(directory, prefix)
        finally:
            if fd is not None:
                os.close(fd)    # closing releases the flock


class CheckpointFiles:
    """The checkpoint files one ModelCheckpoint wrote, and the rotation policy over them.

    Args:
        keep_max (int | None): keep at most this many of our files.
        per_n_minutes (int | None): when ``keep_max`` is unset: within each n-minute window
            (starting at the first save after the previous window ended) keep the first file
            and the newest, delete the ones in between. Times are the callback's own save times,
            not file mtimes.
    """

    def __init__(self, keep_max=None, per_n_minutes=None):
        self.keep_max = keep_max
        self.per_n_minutes = per_n_minutes
        self._files = {}        # path -> (epoch, step, seq, window)
        self._seq = 0
        self._window = 0
        self._window_start = None

    @property
    def files(self):
        """Our files still on record, oldest first by (epoch, step, write order)."""
        return [p for p, _ in sorted(self._files.items(), key=lambda kv: kv[1][:3])]

    def add(self, path, epoch, step, now):
        """Record a file that is now complete on disk, then apply the rotation policy.

        Returns the paths deleted.
        """
        if self.per_n_minutes and (self._window_start is None or
                                   now - self._window_start >= self.per_n_minutes * 60):
            self._window += 1
            self._window_start = now
        self._seq += 1
        self._files[path] = (epoch, step, self._seq, self._window)
        return self._rotate(path)

    def _rotate(self, newest):
        doomed = []
        ordered = self.files
        if self.keep_max:
            doomed = [p for p in ordered[:max(len(ordered) - self.keep_max, 0)] if p != newest]
        elif self.per_n_minutes:
            window = self._files[newest][3]
            same = [p for p in ordered if self._files[p][3] == window]
            doomed = [p for p in same[1:] if p != newest]
        for path in doomed:
            del self._files[path]
            try:
                os.remove(path)
            except FileNotFoundError:
                pass            # removed by someone else: nothing left to rotate
        return doomed
