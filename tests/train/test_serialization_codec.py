"""The .ckpt codec against protobuf as an independent oracle, and hypothesis round trips."""
import os

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

from minispore import Parameter, Tensor
from minispore.common import dtype as mstype
from minispore.train import _ckpt_codec as codec, checkpoint_pb2 as pb
from minispore.train import load_checkpoint, save_checkpoint

NUMERIC = ["Float16", "Float32", "Float64", "BFloat16", "Int8", "Int16", "Int32", "Int64",
           "UInt8", "UInt16", "UInt32", "UInt64", "Bool"]


def _pb_bytes(entries):
    """What protobuf writes for the same values: one Checkpoint message per value, concatenated."""
    out = b""
    for name, ttype, dims, content in entries:
        msg = pb.Checkpoint()
        v = msg.value.add()
        v.tag = name
        v.tensor.dims.extend(dims)
        v.tensor.tensor_type = ttype
        v.tensor.tensor_content = bytes(content)
        out += msg.SerializeToString()
    return out


def _arrays(ttype):
    dt = codec.NUMPY_DTYPE[ttype]
    return hnp.arrays(dt, hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=5),
                      elements=None if dt.kind != "f" else st.floats(width=dt.itemsize * 8,
                                                                     allow_nan=True))


@pytest.mark.parametrize("ttype", NUMERIC)
@given(data=st.data(), name=st.text(min_size=1, max_size=20))
def test_entry_bytes_equal_protobuf_and_round_trip(tmp_path_factory, ttype, data, name):
    arr = data.draw(_arrays(ttype))
    dims, content = codec.array_entry(arr, ttype)
    ours = codec.encode_entry(name, ttype, dims, content)
    assert ours == _pb_bytes([(name, ttype, dims, content.tobytes())])
    parsed = pb.Checkpoint.FromString(ours)
    assert parsed.value[0].tag == name and list(parsed.value[0].tensor.dims) == list(arr.shape)
    path = str(tmp_path_factory.mktemp("rt") / "x.ckpt")
    value = Tensor._make(np.array(arr), mstype.type_from_string(ttype))
    save_checkpoint({name: value}, path)
    with open(path, "rb") as f:
        assert f.read() == ours
    got = load_checkpoint(path)[name]
    assert str(got.dtype) == ttype and got.shape == arr.shape
    assert got.asnumpy().tobytes() == arr.tobytes()          # bit-exact, NaN payloads included


@given(s=st.text(max_size=50).filter(lambda t: not t.endswith("\x00")))
def test_str_round_trip_and_protobuf(tmp_path_factory, s):
    dims, content = codec.str_entry(s)
    ours = codec.encode_entry("s", "str", dims, content)
    assert ours == _pb_bytes([("s", "str", [0], s.encode("utf-32-le"))])
    path = str(tmp_path_factory.mktemp("s") / "s.ckpt")
    save_checkpoint({"s": s, "x": np.ones(2, np.float32)}, path)
    assert load_checkpoint(path)["s"] == s


def test_scalars_have_no_dims_and_legacy_dim0_means_scalar(tmp_path):
    body = codec.encode_entry("a", "Float32", (), np.float32(1.5).tobytes())
    assert b"\x08" not in body[:body.index(b"Float32")][5:]
    legacy = codec.encode_entry("b", "Int32", (0,), np.int32(7).tobytes())
    (tmp_path / "l.ckpt").write_bytes(body + legacy)
    got = load_checkpoint(str(tmp_path / "l.ckpt"))
    assert got["a"].shape == () and float(got["a"].asnumpy()) == 1.5
    assert got["b"].shape == () and int(got["b"].asnumpy()) == 7


