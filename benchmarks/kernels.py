"""Kernel benchmark at LeNet's batch-32 shapes: minispore vs plain numpy (im2col + matmul) vs PyTorch.

All peers run in one process, warm, in interleaved rounds (the starting peer rotates each round);
the table shows the median time per call, the spread (25th-75th percentile of round medians),
GFLOP/s where the op has a meaningful FLOP count, and the ratio to PyTorch (>1 means slower than
PyTorch). Compile time is measured separately in subprocesses: cold (empty ``NUMBA_CACHE_DIR``)
and cached (the same directory again).

    python benchmarks/kernels.py [--threads N] [--rounds R] [--json FILE] [--plot [PNG]]

``--threads`` sets ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS``/``NUMBA_NUM_THREADS`` before
numpy and numba are imported (minispore's parallel kernels and the numpy peer's BLAS get N
threads; minispore's own GEMMs run BLAS on one thread, see ``minispore/ops/_blas.py``) and
``torch.set_num_threads(N)``.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--min-time", type=float, default=0.02,
                        help="seconds of calls per peer per round (default 0.02)")
    parser.add_argument("--settle", type=float, default=0.15,
                        help="idle seconds before each peer's turn, so the previous peer's "
                             "spinning thread pool (OpenBLAS, OpenMP) has gone to sleep")
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--plot", nargs="?", const="", default=None, metavar="PNG",
                        help="also draw the results as a chart (needs matplotlib); PNG defaults to "
                             "the --json name with .png, else kernels.png")
    parser.add_argument("--no-compile", action="store_true", help="skip the compile-time runs")
    return parser.parse_args()


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402  (after the thread variables)

sys.path[:0] = [ROOT, os.path.join(ROOT, "benchmarks")]
from minispore.ops import _array_api as ms  # noqa: E402
import _numpy_peer as npref  # noqa: E402
from _common import blas_description, machine  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the torch column is optional
    torch = None

V, P0 = (1, 1), (0, 0, 0, 0)


def lenet_cases(rng):
    """(name, gflop, {peer: zero-arg callable}) for every kernel at LeNet's batch-32 shapes."""
    f32 = lambda *s: rng.uniform(-1, 1, s).astype(np.float32)  # noqa: E731
    cases = []

    def t(a):
        return torch.from_numpy(a) if torch is not None else None

    for tag, xs, ws in (("conv1", (32, 1, 32, 32), (6, 1, 5, 5)),
                        ("conv2", (32, 6, 14, 14), (16, 6, 5, 5))):
        x, w = f32(*xs), f32(*ws)
        y = ms.conv2d_forward(x, w, V, P0, V, 1)
        dy = f32(*y.shape)
        gflop = 2 * y.size * np.prod(ws[1:]) / 1e9
        tx, tw, tdy = t(x), t(w), t(dy)
        cases.append((f"{tag} forward", gflop, {
            "minispore": lambda x=x, w=w: ms.conv2d_forward(x, w, V, P0, V, 1),
            "numpy": lambda x=x, w=w: npref.conv2d(x, w),
            "torch": torch and (lambda tx=tx, tw=tw: F.conv2d(tx, tw))}))
        cases.append((f"{tag} input-grad", gflop, {
            "minispore": lambda dy=dy, w=w, s=xs: ms.conv2d_backward_input(dy, w, s, V, P0, V, 1),
            "numpy": lambda dy=dy, w=w, s=xs: npref.conv2d_backward_input(dy, w, s),
            "torch": torch and (lambda tdy=tdy, tw=tw, s=xs:
                                torch.ops.aten.convolution_backward(
                                    tdy, torch.empty(s), tw, None, V, (0, 0), V, False, (0, 0),
                                    1, (True, False, False))[0])}))
        cases.append((f"{tag} weight-grad", gflop, {
            "minispore": lambda dy=dy, x=x, s=ws: ms.conv2d_backward_weight(dy, x, s, V, P0, V, 1),
            "numpy": lambda dy=dy, x=x, s=ws: npref.conv2d_backward_weight(dy, x, s),
            "torch": torch and (lambda tdy=tdy, tx=tx, tw=tw:
                                torch.ops.aten.convolution_backward(
                                    tdy, tx, tw, None, V, (0, 0), V, False, (0, 0), 1,
                                    (False, True, False))[1])}))
    for xs in ((32, 6, 28, 28), (32, 16, 10, 10)):
        x = f32(*xs)
        y, arg = ms.max_pool2d_forward(x, 2, 2, 0)
        dy = f32(*y.shape)
        tx, tdy = t(x), t(dy)
        targ = torch and F.max_pool2d(tx, 2, 2, return_indices=True)[1]
        cases.append((f"maxpool {xs[1]}x{xs[2]} fwd", None, {
            "minispore": lambda x=x: ms.max_pool2d_forward(x, 2, 2, 0),
            "numpy": lambda x=x: npref.max_pool2d(x),
            "torch": torch and (lambda tx=tx: F.max_pool2d(tx, 2, 2, return_indices=True))}))
        cases.append((f"maxpool {xs[1]}x{xs[2]} bwd", None, {
            "minispore": lambda dy=dy, a=arg, s=xs: ms.max_pool2d_backward(dy, a, s),
            "numpy": lambda dy=dy, a=arg, s=xs: npref.max_pool2d_backward(dy, a, s),
            "torch": torch and (lambda tdy=tdy, ta=targ, tx=tx:
                                torch.ops.aten.max_pool2d_with_indices_backward(
                                    tdy, tx, (2, 2), (2, 2), (0, 0), (1, 1), False, ta))}))
    for fin, fout in ((400, 120), (120, 84), (84, 10)):
        x, w, b = f32(32, fin), f32(fout, fin), f32(fout)
        dy = f32(32, fout)
        tx, tw, tb, tdy = t(x), t(w), t(b), t(dy)
        gflop = 2 * 32 * fin * fout / 1e9
        cases.append((f"dense {fin}->{fout} fwd", gflop, {
            "minispore": lambda x=x, w=w, b=b: ms.dense_forward(x, w, b),
            "numpy": lambda x=x, w=w, b=b: x @ w.T + b,
            "torch": torch and (lambda tx=tx, tw=tw, tb=tb: F.linear(tx, tw, tb))}))
        cases.append((f"dense {fin}->{fout} bwd", 2 * gflop, {
            "minispore": lambda dy=dy, x=x, w=w: ms.dense_backward(dy, x, w),
            "numpy": lambda dy=dy, x=x, w=w: (dy @ w, dy.T @ x, dy.sum(0)),
            "torch": torch and (lambda tdy=tdy, tx=tx, tw=tw: (tdy @ tw, tdy.T @ tx, tdy.sum(0)))}))
    x = f32(32, 6, 28, 28)
    y = ms.relu_forward(x)
    tx, ty, tdy = t(x), t(y), t(x)
    cases.append(("relu fwd (32,6,28,28)", None, {
        "minispore": lambda: ms.relu_forward(x), "numpy": lambda: np.maximum(x, 0),
        "torch": torch and (lambda: torch.relu(tx))}))
    cases.append(("relu bwd (32,6,28,28)", None, {
        "minispore": lambda: ms.relu_backward(x, y), "numpy": lambda: np.where(y > 0, x, 0),
        "torch": torch and (lambda: torch.ops.aten.threshold_backward(tdy, ty, 0))}))
    z, labels = f32(32, 10) * 4, rng.integers(0, 10, 32).astype(np.int32)
    tz, tl = t(z), torch and torch.from_numpy(labels.astype(np.int64))
    def torch_xent():
        tz_ = tz.detach().requires_grad_()
        loss = F.cross_entropy(tz_, tl)
        return loss, torch.autograd.grad(loss, tz_)[0]

    cases.append(("softmax-CE fwd+bwd", None, {
        "minispore": lambda: ms.softmax_cross_entropy_sparse(z, labels, "mean"),
        "numpy": lambda: npref.softmax_xent(z, labels),
        "torch": torch and torch_xent}))
    shapes = [(6, 1, 5, 5), (16, 6, 5, 5), (120, 400), (120,), (84, 120), (84,), (10, 84), (10,)]
    params = [f32(*s) * 0.01 for s in shapes]
    grads = [f32(*s) * 0.01 for s in shapes]
    moments = [np.zeros(s, np.float32) for s in shapes]
    tp, tg = [t(p.copy()) for p in params], [t(g) for g in grads]
    topt = torch and torch.optim.SGD(tp, lr=1e-6, momentum=0.9)
    if torch is not None:
        for p_, g_ in zip(tp, tg):
            p_.grad = g_

    def np_momentum():
        for p_, g_, v_ in zip(params, grads, moments):
            v_ *= 0.9
            v_ += g_
            p_ -= 1e-6 * v_

    cases.append(("Momentum, all LeNet params", None, {
        "minispore": lambda: ms.momentum_apply(params, grads, moments, 1e-6, 0.9),
        "numpy": np_momentum, "torch": torch and topt.step}))
    return cases


