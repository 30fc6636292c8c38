"""ResNetSmall on Fashion-MNIST: minispore vs PyTorch, same recipe, seed, data and epochs.

Both frameworks start from the same weights (minispore's initialisation copied into the PyTorch
twin, ``models/resnet/resnet_torch.py``) and train on the very same batches: each epoch's
batches come once from minispore's pipeline (shuffle, RandomCrop(28, padding=2),
RandomHorizontalFlip, ToTensor, Normalize; seeded) and are fed to both. Recipe: softmax cross
entropy, Momentum/SGD(lr, momentum 0.9), batch 64. Epochs alternate between the two frameworks
(minispore epoch e, then PyTorch epoch e) so that a change in machine load hits both; the
reported images/s counts training steps only (no data loading, no evaluation). Test accuracy
after every epoch on the full test split. The machine may be shared: only the ratio measured
within one run means anything.

    python benchmarks/resnet.py --data /path/to/fashion-mnist [--epochs 3] [--train-images N]
                                [--threads 2] [--json out.json]

Without torch only minispore's figures are reported.
"""
import argparse
import importlib.util
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "models", "resnet")
sys.path.insert(0, HERE)

from _common import machine, set_threads, write_json  # noqa: E402


def model_module(name):
    """models/resnet/<name>.py (loaded by path: this script is itself called resnet.py)."""
    spec = importlib.util.spec_from_file_location(f"resnet_model_{name}",
                                                  os.path.join(MODELS, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="folder with train/ and test/ IDX files. Default: as "
                   "models/resnet/train.py (Fashion-MNIST next to the repo, else the sample).")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--train-images", type=int, default=None,
                   help="a seeded random subset of this many training images per epoch")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-torch", action="store_true", help="measure minispore only")
    p.add_argument("--json", help="write the report here")
    return p.parse_args(argv)


class Minispore:
    name = "minispore"

    def __init__(self, args):
        import minispore as ms
        from minispore import Tensor, nn
        ResNetSmall = model_module("resnet").ResNetSmall
        ms.set_seed(args.seed)
        self.Tensor = Tensor
        self.net = ResNetSmall(width=args.width)
        loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
        opt = nn.Momentum(self.net.trainable_params(), learning_rate=args.lr, momentum=0.9)
        self.step_cell = nn.TrainOneStepCell(nn.WithLossCell(self.net, loss), opt)

    def train_epoch(self, batches):
        self.step_cell.set_train(True)
        losses, start = [], time.perf_counter()
        for x, y in batches:
            losses.append(self.step_cell(self.Tensor(x), self.Tensor(y)))
        seconds = time.perf_counter() - start
        return float(np.mean([float(v.asnumpy()) for v in losses])), seconds

    def accuracy(self, batches):
        self.net.set_train(False)
        hits = total = 0
        for x, y in batches:
            hits += int((self.net(self.Tensor(x)).asnumpy().argmax(1) == y).sum())
            total += len(y)
        return hits / total


class Torch:
    name = "torch"

    def __init__(self, args, minispore_net):
        import torch
        resnet_torch = model_module("resnet_torch")
        self.torch = torch
        self.net = resnet_torch.copy_from_minispore(resnet_torch.ResNetSmall(width=args.width),
                                                    minispore_net)
        self.opt = torch.optim.SGD(self.net.parameters(), lr=args.lr, momentum=0.9)

    def train_epoch(self, batches):
        torch, f = self.torch, self.torch.nn.functional
        self.net.train()
        losses, start = [], time.perf_counter()
        for x, y in batches:
            self.opt.zero_grad(set_to_none=True)
            loss = f.cross_entropy(self.net(torch.from_numpy(x)), torch.from_numpy(y).long())
            loss.backward()
            self.opt.step()
            losses.append(loss.detach())
        seconds = time.perf_counter() - start
        return float(np.mean([float(v) for v in losses])), seconds

    def accuracy(self, batches):
        self.net.eval()
        hits = total = 0
        with self.torch.no_grad():
            for x, y in batches:
                hits += int((self.net(self.torch.from_numpy(x)).numpy().argmax(1) == y).sum())
                total += len(y)
        return hits / total


def main(argv=None):
    args = parse_args(argv)
    threads = set_threads(args.threads)
    _data = model_module("resnet_data")
    import minispore.dataset as ds
    train_dir, test_dir, described = _data.resolve(args.data)
    ds.config.set_seed(args.seed)
    train = _data.create_dataset(train_dir, args.batch_size, True, True, args.train_images)
    test = [tuple(b) for b in _data.create_dataset(test_dir, 256, training=False)
            .create_tuple_iterator(num_epochs=1, output_numpy=True)]
    runners = [Minispore(args)]
    if not args.no_torch:
        try:
            runners.append(Torch(args, runners[0].net))
        except ImportError:
            print("torch is not installed: minispore only")
    print(f"Data: {described}; {train.get_dataset_size()} steps of {args.batch_size} per "
          f"epoch, {sum(len(b[1]) for b in test)} test images; {args.epochs} epochs; "
          f"threads {threads}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    rows = []
    for epoch in range(1, args.epochs + 1):
        batches = [(x, y) for x, y in train.create_tuple_iterator(num_epochs=1,
                                                                  output_numpy=True)]
        images = sum(len(y) for _, y in batches)
        for runner in runners:
            loss, seconds = runner.train_epoch(batches)
            accuracy = runner.accuracy(test)
            rows.append({"framework": runner.name, "epoch": epoch, "loss": loss,
                         "test_accuracy": accuracy, "train_seconds": seconds,
                         "images_per_second": images / seconds})
            print(f"epoch {epoch} {runner.name:9s} loss {loss:.4f}  test accuracy "
                  f"{100 * accuracy:6.2f}%  {images / seconds:7.1f} img/s", flush=True)
    summary = {}
    for runner in runners:
        mine = [r for r in rows if r["framework"] == runner.name]
        later = mine[1:] or mine      # epoch 1 of minispore includes kernel compilation
        summary[runner.name] = {
            "final_test_accuracy": mine[-1]["test_accuracy"],
            "images_per_second": sum(r["images_per_second"]
                                     for r in later) / len(later)}
    if "torch" in summary:
        a, b = summary["minispore"], summary["torch"]
        summary["accuracy_difference"] = a["final_test_accuracy"] - b["final_test_accuracy"]
        summary["speed_ratio_minispore_over_torch"] = a["images_per_second"] / \
            b["images_per_second"]
        print(f"final test accuracy: minispore {100 * a['final_test_accuracy']:.2f}%, torch "
              f"{100 * b['final_test_accuracy']:.2f}%; training images/s (epochs 2+): minispore "
              f"{a['images_per_second']:.1f}, torch {b['images_per_second']:.1f} "
              f"(ratio {summary['speed_ratio_minispore_over_torch']:.2f})")
    report = {"args": vars(args), "data": described, "machine": machine(), "threads": threads,
              "rows": rows, "summary": summary}
    if args.json:
        write_json(args.json, report)
    return report


if __name__ == "__main__":
    main()
