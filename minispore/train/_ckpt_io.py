"""Safe checkpoint file writing and the background (async) save thread.

``atomic_write`` never exposes a half-written target: bytes go to a uniquely named temp file in the
target's folder, which is flushed, fsynced, given its final mode, ``os.replace``d onto the target,
and the folder is fsynced so the rename itself survives a power cut. An existing target is replaced
only once the new file is complete. (MindSpore 2.10 deletes the existing target *before* writing and
never fsyncs, so a crash mid-save can leave no checkpoint at all.) On any exception the temp file
is removed. Files end up read-only for the owner (0400), like MindSpore's; since ``os.replace``
only needs a writable folder, saving over our own read-only file works.

Async saves (``save_checkpoint(..., async_save=True)``) run on one non-daemon thread at a time.
The caller snapshots the values first; a later save, ``wait_async_saves()`` and interpreter exit
join the thread, and an exception raised in it is re-raised in the caller at the next save or
join instead of being lost (MindSpore only logs it inside the thread).
"""
import atexit
import os
import secrets
import sys
import threading
import zlib

from . import _ckpt_codec as codec

__all__ = ["atomic_write", "submit_async", "wait_async_saves", "FILE_MODE"]

FILE_MODE = 0o400
_BUFFER = 1 << 20


def _fsync_dir(folder):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_pieces(f, pieces, crc):
    """Write every piece to ``f``; return the running CRC32 when ``crc`` (else None).

    Kept as a separate function so crash tests can slow it down.
    """
    value = 0
    for piece in pieces:
        if crc:
            value = zlib.crc32(piece, value)
        f.write(piece)
    return value if crc else None


def atomic_write(path, pieces, crc=False, mode=FILE_MODE):
    """Write the byte pieces (bytes / memoryviews) to ``path`` atomically and durably.

    ``crc`` appends MindSpore's CRC trailer computed over the written body.
    """
    folder = os.path.dirname(path) or "."
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with open(fd, "wb", buffering=_BUFFER, closefd=True) as f:
            value = _write_pieces(f, pieces, crc)
            if crc:
                f.write(codec.crc_trailer(value))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(folder)


_lock = threading.Lock()
_pending = None          # the running save thread
_errors = []             # exceptions raised in finished save threads, not yet re-raised


def _run(fn, args, path):
    try:
        fn(*args)
    except BaseException as exc:  # noqa: BLE001 - handed to the caller, never lost
        if hasattr(exc, "add_note"):
            exc.add_note(f"(raised by the asynchronous save_checkpoint of {path})")
        with _lock:
            _errors.append(exc)


def wait_async_saves():
    """Block until the background save (if any) finished; re-raise its exception, if any.

    Called by every ``save_checkpoint`` before it starts, and at interpreter exit. Call it yourself
    before reading a file you saved with ``async_save=True``.
    """
    global _pending
    with _lock:
        thread = _pending
    if thread is not None:
        thread.join()
        with _lock:
            if _pending is thread:
                _pending = None
    with _lock:
        if not _errors:
            return
        exc = _errors.pop(0)
        _errors.clear()
    raise exc


def submit_async(fn, args, path):
    """Run ``fn(*args)`` on a non-daemon thread after the previous async save finished."""
    global _pending
    wait_async_saves()
    thread = threading.Thread(target=_run, args=(fn, args, path), name="asyn_save_ckpt",
                              daemon=False)
    with _lock:
        _pending = thread
    thread.start()


def _at_exit():
    try:
        wait_async_saves()
    except BaseException as exc:  # noqa: BLE001 - nobody left to raise to
        print(f"minispore: asynchronous save_checkpoint failed: {exc!r}", file=sys.stderr)


atexit.register(_at_exit)
