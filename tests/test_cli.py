"""``minispore-ckpt`` / ``python -m minispore.ckpt``: inspect, verify, diff, convert (issue #7).

Most tests call ``minispore.cli.main(argv)`` in-process (fast) and check stdout, the one-line
stderr and the exit code (0 ok, 1 checked and found bad / different, 2 usage or I/O error).
"""
import io
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

from minispore import cli
from minispore.train import _ckpt_codec as codec
from minispore.train import _ckpt_reader as reader
from minispore.train.converters import load_pytorch
from minispore.train.serialization import load_checkpoint, save_checkpoint

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")
PTH = os.path.join(GOLDEN, "pth")


def run(capsys, *argv):
    """(exit code, stdout, stderr) of the CLI; stderr must never hold a traceback."""
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if code and err:
        assert err.count("\n") == 1 and err.startswith("minispore-ckpt: error: "), err
    if code == 2:
        assert err
    return code, out, err


def lenet_like(rng):
    """Values in MindSpore's save order (not sorted), several dtypes."""
    return {"conv1.weight": rng.standard_normal((6, 1, 5, 5)).astype(np.float32),
            "fc1.weight": rng.standard_normal((12, 40)).astype(np.float32),
            "fc1.bias": rng.standard_normal(12).astype(np.float32),
            "global_step": np.array([7], dtype=np.int32),
            "learning_rate": np.array(0.01, dtype=np.float32)}


@pytest.fixture
def ckpt(tmp_path, rng):
    path = tmp_path / "net.ckpt"
    values = lenet_like(rng)
    save_checkpoint(values, str(path))
    return path, values


# ---- inspect -----------------------------------------------------------------------------------
def test_inspect_table_lists_names_dtypes_shapes_sizes_and_totals(capsys, ckpt):
    path, values = ckpt
    code, out, _ = run(capsys, "inspect", path)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"{path} (ckpt, {os.path.getsize(path)} bytes)"
    assert lines[1].split() == ["name", "dtype", "shape", "elements", "bytes"]
    assert lines[2].split() == ["conv1.weight", "Float32", "[6,", "1,", "5,", "5]", "150", "600"]
    assert lines[5].split() == ["global_step", "Int32", "[1]", "1", "4"]
    assert lines[6].split() == ["learning_rate", "Float32", "[]", "1", "4"]
    n = sum(v.size for v in values.values())
    assert f"entries: 5  parameters: {n}  tensor bytes: {4 * n} " in out
    assert f"file size: {os.path.getsize(path)} " in out
    assert out.rstrip().endswith("crc: no CRC trailer (saved without crc_check=True)")


def test_inspect_json_matches_what_was_saved(capsys, tmp_path, rng):
    values = {"w": rng.standard_normal((3, 4)).astype(np.float16), "step": np.array(3, np.int64),
              "mask": np.array([True, False])}
    path = tmp_path / "m.ckpt"
    save_checkpoint(values, str(path), append_dict={"note": "hi"}, crc_check=True)
    code, out, _ = run(capsys, "inspect", path, "--json")
    assert code == 0
    doc = json.loads(out)
    assert [(e["name"], e["dtype"], e["shape"]) for e in doc["entries"]] == [
        ("w", "Float16", [3, 4]), ("step", "Int64", []), ("mask", "Bool", [2]),
        ("note", "str", [])]
    assert [e["bytes"] for e in doc["entries"]] == [24, 8, 2, 8]
    assert doc["totals"] == {"entries": 4, "parameters": 15, "bytes": 42,
                             "file_size": os.path.getsize(path)}
    assert doc["crc"]["state"] == "present" and "not verified" in doc["crc"]["detail"]
    code, out, _ = run(capsys, "inspect", path, "--json", "--crc")
    assert code == 0 and json.loads(out)["crc"]["state"] == "valid"


def test_inspect_golden_files(capsys):
    expected = json.load(open(os.path.join(GOLDEN, "expected.json")))["files"]
    for fname in ("lenet_train.ckpt", "all_dtypes.ckpt", "small.safetensors", "vec300.ckpt"):
        code, out, _ = run(capsys, "inspect", os.path.join(GOLDEN, fname), "--json")
        assert code == 0, fname
        doc = json.loads(out)
        want = sorted((e["name"], e["type"], e.get("shape", []))       # str entries: no shape
                      for e in expected[fname]["entries"])
        got = sorted((e["name"], e["dtype"], e["shape"]) for e in doc["entries"])
        assert got == want, fname
        assert doc["totals"]["file_size"] == expected[fname]["size"]


