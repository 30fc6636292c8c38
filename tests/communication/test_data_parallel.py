"""Data-parallel training: 2 ranks x batch 16 == 1 process x batch 32, the gradient reducer's
buckets and traffic, and dataset sharding (union = dataset, equal counts per shard)."""
import json
import os
import struct

import numpy as np
import pytest

import minispore as ms
import minispore.dataset as ds
import minispore.nn as nn
from minispore.communication import _collective, _world, management
from minispore.nn.wrap import grad_reducer

from _mpi import needs_mpi, run_worker


@needs_mpi
def test_two_ranks_of_batch_16_match_one_process_of_batch_32(tmp_path):
    """20 Momentum steps of LeNet5. Rank r's shard of an unshuffled order holds rows r, r+2, ...,
    so one step of both ranks sees the same 32 rows as the single process; averaging the two
    batch-16 mean gradients equals the batch-32 mean gradient up to float32 summation order,
    hence rtol 1e-5 / atol 1e-6 on the parameters (the worker asserts it). The replicas start
    from different seeds: the broadcast from rank 0 must make them equal."""
    out = run_worker("equivalence", tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    result = json.loads((tmp_path / "equivalence.json").read_text())
    assert result["params"] == 8 and result["max_abs_diff"] < 1e-5
    # Model.eval on 2 shards reports the metrics of the whole evaluation set.
    got, ref = result["metrics"], result["reference"]
    assert got["Accuracy"] == ref["Accuracy"]
    assert got["Loss"] == pytest.approx(ref["Loss"], rel=1e-5)


class TwinWorld(_world.SingleWorld):
    """Rank 0 of a 2-rank world whose other rank holds the same values: a sum doubles."""

    size = 2

    def allreduce(self, buffer, op="sum"):
        if op == "sum":
            buffer *= 2
        return buffer


@pytest.fixture
def twin_world(monkeypatch):
    monkeypatch.setitem(management._state, "world", TwinWorld())
    _collective.reset_traffic()
    yield
    _collective.reset_traffic()


def _params(rng):
    shapes = [(6, 1, 5, 5), (16, 6, 5, 5), (120, 400), (120,), (10, 120), (10,)]
    return [ms.Parameter(rng.standard_normal(s).astype(np.float32), name=f"p{i}")
            for i, s in enumerate(shapes)]


@pytest.mark.parametrize("mean", [True, False])
def test_reducer_packs_all_gradients_into_one_bucket_and_sends_their_bytes(twin_world, rng,
                                                                           mean):
    params = _params(rng)
    grads = tuple(ms.Tensor(rng.standard_normal(p.shape).astype(np.float32)) for p in params)
    reducer = nn.DistributedGradReducer(params, mean=mean)
    out = reducer(grads)
    for g, r in zip(grads, out):
        np.testing.assert_allclose(r.asnumpy(), g.asnumpy() * (1 if mean else 2), rtol=1e-7)
    nbytes = sum(g.asnumpy().nbytes for g in grads)
    assert reducer.gradient_bytes == nbytes
    assert _collective.traffic["allreduce_calls"] == 1
    assert _collective.traffic["allreduce_bytes"] == nbytes


def test_reducer_splits_buckets_by_size_and_dtype(twin_world, rng, monkeypatch):
    monkeypatch.setattr(grad_reducer, "BUCKET_BYTES", 200 * 1024)
    params = _params(rng) + [ms.Parameter(np.ones(3, np.float64), name="d")]
    reducer = nn.DistributedGradReducer(params, mean=False)
    # float32 elements 150 + 2400 + 48000 + 120 = 50670 (202,680 B <= 204,800 B); adding p4's
    # 1200 would exceed 200 KiB, so p4 starts a bucket; the float64 parameter gets its own.
    sizes = [[e[0] for e in entries] for _, entries, _ in reducer.buckets]
    assert sizes == [[0, 1, 2, 3], [4, 5], [6]]
    grads = tuple(ms.Tensor(np.full(p.shape, 0.5, p.asnumpy().dtype)) for p in params)
    out = reducer(grads)
    assert _collective.traffic["allreduce_calls"] == 3
    assert out[6].asnumpy().dtype == np.float64 and np.all(out[6].asnumpy() == 1.0)
    with pytest.raises(ValueError, match="expected 7 gradients"):
        reducer(grads[:3])


def test_train_one_step_cell_selects_the_reducer_in_data_parallel_mode(twin_world, rng):
    net = nn.Dense(4, 3)
    opt = nn.Momentum(net.trainable_params(), 0.1, 0.9)
    assert not nn.TrainOneStepCell(net, opt).reducer_flag
    try:
        ms.set_auto_parallel_context(parallel_mode=ms.ParallelMode.DATA_PARALLEL,
                                     gradients_mean=True)
        step = nn.TrainOneStepCell(net, opt)
        assert step.reducer_flag and isinstance(step.grad_reducer, nn.DistributedGradReducer)
        assert step.grad_reducer.mean and step.grad_reducer.degree == 2
        ms.set_auto_parallel_context(device_num=4)
        with pytest.raises(ValueError, match="device_num=4"):
            nn.TrainOneStepCell(net, opt)
    finally:
        ms.reset_auto_parallel_context()


# ---- sharding ----------------------------------------------------------------------------------
def _write_mnist(folder, n):
    folder.mkdir()
    images = (np.arange(n * 784) % 251).astype(np.uint8).reshape(n, 28, 28)
    images[:, 0, 0] = np.arange(n)  # row id in the first pixel
    with open(folder / "train-images-idx3-ubyte", "wb") as f:
        f.write(struct.pack(">IIII", 2051, n, 28, 28) + images.tobytes())
    with open(folder / "train-labels-idx1-ubyte", "wb") as f:
        f.write(struct.pack(">II", 2049, n) + (np.arange(n) % 10).astype(np.uint8).tobytes())
    return folder


class _Rows:
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return np.array(i, np.int64)

    def __len__(self):
        return self.n


def _ids(kind, n, folder, shuffle, **shard):
    if kind == "mnist":
        data = ds.MnistDataset(str(folder), shuffle=shuffle, **shard)
        return [int(r["image"][0, 0, 0]) for r in data.create_dict_iterator(output_numpy=True)]
    if kind == "numpy":
        data = ds.NumpySlicesDataset({"id": np.arange(n)}, shuffle=shuffle, **shard)
    else:
        data = ds.GeneratorDataset(_Rows(n), ["id"], shuffle=shuffle, **shard)
    return [int(r["id"]) for r in data.create_dict_iterator(output_numpy=True)]


@pytest.mark.parametrize("kind", ["mnist", "numpy", "generator"])
@pytest.mark.parametrize("n", [12, 10])
@pytest.mark.parametrize("shuffle", [False, True])
def test_shards_cover_the_dataset_with_equal_counts(tmp_path, kind, n, shuffle):
    """For 1-4 shards: every shard has ceil(n / k) rows; together they hold every row; when k
    divides n they are disjoint, else MindSpore's DistributedSampler pads by wrapping around the
    (shuffled) order, so exactly ceil(n/k)*k - n rows appear twice."""
    folder = _write_mnist(tmp_path / "mnist", n) if kind == "mnist" else None
    for k in range(1, 5):
        shards = [_ids(kind, n, folder, shuffle, num_shards=k, shard_id=i) for i in range(k)]
        per = -(-n // k)
        assert [len(s) for s in shards] == [per] * k
        rows = [r for s in shards for r in s]
        assert sorted(set(rows)) == list(range(n))
        assert len(rows) - len(set(rows)) == per * k - n
        sizes = {ds.NumpySlicesDataset({"id": np.arange(n)}, num_shards=k,
                                       shard_id=i).get_dataset_size() for i in range(k)}
        assert sizes == {per}


def test_bad_shard_arguments_are_clear_errors():
    data = {"id": np.arange(8)}
    with pytest.raises(RuntimeError, match="num_shards and shard_id need to be passed in "
                                           "together"):
        ds.NumpySlicesDataset(data, num_shards=2)
    with pytest.raises(ValueError, match="shard_id"):
        ds.NumpySlicesDataset(data, num_shards=2, shard_id=2)
    with pytest.raises(ValueError, match="num_shards"):
        ds.GeneratorDataset(_Rows(4), ["id"], num_shards=0, shard_id=0)
    with pytest.raises(TypeError, match="shard_id"):
        ds.NumpySlicesDataset(data, num_shards=2, shard_id="0")


@needs_mpi
def test_lenet_train_script_runs_data_parallel_under_mpiexec(tmp_path):
    """``mpiexec -n 2 python models/lenet/train.py``: 96 images, 2 ranks x batch 16 = 3 steps;
    only rank 0 prints and writes; the logged test accuracy (reduced over the 2 test shards)
    is the accuracy of the saved checkpoint on the whole test split."""
    import subprocess
    import sys

    from _mpi import ROOT, _mpiexec, clean_env
    from _idx import load_lenet as _load, write_idx
    data = write_idx(tmp_path / "idx")
    ckpt_dir = tmp_path / "run"
    cmd = [_mpiexec(), "-n", "2", sys.executable, f"{ROOT}/models/lenet/train.py", "--data",
           data, "--ckpt-dir", str(ckpt_dir), "--epochs", "1", "--batch-size", "16", "--plain"]
    out = subprocess.run(cmd, env=clean_env(), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("Final test accuracy") == 1
    assert "3 steps of 2 ranks x 16 = 32" in out.stdout
    assert sorted(os.listdir(ckpt_dir)) == sorted(
        ["lenet-1_3.ckpt", "lenet_metrics.jsonl"] +
        (["lenet_metrics.png"] if os.path.exists(ckpt_dir / "lenet_metrics.png") else []))
    log = (ckpt_dir / "lenet_metrics.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in log]
    assert len(rows) == 1
    result = _load("eval").main([str(ckpt_dir / "lenet-1_3.ckpt"), "--data", data])
    assert rows[0]["test_accuracy"] == pytest.approx(result["accuracy"])
