"""Regenerate the small torch-written golden files the converter tests read (needs torch).

    python tests/golden/pth/make_pth_golden.py

Each ``<case>.pth`` comes with ``<case>.npz``: the values ``torch.load(weights_only=True)`` returns,
flattened to ``name -> array`` (bfloat16 as its uint16 bits, listed in ``__bf16__``), so the tests
compare against torch's own reading without needing torch. Seeded; the files are a few kB.
"""
import os
from collections import OrderedDict

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def _cases():
    g = torch.Generator().manual_seed(7)
    base = OrderedDict()
    base["w32"] = torch.randn(3, 4, generator=g)
    base["w16"] = torch.randn(5, generator=g).half()
    base["w64"] = torch.randn(2, 2, generator=g).double()
    base["wbf16"] = torch.randn(2, 3, generator=g).bfloat16()
    base["i64"] = torch.arange(-3, 3, dtype=torch.int64)
    base["i32"] = torch.tensor([1, -2, 2**31 - 1], dtype=torch.int32)
    base["u8"] = torch.tensor([0, 7, 255], dtype=torch.uint8)
    base["mask"] = torch.tensor([True, False, True])
    base["scalar"] = torch.tensor(2.5)
    base["empty"] = torch.zeros(0, 3)

    big = torch.randn(4, 6, generator=g)
    views = OrderedDict()
    views["transposed"] = big.t()                 # non-contiguous, same storage as below
    views["sliced"] = big[1:3, ::2]               # offset + stride 2
    views["whole"] = big                          # shares the storage
    views["expanded"] = torch.randn(3, 1, generator=g).expand(3, 4)  # stride 0
    views["neg"] = torch.randn(3, generator=g)._neg_view()          # neg bit in metadata

    lin = torch.nn.Linear(3, 2)
    torch.nn.init.constant_(lin.bias, 0.5)
    nested = {"state_dict": lin.state_dict(), "epoch": 3, "arch": "lin"}
    module = OrderedDict(("module." + k, v) for k, v in lin.state_dict().items())
    param = OrderedDict(weight=torch.nn.Parameter(torch.randn(2, 2, generator=g)),
                        frozen=torch.nn.Parameter(torch.ones(2), requires_grad=False))
    return {"dtypes": (base, {}), "views": (views, {}), "nested": (nested, {}),
            "module_prefix": (module, {}), "parameter": (param, {}),
            "legacy": (base, {"_use_new_zipfile_serialization": False}),
            "protocol4": (views, {"pickle_protocol": 4})}


def _flatten(obj, prefix=""):
    out = {}
    for k, v in obj.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}/"))
        elif isinstance(v, torch.Tensor):
            out[prefix + k] = v
    return out


def main():
    for case, (obj, kwargs) in _cases().items():
        path = os.path.join(HERE, case + ".pth")
        torch.save(obj, path, **kwargs)
        # weights_only cannot read protocol 4 (FRAME); we wrote that file ourselves just above
        trusted = kwargs.get("pickle_protocol", 2) > 2
        loaded = _flatten(torch.load(path, weights_only=not trusted))
        arrays, bf16 = {}, []
        for k, t in loaded.items():
            t = t.detach().resolve_neg().contiguous()
            if t.dtype == torch.bfloat16:
                arrays[k] = t.view(torch.int16).numpy().view(np.uint16)
                bf16.append(k)
            else:
                arrays[k] = t.numpy()
        np.savez(os.path.join(HERE, case + ".npz"), __bf16__=np.array(bf16, dtype=str), **arrays)
        print(case, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