def layer_cases(rng):
    """(name, gflop, peers) for the layer kernels (BatchNorm, ...) at small-CNN shapes: each
    primitive's forward and its backward (all inputs' gradients) against torch's aten kernels."""
    from minispore.ops.function import nn_func as NF
    from minispore.ops.function import pooling_func as NP
    from minispore.ops.function import activation_func as NA
    from minispore.ops.function import normalization_func as NN
    from minispore.ops.function import rnn_func as NR
    f32 = lambda *s: rng.uniform(-1, 1, s).astype(np.float32)  # noqa: E731
    cases = []

    def t(a):
        return torch.from_numpy(a) if torch is not None else None

    xb, dyb = f32(32, 16, 16, 16), f32(32, 16, 16, 16)
    g, b = f32(16) + 1, f32(16)
    rm, rv = np.zeros(16, np.float32), np.ones(16, np.float32)
    _, bnode = ms.forward_node(NN.BatchNorm, xb, g, b, running=(rm, rv), training=True,
                              momentum=0.1, eps=1e-5)
    tx, tg, tb, tdy, trm, trv = t(xb), t(g), t(b), t(dyb), t(rm), t(rv)
    tstats = torch and torch.ops.aten.native_batch_norm(tx, tg, tb, trm.clone(), trv.clone(),
                                                        True, 0.1, 1e-5)
    cases.append(("batchnorm2d train fwd", None, {
        "minispore": lambda: ms.forward_node(NN.BatchNorm, xb, g, b, running=(rm, rv),
                                             training=True, momentum=0.1, eps=1e-5),
        "numpy": None,
        "torch": torch and (lambda: F.batch_norm(tx, trm, trv, tg, tb, True, 0.1, 1e-5))}))
    cases.append(("batchnorm2d train bwd", None, {
        "minispore": lambda: bnode.backward(dyb),
        "numpy": None,
        "torch": torch and (lambda: torch.ops.aten.native_batch_norm_backward(
            tdy, tx, tg, trm, trv, tstats[1], tstats[2], True, 1e-5, (True, True, True)))}))
    xa = f32(32, 64, 7, 7)
    for name, fn, tfn in (("adaptive avgpool 7x7->3x3", NP.AdaptiveAvgPool2D,
                           torch and F.adaptive_avg_pool2d),
                          ("adaptive maxpool 7x7->3x3", NP.AdaptiveMaxPool2D,
                           torch and F.adaptive_max_pool2d)):
        attrs = {"output_size": (3, 3)}
        if fn is NP.AdaptiveMaxPool2D:
            attrs["return_indices"] = False
        y, node = ms.forward_node(fn, xa, **attrs)
        dya, txa = f32(*y.shape), t(xa)
        txg = torch and txa.clone().requires_grad_()
        ty = torch and tfn(txg, (3, 3))
        cases.append((f"{name} fwd", None, {
            "minispore": lambda fn=fn, attrs=attrs: ms.forward_node(fn, xa, **attrs),
            "numpy": None, "torch": torch and (lambda tfn=tfn, txa=txa: tfn(txa, (3, 3)))}))
        cases.append((f"{name} bwd", None, {
            "minispore": lambda node=node, dya=dya: node.backward(dya), "numpy": None,
            "torch": torch and (lambda ty=ty, txg=txg, tdy=t(dya): torch.autograd.grad(
                ty, txg, tdy, retain_graph=True))}))
    xg, dyg = f32(32, 64, 16, 16) * 3, f32(32, 64, 16, 16)
    txg_, tdyg = t(xg), t(dyg)
    _, gnode = ms.forward_node(NA.GeLU, xg, tanh_approx=False)
    cases.append(("gelu (erf) fwd (32,64,16,16)", None, {
        "minispore": lambda: ms.forward_node(NA.GeLU, xg, tanh_approx=False), "numpy": None,
        "torch": torch and (lambda: F.gelu(txg_))}))
    cases.append(("gelu (erf) bwd (32,64,16,16)", None, {
        "minispore": lambda: gnode.backward(dyg), "numpy": None,
        "torch": torch and (lambda: torch.ops.aten.gelu_backward(tdyg, txg_))}))
    xl, dyl = f32(32, 64, 256), f32(32, 64, 256)
    wl, bl = f32(256) + 1, f32(256)
    _, lnode = ms.forward_node(NN.LayerNorm, xl, wl, bl, norm_shape=(256,), eps=1e-5)
    txl, twl, tbl = (torch.tensor(a, requires_grad=True) if torch else None for a in (xl, wl, bl))
    tyl = torch and F.layer_norm(txl, (256,), twl, tbl)
    cases.append(("layernorm fwd (32,64,256)", None, {
        "minispore": lambda: ms.forward_node(NN.LayerNorm, xl, wl, bl, norm_shape=(256,),
                                             eps=1e-5), "numpy": None,
        "torch": torch and (lambda: F.layer_norm(t(xl), (256,), t(wl), t(bl)))}))
    cases.append(("layernorm bwd (32,64,256)", None, {
        "minispore": lambda: lnode.backward(dyl), "numpy": None,
        "torch": torch and (lambda: torch.autograd.grad(tyl, (txl, twl, tbl), t(dyl),
                                                        retain_graph=True))}))
    ids = rng.integers(0, 10000, (32, 128))
    table, dye = f32(10000, 128), f32(32, 128, 128)
    _, enode = ms.forward_node(NF.Embedding, ids, table, padding_idx=None)
    tids = torch and torch.from_numpy(ids)
    cases.append(("embedding bwd 10000x128, 4096 ids", None, {
        "minispore": lambda: enode.backward(dye), "numpy": None,
        "torch": torch and (lambda: torch.ops.aten.embedding_dense_backward(
            t(dye), tids, 10000, -1, False))}))
    T, B, I, H = 32, 32, 64, 128
    xr, h0, c0 = f32(T, B, I), f32(B, H), f32(B, H)
    w_ih, w_hh, b_ih, b_hh = f32(4 * H, I) * 0.1, f32(4 * H, H) * 0.1, f32(4 * H), f32(4 * H)
    dyr = f32(T, B, H)
    zero = np.zeros((B, H), np.float32)

    def ms_lstm():
        _, rnode = ms.forward_node(NR.RNNLayer, xr, h0, c0, w_ih, w_hh, b_ih, b_hh, mode="LSTM",
                                   reverse=False, has_c=True, has_bias=True)
        return rnode.backward(dyr, zero, zero)
    tlstm = torch and torch.nn.LSTM(I, H)
    if torch is not None:
        with torch.no_grad():
            for p_, a in zip(tlstm.parameters(), (w_ih, w_hh, b_ih, b_hh)):
                p_.copy_(t(a))
    txr = torch and t(xr).requires_grad_()

    def torch_lstm():
        y, _ = tlstm(txr, (t(h0)[None], t(c0)[None]))
        return torch.autograd.grad(y, [txr] + list(tlstm.parameters()), t(dyr))
    cases.append((f"LSTM layer fwd+bwd T{T} B{B} {I}->{H}", None, {
        "minispore": ms_lstm, "numpy": None, "torch": torch and torch_lstm}))
    return cases


