"""Issue 15 (2): decompression amplification. A small compressed input that inflates far beyond
what its header/tensor needs must cost memory bounded by the declared sizes, not by the inflated
size: a ``.pth`` zip with a deflated huge zero storage feeding one element, and an MNIST ``.gz``
whose body is much longer than its header promises. Peak RSS is measured in a fresh process.
"""
import gzip
import os
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from hostile_pth import tensor_pickle

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_MB = 1 << 20


def _zero_storage_pth(path, storage_mb, offset, size=(1,)):
    """torch.save-shaped zip whose storage '0' is ``storage_mb`` MiB of zeros, deflated, and
    whose only tensor is ``size`` float32 elements at element ``offset`` (streamed: never held)."""
    numel = storage_mb * _MB // 4
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", tensor_pickle(numel=numel, offset=offset, size=size))
        z.writestr("archive/byteorder", b"little")
        with z.open("archive/data/0", "w", force_zip64=True) as f:
            zero = bytes(_MB)
            for _ in range(storage_mb):
                f.write(zero)
    return numel


def _peak_rss_growth_mib(code):
    """Run ``code`` in a fresh interpreter; its RSS high-water mark growth (MiB) during ``code``.
    ``code`` prints one result line; returns (result line, growth)."""
    prog = ("import resource, sys\nsys.path.insert(0, %r)\n"
            "import numpy, minispore.train.converters, minispore.dataset\n"
            "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n%s\n"
            "print('RSS', (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)\n"
            ) % (HERE, code)
    r = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, PYTHONPATH=os.path.dirname(HERE)))
    assert r.returncode == 0, r.stderr[-2000:]
    lines = r.stdout.strip().splitlines()
    return lines[-2] if len(lines) > 1 else "", int(lines[-1].split()[1])


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    """256 MiB of deflated zeros (~256 KB on disk): one tensor at the start, one at the end."""
    d = tmp_path_factory.mktemp("pth_bombs")
    head, tail = str(d / "head.pth"), str(d / "tail.pth")
    numel = _zero_storage_pth(head, 256, 0)
    _zero_storage_pth(tail, 256, numel - 1)
    return head, tail


def test_pth_small_view_of_huge_deflated_storage_reads_only_its_bytes(bombs):
    head, _ = bombs
    assert os.path.getsize(head) < 2 * _MB
    out, growth = _peak_rss_growth_mib(
        "from minispore.train.converters import load_pytorch\n"
        f"t = load_pytorch({head!r})['w']\nprint(t.shape, t._data.tolist())")
    assert out == "(1,) [0.0]"
    assert growth < 32, f"loading one element grew RSS by {growth} MiB"


def test_pth_inflating_past_the_output_cap_is_refused(bombs):
    _, tail = bombs
    out, growth = _peak_rss_growth_mib(
        "from minispore.train.converters import load_pytorch, CorruptFileError\n"
        "try:\n    load_pytorch(%r)\nexcept CorruptFileError as e:\n    print('refused', e)\n"
        % tail)
    assert out.startswith("refused") and "tail.pth" in out and "inflating more than" in out
    assert growth < 32, f"refusing grew RSS by {growth} MiB"


@pytest.mark.parametrize("offset,size", [(0, (4,)), (3, (2, 2)), (100, (3,))])
def test_pth_stored_and_deflated_give_the_same_values(tmp_path, offset, size):
    """Span reading against the reference: the whole storage read with numpy."""
    from minispore.train.converters import load_pytorch
    values = np.arange(128, dtype=np.float32) * 1.5
    pkl = tensor_pickle(numel=128, offset=offset, size=size,
                        stride=tuple(int(np.prod(size[i + 1:])) for i in range(len(size))))
    want = values[offset:offset + int(np.prod(size))].reshape(size)
    for compress in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        path = str(tmp_path / f"t{compress}.pth")
        with zipfile.ZipFile(path, "w", compress) as z:
            z.writestr("archive/data.pkl", pkl)
            z.writestr("archive/byteorder", b"little")
            z.writestr("archive/data/0", values.tobytes())
        np.testing.assert_array_equal(load_pytorch(path)["w"]._data, want)


def _mnist_gz(folder, count_declared, body_bytes):
    os.makedirs(folder, exist_ok=True)
    img = os.path.join(folder, "train-images-idx3-ubyte.gz")
    with gzip.open(img, "wb", compresslevel=1) as f:
        f.write(struct.pack(">IIII", 2051, count_declared, 28, 28))
        chunk = bytes(_MB)
        for _ in range(body_bytes // _MB):
            f.write(chunk)
        f.write(bytes(body_bytes % _MB))
    with gzip.open(os.path.join(folder, "train-labels-idx1-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">II", 2049, count_declared) + bytes(count_declared))
    return img


@pytest.mark.parametrize("declared,body_mb", [(10, 256), (1000, 256), (100_000, 1)])
def test_mnist_gz_longer_or_shorter_than_declared(tmp_path, declared, body_mb):
    """A body of 256 MiB behind a header promising 10 or 1000 images is refused after reading
    the promised bytes + 1; a header promising 100k images over 1 MiB is refused after 1 MiB."""
    folder = str(tmp_path / "m")
    _mnist_gz(folder, declared, body_mb * _MB)
    out, growth = _peak_rss_growth_mib(
        "import minispore.dataset as ds\n"
        "try:\n    list(ds.MnistDataset(%r).create_tuple_iterator(num_epochs=1))\n"
        "except RuntimeError as e:\n    print('refused', e)\n" % folder)
    assert out.startswith("refused") and "train-images-idx3-ubyte.gz" in out
    assert ("holds more" in out) == (body_mb * _MB > declared * 784)
    assert growth < 48, f"grew RSS by {growth} MiB for {declared} declared images"
