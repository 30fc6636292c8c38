"""Generator of hostile ``.pth`` inputs for the converter tests (nothing here is ever unpickled).

Each case is ``(name, bytes)``: a zip shaped like ``torch.save`` output (or raw bytes) whose pickle
tries to run code, confuse the reader, or make it allocate/read out of bounds. Code-running payloads
all try to create the file ``sentinel`` so a test can assert that nothing ran. Payloads are built
with ``pickle.dumps`` of ``__reduce__`` objects (dumping runs nothing) or assembled opcode by opcode.
"""
import io
import pickle
import struct
import zipfile


class _Reduce:
    """Pickles as ``func(*args)``; ``func`` is only named, never called, by ``pickle.dumps``."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def torch_zip(pkl, storages=None, prefix="archive", byteorder=b"little", extra=None,
              compress=zipfile.ZIP_STORED):
    """A zip laid out like torch.save's: ``<prefix>/data.pkl``, ``byteorder``, ``data/<key>``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compress) as z:
        if pkl is not None:
            z.writestr(f"{prefix}/data.pkl", pkl)
        if byteorder is not None:
            z.writestr(f"{prefix}/byteorder", byteorder)
        for key, data in (storages or {}).items():
            z.writestr(f"{prefix}/data/{key}", data)
        z.writestr(f"{prefix}/version", b"3\n")
        for name, data in (extra or []):
            z.writestr(name, data)
    return buf.getvalue()