def test_protobuf_parses_a_whole_file_with_every_dtype(tmp_path):
    rng = np.random.default_rng(0)
    values = {t: Tensor._make(rng.integers(0, 2, (3, 2)).astype(codec.NUMPY_DTYPE[t]),
                              mstype.type_from_string(t)) for t in NUMERIC}
    values["note"] = "hé"
    save_checkpoint(values, str(tmp_path / "all.ckpt"), crc_check=True)
    data = (tmp_path / "all.ckpt").read_bytes()
    assert data[-17:-10] == b"crc_num"
    msg = pb.Checkpoint.FromString(data[:-17])
    assert [v.tag for v in msg.value] == list(values)
    assert [v.tensor.tensor_type for v in msg.value] == NUMERIC + ["str"]
    import zlib
    assert int.from_bytes(data[-10:], "big") == zlib.crc32(data[:-17])


def test_chunking_like_mindspore(tmp_path, monkeypatch):
    """Over CHUNK_BYTES a value becomes same-tag entries with full dims; loading joins them."""
    monkeypatch.setattr(codec, "CHUNK_BYTES", 64)
    arr = np.arange(50, dtype=np.float32).reshape(5, 10)           # 200 bytes -> 64+64+64+8
    save_checkpoint({"w": arr, "b": np.ones(3, np.float32)}, str(tmp_path / "c.ckpt"))
    msg = pb.Checkpoint.FromString((tmp_path / "c.ckpt").read_bytes())
    assert [v.tag for v in msg.value] == ["w"] * 4 + ["b"]
    assert all(list(v.tensor.dims) == [5, 10] for v in msg.value[:4])
    assert b"".join(v.tensor.tensor_content for v in msg.value[:4]) == arr.tobytes()
    got = load_checkpoint(str(tmp_path / "c.ckpt"))
    assert np.array_equal(got["w"].asnumpy(), arr) and list(got) == ["w", "b"]


def test_protobuf_written_chunks_and_repeats_load(tmp_path):
    """Hand-made (protobuf) file: consecutive same tag joins; a later repeat replaces in place."""
    f = tmp_path / "h.ckpt"
    f.write_bytes(_pb_bytes([("w", "Float32", [4], np.float32([1, 2]).tobytes()),
                             ("w", "Float32", [4], np.float32([3, 4]).tobytes()),
                             ("z", "Int8", [1], b"\x05"),
                             ("w", "Float32", [1], np.float32([9]).tobytes())]))
    got = load_checkpoint(str(f))
    assert list(got) == ["w", "z"] and got["w"].asnumpy().tolist() == [9.0]
    f.write_bytes(_pb_bytes([("w", "Float32", [4], np.float32([1, 2]).tobytes()),
                             ("w", "Float32", [4], np.float32([3, 4]).tobytes())]))
    assert load_checkpoint(str(f))["w"].asnumpy().tolist() == [1, 2, 3, 4]


def test_bfloat16_bits_exact(tmp_path):
    bits = np.array([0x3F80, 0x7FC1, 0xFF80, 0x0001, 0x8000], np.uint16)   # 1, NaN payload, -inf
    save_checkpoint({"b": Tensor._make(bits, mstype.bfloat16)}, str(tmp_path / "b.ckpt"))
    got = load_checkpoint(str(tmp_path / "b.ckpt"))["b"]
    assert got.dtype is mstype.bfloat16 and got.asnumpy().tolist() == bits.tolist()


def test_loaded_parameters_do_not_alias_the_file(tmp_path):
    save_checkpoint({"w": np.ones((4, 4), np.float32)}, str(tmp_path / "w.ckpt"))
    p = load_checkpoint(str(tmp_path / "w.ckpt"))["w"]
    base = p.asnumpy()
    while base.base is not None:
        base = base.base
    assert isinstance(base, np.ndarray) and base.flags.owndata and p.asnumpy().flags.writeable
    os.chmod(tmp_path / "w.ckpt", 0o600)
    os.remove(tmp_path / "w.ckpt")
    p.asnumpy()[:] = 2
    assert float(p.asnumpy().sum()) == 32.0
    assert isinstance(p, Parameter)
