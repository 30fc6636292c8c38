"""Run under ``mpiexec -n 2`` by tests/communication/test_data_parallel.py and tests/communication/test_communication.py.

``python _dp_worker.py MODE OUT_DIR``; every check is an assert, so a wrong value fails this
rank, which (after ``init()``) aborts the job and makes mpiexec exit non-zero.
"""
import json
import os
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "models", "lenet"))

import numpy as np  # noqa: E402

import minispore as ms  # noqa: E402
import minispore.dataset as ds  # noqa: E402
import minispore.nn as nn  # noqa: E402
import minispore.ops as ops  # noqa: E402
from minispore.communication import get_group_size, get_rank, init  # noqa: E402


def collectives(out):
    """Values and gradients of AllReduce / AllGather / Broadcast against numpy."""
    rank, size = get_rank(), get_group_size()
    inputs = [np.array([1.0, -2.0, 3.0], np.float32) * (r + 1) + r for r in range(size)]
    x = ms.Tensor(inputs[rank])
    stacked = np.stack(inputs)
    refs = {"sum": stacked.sum(0), "max": stacked.max(0), "min": stacked.min(0),
            "prod": stacked.prod(0)}
    for op, ref in refs.items():
        np.testing.assert_allclose(ops.AllReduce(op)(x).asnumpy(), ref, rtol=1e-6)
    np.testing.assert_array_equal(ops.AllGather()(x).asnumpy(), stacked.reshape(-1))
    np.testing.assert_array_equal(ops.Broadcast(1)((x,))[0].asnumpy(), inputs[1])
    # loss_r = sum(w_r * AllReduce(x)) on every rank; the job's loss is the sum over ranks, so
    # d/dx_r = sum over ranks of w  (the AllReduce of the output gradient).
    weights = [np.arange(3, dtype=np.float32) + 10 * r for r in range(size)]
    w = ms.Tensor(weights[rank])
    grad = ms.grad(lambda t: (ops.AllReduce()(t) * w).sum())(x).asnumpy()
    np.testing.assert_allclose(grad, np.sum(weights, axis=0))
    g = ms.grad(lambda t: (ops.AllGather()(t) * ms.Tensor(np.tile(weights[rank], size))).sum())
    np.testing.assert_allclose(g(x).asnumpy(), np.sum(weights, axis=0))
    g = ms.grad(lambda t: (ops.Broadcast(0)((t,))[0] * w).sum())(x).asnumpy()
    np.testing.assert_allclose(g, np.sum(weights, axis=0) if rank == 0 else np.zeros(3))
    _check_threads(size)
    print(f"rank {rank}: collectives ok", flush=True)


def _check_threads(size):
    """init() gave this rank cores // ranks-on-host numba and BLAS threads."""
    import numba
    from minispore.communication import _threads, management
    expected = _threads.threads_per_rank(_threads.host_cores(), management.get_local_rank_size())
    assert management.get_local_rank_size() == size  # one host
    assert management.threads_per_rank() == expected
    assert numba.get_num_threads() == min(expected, numba.config.NUMBA_NUM_THREADS)
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return
    blas = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    assert all(n == expected for n in blas), blas


def _net_and_data(seed):
    from lenet import LeNet5
    ms.set_seed(seed)
    net = LeNet5()
    rng = np.random.default_rng(7)
    images = rng.standard_normal((640, 1, 32, 32)).astype(np.float32)
    labels = rng.integers(0, 10, 640).astype(np.int32)
    return net, images, labels


def _train(net, dataset, steps):
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.05, momentum=0.9)
    step = nn.TrainOneStepCell(nn.WithLossCell(net, loss), opt)
    step.set_train()
    for k, (image, label) in enumerate(dataset.create_tuple_iterator(num_epochs=1)):
        if k == steps:
            break
        step(image, label)
    return step