def lenet_step_case(rng):
    """One whole LeNet training step (fwd + bwd + Momentum) through the array ops vs torch."""
    f32 = lambda *s: rng.uniform(-0.2, 0.2, s).astype(np.float32)  # noqa: E731
    x, labels = f32(32, 1, 32, 32), rng.integers(0, 10, 32).astype(np.int32)
    shapes = [(6, 1, 5, 5), (16, 6, 5, 5), (120, 400), (120,), (84, 120), (84,), (10, 84), (10,)]
    params = [f32(*s) for s in shapes]
    moments = [np.zeros(s, np.float32) for s in shapes]

    def step():
        c1w, c2w, w1, b1, w2, b2, w3, b3 = params
        a1 = ms.relu_forward(ms.conv2d_forward(x, c1w, V, P0, V, 1))
        p1, i1 = ms.max_pool2d_forward(a1, 2, 2, 0)
        a2 = ms.relu_forward(ms.conv2d_forward(p1, c2w, V, P0, V, 1))
        p2, i2 = ms.max_pool2d_forward(a2, 2, 2, 0)
        f0 = p2.reshape(32, 400)
        h1 = ms.relu_forward(ms.dense_forward(f0, w1, b1))
        h2 = ms.relu_forward(ms.dense_forward(h1, w2, b2))
        z = ms.dense_forward(h2, w3, b3)
        loss, dz = ms.softmax_cross_entropy_sparse(z, labels, "mean")
        dh2, dw3, db3 = ms.dense_backward(dz, h2, w3)
        dh1, dw2, db2 = ms.dense_backward(ms.relu_backward(dh2, h2), h1, w2)
        df0, dw1, db1 = ms.dense_backward(ms.relu_backward(dh1, h1), f0, w1)
        da2 = ms.relu_backward(ms.max_pool2d_backward(df0.reshape(p2.shape), i2, a2.shape), a2)
        dc2w = ms.conv2d_backward_weight(da2, p1, c2w.shape, V, P0, V, 1)
        dp1 = ms.conv2d_backward_input(da2, c2w, p1.shape, V, P0, V, 1)
        da1 = ms.relu_backward(ms.max_pool2d_backward(dp1, i1, a1.shape), a1)
        dc1w = ms.conv2d_backward_weight(da1, x, c1w.shape, V, P0, V, 1)
        ms.momentum_apply(params, [dc1w, dc2w, dw1, db1, dw2, db2, dw3, db3], moments, 1e-4, 0.9)
        return loss

    peers = {"minispore": step, "numpy": None, "torch": None}
    if torch is not None:
        net = torch.nn.Sequential(
            torch.nn.Conv2d(1, 6, 5, bias=False), torch.nn.ReLU(), torch.nn.MaxPool2d(2, 2),
            torch.nn.Conv2d(6, 16, 5, bias=False), torch.nn.ReLU(), torch.nn.MaxPool2d(2, 2),
            torch.nn.Flatten(), torch.nn.Linear(400, 120), torch.nn.ReLU(),
            torch.nn.Linear(120, 84), torch.nn.ReLU(), torch.nn.Linear(84, 10))
        opt = torch.optim.SGD(net.parameters(), lr=1e-4, momentum=0.9)
        tx, tl = torch.from_numpy(x), torch.from_numpy(labels.astype(np.int64))

        def torch_step():
            opt.zero_grad()
            loss = F.cross_entropy(net(tx), tl)
            loss.backward()
            opt.step()
            return loss
        peers["torch"] = torch_step
    return ("LeNet train step (all)", None, peers)


