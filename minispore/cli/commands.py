"""``minispore-ckpt`` / ``python -m minispore.ckpt``: inspect, verify, diff and convert checkpoints.

Subcommands (``--help`` on each shows examples):

* ``inspect FILE [--json] [--crc]`` - names, dtypes, shapes, element counts, bytes and totals,
  from headers only: no tensor byte is read, so a 1 GB ``.ckpt`` answers in milliseconds. The CRC
  trailer is reported as present/absent; ``--crc`` reads the body and checks it.
* ``verify FILE`` - full structural check plus the CRC (``.ckpt``) / zip CRCs (``.npz``).
* ``diff A B [--atol X] [--rtol Y]`` - names only in A / only in B, dtype and shape changes, and the
  max |a - b| of shared tensors, reading one block of one tensor of each file at a time.
* ``convert IN OUT [...]`` - between ``.ckpt``, ``.safetensors`` and ``.npz`` (and from
  ``.pth``/``.pt``/``.bin``), with filtering, renaming and float casts; atomic writes.

Exit codes: 0 success (files identical for ``diff``), 1 a file was read and found bad (or ``diff``
found differences), 2 usage or I/O errors (missing file, unknown suffix, bad option). Every
failure is one line on stderr naming the file; set ``MINISPORE_CKPT_DEBUG=1`` for tracebacks of
unexpected errors.
"""
import argparse
import json
import os
import sys

from ._formats import (BadFileError, CliError, UsageError, format_of, guard, open_source,
                           write_entries, FLOAT_TYPES)
from ._ops import NameMap, cast, compare, parse_dtype
from ..train._ckpt_codec import LOADABLE_TYPES

__all__ = ["main"]

PROG = "minispore-ckpt"