def _u(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def tensor_pickle(numel=2, offset=0, size=(2,), stride=(1,), storage="FloatStorage", key="0",
                  name="w"):
    """Protocol-2 pickle of ``{name: tensor}`` with every rebuild argument under test control."""
    def tup(xs):
        return b"(" + b"".join(_int(x) for x in xs) + b"t"
    pid = b"(" + _u("storage") + f"ctorch\n{storage}\n".encode() + _u(key) + _u("cpu") + \
        _int(numel) + b"t"
    return (b"\x80\x02}(" + _u(name) + b"ctorch._utils\n_rebuild_tensor_v2\n(" + pid + b"Q" +
            _int(offset) + tup(size) + tup(stride) + b"\x89ccollections\nOrderedDict\n)Rt" +
            b"R" + b"u.")


def _int(x):
    if 0 <= x < 256:
        return b"K" + bytes([x])
    if -2**31 <= x < 2**31:
        return b"J" + struct.pack("<i", x)
    n = (x.bit_length() + 8) // 8
    return b"\x8a" + bytes([n]) + x.to_bytes(n, "little", signed=True)


def code_payloads(sentinel):
    """Pickles that would create ``sentinel`` if any of their code ran."""
    import builtins
    import importlib
    import os
    import subprocess
    s = str(sentinel)
    cmd = f"touch {s}"
    write = f"open({s!r}, 'w').write('pwned')"
    cases = {
        "os_system": _Reduce(os.system, (cmd,)),
        "builtins_eval": _Reduce(builtins.eval, (write,)),
        "builtins_exec": _Reduce(builtins.exec, (write,)),
        "importlib": _Reduce(importlib.import_module, ("os",)),
        "subprocess_popen": _Reduce(subprocess.Popen, (["touch", s],)),
        "nested_pickle_loads": _Reduce(pickle.loads, (pickle.dumps(_Reduce(os.system, (cmd,))),)),
        "builtins_getattr": _Reduce(getattr, ("", "join")),
        "open_file": _Reduce(builtins.open, (s, "w")),
    }
    out = []
    for name, obj in cases.items():
        for proto in (2, 4):  # 2: GLOBAL, 4: STACK_GLOBAL + MEMOIZE + FRAME
            out.append((f"{name}_p{proto}", pickle.dumps({"w": obj}, protocol=proto)))
    sys_name = os.system.__module__  # 'posix' or 'nt'
    raw = [
        # STACK_GLOBAL whose operands come from the memo, stored under unrelated indices
        ("stack_global_memo", b"\x80\x04" + _u(sys_name) + b"q\x07" + _u("system") + b"q\x03" +
         b"0" + b"h\x07h\x03\x93" + _u(cmd) + b"\x85R."),
        # memo overwrite: the allowlisted name is replaced by 'system' before use
        ("stack_global_memo_overwrite", b"\x80\x04" + _u("collections") + b"q\x00" +
         _u("OrderedDict") + b"q\x01" + b"0" + _u("system") + b"q\x01" + b"0" + _u(sys_name) +
         b"q\x00" + b"0" + b"h\x00h\x01\x93" + _u(cmd) + b"\x85R."),
        ("inst_opcode", b"(" + _u(cmd) + f"i{sys_name}\nsystem\n.".encode()),
        ("obj_opcode", f"c{sys_name}\nsystem\n".encode() + b"(" + _u(cmd) + b"o."),
        ("newobj_on_allowed", b"\x80\x02ccollections\nOrderedDict\n)\x81."),
        ("ext1_registry", b"\x80\x02\x82\x01)R."),
        ("reduce_storage_class", b"\x80\x02ctorch\nFloatStorage\n)R."),
        ("reduce_on_dtype", b"\x80\x02ctorch\nfloat32\n)R."),
        ("orderdict_with_args", b"\x80\x02ccollections\nOrderedDict\n]\x85R."),
        ("build_on_storage_global", b"\x80\x02ctorch\nFloatStorage\n}b."),
        ("setitem_on_list", b"\x80\x02]" + _u("k") + _u("v") + b"s."),
        ("append_on_dict", b"\x80\x02}" + _u("v") + b"a."),
        ("global_with_dotted_escape", b"\x80\x02ctorch._utils\n_rebuild_tensor_v2.__globals__\n."),
        ("global_newline_trick", b"\x80\x02ccollections\nOrderedDict\nc" +
         sys_name.encode() + b"\nsystem\n" + b"(" + _u(cmd) + b"tR."),
        ("persid_text", b"\x80\x02P0\n."),
    ]
    return [(n, torch_zip(p)) for n, p in out + raw]


def structural_payloads():
    """Malformed or oversized archives that must be refused without big allocations."""
    ok = tensor_pickle()
    f32 = b"\x00" * 8
    deep_tuple = b"\x80\x02" + b")" + b"\x85" * 100_000 + b"."
    deep_marks = b"\x80\x02" + b"(" * 500_000 + b"."
    deep_lists = b"\x80\x02]q\x00" + b"h\x00]q\x00a0" * 40_000 + b"0N."  # constant stack depth
    many_ops = b"\x80\x02" + b"N0" * 400_000 + b"N."
    cases = [
        ("storage_numel_exceeds_entry", torch_zip(tensor_pickle(numel=1000), {"0": f32})),
        ("offset_past_storage", torch_zip(tensor_pickle(offset=1), {"0": f32})),
        ("stride_past_storage", torch_zip(tensor_pickle(size=(2,), stride=(5,)), {"0": f32})),
        ("shape_past_storage", torch_zip(tensor_pickle(size=(3,)), {"0": f32})),
        ("huge_numel", torch_zip(tensor_pickle(numel=2**47, size=(2**40,)), {"0": f32})),
        ("huge_numel_over_cap", torch_zip(tensor_pickle(numel=2**60), {"0": f32})),
        ("expand_bomb", torch_zip(tensor_pickle(size=(2**20, 2**20), stride=(0, 0)), {"0": f32})),
        ("negative_offset", torch_zip(tensor_pickle(offset=-1), {"0": f32})),
        ("missing_storage_entry", torch_zip(ok)),
        ("storage_key_path", torch_zip(tensor_pickle(key="../0"), {"0": f32})),
        ("storage_type_ordereddict",
         torch_zip(tensor_pickle().replace(b"ctorch\nFloatStorage\n",
                                           b"ccollections\nOrderedDict\n"), {"0": f32})),
        ("missing_data_pkl", torch_zip(None, {"0": f32})),
        ("two_data_pkl", torch_zip(ok, {"0": f32}, extra=[("other/data.pkl", ok)])),
        ("bad_byteorder", torch_zip(ok, {"0": f32}, byteorder=b"middle")),
        ("truncated_zip_half", torch_zip(ok, {"0": f32})[:200]),
        ("truncated_zip_tail", torch_zip(ok, {"0": f32})[:-10]),
        ("empty_file", b""),
        ("not_a_checkpoint", b"hello world" * 10),
        ("deep_tuple", torch_zip(deep_tuple)),
        ("deep_marks", torch_zip(deep_marks)),
        ("deep_lists_via_memo", torch_zip(deep_lists)),
        ("too_many_opcodes", torch_zip(many_ops)),
        ("binunicode_4gb", torch_zip(b"\x80\x02X\xff\xff\xff\xff" + b"a" * 16)),
        ("binbytes8_huge", torch_zip(b"\x80\x04\x8e" + struct.pack("<Q", 2**62) + b".")),
        ("long4_huge", torch_zip(b"\x80\x02\x8b\xff\xff\xff\x7f" + b"\x01" * 64)),
        ("frame_too_long", torch_zip(b"\x80\x04\x95" + struct.pack("<Q", 2**40) + b"N.")),
        ("memo_get_unknown", torch_zip(b"\x80\x02h\x05.")),
        ("unhashable_key", torch_zip(b"\x80\x02}]" + _u("v") + b"s.")),
        ("stack_underflow", torch_zip(b"\x80\x02R.")),
        ("no_stop", torch_zip(b"\x80\x02}")),
        ("legacy_truncated", b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19."),
        ("legacy_bad_magic", b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x18.\x80\x02M\xe9\x03."),
    ]
    return cases


def _memo(i):
    return b"r" + struct.pack("<I", i)


def _get(i):
    return b"j" + struct.pack("<I", i)


def dag_pickle(depth, kind="list", use="value"):
    """A pickle sharing one container through the memo: ``X_k = [X_{k-1}, X_{k-1}]`` (or a dict /
    tuple). ``depth`` 32 is under 1 KB and expands to 2**32 leaves; ``use`` puts the top node as a
    state_dict value, a dict key (tuples), or the argument of an allowlisted call whose error
    message formats it (``size``: torch.Size, ``param``: _rebuild_parameter)."""
    body = {"list": b"]", "dict": b"}", "tuple": b")"}[kind] + _memo(0)
    for k in range(1, depth + 1):
        a = _get(k - 1)
        body += b"0" + {"list": b"(" + a + a + b"l",     # POP the previous level, build the next
                        "dict": b"(" + _u("a") + a + _u("b") + a + b"d",
                        "tuple": a + a + b"\x86"}[kind] + _memo(k)
    if use == "key":
        return b"\x80\x02}" + body + _u("v") + b"s."
    if use == "size":
        return b"\x80\x02}" + _u("w") + b"ctorch\nSize\n" + body + b"\x85Rs."
    if use == "param":
        return (b"\x80\x02}" + _u("w") + b"ctorch._utils\n_rebuild_parameter\n" + body +
                b"\x88)\x87Rs.")
    return b"\x80\x02}" + _u("w") + body + b"s."


def deep_pickle(depth, kind="list"):
    """``{'w': [[[...]]]}`` (or nested dicts) ``depth`` levels deep, built with marks only (the
    stack stays one deep per level), as the 200k-deep list that made RecursionError escape."""
    if kind == "list":
        nest = b"(" * depth + b"]" + b"l" * depth
    elif kind == "stack":              # dicts nested through the stack alone, no marks
        nest = (b"}" + _u("k")) * depth + b"}" + b"s" * depth
    else:
        nest = (b"(" + _u("k")) * depth + b"}" + b"d" * depth
    return b"\x80\x02}" + _u("w") + nest + b"s."


def cycle_pickle():
    """A list that contains itself: ``L = [L]`` (any naive walk never ends)."""
    return b"\x80\x02}" + _u("w") + b"]" + _memo(0) + _get(0) + b"as."


def amplification_payloads():
    """Small pickles whose object graph is exponentially larger than the file, or deep/cyclic."""
    cases = []
    for kind in ("list", "dict"):
        for depth in (24, 32, 60):
            cases.append((f"dag_{kind}_{depth}", torch_zip(dag_pickle(depth, kind))))
    for use in ("size", "param"):
        cases.append((f"dag_list_32_in_{use}", torch_zip(dag_pickle(32, "list", use))))
    cases.append(("dag_tuple_32_as_key", torch_zip(dag_pickle(32, "tuple", "key"))))
    cases.append(("dag_tuple_32_in_size", torch_zip(dag_pickle(32, "tuple", "size"))))
    cases.append(("deep_list_200k", torch_zip(deep_pickle(200_000))))
    cases.append(("deep_dict_200k", torch_zip(deep_pickle(200_000, "dict"))))
    cases.append(("deep_dict_on_stack_50k", torch_zip(deep_pickle(50_000, "stack"))))
    cases.append(("self_cycle", torch_zip(cycle_pickle())))
    return cases