def time_cases(cases, rounds, min_time, settle):
    """Interleaved timing: every round runs each peer for ~min_time s, starting peer rotates."""
    results = []
    for name, gflop, peers in cases:
        peers = {k: f for k, f in peers.items() if f}
        inner = {}
        for k, f in peers.items():  # warm up, then size the inner loop to ~min_time
            f()
            t0 = time.perf_counter()
            f()
            inner[k] = max(1, int(min_time / max(time.perf_counter() - t0, 1e-7)))
        samples = {k: [] for k in peers}
        order = list(peers)
        for r in range(rounds):
            for k in order[r % len(order):] + order[:r % len(order)]:
                f, n = peers[k], inner[k]
                time.sleep(settle)
                f()
                t0 = time.perf_counter()
                for _ in range(n):
                    f()
                samples[k].append((time.perf_counter() - t0) / n)
        row = {"op": name, "gflop": gflop}
        for k, s in samples.items():
            q25, med, q75 = np.percentile(s, [25, 50, 75])
            row[k] = {"median_us": med * 1e6, "iqr_us": (q75 - q25) * 1e6,
                      "gflops": gflop / med if gflop else None}
        if "torch" in row:
            for k in peers:
                row[k]["vs_torch"] = row[k]["median_us"] / row["torch"]["median_us"]
        results.append(row)
    return results


