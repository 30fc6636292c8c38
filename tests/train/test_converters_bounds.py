"""Issue 15 (1): a small ``.pth`` must not cost exponential time/memory or escape with
RecursionError. The corpus (``hostile_pth.amplification_payloads``) shares containers through the
memo (2**24 .. 2**60-node DAGs in under 2 KB), nests 200k deep, or makes a cycle; each must give
one ``CorruptFileError`` naming the file, with the peak memory of the attempt measured.
"""
import os
import subprocess
import sys
import time
import tracemalloc
from collections import OrderedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hostile_pth import amplification_payloads, dag_pickle, tensor_pickle, torch_zip
from minispore.train._torch.allowlist import brief
from minispore.train.converters import ConversionError, CorruptFileError, load_pytorch

_CASES = amplification_payloads()
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("name", [c[0] for c in _CASES])
def test_amplified_pickles_refused(name):
    data = dict(_CASES)[name]
    assert len(data) < 4096 or not name.startswith("dag")
    t0 = time.process_time()                      # CPU time: other processes' load does not count
    with pytest.raises(CorruptFileError) as info:
        load_pytorch(data)
    assert time.process_time() - t0 < 2          # hang guard (the bound), not a benchmark
    msg = str(info.value)
    assert msg.startswith("<bytes>: archive/data.pkl") and len(msg) < 400
    if len(data) < 4096:                          # tracemalloc is slow on the 200k-deep cases;
        tracemalloc.start()                       # those are covered by the RSS test below
        try:
            with pytest.raises(CorruptFileError):
                load_pytorch(data)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 16 << 20, f"{name}: peak {peak >> 20} MiB"


def test_corpus_peak_rss_in_a_fresh_process(tmp_path):
    """RSS high-water mark of a fresh interpreter loading every hostile case (amplification,
    structural and code-running corpora, default limits), minus its RSS after imports."""
    code = ("import resource, sys; sys.path.insert(0, %r)\n"
            "from hostile_pth import amplification_payloads, structural_payloads, code_payloads\n"
            "from minispore.train.converters import load_pytorch, ConversionError\n"
            "cases = amplification_payloads() + structural_payloads() + "
            "code_payloads('/nonexistent/sentinel')\n"
            "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "for name, data in cases:\n"
            "    try:\n"
            "        load_pytorch(data)\n"
            "    except ConversionError:\n"
            "        pass\n"
            "    else:\n"
            "        raise SystemExit(name + ' loaded')\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base)\n") % HERE
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, PYTHONPATH=os.path.dirname(HERE)))
    assert r.returncode == 0, r.stderr
    growth_kib = int(r.stdout.split()[-1])
    assert growth_kib < 256 * 1024, f"peak RSS grew by {growth_kib // 1024} MiB"


@settings(max_examples=30, deadline=None)
@given(depth=st.integers(1, 64), kind=st.sampled_from(["list", "dict", "tuple"]),
       use=st.sampled_from(["value", "size", "param", "key"]))
def test_any_memo_dag_is_refused_or_small(depth, kind, use):
    """The class: any depth, container kind and place. Small DAGs may load or be refused for
    their structure; none may take exponential work or escape as another exception type."""
    if use == "key" and kind != "tuple":
        kind = "tuple"
    try:
        load_pytorch(torch_zip(dag_pickle(depth, kind, use)), skip_non_tensors=True)
    except ConversionError as e:
        assert len(str(e)) < 400
    if depth >= 24:     # 2**24 expanded nodes: beyond any opcode-proportional budget
        with pytest.raises(ConversionError):
            load_pytorch(torch_zip(dag_pickle(depth, kind, use)), skip_non_tensors=True)


def test_shared_tensor_and_moderate_sharing_still_load():
    """A state_dict with tied weights (the same tensor under two names, via the memo) loads."""
    pkl = tensor_pickle(numel=2).replace(b"R" + b"u.", b"R" + b"q\x09" + b"X\x01\x00\x00\x00v" +
                                         b"h\x09" + b"u.")
    out = load_pytorch(torch_zip(pkl, {"0": b"\x00\x00\x80\x3f" * 2}))
    assert list(out) == ["w", "v"] and out["v"]._data.tolist() == [1.0, 1.0]


# ---- brief: the bounded repr every error message uses -----------------------------------------
_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                  st.text(max_size=8), st.binary(max_size=8))
_tree = st.recursive(_leaf, lambda c: st.one_of(st.lists(c, max_size=4),
                                                st.tuples(c, c), st.tuples(c),
                                                st.dictionaries(st.text(max_size=3), c,
                                                                max_size=3)),
                     max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(x=_tree, limit=st.integers(10, 400))
def test_brief_is_repr_when_short(x, limit):
    """Against Python's repr (the reference): equal when the repr fits, a prefix + '...' otherwise."""
    full, got = repr(x), brief(x, limit)
    assert len(got) <= limit
    if len(full) <= limit:
        assert got == full
    else:
        assert got.endswith("...")
        if "[...]" not in got and "(...)" not in got and "{...}" not in got:  # no depth elision
            assert full.startswith(got[:-3])


def test_brief_of_huge_shared_and_deep_objects():
    dag = []
    for _ in range(64):             # 2**64 leaves if expanded
        dag = [dag, dag]
    deep = []
    for _ in range(300_000):
        deep = [deep]
    big = OrderedDict((str(i), i) for i in range(10**6))
    for obj in (dag, big, b"x" * 10**7, "y" * 10**7):
        text = brief(obj, 80)
        assert len(text) <= 80 and text.endswith("...")
    assert brief(deep, 80) == "[[[[[[[...]]]]]]]"
    assert brief(7 ** 100_000, 80) == "<280736-bit int>"
