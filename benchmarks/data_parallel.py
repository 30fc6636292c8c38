"""Data-parallel LeNet5 training: 1 process x 2 threads vs ``mpiexec -n 2`` x 1 thread each,
Allreduce time vs payload size, and the bytes one training step sends.

    python benchmarks/data_parallel.py [--rounds 3] [--steps 40] [--json out.json] [--plot [PNG]]

The driver alternates two jobs ``--rounds`` times (so machine noise hits both):

* ``1x2``: one plain process (numba's default 2 threads on this 2-core machine);
* ``2x1``: ``mpiexec -n 2``; ``communication.init()`` gives each rank 1 numba/BLAS thread;
  ``ParallelMode.DATA_PARALLEL`` with ``gradients_mean``, so every step ends with the
  ``DistributedGradReducer``'s Allreduce.

Each job times minispore and, when torch is importable, PyTorch (the 2-rank job: torch
``DistributedDataParallel`` over gloo, 1 thread per rank) in the same process, interleaved, on
the same batches (LeNet5, ``--batch`` images per rank). Images/s counts all ranks' images.
The 2-rank job also times one Allreduce of 1 KiB .. 16 MiB float32 payloads (minispore's
MPI Allreduce, and torch's gloo ``all_reduce`` as peer), and checks that one training step
sends exactly the gradients' bytes, in one Allreduce per bucket.
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "models", "lenet"))
sys.path.insert(0, HERE)

from _common import machine, torch_lenet, write_json  # noqa: E402

PAYLOADS = [1 << k for k in range(10, 25, 2)]  # 1 KiB, 4 KiB, ..., 16 MiB


# ---- worker (one process of a job) -------------------------------------------------------------
def _minispore_step(batch, seed=0):
    """``(train cell, initial weights, x, y)``: LeNet5 + Momentum as in train_lenet.py; in data
    parallel mode the cell's ``grad_reducer`` is the DistributedGradReducer."""
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
    x = rng.standard_normal((batch, 1, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, batch).astype(np.int32)
    weights = {p.name: p.asnumpy().copy() for p in net.get_parameters()}
    tx, ty = Tensor(x), Tensor(y)
    train_net.run = lambda: train_net(tx, ty)
    return train_net, weights, x, y


def _torch_step(weights, x, y, threads, distributed):
    try:
        import torch
    except ImportError:
        return None
    from train_lenet import torch_steps
    torch.set_num_threads(threads)
    if not distributed:
        return torch_steps(weights, x, y)[0]
    F = torch.nn.functional
    model = torch_lenet(weights)
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.01, momentum=0.9)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(ddp(tx), ty)
        loss.backward()
        opt.step()
        return loss
    return step


def _init_torch_distributed(world, rank, size):
    try:
        import torch.distributed as dist
    except ImportError:
        return False
    port = None
    if rank == 0:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    port = world.bcast_object(port, 0)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=size)
    return True


def _timed(fn, steps, barrier, settle=0.0):
    """Seconds for ``steps`` calls of ``fn``, between barriers; ``settle`` seconds of idling
    first, so a thread pool still spinning after the other candidate's turn (torch's OpenMP,
    OpenBLAS) does not slow this one (see _common.interleaved)."""
    fn()
    time.sleep(settle)
    barrier()
    t0 = time.perf_counter()
    for _ in range(steps):
        fn()
    barrier()
    return time.perf_counter() - t0


def worker(args):
    """Run inside one process of a job; rank 0 prints one JSON line."""
    import numba

    import minispore as ms
    from minispore.communication import _collective, get_group_size, get_rank, init, management
    init()
    rank, size = get_rank(), get_group_size()
    world = management.world()
    if size > 1:
        ms.set_auto_parallel_context(parallel_mode=ms.ParallelMode.DATA_PARALLEL,
                                     gradients_mean=True)
    threads = numba.get_num_threads()
    train_net, weights, x, y = _minispore_step(args.batch, seed=rank)
    torch_ok = size == 1 or _init_torch_distributed(world, rank, size)
    peer = _torch_step(weights, x, y, threads, size > 1) if torch_ok else None
    candidates = {"minispore": train_net.run}
    if peer is not None:
        candidates["torch"] = peer
    for fn in candidates.values():
        for _ in range(args.warmup):
            fn()
    seconds = {name: [] for name in candidates}
    for _ in range(args.repeats):
        for name, fn in candidates.items():
            seconds[name].append(_timed(fn, args.steps, world.barrier, settle=0.2))
    result = {"ranks": size, "threads_per_rank": threads, "batch_per_rank": args.batch,
              "steps": args.steps, "repeats": args.repeats}
    for name, s in seconds.items():
        result[name] = {"images_per_s": size * args.batch * args.steps / statistics.median(s),
                        "step_ms": 1e3 * statistics.median(s) / args.steps}
    if size > 1:
        result["traffic"] = _one_step_traffic(train_net, _collective)
        result["allreduce"] = _allreduce_times(world, _collective, args, peer is not None)
    if rank == 0:
        print("RESULT " + json.dumps(result), flush=True)


def _one_step_traffic(train_net, collective):
    """Bytes and Allreduce calls of one training step, against the gradients' bytes (the
    trainable parameters' bytes, counted from the parameters themselves)."""
    collective.reset_traffic()
    train_net.run()
    return {"bytes_per_step": collective.traffic["allreduce_bytes"],
            "allreduce_calls_per_step": collective.traffic["allreduce_calls"],
            "gradient_bytes": sum(p.asnumpy().nbytes for p in train_net.weights),
            "buckets": len(train_net.grad_reducer.buckets)}


