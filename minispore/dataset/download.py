"""Download full MNIST into the tutorial's layout: ``python -m minispore.dataset.download mnist DEST``.

Writes ``DEST/train/train-{images-idx3,labels-idx1}-ubyte`` and ``DEST/test/t10k-...``
(uncompressed, as MindSpore reads them). Each file is tried on the guide's URL first, then on
``.gz`` mirrors. Safety: bytes go to ``<file>[.gz].part`` (resumed with an HTTP Range request
when a previous run was cut off), are verified -- a ``.gz`` by the canonical MNIST MD5, an
uncompressed file by its IDX header and exact size, since no digest of the uncompressed files is
relied on -- and only then moved into place with ``os.replace``; a corrupt part is deleted and
fetched again. Transient failures (timeouts, HTTP 5xx, cut connections) are retried with
exponential backoff; when no mirror is reachable at all (DNS failure, refused, unreachable) the
command stops at once with a message saying what to do instead.
"""
import argparse
import errno
import gzip
import hashlib
import http.client
import os
import shutil
import socket
import sys
import time
import urllib.error
import urllib.request

from .mnist import read_header

# name -> (split, md5 of the canonical .gz, rows)
MNIST_FILES = {
    "train-images-idx3-ubyte": ("train", "f68b3c2dcbeaaa9fbdd348bbdeb94873", 60000),
    "train-labels-idx1-ubyte": ("train", "d53e105ee54ea40749a09fcbcd1e9432", 60000),
    "t10k-images-idx3-ubyte": ("test", "9fb629c4189551a2d022fa330f9573f3", 10000),
    "t10k-labels-idx1-ubyte": ("test", "ec29112dd5afa0611ce80d1b7f02629c", 10000),
}
# (url template, is gzip)
MIRRORS = [
    ("https://mindspore-website.obs.myhuaweicloud.com/notebook/datasets/mnist/{name}", False),
    ("https://ossci-datasets.s3.amazonaws.com/mnist/{name}.gz", True),
    ("https://storage.googleapis.com/cvdf-datasets/mnist/{name}.gz", True),
]
CHUNK = 1 << 16


class DownloadError(RuntimeError):
    """A file could not be fetched and verified from any mirror."""


class OfflineError(DownloadError):
    """No mirror could even be reached: no network (or DNS) on this machine."""


def _offline_reason(exc):
    """The reason if ``exc`` means the host cannot be reached at all, else None."""
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, socket.gaierror):
        return f"cannot resolve the host name ({reason})"
    if isinstance(reason, (ConnectionRefusedError,)) or (
            isinstance(reason, OSError) and reason.errno in (errno.ENETUNREACH,
                                                             errno.EHOSTUNREACH)):
        return f"network unreachable ({reason})"
    return None


