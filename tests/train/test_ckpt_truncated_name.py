"""A file cut inside a record names that record when its tag bytes are present."""
import numpy as np
import pytest

from minispore.train import load_checkpoint, save_checkpoint
from minispore.train._ckpt_reader import CheckpointError, read_checkpoint


def _saved(tmp_path):
    path = tmp_path / "two.ckpt"
    save_checkpoint({"fc0.bias": np.arange(4, dtype=np.float32),
                     "fc1.weight": np.arange(64, dtype=np.float32).reshape(8, 8)}, str(path))
    return path, path.read_bytes()


def test_cut_inside_second_tensor_content_names_it(tmp_path):
    path, data = _saved(tmp_path)
    content = np.arange(64, dtype=np.float32).tobytes()
    at = data.index(content)
    cut = at + len(content) // 2                       # the middle of fc1.weight's content
    bad = tmp_path / "cut.ckpt"
    bad.write_bytes(data[:cut])
    for reader in (read_checkpoint, load_checkpoint):
        with pytest.raises(ValueError) as info:
            reader(str(bad))
        msg = str(info.value)
        assert f"truncated at byte {cut} inside record 'fc1.weight'" in msg, msg
        assert "record #1" in msg and str(bad) in msg
    with pytest.raises(CheckpointError):
        read_checkpoint(str(bad))


def test_cut_inside_the_tag_itself_falls_back_to_the_record_number(tmp_path):
    path, data = _saved(tmp_path)
    tag = data.index(b"fc1.weight")
    bad = tmp_path / "cut.ckpt"
    bad.write_bytes(data[:tag + 3])                    # only "fc1" of the tag is there
    with pytest.raises(ValueError) as info:
        read_checkpoint(str(bad))
    msg = str(info.value)
    assert f"truncated at byte {tag + 3} inside record #1 at byte" in msg, msg
    assert "fc1" not in msg.split("inside", 1)[1]
