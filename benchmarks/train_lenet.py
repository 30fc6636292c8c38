"""LeNet5 training and inference speed: minispore vs PyTorch (and MindSpore when installed).

Same network, same initial weights, same batches in memory; interleaved repeats; medians, and
the paired ratio (median over repeats of minispore / torch within the same repeat).
minispore runs twice: ``minispore`` is PyNative (eager), ``ms-graph`` is the same network
under ``set_context(mode=GRAPH_MODE)`` (a static plan replayed per step; the trace happens
in the warm-up calls). ``--mode`` picks one of them.
Also a full epoch through the real data pipeline (``create_dataset`` on an IDX folder) against
the same number of compute-only steps.

    python benchmarks/train_lenet.py [--threads 2] [--repeats 7] [--mode both|pynative|graph]
                                     [--peers minispore,ms-graph,torch,mindspore]
                                     [--clock wall|cpu] [--data DIR] [--json out.json]
                                     [--plot [out.png]]

The load average before and after is printed: above the core count, other processes shared
the cores and wall times are inflated (``--threads 1 --clock cpu`` is steadier then).
"""
import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "models", "lenet"))
sys.path.insert(0, HERE)

from _common import (interleaved, machine, paired_ratio, set_threads, torch_lenet,  # noqa: E402
                     write_json)


def minispore_steps(batch, seed=0):
    import minispore as ms
    from minispore import Tensor, nn
    from lenet import LeNet5
    ms.set_seed(seed)
    net = LeNet5()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.01, momentum=0.9)
    train_net = nn.TrainOneStepCell(nn.WithLossCell(net, loss), opt)
    train_net.set_train()
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal((batch, 1, 32, 32)).astype(np.float32))
    y = Tensor(rng.integers(0, 10, batch).astype(np.int32))
    weights = {p.name: p.asnumpy().copy() for p in net.get_parameters()}
    return (lambda: train_net(x, y)), (lambda: net(x)), weights, x.asnumpy(), y.asnumpy()


def minispore_graph_steps(batch, seed=0):
    """The same network, initial weights and batch as :func:`minispore_steps`, each call
    made under GRAPH_MODE (PyNative is restored after it, so the peers alternate freely)."""
    import minispore as ms
    step, infer, _, _, _ = minispore_steps(batch, seed)

    def in_graph_mode(fn):
        def call():
            ms.set_context(mode=ms.GRAPH_MODE)
            try:
                return fn()
            finally:
                ms.set_context(mode=ms.PYNATIVE_MODE)
        return call
    return in_graph_mode(step), in_graph_mode(infer)


def torch_steps(weights, x, y):
    import torch
    F = torch.nn.functional
    net = torch_lenet(weights)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(tx), ty)
        loss.backward()
        opt.step()
        return loss

    def infer():
        with torch.no_grad():
            return net(tx)

    return step, infer


def mindspore_steps(weights, x, y):
    import mindspore as msp
    from mindspore import nn as mnn
    from mindspore.common.initializer import Normal  # noqa: F401

    class MsLeNet(mnn.Cell):
        def __init__(self):
            super().__init__()
            self.conv1 = mnn.Conv2d(1, 6, 5, pad_mode="valid")
            self.conv2 = mnn.Conv2d(6, 16, 5, pad_mode="valid")
            self.fc1, self.fc2, self.fc3 = mnn.Dense(400, 120), mnn.Dense(120, 84), mnn.Dense(84, 10)
            self.relu, self.pool, self.flat = mnn.ReLU(), mnn.MaxPool2d(2, 2), mnn.Flatten()

        def construct(self, t):
            t = self.pool(self.relu(self.conv1(t)))
            t = self.flat(self.pool(self.relu(self.conv2(t))))
            return self.fc3(self.relu(self.fc2(self.relu(self.fc1(t)))))

    net = MsLeNet()
    msp.load_param_into_net(net, {k: msp.Parameter(msp.Tensor(v), name=k) for k, v in weights.items()})
    loss = mnn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    train_net = mnn.TrainOneStepCell(mnn.WithLossCell(net, loss),
                                     mnn.Momentum(net.trainable_params(), 0.01, 0.9))
    train_net.set_train()
    tx, ty = msp.Tensor(x), msp.Tensor(y)
    return (lambda: train_net(tx, ty)), (lambda: net(tx))


PEERS = ("minispore", "ms-graph", "torch", "mindspore")


def peers(batch, mode="both", only=PEERS):
    """{peer: train step}, {peer: inference step} for the peers in ``only`` (torch and
    MindSpore when importable)."""
    step, infer, weights, x, y = minispore_steps(batch)
    train, inference = {}, {}
    if mode in ("both", "pynative") and "minispore" in only:
        train["minispore"], inference["minispore"] = step, infer
    if mode in ("both", "graph") and "ms-graph" in only:
        train["ms-graph"], inference["ms-graph"] = minispore_graph_steps(batch)
    for name, builder in (("torch", torch_steps), ("mindspore", mindspore_steps)):
        if name not in only:
            continue
        try:
            s, i = builder(weights, x, y)
        except ImportError:
            continue
        train[name], inference[name] = s, i
    for fn in list(train.values()) + list(inference.values()):
        for _ in range(3):
            fn()  # warm up: JIT, allocator, thread pools
    return train, inference


