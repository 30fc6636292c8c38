"""Shared helpers for the ``minispore-ckpt`` CLI tests: run the CLI in-process, sample values."""
import os

import numpy as np
import pytest

from minispore import cli
from minispore.train.serialization import save_checkpoint

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


