"""Crash safety (SIGKILL mid-save), file modes, and async saves (snapshot, errors, exit)."""
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from minispore import Parameter, Tensor
from minispore.train import _ckpt_io, load_checkpoint, save_checkpoint, wait_async_saves

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_SLOW_SAVER = textwrap.dedent("""
    import sys, time, numpy as np
    sys.path.insert(0, {root!r})
    from minispore.train import _ckpt_io, save_checkpoint
    real = _ckpt_io._write_pieces
    def slow(f, pieces, crc):
        def dribble():
            for p in pieces:
                mv = memoryview(p).cast("B")
                for i in range(0, len(mv), 4096):
                    time.sleep(0.0005)
                    yield mv[i:i + 4096]
        return real(f, dribble(), crc)
    _ckpt_io._write_pieces = slow
    print("ready", flush=True)
    save_checkpoint({{"w": np.full(100_000, float(sys.argv[2]), np.float32)}}, sys.argv[1],
                    crc_check=True)
    print("done", flush=True)
""")


def test_sigkill_mid_save_leaves_old_or_new_file(tmp_path):
    target = str(tmp_path / "model.ckpt")
    save_checkpoint({"w": np.full(100_000, 1.0, np.float32)}, target, crc_check=True)
    script = tmp_path / "saver.py"
    script.write_text(_SLOW_SAVER.format(root=ROOT))
    rng = random.Random(0)
    seen = set()
    for attempt in range(6):
        proc = subprocess.Popen([sys.executable, str(script), target, str(2.0 + attempt)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.12))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        got = load_checkpoint(target, crc_check=True)["w"].asnumpy()   # complete and CRC-valid
        assert np.unique(got).size == 1
        seen.add(float(got[0]))
    assert seen <= {1.0} | {2.0 + a for a in range(6)}
    proc = subprocess.run([sys.executable, str(script), target, "9"], capture_output=True,
                          text=True, timeout=120)
    assert proc.stdout.split() == ["ready", "done"]
    assert float(load_checkpoint(target)["w"].asnumpy()[0]) == 9.0
    leftovers = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    assert len(leftovers) <= 6          # killed saves may leave their own temp, never the target
    save_checkpoint({"w": np.zeros(1, np.float32)}, target)
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")
                and n not in leftovers]


def test_exception_mid_write_keeps_old_file_and_no_temp(tmp_path, monkeypatch):
    target = str(tmp_path / "m.ckpt")
    save_checkpoint({"w": np.ones(10, np.float32)}, target)
    before = open(target, "rb").read()

    def boom(f, pieces, crc):
        f.write(b"partial")
        raise OSError("disk full (simulated)")
    monkeypatch.setattr(_ckpt_io, "_write_pieces", boom)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint({"w": np.zeros(10, np.float32)}, target)
    assert open(target, "rb").read() == before
    assert os.listdir(tmp_path) == ["m.ckpt"]


def test_read_only_mode_and_overwrite(tmp_path):
    target = str(tmp_path / "ro.ckpt")
    save_checkpoint({"a": np.ones(2, np.float32)}, target)
    assert os.stat(target).st_mode & 0o777 == 0o400
    save_checkpoint({"a": np.zeros(2, np.float32)}, target)    # over our own read-only file
    assert load_checkpoint(target)["a"].asnumpy().tolist() == [0, 0]
    assert os.listdir(tmp_path) == ["ro.ckpt"]


def test_async_snapshot_before_return(tmp_path, monkeypatch):
    real = _ckpt_io._write_pieces

    def slow(f, pieces, crc):
        time.sleep(0.3)
        return real(f, pieces, crc)
    monkeypatch.setattr(_ckpt_io, "_write_pieces", slow)
    params = [Parameter(Tensor(np.full((50, 50), float(i), np.float32)), name=f"p{i}")
              for i in range(5)]
    target = str(tmp_path / "a.ckpt")
    save_checkpoint(params, target, async_save=True)
    for p in params:
        p.asnumpy()[...] = -1.0                                # mutate in place right away
    wait_async_saves()
    got = load_checkpoint(target)
    for i in range(5):
        assert np.all(got[f"p{i}"].asnumpy() == float(i))


def test_async_error_surfaces_at_next_save_and_at_wait(tmp_path, monkeypatch):
    def boom(f, pieces, crc):
        raise OSError("no space left (simulated)")
    monkeypatch.setattr(_ckpt_io, "_write_pieces", boom)
    save_checkpoint({"a": np.ones(1, np.float32)}, str(tmp_path / "x.ckpt"), async_save=True)
    monkeypatch.setattr(_ckpt_io, "_write_pieces", _ckpt_io.__dict__["_write_pieces"])
    with pytest.raises(OSError, match="no space left"):
        save_checkpoint({"a": np.ones(1, np.float32)}, str(tmp_path / "y.ckpt"))
    monkeypatch.setattr(_ckpt_io, "_write_pieces", boom)
    save_checkpoint({"a": np.ones(1, np.float32)}, str(tmp_path / "z.ckpt"), async_save="thread")
    with pytest.raises(OSError, match="no space left"):
        wait_async_saves()
    wait_async_saves()                                       # reported once


def test_async_save_finishes_at_interpreter_exit(tmp_path):
    target = str(tmp_path / "exit.ckpt")
    code = textwrap.dedent(f"""
        import sys, time, numpy as np
        sys.path.insert(0, {ROOT!r})
        from minispore.train import _ckpt_io, save_checkpoint
        real = _ckpt_io._write_pieces
        def slow(f, pieces, crc):
            time.sleep(0.5)
            return real(f, pieces, crc)
        _ckpt_io._write_pieces = slow
        save_checkpoint({{"w": np.arange(4, dtype=np.float32)}}, {target!r}, async_save=True)
    """)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert load_checkpoint(target)["w"].asnumpy().tolist() == [0, 1, 2, 3]
