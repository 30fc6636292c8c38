"""Hostile and damaged files: one clear ValueError naming the file, bounded time, nothing loaded."""
import os
import time

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minispore.train import _ckpt_codec as codec
from minispore.train import load_checkpoint, load_param_into_net, save_checkpoint
from minispore.train._ckpt_reader import read_checkpoint
from minispore import nn, Parameter, Tensor


def _small_file(tmp_path, crc=False):
    path = str(tmp_path / "small.ckpt")
    save_checkpoint({"fc1.weight": np.arange(6, dtype=np.float32).reshape(2, 3),
                     "step": np.array(3, np.int64), "note": "ok"}, path, crc_check=crc)
    with open(path, "rb") as f:
        return path, f.read()


def _write(tmp_path, data, name="bad.ckpt"):
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def _boundaries(data):
    """Offsets where a top-level record ends."""
    out, pos = [], 0
    while pos < len(data) and data[pos] == 0x0A:
        n, k, shift = 0, pos + 1, 0
        while True:
            b = data[k]
            n |= (b & 0x7F) << shift
            k += 1
            shift += 7
            if not b & 0x80:
                break
        pos = k + n
        out.append(pos)
    return out


@pytest.mark.parametrize("crc", [False, True])
def test_truncated_at_every_byte(tmp_path, crc):
    path, data = _small_file(tmp_path, crc)
    body_end = len(data) - (17 if crc else 0)
    bounds = set(_boundaries(data[:body_end]))
    for cut in range(len(data)):
        bad = _write(tmp_path, data[:cut])
        if cut == 0:
            with pytest.raises(ValueError, match="empty"):
                load_checkpoint(bad)
            continue
        if cut in bounds and not crc:
            got = load_checkpoint(bad)          # undetectable without a CRC, as in MindSpore
            assert len(got) == sorted(bounds).index(cut) + 1
            continue
        with pytest.raises(ValueError) as info:
            load_checkpoint(bad, crc_check=crc)
        msg = str(info.value)
        assert os.path.abspath(bad) in msg
        if cut in bounds or cut >= body_end:
            assert "CRC" in msg or "trailer" in msg
        else:
            assert "truncated" in msg, msg


def test_cut_at_record_boundary_detected_with_crc_check(tmp_path):
    _, data = _small_file(tmp_path, crc=True)
    cut = _boundaries(data)[1]
    bad = _write(tmp_path, data[:cut])
    assert len(load_checkpoint(bad)) == 2                   # without asking: as MindSpore
    with pytest.raises(ValueError, match="no CRC trailer"):
        load_checkpoint(bad, crc_check=True)


def test_wrong_crc_is_corruption_not_truncation(tmp_path):
    _, data = _small_file(tmp_path, crc=True)
    flipped = bytearray(data)
    flipped[data.index(b"Float32") + 12] ^= 0x01            # one bit in fc1.weight's values
    bad = _write(tmp_path, bytes(flipped))
    for crc_check in (False, True):                          # verified whenever present
        with pytest.raises(ValueError, match=r"CRC mismatch: stored \d+, computed \d+") as info:
            load_checkpoint(bad, crc_check=crc_check)
        assert "truncated" not in str(info.value) and os.path.abspath(bad) in str(info.value)


def test_unknown_and_unloadable_tensor_types(tmp_path):
    for ttype in ("Complex64", "Int4", "Float8E4M3FN"):
        bad = _write(tmp_path, codec.encode_entry("x", ttype, (1,), b"\0" * codec.TYPE_ITEMSIZE[ttype]))
        with pytest.raises(ValueError, match=f"^'{ttype}'\nFor 'load_checkpoint', failed to load"):
            load_checkpoint(bad)
    bad = _write(tmp_path, codec.encode_entry("x", "Float128", (1,), b"\0" * 16))
    with pytest.raises(ValueError, match="unknown tensor_type 'Float128' for 'x'"):
        load_checkpoint(bad)


