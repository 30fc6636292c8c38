"""Checkpoint save/load throughput and load memory, against the disk's raw limit and peers.

    python benchmarks/checkpoint_io.py [--mb 400] [--repeat 3] [--dir DIR] [--json FILE]
                                       [--mindspore-python /tmp/msenv/bin/python] [--plot [PNG]]

For LeNet5 (with optimizer state, 19 entries) and for ~``--mb`` MB of float32 parameters:

* save MB/s: minispore ``save_checkpoint`` (temp file, fsync, rename) vs raw ``write`` + ``fsync``
  of the same tensor bytes, ``torch.save`` + fsync (if torch imports), MindSpore (in-process if
  importable, else through ``--mindspore-python``);
* load MB/s (warm page cache for everyone): ``load_checkpoint`` vs raw ``readinto`` of the file into
  preallocated arrays, ``torch.load(mmap=False)``, MindSpore;
* peak RSS growth while loading, measured in a fresh subprocess (``ru_maxrss`` minus the RSS before
  the call), relative to the tensor bytes.

Targets: save and load >= 75 % of raw, peak load memory <= ~1.2x tensor bytes.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from _common import machine  # noqa: E402
from minispore.train import load_checkpoint, save_checkpoint  # noqa: E402

LENET = {"conv1.weight": (6, 1, 5, 5), "conv2.weight": (16, 6, 5, 5), "fc1.weight": (120, 400),
         "fc1.bias": (120,), "fc2.weight": (84, 120), "fc2.bias": (84,), "fc3.weight": (10, 84),
         "fc3.bias": (10,)}


def lenet_params():
    rng = np.random.default_rng(0)
    net = {k: rng.standard_normal(s).astype(np.float32) for k, s in LENET.items()}
    out = dict(net, global_step=np.zeros(1, np.int32), learning_rate=np.array(0.01, np.float32),
               momentum=np.array(0.9, np.float32))
    out.update({"moments." + k: v.copy() for k, v in net.items()})
    return out


def big_params(mb):
    n = max(1, mb // 50)
    rng = np.random.default_rng(0)
    per = mb * (1 << 20) // 4 // n
    return {f"layer{i}.weight": rng.standard_normal(per).astype(np.float32).reshape(-1, 1024)
            for i in range(n)} if per % 1024 == 0 else \
        {f"layer{i}.weight": rng.standard_normal(per).astype(np.float32) for i in range(n)}


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def raw_save(params, path):
    with open(path, "wb") as f:
        for a in params.values():
            f.write(memoryview(a).cast("B"))
        f.flush()
        os.fsync(f.fileno())


def raw_load(params, path):
    with open(path, "rb", buffering=0) as f:
        for a in params.values():
            out = np.empty_like(a)
            f.readinto(memoryview(out).cast("B"))


def torch_funcs():
    try:
        import torch
    except ImportError:
        return None

    def save(params, path):
        torch.save({k: torch.from_numpy(v) for k, v in params.items()}, path)
        fd = os.open(path, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)

    def load(path):
        torch.load(path, weights_only=True)
    return save, load


_MS_SCRIPT = r"""
import json, os, sys, time, numpy as np
import mindspore as ms
from mindspore import Parameter, Tensor
d = np.load(sys.argv[1])
params = {k: Parameter(Tensor(d[k]), name=k) for k in d.files}
path, repeat = sys.argv[2], int(sys.argv[3])
ts, tl = [], []
for _ in range(repeat):
    t = time.perf_counter(); ms.save_checkpoint(params, path); ts.append(time.perf_counter() - t)
    t = time.perf_counter(); ms.load_checkpoint(path); tl.append(time.perf_counter() - t)
print(json.dumps({"save": min(ts), "load": min(tl)}))
"""

_RSS_SCRIPT = r"""
import os, resource, sys
sys.path.insert(0, sys.argv[2])
from minispore.train import load_checkpoint
import numpy as np
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
def hwm():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM:"))
with open("/proc/self/clear_refs", "w") as f:   # reset the peak: a forked child inherits the parent's
    f.write("5")