def _garble_biggest_tensor(path):
    """Overwrite the content bytes of the largest tensor in place (framing stays valid)."""
    buf, size = reader.open_map(str(path))
    body_end, _ = reader.split_trailer(buf, size)
    info = max(reader.iter_tensors(buf, body_end, str(path)), key=lambda i: i.nbytes)
    buf.close()
    off, n = info.segments[0]
    os.chmod(path, 0o600)
    with open(path, "r+b") as f:
        f.seek(off)
        f.write(b"\xde\xad\xbe\xef" * (n // 4))
    return info.name


def test_inspect_reads_no_tensor_bytes_garbage_content_passes_verify_fails(capsys, tmp_path, rng):
    path = tmp_path / "c.ckpt"
    save_checkpoint(lenet_like(rng), str(path), crc_check=True)
    name = _garble_biggest_tensor(path)
    assert name == "fc1.weight"
    code, out, _ = run(capsys, "inspect", path)
    assert code == 0 and "fc1.weight" in out and "crc: present (not verified" in out
    code, _, err = run(capsys, "verify", path)
    assert code == 1 and "CRC mismatch" in err and str(path) in err
    code, out, err = run(capsys, "inspect", path, "--crc")
    assert code == 1 and "MISMATCH" in out and "MISMATCH" in err


def test_inspect_never_materializes_or_crcs(capsys, monkeypatch, tmp_path, rng):
    path = tmp_path / "c.ckpt"
    save_checkpoint(lenet_like(rng), str(path), crc_check=True)

    def boom(*a, **k):
        raise AssertionError("inspect touched tensor bytes")
    monkeypatch.setattr(reader, "materialize", boom)
    monkeypatch.setattr(reader, "body_crc", boom)
    monkeypatch.setattr(reader, "scan", boom)
    code, out, _ = run(capsys, "inspect", path)
    assert code == 0 and "fc1.weight" in out
    assert run(capsys, "inspect", path, "--json")[0] == 0


def test_inspect_sparse_terabyte_header_file(capsys, tmp_path):
    """A header declaring 1 TiB of content: inspect answers from the header alone."""
    nbytes = 1 << 40
    path = tmp_path / "huge.ckpt"
    with open(path, "wb") as f:
        f.write(codec.entry_header("big", "Float32", (nbytes // 4,), nbytes))
        f.truncate(f.tell() + nbytes)          # sparse: no disk blocks, no bytes to read
    t = time.perf_counter()
    code, out, _ = run(capsys, "inspect", path, "--json")
    elapsed = time.perf_counter() - t
    assert code == 0
    doc = json.loads(out)
    assert doc["entries"] == [{"name": "big", "dtype": "Float32", "shape": [nbytes // 4],
                               "elements": nbytes // 4, "bytes": nbytes, "chunks": 1}]
    assert doc["crc"]["state"] == "absent"
    path.unlink()
    print(f"inspect of a 1 TiB sparse checkpoint: {elapsed * 1e3:.1f} ms")


def test_inspect_and_verify_one_gigabyte_checkpoint(capsys, tmp_path):
    """Timed for the report (printed, not asserted); skipped when the disk is small."""
    if shutil.disk_usage(tmp_path).free < 4 << 30:
        pytest.skip("needs 4 GiB free disk")
    path = tmp_path / "big.ckpt"
    try:
        save_checkpoint({"w": np.zeros((1 << 28,), np.float32)}, str(path), crc_check=True)
        t0 = time.perf_counter()
        code, out, _ = run(capsys, "inspect", path)
        t1 = time.perf_counter()
        assert code == 0 and "1073741824" in out
        code, out, _ = run(capsys, "verify", path)
        t2 = time.perf_counter()
        assert code == 0 and out.startswith("OK:") and "CRC valid" in out
    finally:
        path.unlink(missing_ok=True)            # pytest keeps tmp dirs: do not leave 1 GB behind
    with capsys.disabled():
        print(f"\n1 GiB ckpt: inspect {(t1 - t0) * 1e3:.1f} ms, verify {(t2 - t1) * 1e3:.0f} ms")


# ---- verify ------------------------------------------------------------------------------------
def test_verify_ok_lines(capsys, tmp_path, rng, ckpt):
    path, values = ckpt
    code, out, _ = run(capsys, "verify", path)
    assert code == 0
    n = sum(v.size for v in values.values())
    assert out == f"OK: {path}: 5 entries, {n} parameters, {4 * n} tensor bytes, CRC absent\n"
    crc = tmp_path / "crc.ckpt"
    save_checkpoint(lenet_like(rng), str(crc), crc_check=True)
    code, out, _ = run(capsys, "verify", crc)
    assert code == 0 and out.rstrip().endswith("CRC valid")
    code, out, _ = run(capsys, "verify", os.path.join(GOLDEN, "hyperparameters_crc.ckpt"))
    assert code == 0 and "2 entries" in out


def test_verify_truncated_at_many_points_is_one_line_exit_1(capsys, tmp_path, rng):
    src = tmp_path / "full.ckpt"
    save_checkpoint(lenet_like(rng), str(src), crc_check=True)
    data = src.read_bytes()
    cut = tmp_path / "cut.ckpt"
    for n in list(range(1, 60)) + list(range(60, len(data), 97)):
        cut.write_bytes(data[:n])
        code, _, err = run(capsys, "verify", cut)
        assert code == 1, n
        assert str(cut) in err
        assert run(capsys, "inspect", cut)[0] in (0, 1)   # header-only: may still parse


def test_verify_and_inspect_name_the_broken_record(capsys, tmp_path, ckpt):
    path, _ = ckpt
    data = path.read_bytes()
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(data[:300])
    code, _, err = run(capsys, "inspect", bad)
    assert code == 1 and "truncated at byte 300" in err and "record #0" in err
    start = data.index(b"fc1.weight") - 6
    bad.write_bytes(data[:start + 40])
    code, _, err = run(capsys, "verify", bad)
    assert code == 1 and f"truncated at byte {start + 40}" in err and "record #1" in err
    bad.write_bytes(b"\x0a\xff\xff\xff\xff\x0f" + b"x" * 50)
    code, _, err = run(capsys, "verify", bad)
    assert code == 1 and "declares" in err
    bad.write_bytes(b"PK\x03\x04 not a checkpoint")
    assert run(capsys, "verify", bad)[0] == 1


# ---- diff --------------------------------------------------------------------------------------
def test_diff_identical_and_changed(capsys, tmp_path, rng, ckpt):
    a, values = ckpt
    b = tmp_path / "b.ckpt"
    save_checkpoint(values, str(b))
    code, out, _ = run(capsys, "diff", a, b)
    assert code == 0 and "identical: 5 shared (5 equal, 0 changed)" in out

    changed = dict(values)
    changed["fc1.bias"] = values["fc1.bias"] + np.float32(0.5)
    changed["conv1.weight"] = values["conv1.weight"].astype(np.float16)
    changed["global_step"] = np.array([7, 8], np.int32)
    del changed["learning_rate"]
    changed["extra"] = np.ones(2, np.float32)
    c = tmp_path / "c.ckpt"
    save_checkpoint(changed, str(c))
    code, out, _ = run(capsys, "diff", a, c)
    assert code == 1
    assert "only in A: learning_rate Float32 []" in out
    assert "only in B: extra Float32 [2]" in out
    assert "changed: fc1.bias: values: 12 of 12 elements differ, max |a-b| = 0.5" in out
    assert "changed: conv1.weight: dtype Float32 -> Float16; values:" in out
    assert "changed: global_step: shape [1] -> [2]" in out
    assert "fc1.weight" not in out.split("changed:", 1)[1].split("different:")[0]


def test_diff_tolerance(capsys, tmp_path, rng):
    w = rng.standard_normal(1000).astype(np.float32)
    a, b = tmp_path / "a.ckpt", tmp_path / "b.ckpt"
    save_checkpoint({"w": w}, str(a))
    save_checkpoint({"w": w + np.float32(1e-4)}, str(b))
    assert run(capsys, "diff", a, b)[0] == 1
    code, out, _ = run(capsys, "diff", a, b, "--atol", "1e-3")
    assert code == 0 and "within tolerance: w" in out
    assert run(capsys, "diff", a, b, "--atol", "1e-6")[0] == 1
    assert run(capsys, "diff", a, b, "--rtol", "1")[0] == 0
    assert run(capsys, "diff", a, b, "--atol", "-1")[0] == 2


def test_diff_nan_equals_nan_and_across_formats(capsys, tmp_path):
    w = np.array([1.0, np.nan, np.inf], np.float32)
    a, b = tmp_path / "a.ckpt", tmp_path / "b.safetensors"
    save_checkpoint({"w": w}, str(a))
    save_checkpoint({"w": w}, str(b), format="safetensors")
    assert run(capsys, "diff", a, b)[0] == 0
    c = tmp_path / "c.ckpt"
    save_checkpoint({"w": np.array([1.0, 2.0, np.inf], np.float32)}, str(c))
    code, out, _ = run(capsys, "diff", a, c)
    assert code == 1 and "1 of 3 elements differ, max |a-b| = nan" in out


def test_diff_reads_one_tensor_of_each_file_at_a_time(capsys, monkeypatch, tmp_path, rng):
    from minispore import _cli_formats
    a, b = tmp_path / "a.ckpt", tmp_path / "b.ckpt"
    values = lenet_like(rng)
    save_checkpoint(values, str(a))
    save_checkpoint(values, str(b))
    log = []
    orig = _cli_formats.Source.blocks

    def blocks(self, entry, elems=_cli_formats.BLOCK_ELEMS):
        for block in orig(self, entry, 100):          # small blocks: several per tensor
            log.append((os.path.basename(self.path), entry.name, block.size))
            yield block

    def no_read(self, entry):
        raise AssertionError("diff materialized a whole tensor")
    monkeypatch.setattr(_cli_formats.Source, "blocks", blocks)
    monkeypatch.setattr(_cli_formats.CkptSource, "read", no_read)
    monkeypatch.setattr(reader, "materialize", no_read)
    assert run(capsys, "diff", a, b)[0] == 0
    want = [(f, n, min(100, v.size - s)) for n, v in values.items()
            for s in range(0, v.size, 100) for f in ("a.ckpt", "b.ckpt")]
    assert log == want
    # a difference in the last block of a multi-block tensor is still found
    values["fc1.weight"] = values["fc1.weight"].copy()
    values["fc1.weight"][-1, -1] += 1
    save_checkpoint(values, str(b))
    code, out, _ = run(capsys, "diff", a, b)
    assert code == 1 and "fc1.weight: values: 1 of 480 elements differ, max |a-b| = 1" in out


# ---- convert -----------------------------------------------------------------------------------
def test_convert_round_trip_is_byte_identical(capsys, tmp_path, rng):
    # safetensors orders tensors by dtype rank then name, strs last: save in that order so the
    # .ckpt written at the end of ckpt -> safetensors -> npz -> ckpt must match byte for byte.
    values = {"step": np.array(3, np.int64),
              "w64": rng.standard_normal(3),
              "a.bias": rng.standard_normal(4).astype(np.float32),
              "a.weight": rng.standard_normal((4, 3)).astype(np.float32),
              "idx": np.arange(5, dtype=np.int32),
              "half": rng.standard_normal((2, 2)).astype(np.float16),
              "flag": np.array([True, False])}
    src = tmp_path / "src.ckpt"
    save_checkpoint(values, str(src), append_dict={"note": "hello"})
    for a, b in (("src.ckpt", "x.safetensors"), ("x.safetensors", "x.npz"), ("x.npz", "x.ckpt")):
        code, out, _ = run(capsys, "convert", tmp_path / a, tmp_path / b)
        assert code == 0 and "8 entries" in out
    assert (tmp_path / "x.ckpt").read_bytes() == src.read_bytes()
    # any order survives .npz exactly, and .safetensors up to entry order
    net = tmp_path / "net.ckpt"
    save_checkpoint(lenet_like(rng), str(net), crc_check=True)
    assert run(capsys, "convert", net, tmp_path / "n.npz")[0] == 0
    assert run(capsys, "convert", tmp_path / "n.npz", tmp_path / "n.ckpt", "--crc")[0] == 0
    assert (tmp_path / "n.ckpt").read_bytes() == net.read_bytes()
    assert run(capsys, "convert", net, tmp_path / "n.safetensors")[0] == 0
    code, out, _ = run(capsys, "diff", net, tmp_path / "n.safetensors")
    assert code == 0 and "different order" in out


def test_convert_bfloat16_through_every_format(capsys, tmp_path):
    from minispore.common import dtype as mstype
    from minispore.common.tensor import Tensor
    bits = np.array([0x3F80, 0x7FC0, 0xC049, 0x0001], np.uint16)
    src = tmp_path / "b.ckpt"
    save_checkpoint({"b": Tensor._make(bits, mstype.bfloat16)}, str(src))
    for a, b in (("b.ckpt", "b.safetensors"), ("b.safetensors", "b.npz"), ("b.npz", "c.ckpt")):
        assert run(capsys, "convert", tmp_path / a, tmp_path / b)[0] == 0
    assert (tmp_path / "c.ckpt").read_bytes() == src.read_bytes()


def test_convert_pth_golden_matches_safe_reader(capsys, tmp_path):
    for fname, opts in (("parameter.pth", []), ("views.pth", []), ("legacy.pth", []),
                        ("nested.pth", ["--state-dict-key", "state_dict"]),
                        ("dtypes.pth", [])):
        src = os.path.join(PTH, fname)
        out = tmp_path / (fname + ".ckpt")
        code, _, err = run(capsys, "convert", src, out, *opts)
        if code:
            assert fname == "dtypes.pth", err   # may hold dtypes a .ckpt cannot take
            continue
        want = load_pytorch(src, state_dict_key=opts[1] if opts else None)
        empty = [k for k, t in want.items() if t._data.size == 0]   # .ckpt cannot store these
        assert all(f"'{k}' has zero elements" in err for k in empty)
        want = {k: t for k, t in want.items() if k not in empty}
        got = load_checkpoint(str(out))
        assert list(got) == list(want), fname
        for k, t in want.items():
            assert str(got[k].dtype) == str(t.dtype), (fname, k)
            np.testing.assert_array_equal(got[k]._data, t._data)


def test_convert_pth_strip_prefix_and_hint(capsys, tmp_path):
    src = os.path.join(PTH, "module_prefix.pth")
    out = tmp_path / "m.ckpt"
    assert run(capsys, "convert", src, out, "--strip-prefix", "module.")[0] == 0
    want = load_pytorch(src, strip_prefix="module.")
    assert list(load_checkpoint(str(out))) == list(want)
    code, _, err = run(capsys, "inspect", os.path.join(PTH, "nested.pth"))
    assert code == 1 and "--state-dict-key 'state_dict'" in err


def test_convert_map_regex_filter_and_collisions(capsys, tmp_path, ckpt):
    path, values = ckpt
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"fc1.bias": "head.b",
                                   r"re:(conv|fc)(\d)\.weight": r"layer\2.\1.w"}))
    out = tmp_path / "r.safetensors"
    code, text, _ = run(capsys, "convert", path, out, "--map", mapping,
                        "--filter-prefix", "global_", "--filter-prefix", "learning")
    assert code == 0 and "3 renamed" in text and "2 filtered out" in text
    got = load_checkpoint(str(out), format="safetensors")
    assert sorted(got) == ["head.b", "layer1.conv.w", "layer1.fc.w"]
    np.testing.assert_array_equal(got["layer1.fc.w"].asnumpy(), values["fc1.weight"])
    code, _, _ = run(capsys, "convert", path, tmp_path / "s.npz", "--specify-prefix", "fc1.")
    assert code == 0 and sorted(np.load(tmp_path / "s.npz").files) == ["fc1.bias", "fc1.weight"]

    mapping.write_text(json.dumps({"re:.*weight": "same"}))
    code, _, err = run(capsys, "convert", path, tmp_path / "x.ckpt", "--map", mapping)
    assert code == 2 and "'same'" in err
    mapping.write_text(json.dumps({"re:([": "x"}))
    code, _, err = run(capsys, "convert", path, tmp_path / "x.ckpt", "--map", mapping)
    assert code == 2 and "bad regex" in err and str(mapping) in err
    mapping.write_text("{not json")
    assert run(capsys, "convert", path, tmp_path / "x.ckpt", "--map", mapping)[0] == 2
    mapping.write_text("[1, 2]")
    assert run(capsys, "convert", path, tmp_path / "x.ckpt", "--map", mapping)[0] == 2
    assert not (tmp_path / "x.ckpt").exists()
    code, _, err = run(capsys, "convert", path, tmp_path / "x.ckpt", "--filter-prefix", "")
    assert code == 2


def test_convert_dtype_casts(capsys, tmp_path, rng):
    h = rng.standard_normal((3, 5)).astype(np.float16)
    src = tmp_path / "h.ckpt"
    save_checkpoint({"h": h, "f": np.ones(2, np.float32), "i": np.arange(3, dtype=np.int32)},
                    str(src))
    out = tmp_path / "f.ckpt"
    code, text, _ = run(capsys, "convert", src, out, "--dtype", "float16:float32")
    assert code == 0 and "1 cast" in text
    got = load_checkpoint(str(out))
    assert str(got["h"].dtype) == "Float32" and str(got["f"].dtype) == "Float32"
    assert str(got["i"].dtype) == "Int32"
    np.testing.assert_array_equal(got["h"].asnumpy(), h.astype(np.float32))
    code, _, _ = run(capsys, "convert", src, tmp_path / "all16.npz", "--dtype", "fp16")
    z = np.load(tmp_path / "all16.npz")
    assert code == 0 and z["f"].dtype == np.float16 and z["i"].dtype == np.int32
    code, _, err = run(capsys, "convert", src, tmp_path / "x.ckpt", "--dtype", "int8")
    assert code == 2 and "not a floating type" in err


def test_convert_to_bfloat16_rounds_to_nearest_even(capsys, tmp_path):
    x = np.array([1.0, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -2.5, np.inf, np.nan, 3.4e38], np.float32)
    src = tmp_path / "x.ckpt"
    save_checkpoint({"x": x}, str(src))
    assert run(capsys, "convert", src, tmp_path / "b.npz", "--dtype", "float32:bfloat16")[0] == 0
    with np.load(tmp_path / "b.npz") as z:
        bits = z["x"]
        assert json.loads(str(z["__minispore_dtypes__"])) == {"x": "BFloat16"}
    assert bits[:5].tolist() == [0x3F80, 0x3F80, 0x3F82, 0xC020, 0x7F80]
    assert bits[5] & 0x7F80 == 0x7F80 and bits[5] & 0x7F      # still NaN
    assert bits[6] == 0x7F80                                   # rounds up to inf


def test_convert_refusals(capsys, tmp_path, ckpt):
    path, _ = ckpt
    code, _, err = run(capsys, "convert", path, tmp_path / "out.pth")
    assert code == 2 and "refusing to write .pth" in err
    code, _, err = run(capsys, "convert", path, path)
    assert code == 2 and "overwrite the input" in err
    alias = tmp_path / "sub" / ".." / "net.ckpt"
    (tmp_path / "sub").mkdir()
    assert run(capsys, "convert", path, alias)[0] == 2
    link = tmp_path / "link.ckpt"
    link.symlink_to(path)
    assert run(capsys, "convert", link, path)[0] == 2
    code, _, err = run(capsys, "convert", path, tmp_path / "out.txt")
    assert code == 2 and "unknown checkpoint suffix" in err
    code, _, err = run(capsys, "convert", path, tmp_path / "missing_dir" / "o.ckpt")
    assert code == 2 and "cannot write" in err
    assert run(capsys, "convert", path, tmp_path / "o.npz", "--crc")[0] == 2
    assert run(capsys, "convert", path, tmp_path / "o.ckpt", "--state-dict-key", "k")[0] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.ckpt", "net.ckpt", "sub"]


def test_convert_overwrites_output_atomically(capsys, tmp_path, ckpt):
    path, _ = ckpt
    out = tmp_path / "o.ckpt"
    out.write_bytes(b"old")
    os.chmod(out, 0o400)
    assert run(capsys, "convert", path, out)[0] == 0
    assert out.read_bytes() == path.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


# ---- hostile input and usage errors ------------------------------------------------------------
def test_missing_directory_and_suffix_errors_exit_2(capsys, tmp_path):
    for argv in (["inspect", tmp_path / "nope.ckpt"], ["verify", tmp_path],
                 ["inspect", tmp_path / "x.json"], ["diff", tmp_path / "a.ckpt"],
                 ["frobnicate"], [], ["inspect", "a.ckpt", "--bogus"]):
        code, _, err = run(capsys, *argv)
        assert code == 2, argv
    code, _, err = run(capsys, "inspect", tmp_path / "nope.ckpt")
    assert "nope.ckpt: no such file" in err


def test_hostile_safetensors_and_npz(capsys, tmp_path):
    cases = {
        "huge.safetensors": (10 ** 12).to_bytes(8, "little"),
        "short.safetensors": b"\x01",
        "past.safetensors": (100).to_bytes(8, "little") + b"{}",
        "deep.safetensors": (20000).to_bytes(8, "little") + b"[" * 10000 + b"]" * 10000,
        "badoff.safetensors": (64).to_bytes(8, "little") + json.dumps(
            {"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 999]}}).encode().ljust(64),
        "garbage.npz": b"not a zip at all",
    }
    for name, data in cases.items():
        p = tmp_path / name
        p.write_bytes(data)
        for cmd in ("inspect", "verify"):
            code, _, err = run(capsys, cmd, p)
            assert code == 1, (name, cmd, err)
            assert str(p) in err
    pickled = tmp_path / "obj.npz"
    np.savez(pickled, w=np.array([{"a": 1}], dtype=object))
    code, _, err = run(capsys, "inspect", pickled)
    assert code == 1 and "pickle" in err
    lying = tmp_path / "lying.npz"                  # header claims far more than the member holds
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(head, {"descr": "<f4", "fortran_order": False,
                                                "shape": (10 ** 12,)})
    with zipfile.ZipFile(lying, "w") as z:
        z.writestr("w.npy", head.getvalue() + b"\0" * 16)
    code, _, err = run(capsys, "inspect", lying)
    assert code == 1 and "member holds" in err


def test_hostile_pth_runs_nothing(capsys, tmp_path):
    sys.path.insert(0, HERE)
    try:
        import hostile_pth
    finally:
        sys.path.remove(HERE)
    sentinel = tmp_path / "sentinel"
    for name, data in hostile_pth.code_payloads(sentinel):
        p = tmp_path / f"{name}.pth"
        p.write_bytes(data)
        code, _, err = run(capsys, "convert", p, tmp_path / "o.ckpt")
        assert code == 1, (name, err)
        assert str(p) in err
    assert not sentinel.exists() and not (tmp_path / "o.ckpt").exists()


def test_unsupported_ckpt_type_is_listed_but_not_converted(capsys, tmp_path):
    path = tmp_path / "c.ckpt"
    path.write_bytes(codec.encode_entry("z", "Complex64", (2,), b"\0" * 16))
    code, out, _ = run(capsys, "inspect", path)
    assert code == 0 and "Complex64" in out
    code, _, err = run(capsys, "convert", path, tmp_path / "o.npz")
    assert code == 1 and "Complex64" in err


# ---- help and entry points ---------------------------------------------------------------------
@pytest.mark.parametrize("sub", ["inspect", "verify", "diff", "convert"])
def test_subcommand_help_has_examples(capsys, sub):
    code = cli.main([sub, "--help"])
    out = capsys.readouterr().out
    assert code == 0 and "examples:" in out and f"minispore-ckpt {sub}" in out


def test_python_dash_m_and_console_script(tmp_path, ckpt):
    path, _ = ckpt
    r = subprocess.run([sys.executable, "-m", "minispore.ckpt", "inspect", str(path), "--json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["entries"]) == 5
    r = subprocess.run([sys.executable, "-m", "minispore.ckpt", "verify", str(tmp_path / "n.ckpt")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    exe = shutil.which("minispore-ckpt")
    if exe:
        r = subprocess.run([exe, "verify", str(path)], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and r.stdout.startswith("OK:"), r.stderr


def test_pth_conversion_never_imports_torch(tmp_path):
    code = ("import sys; from minispore import cli; "
            f"rc = cli.main(['convert', {os.path.join(PTH, 'nested.pth')!r}, "
            f"{str(tmp_path / 'o.ckpt')!r}, '--state-dict-key', 'state_dict']); "
            "assert rc == 0 and 'torch' not in sys.modules, sorted(sys.modules)[:5]")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_diff_pth_against_converted_ckpt(capsys, tmp_path):
    src = os.path.join(PTH, "nested.pth")
    out = tmp_path / "n.ckpt"
    assert run(capsys, "convert", src, out, "--state-dict-key", "state_dict")[0] == 0
    code, out_text, _ = run(capsys, "diff", src, out, "--state-dict-key", "state_dict")
    assert code == 0 and "identical: 2 shared" in out_text