_INSPECT_EPILOG = """examples:
  minispore-ckpt inspect lenet.ckpt
  minispore-ckpt inspect lenet.ckpt --json > lenet.json     # entries, totals, crc
  minispore-ckpt inspect lenet.ckpt --crc        # also read the body and check the CRC trailer
  minispore-ckpt inspect model.safetensors       # header only
  minispore-ckpt inspect resnet.pth --state-dict-key state_dict
"""
_VERIFY_EPILOG = """examples:
  minispore-ckpt verify lenet.ckpt && echo intact
prints "OK: <file>: N entries, ..., CRC valid|CRC absent" (exit 0) or one line saying what is wrong
(exit 1). A file without a CRC trailer can only be checked structurally: a cut exactly at a record
boundary then still parses; save with crc_check=True to detect that.
"""
_DIFF_EPILOG = """examples:
  minispore-ckpt diff epoch1.ckpt epoch2.ckpt
  minispore-ckpt diff lenet.ckpt lenet.safetensors
  minispore-ckpt diff fp32.ckpt fp16.ckpt --atol 1e-3
exit 0 when both files hold the same names, dtypes and shapes and every value is within
|a - b| <= atol + rtol * |b| (default: exactly equal; NaN equals NaN); otherwise 1.
"""
_CONVERT_EPILOG = """examples:
  minispore-ckpt convert lenet.ckpt lenet.safetensors
  minispore-ckpt convert resnet.pth resnet.ckpt --state-dict-key state_dict --strip-prefix module.
  minispore-ckpt convert a.ckpt b.ckpt --filter-prefix moments. --dtype float32:float16
  minispore-ckpt convert torch.pth ms.ckpt --map names.json

--map FILE is a JSON object {"old": "new", ...}. A key starting with "re:" is a regular expression
that must match the whole name; its value may use groups, e.g.
  {"fc.weight": "fc1.weight", "re:layer(\\\\d+)\\\\.bn\\\\.(.*)": "layer\\\\1.norm.\\\\2"}
Exact keys win over regexes; regexes are tried in file order; unmatched names are kept.

Order of operations: --specify-prefix / --filter-prefix (on the input names), --strip-prefix,
--map, then --dtype. --dtype DST casts every floating tensor to DST; SRC:DST only those of SRC
(float16, float32, float64, bfloat16). The output is written to a temp file and renamed (atomic);
the input is never overwritten and .pth is never written. safetensors stores tensors sorted by
dtype then name, so going through it keeps names, dtypes, shapes and values but not entry order.
"""


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors as one line (UsageError) instead of usage + exit."""

    def error(self, message):
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _build_parser(prog):
    fmt = argparse.RawDescriptionHelpFormatter
    p = _Parser(prog=prog, formatter_class=fmt,
                description="Inspect, verify, diff and convert checkpoints (.ckpt, .safetensors, "
                            ".npz; .pth/.pt read-only) without loading what is not needed.",
                epilog="run '%s SUBCOMMAND --help' for examples" % prog)
    sub = p.add_subparsers(dest="command", metavar="{inspect,verify,diff,convert}")
    sub.required = True

    def add(name, help_, epilog):
        return sub.add_parser(name, help=help_, description=help_, epilog=epilog,
                              formatter_class=fmt)

    def torch_opts(q):
        q.add_argument("--state-dict-key", metavar="K", action="append",
                       help=".pth only: key of the nested state_dict (repeat for a key path)")
        q.add_argument("--skip-non-tensors", action="store_true",
                       help=".pth only: drop non-tensor values of the state_dict")

    q = add("inspect", "List names, dtypes, shapes and sizes from the headers alone.",
            _INSPECT_EPILOG)
    q.add_argument("file")
    q.add_argument("--json", action="store_true", help="print one JSON object")
    q.add_argument("--crc", action="store_true",
                   help="also read the body and check the CRC (.ckpt) / zip CRCs (.npz)")
    torch_opts(q)

    q = add("verify", "Check structure and CRC; print OK or one line saying what is wrong.",
            _VERIFY_EPILOG)
    q.add_argument("file")
    torch_opts(q)

    q = add("diff", "Compare two checkpoints name by name, one tensor at a time.", _DIFF_EPILOG)
    q.add_argument("a")
    q.add_argument("b")
    q.add_argument("--atol", type=float, default=0.0, metavar="X")
    q.add_argument("--rtol", type=float, default=0.0, metavar="Y")
    torch_opts(q)

    q = add("convert", "Convert between .ckpt, .safetensors, .npz (and from .pth/.pt).",
            _CONVERT_EPILOG)
    q.add_argument("input")
    q.add_argument("output")
    q.add_argument("--map", metavar="FILE", help="JSON object old name -> new name (re: keys)")
    q.add_argument("--filter-prefix", metavar="P", action="append", default=[],
                   help="drop names starting with P (repeatable; MindSpore's filter_prefix)")
    q.add_argument("--specify-prefix", metavar="P", action="append", default=[],
                   help="keep only names starting with P (repeatable)")
    q.add_argument("--strip-prefix", metavar="P", help="remove P from names starting with it")
    q.add_argument("--dtype", metavar="SRC:DST|DST", action="append", default=[],
                   help="cast floating tensors (repeatable)")
    q.add_argument("--crc", action="store_true", help=".ckpt output: append the CRC trailer")
    torch_opts(q)
    return p


# ---- helpers -----------------------------------------------------------------------------------
def _open(path, args, torch_only=False):
    """Open ``path``; with ``torch_only`` the .pth options are silently kept from other formats."""
    if torch_only and format_of(path) != "torch":
        return open_source(path)
    return open_source(path, state_dict_key=_sdk(args),
                       skip_non_tensors=getattr(args, "skip_non_tensors", False))


def _sdk(args):
    keys = getattr(args, "state_dict_key", None)
    if not keys:
        return None
    return keys[0] if len(keys) == 1 else tuple(keys)


def _human(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _fmt_float(x):
    return "nan" if x != x else f"{x:.6g}"


# ---- inspect -----------------------------------------------------------------------------------
def _inspect(args, out):
    with _open(args.file, args) as src:
        state, detail = guard(src, src.check_crc) if args.crc else src.crc_state()
        entries = src.entries
        names = [e.name for e in entries]
        dup = {n for n in names if names.count(n) > 1} if len(set(names)) != len(names) else set()
        totals = {"entries": len(entries),
                  "parameters": sum(e.elements for e in entries),
                  "bytes": sum(e.nbytes for e in entries),
                  "file_size": src.size}
        if args.json:
            doc = {"file": src.path, "format": src.fmt,
                   "entries": [{"name": e.name, "dtype": e.dtype, "shape": list(e.shape),
                                "elements": e.elements, "bytes": e.nbytes, "chunks": e.chunks}
                               for e in entries],
                   "totals": totals, "crc": {"state": state, "detail": detail},
                   "duplicates": sorted(dup)}
            out.write(json.dumps(doc, indent=1) + "\n")
        else:
            rows = [("name", "dtype", "shape", "elements", "bytes")]
            rows += [(e.name + ("  (chunks: %d)" % e.chunks if e.chunks > 1 else ""), e.dtype,
                      str(list(e.shape)), str(e.elements), str(e.nbytes)) for e in entries]
            w = [max(len(r[i]) for r in rows) for i in range(5)]
            out.write(f"{src.path} ({src.fmt}, {src.size} bytes)\n")
            for r in rows:
                out.write(f"{r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]:<{w[2]}}  {r[3]:>{w[3]}}  "
                          f"{r[4]:>{w[4]}}\n")
            out.write(f"entries: {totals['entries']}  parameters: {totals['parameters']}  "
                      f"tensor bytes: {totals['bytes']} ({_human(totals['bytes'])})  "
                      f"file size: {src.size} ({_human(src.size)})\n")
            if dup:
                out.write(f"duplicate names (a loader keeps the last value): "
                          f"{', '.join(sorted(dup))}\n")
            out.write(f"crc: {detail}\n")
    if state == "mismatch":
        raise BadFileError(f"{src.path}: CRC {detail}")
    return 0


# ---- verify ------------------------------------------------------------------------------------
def _verify(args, out):
    with _open(args.file, args) as src:
        clause = guard(src, src.verify)
        params = sum(e.elements for e in src.entries)
        nbytes = sum(e.nbytes for e in src.entries)
        out.write(f"OK: {src.path}: {len(src.entries)} entries, {params} parameters, "
                  f"{nbytes} tensor bytes, {clause}\n")
    return 0


# ---- diff --------------------------------------------------------------------------------------
def _diff(args, out):
    if args.atol < 0 or args.rtol < 0 or args.atol != args.atol or args.rtol != args.rtol:
        raise UsageError("--atol and --rtol must be non-negative numbers")
    with _open(args.a, args, True) as a, _open(args.b, args, True) as b:
        ea, eb = {e.name: e for e in a.logical()}, {e.name: e for e in b.logical()}
        only_a = [n for n in ea if n not in eb]
        only_b = [n for n in eb if n not in ea]
        shared = [n for n in ea if n in eb]
        differ = 0
        out.write(f"--- {a.path}\n+++ {b.path}\n")
        for n in only_a:
            out.write(f"only in A: {n} {ea[n].dtype} {list(ea[n].shape)}\n")
        for n in only_b:
            out.write(f"only in B: {n} {eb[n].dtype} {list(eb[n].shape)}\n")
        for n in shared:
            x, y = ea[n], eb[n]
            notes = []
            if x.dtype != y.dtype:
                notes.append(f"dtype {x.dtype} -> {y.dtype}")
            if x.shape != y.shape:
                notes.append(f"shape {list(x.shape)} -> {list(y.shape)}")
            comparable = x.shape == y.shape and ((x.dtype == "str") == (y.dtype == "str"))
            if comparable:
                if x.dtype == "str":
                    va, vb = guard(a, a.read, x), guard(b, b.read, y)
                    if va != vb:
                        notes.append(f"value {va!r} -> {vb!r}")
                else:
                    worst, bad = guard(a, lambda: compare(a.blocks(x), x.dtype, b.blocks(y),
                                                          y.dtype, args.atol, args.rtol))
                    if bad:
                        notes.append(f"values: {bad} of {x.elements} elements differ, "
                                     f"max |a-b| = {_fmt_float(worst)}")
                    elif worst:
                        out.write(f"within tolerance: {n} max |a-b| = {_fmt_float(worst)}\n")
            if notes:
                differ += 1
                out.write(f"changed: {n}: {'; '.join(notes)}\n")
        if not only_a and not only_b and shared != [n for n in eb]:
            out.write("note: same names in a different order\n")
        same = not only_a and not only_b and not differ
        out.write(f"{'identical' if same else 'different'}: {len(shared)} shared "
                  f"({len(shared) - differ} equal, {differ} changed), {len(only_a)} only in A, "
                  f"{len(only_b)} only in B\n")
    return 0 if same else 1


# ---- convert -----------------------------------------------------------------------------------
def _same_file(a, b):
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _plan_names(entries, args, name_map):
    """[(entry, new name)] after prefix filters, strip and map; UsageError on collisions."""
    plan, seen = [], {}
    for e in entries:
        n = e.name
        if args.specify_prefix and not n.startswith(tuple(args.specify_prefix)):
            continue
        if args.filter_prefix and n.startswith(tuple(args.filter_prefix)):
            continue
        if args.strip_prefix and n.startswith(args.strip_prefix):
            n = n[len(args.strip_prefix):]
        if name_map is not None:
            n = name_map(n)
        if not n:
            raise UsageError(f"{e.name!r} would be renamed to an empty name")
        if n in seen:
            raise UsageError(f"renaming sends both {seen[n]!r} and {e.name!r} to {n!r}")
        seen[n] = e.name
        plan.append((e, n))
    return plan


def _convert(args, out):
    if "" in args.filter_prefix or "" in args.specify_prefix:
        raise UsageError("--filter-prefix/--specify-prefix cannot be empty")
    out_fmt = format_of(args.output, writing=True)
    format_of(args.input)
    if os.path.exists(args.input) and os.path.exists(args.output) and \
            _same_file(args.input, args.output):
        raise UsageError(f"{args.output}: refusing to overwrite the input file")
    if args.crc and out_fmt != "ckpt":
        raise UsageError("--crc only applies to .ckpt output")
    casts = [parse_dtype(s) for s in args.dtype]
    name_map = NameMap.load(args.map) if args.map else None
    if args.output.endswith(os.sep) or os.path.isdir(args.output):
        raise UsageError(f"{args.output}: is a directory")
    with _open(args.input, args) as src:
        plan = _plan_names(src.logical(), args, name_map)
        if not plan:
            raise UsageError(f"{src.path}: nothing left to write after the prefix filters")
        items, n_cast, skipped = [], 0, []
        for e, new in plan:
            if e.dtype not in LOADABLE_TYPES:
                raise BadFileError(f"{src.path}: {e.name!r} has dtype {e.dtype}, which no "
                                   f"checkpoint format can hold; drop it with --filter-prefix")
            value = guard(src, src.read, e)
            ttype = e.dtype
            for s, d in casts:
                if ttype in FLOAT_TYPES and (s is None or s == ttype) and ttype != d:
                    value, ttype = cast(value, ttype, d), d
                    n_cast += 1
                    break
            if ttype != "str" and value.size == 0 and out_fmt == "ckpt":
                skipped.append(new)
                continue
            items.append((new, ttype, value))
        write_entries(args.output, out_fmt, items, crc=args.crc)
    renamed = sum(1 for e, n in plan if e.name != n)
    out.write(f"wrote {os.path.abspath(args.output)} ({out_fmt}): {len(items)} entries"
              f" ({renamed} renamed, {n_cast} cast, {len(src.logical()) - len(plan)} filtered "
              f"out)\n")
    for n in skipped:
        sys.stderr.write(f"{PROG}: warning: {n!r} has zero elements; .ckpt cannot store it "
                         f"(skipped, as MindSpore does)\n")
    return 0


_COMMANDS = {"inspect": _inspect, "verify": _verify, "diff": _diff, "convert": _convert}


def main(argv=None, prog=PROG):
    """Run the CLI on ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = _build_parser(prog)
    try:
        args = parser.parse_args(argv)
        return _COMMANDS[args.command](args, sys.stdout)
    except SystemExit as exc:           # --help / --version
        return exc.code if isinstance(exc.code, int) else 0
    except CliError as exc:
        sys.stderr.write(f"{prog}: error: {' '.join(str(exc).split())}\n")
        return exc.exit_code
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        except OSError:
            pass
        return 0
    except KeyboardInterrupt:
        sys.stderr.write(f"{prog}: interrupted\n")
        return 130
    except Exception as exc:  # noqa: BLE001 - last resort: one line, never a traceback
        if os.environ.get("MINISPORE_CKPT_DEBUG"):
            raise
        sys.stderr.write(f"{prog}: error: unexpected {type(exc).__name__}: "
                         f"{' '.join(str(exc).split())} (MINISPORE_CKPT_DEBUG=1 for details)\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
