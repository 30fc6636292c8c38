"""Optimizer step time: minispore vs torch.optim on the same parameters and gradients.

For each optimizer, one step over LeNet5's parameter shapes (61,706 floats in 10 tensors) and
over one large tensor (--big floats): interleaved repeats, medians, and the paired ratio
(median over repeats of minispore / torch within the same repeat; < 1 means minispore is
faster). torch runs its default (foreach) implementation with the same thread count.

    python benchmarks/optimizers.py [--threads 2] [--repeats 7] [--inner 50] [--json out.json]
                                    [--plot [PNG]]
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _common import interleaved, machine, paired_ratio, set_threads, write_json  # noqa: E402

LENET = [(6, 1, 5, 5), (6,), (16, 6, 5, 5), (16,), (120, 400), (120,), (84, 120), (84,),
         (10, 84), (10,)]

# name: (minispore factory, torch factory); both take a list of parameters.
CASES = {
    "Momentum": (lambda nn, p: nn.Momentum(p, 0.01, 0.9, weight_decay=1e-4),
                 lambda to, p: to.SGD(p, lr=0.01, momentum=0.9, weight_decay=1e-4)),
    "SGD nesterov": (lambda nn, p: nn.SGD(p, 0.01, momentum=0.9, nesterov=True),
                     lambda to, p: to.SGD(p, lr=0.01, momentum=0.9, nesterov=True)),
    "Adam": (lambda nn, p: nn.Adam(p, 1e-3, weight_decay=1e-4),
             lambda to, p: to.Adam(p, lr=1e-3, weight_decay=1e-4)),
    "Adam amsgrad": (lambda nn, p: nn.Adam(p, 1e-3, use_amsgrad=True),
                     lambda to, p: to.Adam(p, lr=1e-3, amsgrad=True)),
    "AdamWeightDecay / AdamW": (lambda nn, p: nn.AdamWeightDecay(p, 1e-3, weight_decay=0.01),
                                lambda to, p: to.AdamW(p, lr=1e-3, weight_decay=0.01)),
    "RMSProp": (lambda nn, p: nn.RMSProp(p, 1e-3, momentum=0.9),
                lambda to, p: to.RMSprop(p, lr=1e-3, alpha=0.9, momentum=0.9)),
    "Adagrad": (lambda nn, p: nn.Adagrad(p, learning_rate=1e-2),
                lambda to, p: to.Adagrad(p, lr=1e-2, initial_accumulator_value=0.1)),
}


def _setup(shapes, seed=0):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s).astype(np.float32) * 0.1 for s in shapes]
    grads = [rng.standard_normal(s).astype(np.float32) * 1e-3 for s in shapes]
    return values, grads


def minispore_step(name, values, grads):
    from minispore import Parameter, Tensor, nn
    params = [Parameter(Tensor(v.copy()), name=f"p{i}") for i, v in enumerate(values)]
    opt = CASES[name][0](nn, params)
    g = tuple(Tensor(x) for x in grads)
    return lambda: opt(g)


def torch_step(name, values, grads):
    import torch
    params = [torch.tensor(v.copy(), requires_grad=True) for v in values]
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g)
    opt = CASES[name][1](torch.optim, params)
    return opt.step


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--inner", type=int, default=50)
    ap.add_argument("--big", type=int, default=1_000_000, help="floats in the large tensor")
    ap.add_argument("--settle", type=float, default=0.2)
    ap.add_argument("--json", default=None)
    ap.add_argument("--plot", nargs="?", const="", default=None, metavar="PNG",
                    help="also draw the results as a chart (needs matplotlib); PNG defaults to "
                         "the --json name with .png, else optimizers.png")
    args = ap.parse_args()
    threads = set_threads(args.threads)
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
        print("torch is not installed: minispore times only, no ratios")
    report = {"machine": machine(), "threads": threads, "args": vars(args), "rows": []}
    print(f"{'optimizer':26s} {'params':>10s} {'minispore ms':>13s} {'torch ms':>9s} "
          f"{'ratio':>6s}")
    for shapes_name, shapes in (("lenet5", LENET), (f"1x{args.big}", [(args.big,)])):
        values, grads = _setup(shapes)
        for name in CASES:
            candidates = {"minispore": minispore_step(name, values, grads)}
            if have_torch:
                candidates["torch"] = torch_step(name, values, grads)
            result = interleaved(candidates, args.repeats, args.inner, settle=args.settle)
            ratio = paired_ratio(result, "minispore", "torch")
            row = {"optimizer": name, "params": shapes_name,
                   **{k: {"median_ms": v["median_ms"]} for k, v in result.items()},
                   "ratio_minispore_over_torch": ratio}
            report["rows"].append(row)
            torch_ms = f"{result['torch']['median_ms']:9.3f}" if have_torch else f"{'-':>9s}"
            ratio_s = f"{ratio:6.2f}" if ratio is not None else f"{'-':>6s}"
            print(f"{name:26s} {shapes_name:>10s} {result['minispore']['median_ms']:13.3f} "
                  f"{torch_ms} {ratio_s}")
    write_json(args.json, report)
    if args.plot is not None:
        from _plot import default_path, write_chart
        write_chart("optimizers", report, args.plot or default_path("optimizers", args.json))


if __name__ == "__main__":
    main()
