"""Issue 15 (4, 6, 7, 10): ``minispore-ckpt verify`` says OK exactly when ``load_checkpoint``
loads; every bad file gives one ValueError naming the file (and record/offset); the CRC trailer
is found by the record structure, not a byte pattern; odd names survive safetensors."""
import os
import threading
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minispore.train import _ckpt_codec as codec
from minispore.train import load_checkpoint, save_checkpoint
from _cli_helpers import run


def _entries(*items):
    return b"".join(codec.encode_entry(n, t, d, c) for n, t, d, c in items)


def _with_crc(body):
    return body + codec.crc_trailer(zlib.crc32(body))


_OK = codec.encode_entry("w", "Float32", (2,), np.arange(2, dtype="<f4").tobytes())

CORPUS = {
    "valid": _OK,
    "valid_crc": _with_crc(_OK),
    "empty": b"",
    "crc_trailer_only": _with_crc(b""),
    "zero_size_overflow_dims": _entries(("w", "Float32", (0, 1 << 62, 1 << 62), b"")),
    "zero_size_overflow_one_dim": _entries(("w", "Float32", (0, (1 << 63) - 1), b"")),
    "valid_zero_size_largest_dim": _entries(("w", "Int8", (0, (1 << 63) - 1), b"")),
    "complex64": _entries(("w", "Complex64", (1,), b"\0" * 8)),
    "int4": _entries(("w", "Int4", (2,), b"\0" * 2)),
    "unknown_type": _entries(("w", "Float33", (1,), b"\0" * 4)),
    "65_dims": _entries(("w", "UInt8", (1,) * 65, b"\0")),
    "junk_after_valid": _OK + b"\x00junk",
    "bad_crc": _OK + codec.crc_trailer(12345),
    "str_bad_utf32": _entries(("s", "str", (0,), b"\xff\xff\xff\xff")),
    "valid_str": _entries(("s", "str", (0,), "hé".encode("utf-32-le"))) + _OK,
}


def _loads(path):
    try:
        load_checkpoint(path)
        return True, ""
    except ValueError as exc:
        return False, str(exc)


def _verify(capsys, path):
    code, out, err = run(capsys, "verify", path)
    assert code in (0, 1), err
    return code == 0, err


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_verify_agrees_with_the_loader(tmp_path, capsys, name):
    path = str(tmp_path / f"{name}.ckpt")
    with open(path, "wb") as f:
        f.write(CORPUS[name])
    loaded, msg = _loads(path)
    verified, err = _verify(capsys, path)
    assert loaded == verified, (msg, err)
    assert loaded == name.startswith("valid")
    if not loaded:
        assert path in msg and path in err        # both name the file
        assert "numpy" not in msg.lower() and "Traceback" not in msg


@settings(max_examples=60, deadline=None,   # run() drains capsys on every call
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 200), flips=st.lists(st.tuples(st.integers(0, 199), st.integers(1, 255)),
                                                max_size=3), crc=st.booleans(),
       tail=st.binary(max_size=20))
def test_verify_agrees_with_the_loader_on_mutated_files(tmp_path_factory, capsys, cut, flips,
                                                         crc, tail):
    """The class: random cuts, byte flips and appended bytes of a valid file."""
    body = _entries(("a.weight", "Float32", (3, 2), np.arange(6, dtype="<f4").tobytes()),
                    ("b", "UInt8", (4,), b"\1\2\3\4"), ("s", "str", (0,), "x".encode("utf-32-le")))
    data = bytearray(_with_crc(body) if crc else body)
    for at, x in flips:
        if at < len(data):
            data[at] ^= x
    data = bytes(data[:cut]) + tail if cut < len(data) else bytes(data) + tail
    path = str(tmp_path_factory.mktemp("m") / "m.ckpt")
    with open(path, "wb") as f:
        f.write(data)
    loaded, msg = _loads(path)
    verified, err = _verify(capsys, path)
    assert loaded == verified, (msg, err)


def test_overflowing_dims_name_file_record_and_offset(tmp_path):
    path = str(tmp_path / "o.ckpt")
    with open(path, "wb") as f:
        f.write(_OK + _entries(("big", "Float32", (0, 1 << 62, 1 << 62), b"")))
    with pytest.raises(ValueError, match=r"record 'big' at byte %d: dims .* overflow" % len(_OK)) \
            as info:
        load_checkpoint(path)
    assert path in str(info.value)


def test_fifo_named_ckpt_does_not_block(tmp_path, capsys):
    fifo = str(tmp_path / "pipe.ckpt")
    os.mkfifo(fifo)
    result = {}

    def attempt():
        result["load"] = _loads(fifo)
        result["verify"] = _verify(capsys, fifo)
        result["inspect"] = run(capsys, "inspect", fifo)[0]
    t = threading.Thread(target=attempt, daemon=True)
    t.start()
    t.join(30)
    if t.is_alive():                     # unblock the reader so the test process can finish
        with open(fifo, "wb"):
            pass
        pytest.fail("opening a FIFO named .ckpt blocked")
    assert result["load"][0] is False and "FIFO" in result["load"][1]
    assert result["verify"][0] is False and result["inspect"] == 1


def test_dev_zero_is_refused(capsys):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero on this system")
    from minispore.train._ckpt_reader import CheckpointError, read_checkpoint
    with pytest.raises(CheckpointError, match="device"):
        read_checkpoint("/dev/zero")


