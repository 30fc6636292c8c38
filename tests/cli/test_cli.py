"""``minispore-ckpt`` / ``python -m minispore.ckpt``: inspect, verify, diff, help (issue #7).

Most tests call ``minispore.cli.main(argv)`` in-process (fast) and check stdout, the one-line
stderr and the exit code (0 ok, 1 checked and found bad / different, 2 usage or I/O error).
``test_cli_convert.py`` covers ``convert`` and hostile inputs.
"""
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from minispore import cli  # noqa: F401
from minispore.train import _ckpt_codec as codec
from minispore.train import _ckpt_reader as reader
from minispore.train.serialization import save_checkpoint
from _cli_helpers import GOLDEN, PTH, ckpt, lenet_like, run  # noqa: F401 (ckpt is a fixture)


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
    from minispore.cli import _formats as _cli_formats
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
