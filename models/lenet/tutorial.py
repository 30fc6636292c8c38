"""Run every block of the guide "Saving, Loading and Converting Models" (advanced checkpoint
usage) on minispore, in order, printing what the guide prints.

    python models/lenet/tutorial.py                          # bundled 4,000-digit sample
    python models/lenet/tutorial.py --data datasets/MNIST_Data

Each block is the guide's code, with these changes: the data folder comes from ``--data``;
file names follow the real number of steps per epoch (``lenet-1_1875.ckpt`` on 60,000 images,
``lenet-1_125.ckpt`` on the 4,000-image sample); with no network, the "pretrained"
``checkpoint_lenet-1_<steps>.ckpt`` is made by training one epoch when it is not in the work
folder; ``ModelCheckpoint`` gets ``directory="."`` so that its files land in ``--workdir``; and the
PyTorch block converts a LeNet ``.pth`` made on the spot (by torch when installed, else written in
torch.save's format without it) with ``minispore.train.converters.pytorch2mindspore``, which reads
``.pth`` files without torch and without running pickle code. Everything is written in
``--workdir``; the guide's printed values (reprs, sizes) are matched, long lists on one line.
"""
import argparse
import glob
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import minispore as ms                                                       # noqa: E402
import minispore.nn as nn                                                    # noqa: E402
from minispore import Model, load_checkpoint, save_checkpoint, load_param_into_net  # noqa: E402
from minispore import context, Tensor                                        # noqa: E402,F401
from minispore.train.callback import (CheckpointConfig, LossMonitor,         # noqa: E402
                                      ModelCheckpoint)

import _data                                                                 # noqa: E402
from dataset_process import create_dataset                                   # noqa: E402
from lenet import LeNet5                                                     # noqa: E402

GUIDE_STEPS = 1875                 # 60,000 MNIST images / batch 32
# Files this script writes (removed at the start so that a re-run starts clean; the "pretrained"
# checkpoint_lenet-1_<steps>.ckpt is kept and reused).
OUTPUTS = ("mindspore_lenet.ckpt", "lenet-*.ckpt", "lenet_*.ckpt", "modify.ckpt",
           "hyperparameters.ckpt", "torch_lenet.pth", "ms_lenet.ckpt")


def section(title):
    print(f"\n{'#' * 4} {title} {'#' * max(4, 72 - len(title))}\n", flush=True)


def kb(path):
    """Size in kB as the guide computes it (``os.path.getsize(path) // 1024``)."""
    return os.path.getsize(path) // 1024


