"""Dataset ``num_parallel_workers``: serial vs threads vs forked processes, same run.

Three pipelines over synthetic 28x28 uint8 images, each run with 1 worker, 2 threads and 2
processes (``map(python_multiprocessing=True)``); every variant must yield exactly the rows of
the serial run (order and seeded random crops), which is checked. Figures are rows/s; the
machine is shared, so only ratios within one run mean anything.

    PYTHONPATH=$PWD python3 benchmarks/dataset_workers.py [--rows 6000] [--json out.json]
"""
import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from _common import machine, write_json  # noqa: E402

import minispore.dataset as ds  # noqa: E402
from minispore.dataset import vision  # noqa: E402


def python_heavy(image):
    """A per-row user function with Python work and a short wait (like reading a file)."""
    total = 0
    for v in image[::4, ::4, 0].ravel().tolist():
        total += v
    time.sleep(0.0002)
    return image


def pipelines(images, labels):
    class Source:
        def __getitem__(self, i):
            return images[i], labels[i]

        def __len__(self):
            return len(images)

    def augment(workers, processes):
        data = ds.NumpySlicesDataset({"image": images, "label": labels}, shuffle=False)
        return data.map([vision.RandomCrop(28, padding=4), vision.RandomHorizontalFlip(),
                         vision.ToTensor()], "image", num_parallel_workers=workers,
                        python_multiprocessing=processes)

    def user_function(workers, processes):
        data = ds.NumpySlicesDataset({"image": images, "label": labels}, shuffle=False)
        return data.map([python_heavy], "image", num_parallel_workers=workers,
                        python_multiprocessing=processes)

    def generator(workers, processes):
        return ds.GeneratorDataset(Source(), ["image", "label"], shuffle=False,
                                   num_parallel_workers=workers)

    return {"map RandomCrop+Flip+ToTensor": augment, "map Python function": user_function,
            "GeneratorDataset __getitem__": generator}


def run(make, workers, processes):
    ds.config.set_seed(7)
    data = make(workers, processes).batch(64)
    start = time.perf_counter()
    out = np.concatenate([b[0] for b in data.create_tuple_iterator(num_epochs=1,
                                                                     output_numpy=True)])
    return out, len(out) / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=6000)
    parser.add_argument("--json", help="write the report here")
    parser.add_argument("--plot", nargs="?", const="", default=None, metavar="PNG",
                        help="also draw the results as a chart (needs matplotlib); PNG "
                        "defaults to the --json name with .png, else dataset_workers.png")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (args.rows, 28, 28, 1), dtype=np.uint8)
    labels = rng.integers(0, 10, args.rows).astype(np.int32)
    print(f"cpus={os.cpu_count()} load={os.getloadavg()[0]:.1f} rows={args.rows}")
    results = []
    for name, make in pipelines(images, labels).items():
        reference, serial = run(make, 1, False)
        results.append({"pipeline": name, "workers": 1, "kind": "serial", "rows_per_s": serial})
        line = [f"{name:32s} serial {serial:8.0f} rows/s"]
        variants = [(2, False)] + ([(2, True)] if "Generator" not in name else [])
        for workers, processes in variants:
            out, speed = run(make, workers, processes)
            if not np.array_equal(out, reference):
                raise SystemExit(f"{name}: {workers} workers changed the rows")
            kind = "processes" if processes else "threads"
            results.append({"pipeline": name, "workers": workers, "kind": kind,
                            "rows_per_s": speed, "ratio_to_serial": speed / serial})
            line.append(f"{workers} {kind} {speed:8.0f} rows/s ({speed / serial:.2f}x)")
        print(" | ".join(line))
    report = {"args": vars(args), "machine": machine(), "results": results}
    if args.json:
        write_json(args.json, report)
    if args.plot is not None:
        from _plot import default_path, write_chart
        write_chart("dataset_workers", report,
                    args.plot or default_path("dataset_workers", args.json))


if __name__ == "__main__":
    main()
