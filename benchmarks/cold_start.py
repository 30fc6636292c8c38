"""Cold start: a fresh process's first training steps with an empty numba cache, against PyTorch.

Each case runs in a new Python process with ``NUMBA_CACHE_DIR`` pointing at a new empty
directory (so nothing compiled earlier is reused), builds the model, and times ``import``, the
first training step (batch 32; every kernel it needs compiles here), the second step (GRAPH_MODE
builds and compiles its plan here) and the third (steady state). The PyTorch rows run the same
model in a fresh process (nothing to compile). The same cases again with the warm cache the
cold run left show what every later process pays.

    python benchmarks/cold_start.py [--models lenet,resnet] [--repeats 1] [--json out.json]
                                    [--plot [PNG]]

Cases: ``pynative``, ``graph`` (``set_context(mode=GRAPH_MODE)``), ``helper``
(``MINISPORE_WARMUP=1``: the opt-in compile helper process) and ``torch``.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

from _common import machine

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

CHILD = r'''
import json, sys, time
t0 = time.perf_counter()
model, case = sys.argv[1], sys.argv[2]
import numpy as np
if case == "torch":
    import torch
    sys.path.insert(0, {here!r})
    t1 = time.perf_counter()
    if model == "lenet":
        from _common import torch_lenet
        shapes = {{"conv1.weight": (6, 1, 5, 5), "conv2.weight": (16, 6, 5, 5),
                  "fc1.weight": (120, 400), "fc1.bias": (120,), "fc2.weight": (84, 120),
                  "fc2.bias": (84,), "fc3.weight": (10, 84), "fc3.bias": (10,)}}
        net = torch_lenet({{k: (0.1 * np.random.randn(*v)).astype(np.float32)
                           for k, v in shapes.items()}})
        shape = (32, 1, 32, 32)
    else:
        sys.path.insert(0, {resnet!r})
        from resnet_torch import ResNetSmall
        net = ResNetSmall()
        shape = (32, 1, 28, 28)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x = torch.from_numpy(np.random.rand(*shape).astype(np.float32))
    y = torch.from_numpy(np.random.randint(0, 10, 32).astype(np.int64))
    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
else:
    import minispore as ms
    from minispore import nn
    t1 = time.perf_counter()
    if case == "graph":
        ms.set_context(mode=ms.GRAPH_MODE)
    if model == "lenet":
        sys.path.insert(0, {lenet!r})
        from lenet import LeNet5
        net, shape = LeNet5(), (32, 1, 32, 32)
    else:
        sys.path.insert(0, {resnet!r})
        from resnet import ResNetSmall
        net, shape = ResNetSmall(), (32, 1, 28, 28)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    train = nn.TrainOneStepCell(nn.WithLossCell(net, loss),
                                nn.Momentum(net.trainable_params(), 0.01, 0.9))
    x = ms.Tensor(np.random.rand(*shape).astype(np.float32))
    y = ms.Tensor(np.random.randint(0, 10, 32).astype(np.int32))
    step = lambda: train(x, y)
times = []
for _ in range(3):
    t = time.perf_counter()
    step()
    times.append(time.perf_counter() - t)
print(json.dumps({{"import_s": t1 - t0, "first_s": times[0], "second_s": times[1],
                  "third_s": times[2], "to_steady_s": (t1 - t0) + times[0] + times[1]}}))
'''.format(here=HERE, lenet=os.path.join(ROOT, "models", "lenet"),
           resnet=os.path.join(ROOT, "models", "resnet"))

CASES = ("pynative", "graph", "helper", "torch")


def run_case(model, case, cache_dir):
    """One fresh process; returns its timings (a dict)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, MINISPORE_WARMUP="0")
    if case == "helper":
        env["MINISPORE_WARMUP"] = "1"
    proc = subprocess.run([sys.executable, "-c", CHILD, model, case], env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"cold_start.py: {model} {case} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="lenet,resnet")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--repeats", type=int, default=1, help="cold runs per case (median)")
    ap.add_argument("--json", default=None)
    ap.add_argument("--plot", nargs="?", const="", default=None, metavar="PNG",
                    help="also draw the results as a chart (needs matplotlib); PNG defaults to "
                         "the --json name with .png, else cold_start.png")
    args = ap.parse_args(argv)
    try:
        import torch  # noqa: F401
    except ImportError:
        args.cases = ",".join(c for c in args.cases.split(",") if c != "torch")
    rows = []
    print(f"{'model':<8}{'case':<10}{'cache':<7}{'import s':>9}{'step 1 s':>10}{'step 2 s':>10}"
          f"{'step 3 ms':>11}{'to steady s':>13}")
    for model in args.models.split(","):
        for case in args.cases.split(","):
            runs, warm = [], None
            for _ in range(args.repeats):
                with tempfile.TemporaryDirectory() as cache:
                    runs.append(run_case(model, case, cache))
                    if case == "helper":  # the helper may still be writing: let it finish
                        import time
                        time.sleep(15)
                    warm = run_case(model, case, cache)
            cold = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            for label, r in (("empty", cold), ("warm", warm)):
                rows.append({"model": model, "case": case, "cache": label, **r})
                print(f"{model:<8}{case:<10}{label:<7}{r['import_s']:>9.2f}{r['first_s']:>10.2f}"
                      f"{r['second_s']:>10.2f}{1e3 * r['third_s']:>11.1f}"
                      f"{r['to_steady_s']:>13.2f}")
    report = {"machine": machine(), "rows": rows}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
    if args.plot is not None:
        from _plot import default_path, write_chart
        write_chart("cold_start", report, args.plot or default_path("cold_start", args.json))


if __name__ == "__main__":
    main()