# ---- 7: the CRC trailer is recognised by structure ---------------------------------------------
@pytest.mark.parametrize("crc", [False, True])
@pytest.mark.parametrize("digits", [b"0000000000", b"\xff" * 10, b"1234567890"])
def test_uint8_tensor_ending_like_a_trailer_round_trips(tmp_path, crc, digits):
    tricky = np.frombuffer(b"prefix" + codec.CRC_MAGIC + digits, np.uint8).copy()
    path = str(tmp_path / "t.ckpt")
    save_checkpoint({"a": np.ones(2, np.float32), "last": tricky}, path, crc_check=crc)
    got = load_checkpoint(path, crc_check=crc)
    assert got["last"].asnumpy().tobytes() == tricky.tobytes()


@settings(max_examples=40, deadline=None)
@given(payload=st.binary(min_size=0, max_size=40), crc=st.booleans())
def test_any_last_uint8_payload_round_trips(tmp_path_factory, payload, crc):
    arr = np.frombuffer(payload + codec.CRC_MAGIC + payload[:10].ljust(10, b"\0"), np.uint8).copy()
    path = str(tmp_path_factory.mktemp("c") / "c.ckpt")
    save_checkpoint({"last": arr}, path, crc_check=crc)
    assert load_checkpoint(path)["last"].asnumpy().tobytes() == arr.tobytes()


# ---- 6 / 10: safetensors ----------------------------------------------------------------------
def _safetensors(header_json, data=b""):
    head = header_json.encode()
    head += b" " * (-len(head) % 8)
    return len(head).to_bytes(8, "little") + head + data


@pytest.mark.parametrize("shape,nbytes", [([1] * 65, 1), ([0, 1 << 62, 1 << 62], 0),
                                          ([1 << 40, 0, 1 << 40], 0)])
def test_safetensors_bad_shapes_give_one_value_error(tmp_path, shape, nbytes):
    import json
    path = str(tmp_path / "x.safetensors")
    with open(path, "wb") as f:
        f.write(_safetensors(json.dumps({"w": {"dtype": "U8", "shape": shape,
                                               "data_offsets": [0, nbytes]}}), b"\0" * nbytes))
    with pytest.raises(ValueError, match="'w'") as info:
        load_checkpoint(path, format="safetensors")
    assert path in str(info.value)


@pytest.mark.parametrize("name", ["format", "minispore.str:format", "__metadata", "w"])
def test_str_entries_with_reserved_names_survive_safetensors(tmp_path, capsys, name):
    path = str(tmp_path / "s.safetensors")
    values = {"t": np.arange(3, dtype=np.float32), name: "hello"} if name != "w" else \
        {"w": np.ones(1, np.float32), "format_note": "hi"}
    save_checkpoint(values, path, format="safetensors")
    got = load_checkpoint(path, format="safetensors")
    assert set(got) == set(values)
    for k, v in values.items():
        assert (got[k] == v) if isinstance(v, str) else got[k].asnumpy().tolist() == v.tolist()
    code, out, _ = run(capsys, "inspect", path, "--json")
    import json
    assert code == 0 and {e["name"] for e in json.loads(out)["entries"]} == set(values)


# ---- 8: many tiny records ---------------------------------------------------------------------
def test_inspect_many_repeated_names(tmp_path, capsys):
    """30k records, 15k of them one repeated name: the duplicate count is linear (the old
    list.count version did 9e8 comparisons here)."""
    import json
    path = str(tmp_path / "dups.ckpt")
    with open(path, "wb") as f:
        for i in range(30_000):
            f.write(codec.encode_entry("dup" if i % 2 else f"u{i}", "UInt8", (1,), b"\1"))
    code, out, _ = run(capsys, "inspect", path, "--json")
    doc = json.loads(out)
    assert code == 0 and doc["duplicates"] == ["dup"] and doc["totals"]["entries"] == 30_000


def test_many_tiny_records_load_in_bounded_memory_per_record(tmp_path):
    """200k one-byte records (4.6 MB): values right, peak RSS growth per record bounded (a
    fresh process measures it; the loaded dict itself costs a Parameter per record)."""
    import subprocess
    import sys
    n = 200_000
    path = str(tmp_path / "tiny.ckpt")
    with open(path, "wb") as f:
        for i in range(n):
            f.write(codec.encode_entry(f"p{i}", "UInt8", (1,), bytes([i % 251])))
    code = ("import resource, sys\nfrom minispore.train import load_checkpoint\n"
            "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            f"d = load_checkpoint({path!r})\n"
            f"assert len(d) == {n} and all(int(d[f'p{{i}}'].asnumpy()[0]) == i % 251 "
            f"for i in range(0, {n}, 997))\n"
            "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) * 1024)\n")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                       env=dict(os.environ, PYTHONPATH=root))
    assert r.returncode == 0, r.stderr[-2000:]
    per_record = int(r.stdout.split()[-1]) / n
    assert per_record < 1500, f"{per_record:.0f} bytes of peak RSS per 23-byte record"


# ---- 10: convert writes exactly where it says -------------------------------------------------
@pytest.mark.parametrize("out_name", ["OUT.CKPT", "out.Ckpt", "x.SafeTensors", "y.NPZ", "z.ckpt"])
def test_convert_writes_the_printed_path_whatever_the_suffix_case(tmp_path, capsys, out_name):
    src = str(tmp_path / "a.ckpt")
    save_checkpoint({"w": np.arange(3, dtype=np.float32), "s": "note"}, src)
    out = str(tmp_path / out_name)
    code, stdout, _ = run(capsys, "convert", src, out)
    assert code == 0 and f"wrote {out} " in stdout
    assert sorted(os.listdir(tmp_path)) == sorted(["a.ckpt", out_name])
    code, _, _ = run(capsys, "diff", src, out)
    assert code == 0