def test_content_length_must_match_dims(tmp_path):
    bad = _write(tmp_path, codec.encode_entry("w", "Float32", (3, 2), b"\0" * 20))
    with pytest.raises(ValueError, match=r"'w'.*dims \[3, 2\].*need 24 bytes.*has 20"):
        load_checkpoint(bad)


def test_header_claiming_huge_sizes_is_bounded(tmp_path):
    """Lengths of 2**62 and dims of 2**40 are rejected before any allocation."""
    cases = [b"\x0a" + codec.encode_varint(1 << 62) + b"\x0a\x01w",
             codec.entry_header("w", "Float32", (1 << 40, 1 << 40), 8) + b"\0" * 8,
             codec.entry_header("w", "Float32", (4,), 1 << 50) + b"\0" * 16,
             b"\x0a\x05\x0a" + codec.encode_varint(1 << 30) + b"ab",
             b"\x0a\x0b" + b"\xff" * 11]
    for i, data in enumerate(cases):
        bad = _write(tmp_path, data, f"huge{i}.ckpt")
        t = time.perf_counter()
        with pytest.raises(ValueError) as info:
            load_checkpoint(bad)
        assert time.perf_counter() - t < 1.0
        assert os.path.abspath(bad) in str(info.value)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(min_size=1, max_size=300))
def test_random_bytes_give_value_error_or_valid_dict(tmp_path_factory, data):
    bad = _write(tmp_path_factory.mktemp("r"), data)
    try:
        got = read_checkpoint(bad)
    except ValueError as exc:
        assert os.path.abspath(bad) in str(exc)
    else:
        for name, ttype, value in got:
            assert isinstance(name, str)


@settings(max_examples=150, deadline=None)
@given(pos=st.integers(0, 10_000), byte=st.integers(0, 255))
def test_single_byte_mutations(tmp_path_factory, pos, byte):
    d = tmp_path_factory.mktemp("m")
    _, data = _small_file(d)
    data = bytearray(data)
    data[pos % len(data)] = byte
    bad = _write(d, bytes(data))
    try:
        read_checkpoint(bad)
    except ValueError as exc:
        assert os.path.abspath(bad) in str(exc)


def test_text_file_and_message_start(tmp_path):
    bad = _write(tmp_path, b"this is not a checkpoint\n")
    with pytest.raises(ValueError, match="Failed to read the checkpoint file .*cannot be parsed"):
        load_checkpoint(bad)


def test_nothing_half_loaded_when_a_later_record_is_bad(tmp_path):
    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.a = Parameter(Tensor(np.zeros(2, np.float32)), name="a")
            self.b = Parameter(Tensor(np.zeros(2, np.float32)), name="b")

    good = codec.encode_entry("a", "Float32", (2,), np.float32([1, 2]).tobytes())
    bad = _write(tmp_path, good + codec.encode_entry("b", "Float32", (2,), b"\0" * 8)[:-3])
    net = Net()
    with pytest.raises(ValueError, match="truncated"):
        load_checkpoint(bad, net=net)
    assert net.a.asnumpy().tolist() == [0, 0]
    net2 = Net()
    with pytest.raises(RuntimeError):
        load_param_into_net(net2, {"a": Parameter(Tensor(np.ones(2, np.float32)), name="a"),
                                   "b": Parameter(Tensor(np.ones(3, np.float32)), name="b")})
    assert net2.a.asnumpy().tolist() == [0, 0]


def test_maptensor_and_missing_tensor_rejected(tmp_path):
    bad = _write(tmp_path, b"\x0a\x05\x0a\x01m\x1a\x00")
    with pytest.raises(ValueError, match="MapTensor"):
        load_checkpoint(bad)
    bad = _write(tmp_path, b"\x0a\x03\x0a\x01m")
    with pytest.raises(ValueError, match="has no tensor"):
        load_checkpoint(bad)