class Tutorial:
    """The guide's notebook state (``network``, ``train_net``, ``model``, ...) and its blocks."""

    def __init__(self, train_path, steps):
        self.train_path = train_path
        self.steps = steps
        self.pretrained = f"checkpoint_lenet-1_{steps}.ckpt"   # guide: checkpoint_lenet-1_1875.ckpt
        self.lenet_ckpt = f"lenet-1_{steps}.ckpt"              # guide: lenet-1_1875.ckpt
        self.per_print = max(1, steps // 3)                    # guide: LossMonitor(625)

    # ---- Preparation -----------------------------------------------------------------------------
    def preparation(self):
        section("Preparation")
        if os.path.isfile(self.pretrained):
            print(f"Pretrained model: using ./{self.pretrained} found in the work folder.")
            return
        print(f"The guide downloads the pretrained model checkpoint_lenet-1_1875.zip; offline, we "
              f"make ./{self.pretrained} by training LeNet5 for one epoch\n(Model + "
              f"ModelCheckpoint(prefix=\"checkpoint_lenet\"), Momentum 0.01/0.9, seed 1):")
        ms.set_seed(1)
        network = LeNet5()
        net_opt = nn.Momentum(network.trainable_params(), learning_rate=0.01, momentum=0.9)
        net_loss = nn.loss.SoftmaxCrossEntropyWithLogits(sparse=True, reduction='mean')
        model = Model(network, net_loss, net_opt)
        config_ck = CheckpointConfig(save_checkpoint_steps=self.steps, keep_checkpoint_max=1)
        ckpoint = ModelCheckpoint(prefix="checkpoint_lenet", directory=".", config=config_ck)
        start = time.perf_counter()
        model.train(1, create_dataset(self.train_path),
                    callbacks=[ckpoint, LossMonitor(self.per_print)])
        made = os.path.basename(ckpoint.latest_ckpt_file_name)
        if made != self.pretrained:    # a stale checkpoint_lenet-*.ckpt changed the prefix
            os.replace(made, self.pretrained)
        print(f"-> ./{self.pretrained} ({kb(self.pretrained)} kB) in "
              f"{time.perf_counter() - start:.0f} s")

    # ---- Saving ----------------------------------------------------------------------------------
    def save_manually(self):
        section("Save CheckPoint Manually")
        network = LeNet5()
        net_opt = nn.Momentum(network.trainable_params(), learning_rate=0.01, momentum=0.9)
        net_loss = nn.loss.SoftmaxCrossEntropyWithLogits(sparse=True, reduction='mean')

        params = load_checkpoint(self.pretrained)
        load_param_into_net(network, params)

        net_with_criterion = nn.WithLossCell(network, net_loss)
        train_net = nn.TrainOneStepCell(net_with_criterion, net_opt)
        train_net.set_train()

        train_path = self.train_path
        ds_train = create_dataset(train_path)

        batches = min(100, ds_train.get_dataset_size())
        if batches < 100:
            print(f"(this dataset has only {batches} batches: saving after {batches}, not 100)")
        count = 0
        for item in ds_train.create_dict_iterator():
            input_data = item["image"]
            labels = item["label"]
            train_net(input_data, labels)
            count += 1
            if count == batches:
                print(train_net.trainable_params())
                save_checkpoint(train_net, "mindspore_lenet.ckpt")
                break
        print(f"\n-> ./mindspore_lenet.ckpt ({kb('mindspore_lenet.ckpt')} kB, "
              f"{len(load_checkpoint('mindspore_lenet.ckpt'))} parameters)")
        self.network, self.train_net = network, train_net

    def save_specified_cell(self):
        section("Saving the Specified Cell")
        network, train_net = self.network, self.train_net
        ds_train = create_dataset(self.train_path)
        epoch_size = 1
        model = Model(train_net)
        config_ck = CheckpointConfig(saved_network=network)
        ckpoint = ModelCheckpoint(prefix="lenet", directory=".", config=config_ck)
        start = time.perf_counter()
        model.train(epoch_size, ds_train, callbacks=[ckpoint, LossMonitor(self.per_print)])
        print(f"({self.steps} steps in {time.perf_counter() - start:.0f} s; a checkpoint every "
              f"step, the newest 5 kept: {', '.join(sorted(glob.glob('lenet-*.ckpt')))})\n")

        model_with_opt = kb(f"./{self.pretrained}")
        params_without_change = load_checkpoint(f"./{self.pretrained}")
        print("with_opt size:", model_with_opt, "kB")
        print(params_without_change)

        print("\n=========after train===========\n")
        model_without_opt = kb(f"./{self.lenet_ckpt}")
        params_with_change = load_checkpoint(f"./{self.lenet_ckpt}")
        print("without_opt size:", model_without_opt, "kB")
        print(params_with_change)
        self.model, self.ds_train, self.epoch_size = model, ds_train, epoch_size

    def save_async(self):
        section("Save CheckPoint Asynchronously")
        model, ds_train, epoch_size = self.model, self.ds_train, self.epoch_size
        config_ck = CheckpointConfig(async_save=True)
        ckpoint = ModelCheckpoint(prefix="lenet", directory=".", config=config_ck)
        start = time.perf_counter()
        model.train(epoch_size, ds_train, callbacks=ckpoint)
        kept = sorted(glob.glob(f"{ckpoint.prefix}-*.ckpt"))
        print(f"(one more epoch in {time.perf_counter() - start:.0f} s, every step saved in the "
              f"background. The prefix became '{ckpoint.prefix}' because {self.lenet_ckpt} "
              f"exists; kept: {', '.join(kept)}, {kb(kept[-1])} kB each: the whole train network)")

    def custom_param_list(self):
        section("Save Custom Parameter Dictionary: modify an existing CheckPoint")
        params = load_checkpoint(f"./{self.lenet_ckpt}")

        # eg: param_list = [{"name": param_name, "data": param_data},...]
        param_list = [{"name": k, "data": v} for k, v in params.items()]
        print("==========param_list===========\n")
        print(param_list)

        # del element
        del param_list[2]
        print("\n==========after delete param_list[2]===========\n")
        print(param_list)

        # add element "epoch_size"
        param = {"name": "epoch_size"}
        param["data"] = Tensor(10)
        param_list.append(param)
        print("\n==========after add element===========\n")
        print(param_list)

        # modify element
        param_list[3]["data"] = Tensor(66)
        # save a new checkpoint file
        print("\n==========after modify element===========\n")
        print(param_list)

        save_checkpoint(param_list, 'modify.ckpt')

    def hyperparameters(self):
        section("Save Custom Parameter Dictionary: a custom parameter list")
        param_list = []
        # save epoch_size
        param = {"name": "epoch_size"}
        param["data"] = Tensor(10)
        param_list.append(param)

        # save learning rate
        param = {"name": "learning_rate"}
        param["data"] = Tensor(0.01)
        param_list.append(param)
        # save a new checkpoint file
        print(param_list)

        save_checkpoint(param_list, 'hyperparameters.ckpt')

    # ---- Loading ---------------------------------------------------------------------------------
    def strict_load(self):
        section("Strictly match the parameter name")
        net = LeNet5()
        params = load_checkpoint(self.lenet_ckpt)
        load_param_into_net(net, params, strict_load=True)
        print("==========strict load mode===========")
        print(params)

    def filter_prefix(self):
        section("Filter specified prefix")
        net = LeNet5()
        print("=============net params=============")
        params = load_checkpoint(self.pretrained)
        load_param_into_net(net, params)
        print(params)

        net = LeNet5()
        print("\n=============after filter_prefix moments=============")
        params = load_checkpoint(self.pretrained, filter_prefix='moments')
        load_param_into_net(net, params)
        print(params)

    # ---- Converting ------------------------------------------------------------------------------
    def convert_pytorch(self):
        section("Convert CheckPoints of other frameworks to MindSpore format")
        from minispore.train.converters import pytorch2mindspore   # noqa: PLC0415
        pth = _torch_lenet_pth(self.network, "torch_lenet.pth")
        # The guide's function needs torch.load; minispore's converter reads the zip/pickle
        # itself (no torch, no code execution) and writes the same list save_checkpoint takes.
        names = pytorch2mindspore(pth, "ms_lenet.ckpt")
        print(f"pytorch2mindspore('torch_lenet.pth', 'ms_lenet.ckpt') wrote {len(names)} "
              f"parameters:\n{names}")
        net = LeNet5()
        load_param_into_net(net, load_checkpoint("ms_lenet.ckpt"), strict_load=True)
        batch = next(create_dataset(self.train_path).create_dict_iterator())["image"]
        self.network.set_train(False)
        diff = np.abs(net(batch).asnumpy() - self.network(batch).asnumpy()).max()
        print(f"LeNet5 loaded from ms_lenet.ckpt gives the same logits as the network it came "
              f"from (max |difference| {diff:.1e}).")


def _torch_lenet_pth(network, path):
    """Save ``network``'s weights as a PyTorch LeNet would: ``torch.save({'state_dict': ...,
    'epoch': 1}, path)``, with torch when it is installed, else with ``_pth.save_pth`` (the same
    file format, written without torch). Returns ``path``."""
    values = {p.name: p.asnumpy() for p in network.trainable_params()}
    try:
        import torch   # noqa: PLC0415 - optional
    except ImportError:
        torch = None
    if torch is None:
        from _pth import save_pth   # noqa: PLC0415
        save_pth({"state_dict": values, "epoch": 1}, path)
        how = "torch is not installed: written in torch.save's format by _pth.save_pth"
    else:
        class TorchLeNet5(torch.nn.Module):
            """The guide's LeNet5 in PyTorch (conv layers without bias, as in MindSpore)."""

            def __init__(self):
                super().__init__()
                self.conv1 = torch.nn.Conv2d(1, 6, 5, bias=False)
                self.conv2 = torch.nn.Conv2d(6, 16, 5, bias=False)
                self.fc1 = torch.nn.Linear(16 * 5 * 5, 120)
                self.fc2 = torch.nn.Linear(120, 84)
                self.fc3 = torch.nn.Linear(84, 10)

        tnet = TorchLeNet5()
        tnet.load_state_dict({k: torch.from_numpy(values[k].copy()) for k in tnet.state_dict()})
        torch.save({"state_dict": tnet.state_dict(), "epoch": 1}, path)
        how = f"torch {torch.__version__}: torch.save({{'state_dict': net.state_dict(), ...}})"
    print(f"Made ./{path}, the trained LeNet5 as a PyTorch checkpoint ({how}; {kb(path)} kB).")
    return path


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="tutorial.py", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 2)[2])
    p.add_argument("--data", metavar="DIR",
                   help="MNIST-format folder with train/ and test/ subfolders (the guide's "
                        "./datasets/MNIST_Data). Default: datasets/MNIST_Data when present, else "
                        "the bundled sample datasets/mnist_5k (125 steps per epoch instead of "
                        "the guide's 1875).")
    p.add_argument("--workdir", default="tutorial_out", metavar="DIR",
                   help="folder for every file the guide writes (created; earlier outputs in it "
                        "are replaced, a checkpoint_lenet-1_<steps>.ckpt is reused). Default: "
                        "./tutorial_out.")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        train_path, _, described = _data.resolve(args.data)
    except _data.DataError as e:
        print(f"tutorial.py: error: {e}", file=sys.stderr)
        sys.exit(2)
    steps = create_dataset(train_path).get_dataset_size()
    if steps < 1:
        print(f"tutorial.py: error: {train_path} has fewer than 32 images", file=sys.stderr)
        sys.exit(2)
    os.makedirs(args.workdir, exist_ok=True)
    old = os.getcwd()
    os.chdir(args.workdir)
    try:
        for pattern in OUTPUTS:
            for f in glob.glob(pattern):
                os.remove(f)
        print(f"Saving, Loading and Converting Models: the guide's blocks on minispore "
              f"{ms.__version__}\nData: {described}\nWork folder: {os.getcwd()}")
        if steps != GUIDE_STEPS:
            print(f"Note: this training set gives {steps} steps of 32 per epoch, not the guide's "
                  f"{GUIDE_STEPS} (60,000 images), so files are named lenet-1_{steps}.ckpt where "
                  f"the guide has lenet-1_{GUIDE_STEPS}.ckpt, and LossMonitor prints every "
                  f"{max(1, steps // 3)} steps instead of 625.")
        t = Tutorial(train_path, steps)
        start = time.perf_counter()
        for block in (t.preparation, t.save_manually, t.save_specified_cell, t.save_async,
                      t.custom_param_list, t.hyperparameters, t.strict_load, t.filter_prefix,
                      t.convert_pytorch):
            block()
        section("Done")
        print(f"All blocks ran in {time.perf_counter() - start:.0f} s. Files in {os.getcwd()}:")
        for f in sorted(os.listdir(".")):
            print(f"  {f:<32} {os.path.getsize(f):>9,} bytes")
    finally:
        os.chdir(old)


if __name__ == "__main__":
    main()