def equivalence(out):
    """2 ranks x batch 16 (shards of one unshuffled order) == 1 process x batch 32."""
    rank, size = get_rank(), get_group_size()
    ms.set_auto_parallel_context(parallel_mode=ms.ParallelMode.DATA_PARALLEL,
                                 gradients_mean=True)
    # Different seeds per rank: the broadcast from rank 0 must make the replicas equal.
    net, images, labels = _net_and_data(seed=3 + rank)
    shard = ds.NumpySlicesDataset((images, labels), ["image", "label"], shuffle=False,
                                  num_shards=size, shard_id=rank).batch(32 // size)
    step = _train(net, shard, 20)
    assert step.reducer_flag and isinstance(step.grad_reducer, nn.DistributedGradReducer)
    state = {p.name: p.asnumpy().copy() for p in net.get_parameters()}
    gathered = [ops.AllGather()(ms.Tensor(v[None])).asnumpy() for v in state.values()]
    for name, g in zip(state, gathered):
        np.testing.assert_array_equal(g[0], g[-1], err_msg=f"{name} differs between ranks")
    metrics = _sharded_eval(net, images[:96], labels[:96])
    if rank == 0:
        ms.reset_auto_parallel_context()
        ref_net, _, _ = _net_and_data(seed=3)
        whole = ds.NumpySlicesDataset((images, labels), ["image", "label"],
                                      shuffle=False).batch(32)
        _train(ref_net, whole, 20)
        worst = 0.0
        for p in ref_net.get_parameters():
            ref, got = p.asnumpy(), state[p.name]
            np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6, err_msg=p.name)
            worst = max(worst, float(np.max(np.abs(got - ref))))
        with open(os.path.join(out, "equivalence.json"), "w") as f:
            json.dump({"max_abs_diff": worst, "params": len(state), "metrics": metrics,
                       "reference": _whole_eval(net, images[:96], labels[:96])}, f)
    print(f"rank {rank}: equivalence ok", flush=True)


def _sharded_eval(net, images, labels):
    """Model.eval in data-parallel mode, each rank on its shard (batches of 16)."""
    rank, size = get_rank(), get_group_size()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    model = ms.Model(net, loss, metrics={"Accuracy": nn.Accuracy(), "Loss": nn.Loss()})
    shard = ds.NumpySlicesDataset((images, labels), ["image", "label"], shuffle=False,
                                  num_shards=size, shard_id=rank).batch(16)
    return {k: float(v) for k, v in model.eval(shard).items()}


def _whole_eval(net, images, labels):
    """Accuracy and mean cross-entropy of the whole set, in numpy (float64)."""
    net.set_train(False)
    logits = net(ms.Tensor(images)).asnumpy().astype(np.float64)
    shifted = logits - logits.max(1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    return {"Accuracy": float(np.mean(logits.argmax(1) == labels)),
            "Loss": float(-np.mean(log_p[np.arange(len(labels)), labels]))}


class _FailAt(ms.train.Callback):
    """Rank ``rank`` raises (or kills itself) at global step ``step``."""

    def __init__(self, rank, step, how):
        super().__init__()
        self.rank, self.step, self.how = rank, step, how

    def on_train_step_end(self, run_context):
        if get_rank() == self.rank and run_context.original_args().cur_step_num == self.step:
            if self.how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            raise RuntimeError(f"injected failure at step {self.step}")


def failure(out, how):
    """Model.train with ModelCheckpoint each epoch (4 steps); rank 1 fails in epoch 2."""
    rank, size = get_rank(), get_group_size()
    ms.set_auto_parallel_context(parallel_mode=ms.ParallelMode.DATA_PARALLEL,
                                 gradients_mean=True)
    net, images, labels = _net_and_data(seed=5)
    data = ds.NumpySlicesDataset((images[:128], labels[:128]), ["image", "label"],
                                 num_shards=size, shard_id=rank).batch(16)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.05, momentum=0.9)
    model = ms.Model(net, loss, opt)
    saver = ms.train.ModelCheckpoint(prefix="dp", directory=out,
                                     config=ms.train.CheckpointConfig(save_checkpoint_steps=4))

    class Record(ms.train.Callback):
        def on_train_epoch_end(self, run_context):
            if rank == 0:
                np.savez(os.path.join(out, "epoch1.npz"),
                         **{p.name: p.asnumpy() for p in net.get_parameters()})

    model.train(2, data, callbacks=[saver, Record(), ms.train.LossMonitor(1),
                                    _FailAt(1, 6, how)])


def main():
    mode, out = sys.argv[1], sys.argv[2]
    init()
    if mode == "collectives":
        collectives(out)
    elif mode == "equivalence":
        equivalence(out)
    else:
        failure(out, mode)


if __name__ == "__main__":
    main()
