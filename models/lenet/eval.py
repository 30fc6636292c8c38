"""Score a LeNet5 checkpoint on the test split and print its confusion matrix.

    python models/lenet/eval.py runs/lenet/lenet-10_125.ckpt
    python models/lenet/eval.py lenet-1_1875.ckpt --data /path/to/fashion-mnist
    python models/lenet/eval.py runs/lenet/lenet-10_125.ckpt --plot   # + two PNGs (matplotlib)

Any checkpoint holding LeNet5's eight weights works: the whole train network written by
``train.py`` / ``ModelCheckpoint`` (optimizer entries are ignored) or the network-only file of
``CheckpointConfig(saved_network=network)`` or ``save_checkpoint(network, ...)``.
"""
import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from minispore import _plotting, load_checkpoint, load_param_into_net  # noqa: E402

import _data                                                           # noqa: E402
from _report import (confusion_figure, confusion_matrix, format_confusion,  # noqa: E402
                     mistakes_figure, predict_labels)
from lenet import LeNet5                                               # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="eval.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("ckpt", metavar="CKPT", help="the .ckpt file to score.")
    p.add_argument("--data", metavar="DIR",
                   help="MNIST-format folder with train/ and test/ subfolders (the test/ split "
                        "is scored). Default: datasets/MNIST_Data when present, else the bundled "
                        "sample datasets/mnist_5k.")
    p.add_argument("--batch-size", type=int, default=256,
                   help="images per forward pass (does not change the result). Default: 256.")
    p.add_argument("--plot", action="store_true",
                   help="also write <ckpt>_confusion.png (the confusion matrix as a heat map "
                        "with counts) and <ckpt>_mistakes.png (the most confidently "
                        "misclassified test images, true -> predicted label); needs matplotlib.")
    p.add_argument("--plot-dir", metavar="DIR",
                   help="folder for the --plot pictures. Default: the checkpoint's folder.")
    p.add_argument("--mistakes", type=int, default=24, metavar="N",
                   help="how many misclassified images --plot shows. Default: 24.")
    args = p.parse_args(argv)
    if args.mistakes < 1:
        p.error(f"--mistakes must be >= 1, got {args.mistakes}")
    if args.plot_dir is not None and not os.path.isdir(args.plot_dir):
        p.error(f"--plot-dir {args.plot_dir}: no such folder")
    return args


def load_network(path):
    """A LeNet5 with the weights of ``path``; raises ValueError with one readable line."""
    if not os.path.isfile(path):
        raise ValueError(f"{path}: no such file")
    try:
        params = load_checkpoint(path)
    except (ValueError, RuntimeError, OSError) as e:
        raise ValueError(f"{path}: not a readable checkpoint ({e})") from None
    network = LeNet5()
    not_loaded, _ = load_param_into_net(network, params)
    if not_loaded:
        raise ValueError(f"{path}: not a LeNet5 checkpoint (missing {', '.join(not_loaded)})")
    return network


def main(argv=None):
    args = parse_args(argv)
    try:
        _, test_dir, described = _data.resolve(args.data)
        network = load_network(args.ckpt)
    except (ValueError, _data.DataError) as e:
        print(f"eval.py: error: {e}", file=sys.stderr)
        sys.exit(2)
    print(f"Data: {described}")
    start = time.perf_counter()
    true, pred, conf, images = predict_labels(
        network, _data.create_eval_dataset(test_dir, args.batch_size), keep_images=args.plot)
    seconds = time.perf_counter() - start
    correct = int((true == pred).sum())
    matrix = confusion_matrix(true, pred)
    print(f"{args.ckpt}: test accuracy {100.0 * correct / len(true):.2f}% "
          f"({correct}/{len(true)}) in {seconds:.1f} s\n")
    print("Confusion matrix (rows: true class, columns: predicted class)")
    print(format_confusion(matrix))
    pictures = write_pictures(args, matrix, true, pred, conf, images) if args.plot else []
    return {"accuracy": correct / len(true), "matrix": matrix, "pictures": pictures,
            "true": true, "pred": pred, "confidence": conf}


def write_pictures(args, matrix, true, pred, conf, images):
    """The two --plot PNGs; returns their paths ([] and one hint line without matplotlib)."""
    if _plotting.load_matplotlib() is None:
        print(f"\nnote: matplotlib is not installed, so no --plot pictures; {_plotting.PLOT_HINT}")
        return []
    stem = os.path.splitext(os.path.basename(args.ckpt))[0]
    folder = args.plot_dir or os.path.dirname(os.path.abspath(args.ckpt))
    correct = int(np.trace(matrix))
    paths = []
    for name, fig in (
            ("confusion", confusion_figure(
                matrix, f"{stem}: {correct}/{len(true)} correct "
                        f"({100.0 * correct / len(true):.2f}%)")),
            ("mistakes", mistakes_figure(
                images, true, pred, conf, f"{stem}: the most confident of "
                                          f"{len(true) - correct} mistakes "
                                          f"(true \u2192 predicted class, confidence)", args.mistakes))):
        paths.append(_plotting.save_png(fig, os.path.join(folder, f"{stem}_{name}.png")))
    print("\nPictures: " + ", ".join(paths))
    return paths


if __name__ == "__main__":
    main()