COMPILE_SNIPPET = """
import time, numpy as np
t0 = time.perf_counter()
from minispore.ops import _array_api as ms
t1 = time.perf_counter()
x = np.ones((2, 6, 14, 14), np.float32); w = np.ones((16, 6, 5, 5), np.float32)
x1 = np.ones((2, 1, 32, 32), np.float32); w1 = np.ones((6, 1, 5, 5), np.float32)
for xx, ww in ((x1, w1), (x, w)):
    y = ms.conv2d_forward(xx, ww, 1, 0, 1, 1)
    ms.conv2d_backward_input(y, ww, xx.shape, 1, 0, 1, 1)
    ms.conv2d_backward_weight(y, xx, ww.shape, 1, 0, 1, 1)
p, a = ms.max_pool2d_forward(x, 2, 2, 0); ms.max_pool2d_backward(p, a, x.shape)
r = ms.relu_forward(x); ms.relu_backward(r, r)
ms.softmax_cross_entropy_sparse(np.ones((2, 10), np.float32), np.zeros(2, np.int32), "mean")
ms.momentum_apply([w.copy()], [w], [w.copy()], 0.1, 0.9)
print(t1 - t0, time.perf_counter() - t1)
"""


def compile_times():
    """(import s, first-call compile s) cold with an empty cache dir, then cached from that dir."""
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=ROOT)
        for label in ("cold", "cached"):
            res = subprocess.run([sys.executable, "-c", COMPILE_SNIPPET], env=env, cwd=ROOT,
                                 capture_output=True, text=True, check=True)
            imp, first = (float(v) for v in res.stdout.split())
            out[label] = {"import_s": imp, "first_calls_s": first}
    return out


