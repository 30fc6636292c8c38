"""The download step without network: a fake opener serves bytes from memory."""
import gzip
import hashlib
import io
import os
import socket
import struct
import time
import urllib.error

import numpy as np
import pytest

from minispore.dataset import download

NAME = "t10k-labels-idx1-ubyte"
PLAIN = struct.pack(">II", 2049, 10000) + (np.arange(10000) % 10).astype(np.uint8).tobytes()
GZ = gzip.compress(PLAIN, mtime=0)


class Response(io.BytesIO):
    def __init__(self, data, status=200):
        super().__init__(data)
        self.status = status


class Server:
    """Serves ``files`` by URL suffix; ``faults`` maps URL -> list of things to raise/serve."""

    def __init__(self, files, faults=None):
        self.files, self.faults, self.requests = files, faults or {}, []

    def __call__(self, request, timeout):
        url, rng = request.full_url, request.headers.get("Range")
        self.requests.append((url, rng))
        queue = self.faults.get(url)
        if queue:
            fault = queue.pop(0)
            if isinstance(fault, Exception):
                raise fault
            return Response(fault)
        for suffix, data in self.files.items():
            if url.endswith(suffix):
                if rng:
                    start = int(rng.split("=")[1].rstrip("-"))
                    return Response(data[start:], status=206)
                return Response(data)
        raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)


@pytest.fixture
def fake_md5(monkeypatch):
    split, _, rows = download.MNIST_FILES[NAME]
    monkeypatch.setitem(download.MNIST_FILES, NAME, (split, hashlib.md5(GZ).hexdigest(), rows))


def get(tmp_path, server, **kw):
    kw.setdefault("sleep", lambda s: None)
    return download.download_file(NAME, str(tmp_path), opener=server, log=lambda m: None, **kw)


def test_plain_file_from_first_mirror(tmp_path, fake_md5):
    path = get(tmp_path, Server({NAME: PLAIN}))
    assert open(path, "rb").read() == PLAIN and os.listdir(tmp_path) == [NAME]


def test_gz_mirror_verified_and_unpacked(tmp_path, fake_md5):
    server = Server({NAME + ".gz": GZ})  # the first (plain) mirror answers 404
    path = get(tmp_path, server)
    assert open(path, "rb").read() == PLAIN and os.listdir(tmp_path) == [NAME]
    assert len(server.requests) == 2


def test_corrupt_gz_is_discarded_and_fetched_again(tmp_path, fake_md5):
    url = download.MIRRORS[1][0].format(name=NAME)
    bad = bytearray(GZ)
    bad[40] ^= 0xFF
    server = Server({NAME + ".gz": GZ}, faults={url: [bytes(bad)]})
    path = get(tmp_path, server)
    assert open(path, "rb").read() == PLAIN
    assert [u for u, _ in server.requests].count(url) == 2


def test_partial_download_resumes_with_range(tmp_path, fake_md5):
    part = tmp_path / (NAME + ".part")
    part.write_bytes(PLAIN[:5000])
    server = Server({NAME: PLAIN})
    path = get(tmp_path, server)
    assert server.requests[0][1] == "bytes=5000-"
    assert open(path, "rb").read() == PLAIN and not part.exists()


def test_truncated_plain_never_lands(tmp_path, fake_md5):
    short = PLAIN[:-100]
    plain_url = download.MIRRORS[0][0].format(name=NAME)
    server = Server({}, faults={plain_url: [short, short, short]})
    with pytest.raises(download.DownloadError, match="truncated"):
        get(tmp_path, server)
    assert not (tmp_path / NAME).exists()
    assert not any(p.endswith(".part") for p in os.listdir(tmp_path))


def test_transient_errors_retry_with_backoff(tmp_path, fake_md5):
    plain_url = download.MIRRORS[0][0].format(name=NAME)
    waits = []
    server = Server({NAME: PLAIN}, faults={plain_url: [TimeoutError("timed out"),
                                                       urllib.error.HTTPError(plain_url, 503,
                                                                              "busy", {}, None)]})
    get(tmp_path, server, sleep=waits.append, backoff=0.5)
    assert waits == [0.5, 1.0]


def test_offline_fails_fast_with_advice(tmp_path, fake_md5):
    def offline(request, timeout):
        raise urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))

    start = time.monotonic()
    with pytest.raises(download.OfflineError, match="no network") as err:
        download.download_mnist(str(tmp_path), opener=offline, log=lambda m: None,
                                sleep=time.sleep)
    assert time.monotonic() - start < 2
    assert "mnist_5k" in str(err.value) and "rerun" in str(err.value)


def test_cli_offline_exit_code(tmp_path, monkeypatch, capsys):
    def offline(request, timeout):
        raise urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))

    monkeypatch.setattr(download.urllib.request, "urlopen", offline)
    monkeypatch.setattr(download, "fetch",
                        lambda url, part, timeout, opener=None: offline(None, timeout))
    assert download.main(["mnist", str(tmp_path), "--timeout", "2"]) == 1
    assert "no network" in capsys.readouterr().err


def test_hand_placed_gz_is_verified(tmp_path, fake_md5):
    (tmp_path / (NAME + ".gz")).write_bytes(GZ)
    path = get(tmp_path, Server({}))
    assert open(path, "rb").read() == PLAIN