def md5sum(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_idx(path, name):
    """Raise DownloadError unless ``path`` is a complete MNIST IDX file for ``name``."""
    rows = MNIST_FILES[name][2]
    try:
        count, _ = read_header(path, image="images" in name)
    except RuntimeError as e:
        raise DownloadError(str(e)) from None
    if count != rows:
        raise DownloadError(f"{path}: {count} rows, expected {rows} for {name}.")


def fetch(url, part, timeout, opener=urllib.request.urlopen):
    """Stream ``url`` into ``part``, resuming from its current size when the server allows."""
    have = os.path.getsize(part) if os.path.exists(part) else 0
    request = urllib.request.Request(url, headers={"User-Agent": "minispore-download"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    with opener(request, timeout=timeout) as response:
        resumed = have and getattr(response, "status", 200) == 206
        with open(part, "ab" if resumed else "wb") as f:
            shutil.copyfileobj(response, f, CHUNK)
            f.flush()
            os.fsync(f.fileno())


def _finish(part, final, name, gz, md5):
    """Verify ``part`` and move it (decompressed) to ``final``; DownloadError if it is bad."""
    if not gz:
        check_idx(part, name)
        os.replace(part, final)
        return
    got = md5sum(part)
    if got != md5:
        raise DownloadError(f"{part}: MD5 {got}, expected {md5} for {name}.gz (corrupt).")
    tmp = final + ".tmp"
    try:
        with gzip.open(part, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        check_idx(tmp, name)
    except (OSError, EOFError, DownloadError) as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise DownloadError(f"{part}: not a valid {name}.gz ({e}).") from None
    os.replace(tmp, final)


def _ok(path, name):
    try:
        check_idx(path, name)
        return True
    except DownloadError:
        return False


def download_file(name, folder, mirrors=MIRRORS, timeout=10.0, retries=3, backoff=1.0,
                  opener=urllib.request.urlopen, sleep=time.sleep, log=print):
    """Fetch one MNIST file into ``folder`` and return its path (existing valid files are kept)."""
    os.makedirs(folder, exist_ok=True)
    final = os.path.join(folder, name)
    if os.path.exists(final) and _ok(final, name):
        log(f"{final}: present and valid")
        return final
    _, md5, _ = MNIST_FILES[name]
    if os.path.exists(final + ".gz"):  # placed by hand: verify and unpack, keep the .gz
        _finish(final + ".gz", final, name, True, md5)
        log(f"{final}: verified from {final}.gz")
        return final
    failures, offline = [], []
    for template, gz in mirrors:
        url = template.format(name=name)
        part = final + (".gz" if gz else "") + ".part"
        for attempt in range(retries):
            try:
                log(f"fetching {url}")
                fetch(url, part, timeout, opener)
                _finish(part, final, name, gz, md5)
                if gz:
                    os.remove(part)
                log(f"{final}: verified")
                return final
            except DownloadError as e:  # bad bytes: start this file again from zero
                failures.append(f"{url}: {e}")
                if os.path.exists(part):
                    os.remove(part)
            except urllib.error.HTTPError as e:
                failures.append(f"{url}: HTTP {e.code}")
                if e.code == 416 and os.path.exists(part):  # the part is already whole?
                    try:
                        _finish(part, final, name, gz, md5)
                        if gz:
                            os.remove(part)
                        return final
                    except DownloadError:
                        os.remove(part)
                elif e.code < 500 and e.code != 429:
                    break  # not found / forbidden: the next mirror, no retry
            except (urllib.error.URLError, http.client.HTTPException, OSError, EOFError) as e:
                reason = _offline_reason(e)
                failures.append(f"{url}: {reason or e}")
                if reason:
                    offline.append(reason)
                    break  # unreachable: retrying will not help
            if attempt + 1 < retries:
                sleep(backoff * 2 ** attempt)
    if len(offline) == len(mirrors):
        raise OfflineError(
            f"No MNIST mirror is reachable ({offline[0]}): this machine seems to have no "
            f"network. Put the four MNIST files (plain or .gz) into {os.path.dirname(folder)}"
            f"/train and .../test by hand (from {mirrors[0][0].format(name='<file>')} or "
            f"{mirrors[1][0].format(name='<file>')}), then rerun this command to verify them; "
            f"or use the bundled 5k sample in datasets/mnist_5k.")
    raise DownloadError(f"Could not download {name}:\n  " + "\n  ".join(failures))


def download_mnist(dest, **kwargs):
    """All four files into ``dest/train`` and ``dest/test``; returns their paths."""
    return [download_file(name, os.path.join(dest, split), **kwargs)
            for name, (split, _, _) in MNIST_FILES.items()]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m minispore.dataset.download",
                                     description="Download and verify a dataset.")
    parser.add_argument("dataset", choices=["mnist"])
    parser.add_argument("dest", help="target folder, e.g. datasets/MNIST_Data")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    parser.add_argument("--retries", type=int, default=3, help="attempts per mirror")
    args = parser.parse_args(argv)
    try:
        download_mnist(args.dest, timeout=args.timeout, retries=args.retries)
    except DownloadError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"MNIST ready in {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
