"""Shared benchmark helpers: interleaved timing, thread settings, machine/BLAS description."""
import json
import os
import platform
import statistics
import time

import numpy as np


def set_threads(n):
    """Use ``n`` threads in numba and (when importable) torch; returns what each peer uses."""
    info = {}
    try:
        import numba

        import minispore.runtime
        n_numba = min(n, numba.config.NUMBA_NUM_THREADS)
        numba.set_num_threads(n_numba)
        minispore.runtime.set_num_threads(n_numba)
        info["numba"] = {"threads": numba.get_num_threads(),
                         "threading_layer": _numba_layer(),
                         "minispore_adaptive_threads": minispore.runtime.status()[
                             "adaptive_threads"]}
    except ImportError:
        pass
    try:
        import torch
        torch.set_num_threads(n)
        info["torch"] = {"version": torch.__version__, "threads": torch.get_num_threads()}
    except ImportError:
        pass
    info["numpy_blas"] = blas_description()
    info["minispore_gemm_blas_threads"] = 1  # minispore/ops/_blas.py: its own GEMMs, 1 thread
    return info


def _numba_layer():
    import numba
    try:
        return numba.threading_layer()
    except ValueError:
        return "not yet initialised"


def blas_description():
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        desc = f"{cfg.get('name')} {cfg.get('version')}"
    except Exception:  # noqa: BLE001 - older numpy: best effort
        desc = "unknown"
    try:
        from threadpoolctl import threadpool_info
        pools = [f"{p['internal_api']} x{p['num_threads']}" for p in threadpool_info()]
        desc += " (" + ", ".join(pools) + ")"
    except ImportError:
        desc += f" (OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'default')})"
    return desc


def machine():
    return {"python": platform.python_version(), "machine": platform.machine(),
            "cpus": os.cpu_count(), "numpy": np.__version__,
            "date": time.strftime("%Y-%m-%d"), "processor": _cpu_name()}


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def interleaved(candidates, repeats, inner, settle=0.2, clock=time.perf_counter):
    """Time each candidate ``inner`` calls per repeat, alternating candidates every repeat.

    Returns {name: {"median_ms", "min_ms", "max_ms"}} per call. Interleaving spreads machine
    noise over all candidates instead of penalising whichever ran during a busy spell. Before
    each candidate's turn the process idles ``settle`` seconds: thread pools (OpenBLAS, torch's
    OpenMP) keep spinning for a while after their last job, and a peer that starts while another
    pool still spins on the second core runs up to 2x slower (measured here: torch's LeNet step
    11.5 ms right after numpy's 2-thread OpenBLAS vs 7.3 ms without it).

    ``clock``: ``time.perf_counter`` (wall time, default) or ``time.process_time`` (this
    process's CPU time over all its threads: on a host busy with other processes it counts
    the work done rather than the waiting; with more than one thread it also counts spinning).
    """
    samples = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            fn()  # one untimed call so first-call effects after the pause are excluded
            time.sleep(settle)
            fn()
            t0 = clock()
            for _ in range(inner):
                fn()
            samples[name].append((clock() - t0) / inner * 1e3)
    return {name: {"median_ms": statistics.median(s), "min_ms": min(s), "max_ms": max(s),
                   "samples_ms": s}
            for name, s in samples.items()}


def paired_ratio(result, name, peer):
    """Median over repeats of name's time / peer's time in the same repeat (same machine state:
    on a noisy host this drifts less than the ratio of the two medians), or None."""
    if name not in result or peer not in result:
        return None
    pairs = zip(result[name]["samples_ms"], result[peer]["samples_ms"])
    return statistics.median(a / b for a, b in pairs)


def write_json(path, payload):
    if path:
        with open(path, "w") as f:
            json.dump(payload, f, indent=2)
        print(f"wrote {path}")


def torch_lenet(weights):
    """PyTorch's twin of minispore's LeNet5 (bias-free convolutions), loaded with ``weights``
    ({name: array}, PyTorch's parameter names)."""
    import torch  # noqa: PLC0415  (an optional peer)
    F = torch.nn.functional

    class TorchLeNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(1, 6, 5, bias=False)
            self.conv2 = torch.nn.Conv2d(6, 16, 5, bias=False)
            self.fc1 = torch.nn.Linear(400, 120)
            self.fc2 = torch.nn.Linear(120, 84)
            self.fc3 = torch.nn.Linear(84, 10)

        def forward(self, t):
            t = F.max_pool2d(F.relu(self.conv1(t)), 2, 2)
            t = F.max_pool2d(F.relu(self.conv2(t)), 2, 2).flatten(1)
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(t)))))

    net = TorchLeNet()
    with torch.no_grad():
        for name, p in net.named_parameters():
            p.copy_(torch.from_numpy(weights[name]))
    return net
