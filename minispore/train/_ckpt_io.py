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
import re
import secrets
import stat
import sys
import threading
import time
import zlib

from . import _ckpt_codec as codec

__all__ = ["atomic_write", "submit_async", "wait_async_saves", "FILE_MODE", "temp_name",
           "remove_stale_temps", "STALE_TMP_SECONDS"]

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


_NAME_MAX = 255
_TMP_SUFFIX_BYTES = 1 + 1 + 10 + 1 + 8 + 4      # "." + "." + pid + "." + 8 hex + ".tmp"
_TMP_PATTERN = re.compile(r"^\..*\.(\d{1,10})\.([0-9a-f]{8})\.tmp$", re.DOTALL)
STALE_TMP_SECONDS = 15 * 60


def temp_name(path):
    """``.{name}.{pid}.{8 hex}.tmp`` beside ``path``, with ``name`` cut (at a UTF-8 character
    boundary) so the whole file name fits the 255-byte limit even for a 255-byte target name."""
    folder, base = os.path.split(path)
    raw = os.fsencode(base)[:_NAME_MAX - _TMP_SUFFIX_BYTES]
    short = os.fsdecode(raw.decode("utf-8", "ignore").encode("utf-8")) if raw else "ckpt"
    return os.path.join(folder, f".{short}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


def remove_stale_temps(folder, now=None):
    """Delete temp files of our naming pattern in ``folder`` that a killed save left behind:
    owned by this user, not modified for ``STALE_TMP_SECONDS`` (a live writer keeps its temp file
    fresh) and whose writer pid no longer runs here. Returns the removed names; never raises."""
    removed = []
    try:
        names = os.listdir(folder or ".")
    except OSError:
        return removed
    now = time.time() if now is None else now
    uid = os.getuid() if hasattr(os, "getuid") else None
    for name in names:
        m = _TMP_PATTERN.match(name)
        if not m or int(m.group(1)) == os.getpid():
            continue
        full = os.path.join(folder, name)
        try:
            st = os.lstat(full)
            if not stat.S_ISREG(st.st_mode) or (uid is not None and st.st_uid != uid) or \
                    now - st.st_mtime < STALE_TMP_SECONDS or _pid_alive(int(m.group(1))):
                continue
            os.unlink(full)
            removed.append(name)
        except OSError:
            continue
    return removed


def _named(exc, path):
    """``exc`` as an OSError naming the target ``path`` (not the temp file, or no file at all)."""
    if isinstance(exc, OSError) and exc.errno is not None:
        new = OSError(exc.errno, f"{exc.strerror or exc} (saving checkpoint; any previous "
                                 f"file is left intact)", path)
        return new
    return exc


def atomic_write(path, pieces, crc=False, mode=FILE_MODE):
    """Write the byte pieces (bytes / memoryviews) to ``path`` atomically and durably.

    ``crc`` appends MindSpore's CRC trailer computed over the written body. An ``OSError``
    (disk full, read-only folder, ...) names ``path`` itself. Stale temp files of earlier killed
    saves in the same folder are removed first (:func:`remove_stale_temps`).
    """
    folder = os.path.dirname(path) or "."
    remove_stale_temps(folder)
    tmp = temp_name(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise _named(exc, path) from None
    try:
        with open(fd, "wb", buffering=_BUFFER, closefd=True) as f:
            value = _write_pieces(f, pieces, crc)
            if crc:
                f.write(codec.crc_trailer(value))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        named = _named(exc, path)
        if named is exc:
            raise
        raise named from None
    _fsync_dir(folder)


_lock = threading.Lock()            # guards _errors (appended to by save threads)
_submit_lock = threading.RLock()    # one submitter/waiter at a time: no thread sees another's
                                    # save between its start and its publication
_pending = None          # the running save thread (published only once started)
_errors = []             # (exception, path) of finished save threads, not yet re-raised


def _run(fn, args, path):
    try:
        fn(*args)
    except BaseException as exc:  # noqa: BLE001 - handed to the caller, never lost
        if hasattr(exc, "add_note"):
            exc.add_note(f"(raised by the asynchronous save_checkpoint of {path})")
        with _lock:
            _errors.append((exc, path))


def wait_async_saves():
    """Block until the background save (if any) finished; re-raise its exception, if any.

    Called by every ``save_checkpoint`` before it starts, and at interpreter exit. Call it yourself
    before reading a file you saved with ``async_save=True``. Safe to call from several threads.
    """
    global _pending
    with _submit_lock:
        thread = _pending
        if thread is not None:
            if thread.ident is not None:      # never started (interrupted submit): nothing to join
                thread.join()
            _pending = None
        with _lock:
            if not _errors:
                return
            exc, _ = _errors.pop(0)
            _errors.clear()
    raise exc


def submit_async(fn, args, path):
    """Run ``fn(*args)`` on a non-daemon thread after the previous async save finished.

    The thread is published as pending only once it has started, under a lock shared with
    :func:`wait_async_saves`, so concurrent savers each wait for the other's save, and a Ctrl-C
    between start and publication cannot leave an unstarted thread that later joins fail on.
    """
    global _pending
    with _submit_lock:
        wait_async_saves()
        thread = threading.Thread(target=_run, args=(fn, args, path), name="asyn_save_ckpt",
                                  daemon=False)
        try:
            thread.start()
        finally:
            if thread.ident is not None:
                _pending = thread


def _at_exit():
    """Join the last async save; if it failed, say which file on stderr and exit with status 1
    (a failed save must not look like success to a shell or scheduler).

    ``os._exit`` is the only way to change the status from an exit handler: stdio and logging
    are flushed first; exit handlers registered before minispore was imported do not run then.
    """
    global _pending
    with _submit_lock:
        thread, _pending = _pending, None
        if thread is not None and thread.ident is not None:
            thread.join()
        with _lock:
            failed = list(_errors)
            _errors.clear()
    if not failed:
        return
    for exc, path in failed:
        print(f"minispore: asynchronous save_checkpoint of {path} failed: "
              f"{type(exc).__name__}: {exc}", file=sys.stderr)
    try:
        import logging   # noqa: PLC0415
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(1)


atexit.register(_at_exit)