before = rss()
got = load_checkpoint(sys.argv[1])
peak = hwm()
print(max(0, peak - before), sum(p.asnumpy().nbytes for p in got.values()))
"""


def peak_load_rss(path):
    out = subprocess.run([sys.executable, "-c", _RSS_SCRIPT, path, ROOT], capture_output=True,
                         text=True, check=True).stdout.split()
    return int(out[0]), int(out[1])


def run_case(label, params, folder, repeat, ms_python):
    nbytes = sum(a.nbytes for a in params.values())
    mb = nbytes / 1e6
    ck, raw = os.path.join(folder, f"{label}.ckpt"), os.path.join(folder, f"{label}.raw")
    row = {"case": label, "tensor_MB": round(mb, 3)}
    ts, tr = [], []
    for _ in range(repeat):            # interleaved, so disk hiccups hit both alike
        ts.append(best(lambda: save_checkpoint(params, ck), 1))
        tr.append(best(lambda: raw_save(params, raw), 1))
    row["save_MBps"], row["raw_save_MBps"] = mb / min(ts), mb / min(tr)
    row["load_MBps"] = mb / best(lambda: load_checkpoint(ck), repeat)
    row["raw_load_MBps"] = mb / best(lambda: raw_load(params, raw), repeat)
    tf = torch_funcs()
    if tf is not None:
        tp = os.path.join(folder, f"{label}.pt")
        row["torch_save_MBps"] = mb / best(lambda: tf[0](params, tp), repeat)
        row["torch_load_MBps"] = mb / best(lambda: tf[1](tp), repeat)
        os.remove(tp)
    if ms_python:
        npz = os.path.join(folder, f"{label}.npz")
        np.savez(npz, **params)
        res = subprocess.run([ms_python, "-c", _MS_SCRIPT, npz, os.path.join(folder, "ms.ckpt"),
                              str(repeat)], capture_output=True, text=True)
        if res.returncode == 0:
            t = json.loads(res.stdout.strip().splitlines()[-1])
            row["mindspore_save_MBps"] = mb / t["save"]
            row["mindspore_load_MBps"] = mb / t["load"]
        else:
            row["mindspore_error"] = res.stderr.strip().splitlines()[-1:]
        os.remove(npz)
    peak, loaded = peak_load_rss(ck)
    row["peak_load_rss_MB"] = peak / 1e6
    row["peak_load_over_tensor_bytes"] = peak / loaded
    row["save_vs_raw"] = row["save_MBps"] / row["raw_save_MBps"]
    row["load_vs_raw"] = row["load_MBps"] / row["raw_load_MBps"]
    for p in (ck, raw):
        os.chmod(p, 0o600)
        os.remove(p)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=400)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", default=None, help="folder on the disk to measure (default: tmp)")
    ap.add_argument("--json", default=None)
    ap.add_argument("--plot", nargs="?", const="", default=None, metavar="PNG",
                    help="also draw the results as a chart (needs matplotlib); PNG defaults to "
                         "the --json name with .png, else checkpoint_io.png")
    ap.add_argument("--mindspore-python", default=None,
                    help="a python with mindspore installed (e.g. /tmp/msenv/bin/python)")
    args = ap.parse_args()
    ms_python = args.mindspore_python
    if ms_python is None:
        try:
            import mindspore  # noqa: F401
            ms_python = sys.executable
        except ImportError:
            pass
    rows = []
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        rows.append(run_case("lenet", lenet_params(), folder, max(args.repeat, 5), ms_python))
        rows.append(run_case(f"{args.mb}MB", big_params(args.mb), folder, args.repeat, ms_python))
    cols = ["case", "tensor_MB", "save_MBps", "raw_save_MBps", "save_vs_raw", "load_MBps",
            "raw_load_MBps", "load_vs_raw", "torch_save_MBps", "torch_load_MBps",
            "mindspore_save_MBps", "mindspore_load_MBps", "peak_load_over_tensor_bytes"]
    print(" | ".join(f"{c:>12}" for c in cols))
    for r in rows:
        print(" | ".join(f"{r.get(c, '-'):>12.2f}" if isinstance(r.get(c), float)
                         else f"{str(r.get(c, '-')):>12}" for c in cols))
    payload = {"rows": rows, "machine": machine(),
               "maxrss_self_kB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(payload, f, indent=1)
    if args.plot is not None:
        from _plot import default_path, write_chart
        write_chart("checkpoint_io", json.loads(json.dumps(payload)),
                    args.plot or default_path("checkpoint_io", args.json))


if __name__ == "__main__":
    main()
