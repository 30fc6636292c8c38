"""Hostile and fuzzed inputs: the torch reader must refuse them with its own errors, run nothing.

The corpus comes from ``hostile_pth.py`` (generated, not committed). Every code payload tries to
create a sentinel file; the tests assert it never appears and that only ``ConversionError``
subclasses escape (``UnsafePickleError`` for code, ``CorruptFileError``/``ConversionError`` else).
"""
import io
import os
import time
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hostile_pth import code_payloads, structural_payloads, tensor_pickle, torch_zip
from minispore.train.converters import (ConversionError, CorruptFileError, Limits,
                                        UnsafePickleError, load_pytorch)

GOLDEN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden", "pth")


def _ids(cases):
    return [c[0] for c in cases]


_CODE = code_payloads("SENTINEL_PLACEHOLDER")


@pytest.mark.parametrize("name", _ids(_CODE))
def test_code_payloads_refused_without_side_effect(name, tmp_path):
    sentinel = tmp_path / "sentinel"
    data = dict(code_payloads(sentinel))[name]
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with pytest.raises(UnsafePickleError) as info:
            load_pytorch(data)
    finally:
        os.chdir(cwd)
    assert not sentinel.exists()
    assert "data.pkl" in str(info.value)      # names the entry
    assert os.listdir(tmp_path) == []        # nothing else was created either


def test_refusal_names_the_global(tmp_path):
    data = dict(code_payloads(tmp_path / "s"))["os_system_p2"]
    with pytest.raises(UnsafePickleError, match=r"global '(posix|nt)\.system' is not allowed"):
        load_pytorch(data)
    data = dict(code_payloads(tmp_path / "s"))["stack_global_memo_overwrite"]
    with pytest.raises(UnsafePickleError, match=r"system"):
        load_pytorch(data)


_STRUCT = structural_payloads()


@pytest.mark.parametrize("name", _ids(_STRUCT))
def test_structural_payloads_refused(name):
    data = dict(_STRUCT)[name]
    t0 = time.perf_counter()
    with pytest.raises(ConversionError):   # limits scaled down so the DoS cases stay fast
        load_pytorch(data, limits=Limits(max_opcodes=300_000, max_stack=100_000))
    assert time.perf_counter() - t0 < 10


def test_storage_bounds_message_names_tensor_and_entry():
    bad = torch_zip(tensor_pickle(size=(3,), name="fc.weight"), {"0": b"\0" * 8})
    with pytest.raises(CorruptFileError, match=r"tensor 'fc.weight'.*element 2.*has 2"):
        load_pytorch(bad)
    bad = torch_zip(tensor_pickle(numel=1000), {"0": b"\0" * 8})
    with pytest.raises(CorruptFileError, match=r"archive/data/0.*8 bytes.*4000"):
        load_pytorch(bad)


def test_valid_handmade_file_loads():
    """The corpus builder makes loadable files when the numbers are honest (so refusals above are
    about the hostile part, not the builder)."""
    good = torch_zip(tensor_pickle(numel=4, offset=1, size=(2,), stride=(2,)),
                     {"0": b"\0\0\x80\x3f" * 4})
    out = load_pytorch(good)
    assert out["w"].shape == (2,) and out["w"]._data.tolist() == [1.0, 1.0]


def test_pickle_size_limit():
    data = torch_zip(b"\x80\x02N" + b"0N" * 5000 + b".", compress=zipfile.ZIP_DEFLATED)
    with pytest.raises(CorruptFileError, match="more than the 1024 allowed"):
        load_pytorch(data, limits=Limits(max_pickle_bytes=1024))


def test_output_cap_against_stride_zero_expansion():
    data = torch_zip(tensor_pickle(size=(1000, 1000), stride=(0, 0)), {"0": b"\0" * 8})
    with pytest.raises(CorruptFileError, match="materializing more than"):
        load_pytorch(data, limits=Limits(max_output_bytes=1 << 20))
    assert load_pytorch(data)["w"].shape == (1000, 1000)   # 4 MB < default cap (2x file + 64 MiB)


def _golden_bytes(case):
    with open(os.path.join(GOLDEN, case + ".pth"), "rb") as f:
        return f.read()


@pytest.mark.parametrize("case", ["views", "legacy"])
def test_truncated_at_every_byte(case):
    data = _golden_bytes(case)
    step = 1 if case == "legacy" else 7
    for n in range(0, len(data) - 1, step):
        with pytest.raises(ConversionError):
            load_pytorch(data[:n])


def _repack(data, new_pkl):
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            body = new_pkl if info.filename.endswith("/data.pkl") else src.read(info)
            dst.writestr(info.filename, body)
    return buf.getvalue()


def _pkl_of(data):
    z = zipfile.ZipFile(io.BytesIO(data))
    return z.read(next(n for n in z.namelist() if n.endswith("/data.pkl")))


def _load_or_own_error(data):
    t0 = time.perf_counter()
    try:
        load_pytorch(data, skip_non_tensors=True)
    except ConversionError:
        pass
    assert time.perf_counter() - t0 < 5


_mutation = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1,
                     max_size=8)


@settings(max_examples=150, deadline=None)
@given(case=st.sampled_from(["dtypes", "views", "protocol4", "nested"]), muts=_mutation)
def test_fuzz_mutated_pickle(case, muts):
    """Byte flips inside data.pkl (rezipped, so the zip CRC does not mask them)."""
    data = _golden_bytes(case)
    pkl = bytearray(_pkl_of(data))
    for pos, val in muts:
        pkl[pos % len(pkl)] = val
    _load_or_own_error(_repack(data, bytes(pkl)))


@settings(max_examples=100, deadline=None)
@given(case=st.sampled_from(["dtypes", "legacy", "parameter"]), muts=_mutation,
       cut=st.integers(0, 10**6))
def test_fuzz_mutated_file(case, muts, cut):
    """Raw byte flips and truncation of whole files (zip and legacy)."""
    data = bytearray(_golden_bytes(case))
    for pos, val in muts:
        data[pos % len(data)] = val
    if cut % 3 == 0:
        data = data[:cut % len(data)]
    _load_or_own_error(bytes(data))


_big = st.one_of(st.integers(0, 6), st.integers(2**31 - 2, 2**31 + 2), st.integers(2**47, 2**64))


@settings(max_examples=200, deadline=None)
@given(numel=_big, offset=_big, size=st.lists(_big, max_size=3), data=st.data())
def test_fuzz_rebuild_arguments(numel, offset, size, data):
    """Arbitrary numel/offset/size/stride: either torch's strided semantics or our own error."""
    import numpy as np
    stride = tuple(data.draw(st.lists(_big, min_size=len(size), max_size=len(size))))
    storage = np.arange(min(numel, 64), dtype=np.float32)
    blob = torch_zip(tensor_pickle(numel=numel, offset=offset, size=tuple(size), stride=stride),
                     {"0": storage.tobytes()})
    try:
        got = load_pytorch(blob)["w"]._data
    except ConversionError:
        return
    if 0 in size:
        assert got.shape == tuple(size) and got.size == 0
        return
    idx = np.full(tuple(size), offset, dtype=np.int64)
    for axis, (n, s) in enumerate(zip(size, stride)):
        shape = [1] * len(size)
        shape[axis] = n
        idx = idx + (np.arange(n) * s).reshape(shape)
    np.testing.assert_array_equal(got, storage[idx])
