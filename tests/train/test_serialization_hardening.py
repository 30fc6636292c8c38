"""Issue 15 (3, 5, 9): async-save races and exit status, long names, errors naming the target,
stale temp files. Each test exercises the class (many rounds, every name length, every failing
system call) rather than one file."""
import errno
import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from minispore.train import _ckpt_io, load_checkpoint, save_checkpoint, wait_async_saves

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ---- 3: async races ---------------------------------------------------------------------------
def test_concurrent_async_savers_lose_no_save(tmp_path):
    """Two threads saving asynchronously, 40 rounds each: every file is written and loads."""
    errors = []

    def saver(tag):
        try:
            for i in range(40):
                save_checkpoint({"w": np.full(64, i, np.float32)}, str(tmp_path / f"{tag}{i}.ckpt"),
                                async_save=True)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
    threads = [threading.Thread(target=saver, args=(t,)) for t in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wait_async_saves()
    assert errors == []
    for tag in "ab":
        for i in range(40):
            assert load_checkpoint(str(tmp_path / f"{tag}{i}.ckpt"))["w"].asnumpy()[0] == i


@pytest.mark.parametrize("when", ["before_start", "after_start"])
def test_ctrl_c_in_submit_window_does_not_break_later_saves(tmp_path, monkeypatch, when):
    real_start = threading.Thread.start

    def interrupted_start(self):
        if self.name == "asyn_save_ckpt":
            monkeypatch.setattr(threading.Thread, "start", real_start)
            if when == "after_start":
                real_start(self)
            raise KeyboardInterrupt
        return real_start(self)
    monkeypatch.setattr(threading.Thread, "start", interrupted_start)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({"w": np.ones(4, np.float32)}, str(tmp_path / "a.ckpt"), async_save=True)
    wait_async_saves()
    for i in range(3):
        save_checkpoint({"w": np.full(4, i, np.float32)}, str(tmp_path / f"b{i}.ckpt"),
                        async_save=True)
    wait_async_saves()
    assert [load_checkpoint(str(tmp_path / f"b{i}.ckpt"))["w"].asnumpy()[0] for i in range(3)] \
        == [0, 1, 2]
    assert os.path.exists(tmp_path / "a.ckpt") == (when == "after_start")


def test_failed_async_save_at_exit_names_file_and_exits_nonzero(tmp_path):
    target = str(tmp_path / "missing_dir" / "lost.ckpt")
    code = textwrap.dedent(f"""
        import sys, numpy as np
        sys.path.insert(0, {ROOT!r})
        from minispore.train import save_checkpoint
        save_checkpoint({{"w": np.ones(2, np.float32)}}, {target!r}, async_save=True)
        print("main done", flush=True)
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "main done" in r.stdout
    assert r.returncode != 0
    assert target in r.stderr and "FileNotFoundError" in r.stderr


def test_successful_async_save_at_exit_exits_zero(tmp_path):
    target = str(tmp_path / "ok.ckpt")
    code = textwrap.dedent(f"""
        import sys, numpy as np
        sys.path.insert(0, {ROOT!r})
        from minispore.train import save_checkpoint
        save_checkpoint({{"w": np.ones(2, np.float32)}}, {target!r}, async_save=True)
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == ""
    assert load_checkpoint(target)["w"].asnumpy().tolist() == [1, 1]


# ---- 5: long names, errors name the target ----------------------------------------------------
@pytest.mark.parametrize("char", ["a", "é", "喵"])       # 1-, 2- and 3-byte UTF-8
def test_every_name_length_up_to_255_bytes_saves(tmp_path, char):
    width = len(char.encode())
    for total in range(200, 256):
        stem = char * ((total - 5) // width)
        name = stem + ".ckpt"
        if len(name.encode()) > 255:
            continue
        path = str(tmp_path / name)
        save_checkpoint({"w": np.arange(3, dtype=np.float32)}, path)
        assert load_checkpoint(path)["w"].asnumpy().tolist() == [0, 1, 2]
        assert len(os.fsencode(os.path.basename(_ckpt_io.temp_name(path)))) <= 255
        os.remove(path)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("failing", ["open", "write", "fsync", "replace"])
def test_os_errors_name_the_target_not_the_temp(tmp_path, monkeypatch, failing):
    target = str(tmp_path / "model.ckpt")
    save_checkpoint({"w": np.zeros(2, np.float32)}, target)           # the old file

    def enospc(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    if failing == "write":
        monkeypatch.setattr(_ckpt_io, "_write_pieces", enospc)
    else:
        real = getattr(os, failing)
        if failing == "open":
            monkeypatch.setattr(_ckpt_io.os, "open",
                                lambda p, *a, **k: enospc() if p.endswith(".tmp") else real(p, *a, **k))
        else:
            monkeypatch.setattr(_ckpt_io.os, failing, enospc)
    with pytest.raises(OSError) as info:
        save_checkpoint({"w": np.ones(2, np.float32)}, target)
    monkeypatch.undo()
    assert info.value.errno == errno.ENOSPC and info.value.filename == target
    assert ".tmp" not in str(info.value)
    assert load_checkpoint(target)["w"].asnumpy().tolist() == [0, 0]   # old file intact
    assert os.listdir(tmp_path) == ["model.ckpt"]


# ---- 9: stale temp files ----------------------------------------------------------------------
def _dead_pid():
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_stale_temps_of_killed_saves_are_removed_on_next_save(tmp_path):
    dead, old = _dead_pid(), time.time() - _ckpt_io.STALE_TMP_SECONDS - 10
    stale = [f".m.ckpt.{dead}.{i:08x}.tmp" for i in range(3)]
    keep = {
        "fresh": f".m.ckpt.{dead}.0000000a.tmp",          # recent: maybe another host writing
        "live_pid": f".m.ckpt.{os.getppid()}.0000000b.tmp",  # its writer still runs
        "other_pattern": ".m.ckpt.tmp",
        "visible": f"m.ckpt.{dead}.0000000c.tmp",
    }
    for name in stale + list(keep.values()):
        (tmp_path / name).write_bytes(b"x" * 100)
        if name != keep["fresh"]:
            os.utime(tmp_path / name, (old, old))
    save_checkpoint({"w": np.ones(1, np.float32)}, str(tmp_path / "next.ckpt"))
    left = set(os.listdir(tmp_path))
    assert not left & set(stale)
    assert set(keep.values()) | {"next.ckpt"} == left


def test_sigkill_leftover_is_cleaned_by_the_next_save(tmp_path):
    """A real killed save: its temp file exists, then a save in that folder (after the age
    threshold, simulated by moving the clock of the leftover back) removes it."""
    code = textwrap.dedent(f"""
        import sys, time, os, numpy as np
        sys.path.insert(0, {ROOT!r})
        from minispore.train import _ckpt_io, save_checkpoint
        real = _ckpt_io._write_pieces
        def stall(f, pieces, crc):
            f.write(b"partial")
            f.flush()
            print("stalled", flush=True)
            time.sleep(60)
        _ckpt_io._write_pieces = stall
        save_checkpoint({{"w": np.ones(4, np.float32)}}, {str(tmp_path / "k.ckpt")!r})
    """)
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "stalled"
    p.kill()
    p.wait()
    p.stdout.close()
    temps = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    assert len(temps) == 1
    old = time.time() - _ckpt_io.STALE_TMP_SECONDS - 1
    os.utime(tmp_path / temps[0], (old, old))
    save_checkpoint({"w": np.ones(1, np.float32)}, str(tmp_path / "k.ckpt"))
    assert os.listdir(tmp_path) == ["k.ckpt"]
