"""``minispore-ckpt convert`` and hostile inputs to every subcommand (issue #7).

Same conventions as ``test_cli.py``: in-process ``cli.main``, one-line errors, exit codes 0/1/2.
"""
import io
import json
import os
import sys
import zipfile

import numpy as np

from minispore import cli  # noqa: F401
from minispore.train import _ckpt_codec as codec
from minispore.train.converters import load_pytorch
from minispore.train.serialization import load_checkpoint, save_checkpoint
from _cli_helpers import HERE, PTH, ckpt, lenet_like, run  # noqa: F401 (ckpt is a fixture)


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