def print_table(results, threads):
    peers = [p for p in ("minispore", "numpy", "torch") if any(p in r for r in results)]
    head = f"{'op (LeNet, batch 32)':30s}" + "".join(f"{p + ' us':>18s}" for p in peers)
    head += f"{'ms GFLOP/s':>11s}{'ms/torch':>9s}{'np/torch':>9s}"
    print(head)
    print("-" * len(head))
    for r in results:
        line = f"{r['op']:30s}"
        for p in peers:
            cell = r.get(p)
            line += (f"{cell['median_us']:>10.1f} ±{cell['iqr_us']:>6.1f}" if cell
                     else f"{'-':>18s}")
        ms_ = r["minispore"]
        line += f"{ms_['gflops']:>11.1f}" if ms_["gflops"] else f"{'':>11s}"
        for p in ("minispore", "numpy"):
            v = r.get(p, {}).get("vs_torch")
            line += f"{v:>9.2f}" if v else f"{'-':>9s}"
        print(line)
    print("(median per call over interleaved rounds, ± interquartile range; ratio > 1 = slower "
          "than torch)")


def _minispore_threads():
    import numba
    from minispore.kernels import _jit
    mode = (f"parallel numba kernels, {numba.get_num_threads()} threads"
            if _jit.PARALLEL else "serial numba kernels")
    return f"{mode}; its GEMMs on 1 BLAS thread (numpy peer: {os.environ.get('OPENBLAS_NUM_THREADS')})"


def main(args):
    threads = args.threads
    info = {"machine": machine(), "threads_requested": threads,
            "numpy_blas": blas_description(),
            "minispore": _minispore_threads()}
    if torch is not None:
        torch.set_num_threads(threads)
        info["torch"] = f"{torch.__version__}, {torch.get_num_threads()} threads"
    for k, v in info.items():
        print(f"{k}: {v}")
    rng = np.random.default_rng(0)
    results = time_cases(lenet_cases(rng) + layer_cases(rng) + [lenet_step_case(rng)],
                         args.rounds, args.min_time,
                         args.settle)
    print()
    print_table(results, threads)
    if not args.no_compile:
        info["compile"] = compile_times()
        for label, c in info["compile"].items():
            print(f"compile ({label} cache): import {c['import_s']:.2f} s, first call of every "
                  f"kernel {c['first_calls_s']:.2f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"info": info, "results": results}, f, indent=2)
        print(f"wrote {args.json}")
    if args.plot is not None:
        from _plot import default_path, write_chart
        write_chart("kernels", json.loads(json.dumps({"info": info, "results": results})),
                    args.plot or default_path("kernels", args.json))


if __name__ == "__main__":
    main(ARGS)