def pipeline_epoch(data_dir, batch):
    """One epoch through create_dataset + training: the pipeline's share, measured in place.

    Each step's batch fetch (the pipeline) and its training step are timed separately in the
    same epoch, so host noise hits both alike; ``ratio`` = (fetch + compute) / compute. The
    epoch is then re-run compute-only on the same batches held in memory, for reference
    (``ratio_separate_runs``; noisier, as the two runs see different moments of the host)."""
    import minispore as ms
    from minispore import nn
    from dataset_process import create_dataset
    from lenet import LeNet5
    ms.set_seed(0)
    net = LeNet5()
    train_net = nn.TrainOneStepCell(
        nn.WithLossCell(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")),
        nn.Momentum(net.trainable_params(), 0.01, 0.9))
    train_net.set_train()
    ds = create_dataset(data_dir, batch_size=batch)
    batches = [(d["image"], d["label"]) for d in ds.create_dict_iterator()]  # decode + warm up
    fetch = compute = 0.0
    iterator = iter(ds.create_dict_iterator())
    t_epoch = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        try:
            d = next(iterator)
        except StopIteration:
            break
        t1 = time.perf_counter()
        train_net(d["image"], d["label"])
        t2 = time.perf_counter()
        fetch += t1 - t0
        compute += t2 - t1
    with_pipeline = time.perf_counter() - t_epoch
    t0 = time.perf_counter()
    for x, y in batches:
        train_net(x, y)
    compute_only = time.perf_counter() - t0
    return {"steps": len(batches), "pipeline_s": with_pipeline, "fetch_s": fetch,
            "compute_s": compute, "ratio": (fetch + compute) / compute,
            "compute_only_s": compute_only, "ratio_separate_runs": with_pipeline / compute_only}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--inner", type=int, default=20, help="steps per timed repeat")
    ap.add_argument("--train-batches", default="32,64,256")
    ap.add_argument("--infer-batches", default="32,256")
    ap.add_argument("--mode", choices=("both", "pynative", "graph"), default="both",
                    help="minispore rows: PyNative, GRAPH_MODE, or both (default)")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="wall time (default) or the process's CPU time (steadier on a busy "
                         "host; use with --threads 1)")
    ap.add_argument("--peers", default=",".join(PEERS),
                    help="comma list of peers to run (default: all that are installed)")
    ap.add_argument("--data", default=None, help="IDX folder for the full-epoch pipeline test")
    ap.add_argument("--json", default=None)
    ap.add_argument("--plot", nargs="?", const="", default=None, metavar="PNG",
                    help="also draw the results as a chart (needs matplotlib); PNG defaults to "
                         "the --json name with .png, else train_lenet.png")
    args = ap.parse_args(argv)
    threads = set_threads(args.threads)
    report = {"machine": machine(), "threads": threads, "clock": args.clock, "train": {},
              "inference": {}}
    report["load_average_before"] = os.getloadavg()
    print(f"machine: {report['machine']}")
    print(f"threads: {threads}")
    print(f"clock: {'CPU time of this process' if args.clock == 'cpu' else 'wall time'}")
    print(f"load average (1, 5, 15 min) before: {report['load_average_before']}")
    print(f"\n{'what':<22}{'peer':<11}{'median ms':>10}{'min':>9}{'max':>9}{'img/s':>10}"
          f"{'vs torch':>10}{'paired':>8}")
    wanted = {int(b) for b in args.train_batches.split(",")} | {
        int(b) for b in args.infer_batches.split(",")}
    for batch in sorted(wanted):
        train, inference = peers(batch, args.mode, args.peers.split(","))
        for kind, cands, batches in (("train", train, args.train_batches),
                                     ("inference", inference, args.infer_batches)):
            if str(batch) not in batches.split(","):
                continue
            clock = time.process_time if args.clock == "cpu" else time.perf_counter
            res = interleaved(cands, args.repeats, args.inner, clock=clock)
            report[kind][batch] = res
            for peer, r in res.items():
                ratio = (r["median_ms"] / res["torch"]["median_ms"]) if "torch" in res else None
                paired = paired_ratio(res, peer, "torch")
                r["ratio_to_torch"], r["paired_ratio_to_torch"] = ratio, paired
                r["images_per_s"] = batch / r["median_ms"] * 1e3
                print(f"{kind + ' b' + str(batch):<22}{peer:<11}{r['median_ms']:>10.3f}"
                      f"{r['min_ms']:>9.3f}{r['max_ms']:>9.3f}{r['images_per_s']:>10.0f}"
                      f"{'' if ratio is None else f'{ratio:.2f}':>10}"
                      f"{'' if paired is None else f'{paired:.2f}':>8}")
    report["load_average_after"] = os.getloadavg()
    print(f"load average after: {report['load_average_after']} (above {os.cpu_count()}: "
          f"other processes shared the cores, so absolute times are inflated)")
    if args.data:
        res = pipeline_epoch(args.data, 32)
        report["pipeline_epoch"] = res
        print(f"\nfull epoch through create_dataset({args.data}): {res['steps']} steps, "
              f"{res['pipeline_s']:.2f} s, of which fetching batches {res['fetch_s']:.2f} s and "
              f"training {res['compute_s']:.2f} s: (fetch + train) / train = {res['ratio']:.3f}; "
              f"a separate compute-only epoch took {res['compute_only_s']:.2f} s "
              f"(ratio {res['ratio_separate_runs']:.3f})")
    write_json(args.json, report)
    if args.plot is not None:
        from _plot import default_path, write_chart
        write_chart("train_lenet", json.loads(json.dumps(report)),
                    args.plot or default_path("train_lenet", args.json))
    return report


if __name__ == "__main__":
    main()