def _allreduce_times(world, collective, args, with_torch):
    rows = []
    if with_torch:
        import torch
        import torch.distributed as dist
    for nbytes in PAYLOADS:
        buf = np.ones(nbytes // 4, np.float32)
        reps = max(5, min(200, int(2e7 // nbytes)))
        cands = {"minispore_mpi": lambda: collective.allreduce(buf, "sum")}
        if with_torch:
            tbuf = torch.ones(nbytes // 4, dtype=torch.float32)
            cands["torch_gloo"] = lambda: dist.all_reduce(tbuf)
        row = {"bytes": nbytes}
        for name, fn in cands.items():
            fn()
            samples = []
            for _ in range(args.repeats):
                samples.append(_timed(fn, reps, world.barrier) / reps * 1e6)
            row[f"{name}_us"] = statistics.median(samples)
        rows.append(row)
    return rows


# ---- driver -----------------------------------------------------------------------------------
def _job(cmd, env):
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3, help="alternations of the two jobs")
    p.add_argument("--steps", type=int, default=40, help="timed steps per repeat")
    p.add_argument("--repeats", type=int, default=3, help="repeats per job (median)")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--batch", type=int, default=32, help="images per rank per step")
    p.add_argument("--json", help="write the report here")
    p.add_argument("--plot", nargs="?", const="", default=None, metavar="PNG",
                    help="also draw the results as a chart (needs matplotlib); PNG defaults to "
                         "the --json name with .png, else data_parallel.png")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args)
    mpiexec = shutil.which("mpiexec")
    if mpiexec is None:
        sys.exit("data_parallel.py: needs mpiexec (pip install 'minispore[dist]')")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(x for x in (ROOT, env.get("PYTHONPATH")) if x)
    base = [sys.executable, os.path.abspath(__file__), "--worker", "--steps", str(args.steps),
            "--repeats", str(args.repeats), "--warmup", str(args.warmup), "--batch",
            str(args.batch)]
    jobs = {"1x2": base, "2x1": [mpiexec, "-n", "2"] + base}
    runs = {name: [] for name in jobs}
    load_before = os.getloadavg()
    for _ in range(args.rounds):
        for name, cmd in jobs.items():
            runs[name].append(_job(cmd, env))
    load = {"before": load_before, "after": os.getloadavg()}
    report = {"machine": machine(), "note": "2-core machine shared with other jobs; figures "
              "are medians of the rounds", "load_average_1_5_15min": load,
              "rounds": args.rounds, "jobs": {}}
    print(f"LeNet5 training, batch {args.batch} per rank, {args.steps} steps x {args.repeats} "
          f"repeats per job, {args.rounds} rounds (median of rounds); load average "
          f"{load['before'][0]:.1f} before, {load['after'][0]:.1f} after")
    print(f"{'job':<22}{'minispore img/s':>16}{'torch img/s':>13}"
          f"{'step time minispore/torch':>27}")
    for name, results in runs.items():
        summary = {"ranks": results[0]["ranks"], "threads_per_rank":
                   results[0]["threads_per_rank"]}
        for peer in ("minispore", "torch"):
            if peer in results[0]:
                summary[f"{peer}_images_per_s"] = statistics.median(
                    r[peer]["images_per_s"] for r in results)
        report["jobs"][name] = summary
        m, t = summary.get("minispore_images_per_s"), summary.get("torch_images_per_s")
        label = f"{summary['ranks']} rank x {summary['threads_per_rank']} thread"
        print(f"{label:<22}{m:>16,.0f}" + (f"{t:>13,.0f}{t / m:>27.2f}" if t else ""))
    one, two = report["jobs"]["1x2"], report["jobs"]["2x1"]
    report["speedup_2x1_over_1x2"] = two["minispore_images_per_s"] / one["minispore_images_per_s"]
    print(f"minispore 2 ranks x 1 thread / 1 rank x 2 threads: "
          f"{report['speedup_2x1_over_1x2']:.2f}x images/s")
    traffic = runs["2x1"][-1]["traffic"]
    report["traffic"] = traffic
    print(f"one step sends {traffic['bytes_per_step']:,} bytes in "
          f"{traffic['allreduce_calls_per_step']} Allreduce(s); the gradients are "
          f"{traffic['gradient_bytes']:,} bytes in {traffic['buckets']} bucket(s)")
    rows = []
    for i, nbytes in enumerate(PAYLOADS):
        row = {"bytes": nbytes}
        for key in ("minispore_mpi_us", "torch_gloo_us"):
            if key in runs["2x1"][0]["allreduce"][i]:
                row[key] = statistics.median(r["allreduce"][i][key] for r in runs["2x1"])
        rows.append(row)
    report["allreduce"] = rows
    print(f"{'payload':>10}{'MPI Allreduce us':>18}{'GB/s':>7}{'gloo us':>11}{'gloo/MPI':>10}")
    for row in rows:
        mpi = row["minispore_mpi_us"]
        gloo = row.get("torch_gloo_us")
        print(f"{_size(row['bytes']):>10}{mpi:>18,.1f}{row['bytes'] / mpi / 1e3:>7.2f}" +
              (f"{gloo:>11,.1f}{gloo / mpi:>10.2f}" if gloo else ""))
    write_json(args.json, report)
    if args.plot is not None:
        from _plot import default_path, write_chart
        write_chart("data_parallel", report,
                    args.plot or default_path("data_parallel", args.json))
    return report


def _size(n):
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n >> 10} KiB"


if __name__ == "__main__":
    main()
