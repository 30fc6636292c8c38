"""The opcode interpreter of the safe pickle reader (see ``allowlist`` for what it allows and why).

A bounds-checked interpreter over bytes: every length is checked against the remaining input
before anything is read or allocated, the opcode count, stack, memo, tuple size and tuple depth
are capped by :class:`Limits`, and globals/calls go through ``resolve_global``/``reduce_global``
only. Each opcode is one small handler in :data:`_HANDLERS`; opcodes absent from it are refused
(:data:`_FORBIDDEN` names the ones that could build or call objects).

The memo lets a pickle reference one container many times, so a sub-1 KB file can describe a DAG
whose tree expansion has 2**32 nodes, or a list nested 200k deep. The finished object is therefore
walked once, as a tree, with a node budget proportional to the opcodes actually executed and a
depth cap (:func:`_check_tree`): whatever reaches the caller can be traversed in work linear in the
file, and no consumer's recursion can overflow. No Python object other than
str/bytes/int/float/bool/None/tuple/list/dict/OrderedDict and the inert records of ``allowlist``
can come out of it.
"""
import struct
from collections import OrderedDict

from .allowlist import (ConversionError, CorruptFileError, UnsafePickleError, brief,
                        reduce_global, resolve_global)

__all__ = ["unpickle"]

_FORBIDDEN = {b"i": "INST", b"o": "OBJ", b"\x81": "NEWOBJ", b"\x92": "NEWOBJ_EX", b"\x82": "EXT1",
              b"\x83": "EXT2", b"\x84": "EXT4", b"\x96": "BYTEARRAY8", b"\x97": "NEXT_BUFFER",
              b"\x98": "READONLY_BUFFER", b"\x8f": "EMPTY_SET", b"\x90": "ADDITEMS",
              b"\x91": "FROZENSET", b"S": "STRING", b"T": "BINSTRING", b"U": "SHORT_BINSTRING",
              b"V": "UNICODE"}
_KEY_TYPES = (str, int, float, bool, type(None), bytes, tuple)


class _Reader:
    """Bounds-checked cursor over the pickle bytes; every read checks the remaining length first."""

    def __init__(self, data, pos, end, where):
        self.data, self.pos, self.end, self.where = data, pos, end, where

    def take(self, n):
        if n < 0 or n > self.end - self.pos:
            raise CorruptFileError(f"{self.where}: pickle truncated at byte {self.pos} (needs {n} "
                                   f"more bytes, {self.end - self.pos} left)")
        p = self.pos
        self.pos = p + n
        return bytes(self.data[p:p + n])

    def line(self, limit=4096):
        stop = min(self.end, self.pos + limit)
        i = bytes(self.data[self.pos:stop]).find(b"\n")
        if i < 0:
            raise CorruptFileError(f"{self.where}: unterminated text argument at byte {self.pos}")
        return self.take(i + 1)[:-1]

    def uint(self, n):
        return int.from_bytes(self.take(n), "little")


class _Machine:
    """The interpreter state: stack, mark stack, memo, and the helpers every handler shares."""

    def __init__(self, reader, persistent_load, limits, where):
        self.r, self.persistent_load, self.limits, self.where = reader, persistent_load, limits, where
        self.stack, self.marks, self.memo = [], [], {}
        self.tuple_size = {}    # id(tuple) -> (tuple, depth, expanded node count) for tuples > 1
        self.op_pos = reader.pos
        self.result = None

    def fail(self, exc_type, msg):
        raise exc_type(f"{self.where}: {msg} (opcode at byte {self.op_pos})")

    def push(self, x):
        self.stack.append(x)

    def pop(self):
        if not self.stack:
            self.fail(CorruptFileError, "pickle stack underflow")
        return self.stack.pop()

    def pop_mark(self):
        if not self.marks:
            self.fail(CorruptFileError, "MARK expected but the mark stack is empty")
        items = self.stack
        self.stack = self.marks.pop()
        return items

    def text(self, n):
        try:
            return self.r.take(n).decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            self.fail(CorruptFileError, "invalid UTF-8 string")

    def text_int(self, s):
        if len(s) > self.limits.max_int_bytes * 3:
            self.fail(CorruptFileError, "integer literal too long")
        try:
            return int(s.rstrip(b"L"))
        except ValueError:
            self.fail(CorruptFileError, f"bad integer literal {s[:40]!r}")

    def make_tuple(self, items):
        """A tuple of ``items``; its depth and memo-expanded size are capped (``hash`` and ``==``
        of a tuple visit every shared sub-tuple once per reference)."""
        t = tuple(items)
        depth, nodes = 1, 1
        for x in t:
            d, n = self.tuple_size[id(x)][1:] if id(x) in self.tuple_size else \
                (1, 1) if type(x) is tuple else (0, 1)
            depth, nodes = max(depth, d + 1), nodes + n
        if depth > self.limits.max_tuple_depth:
            self.fail(CorruptFileError, f"tuples nested deeper than {self.limits.max_tuple_depth}")
        if nodes > self.limits.max_tuple_nodes:
            self.fail(CorruptFileError, f"a tuple expands to more than "
                                        f"{self.limits.max_tuple_nodes} elements")
        if depth > 1 or nodes > 1:
            self.tuple_size[id(t)] = (t, depth, nodes)  # keeps t alive so its id stays unique
        return t

    def set_items(self, d, kvs):
        if not isinstance(d, dict):
            self.fail(UnsafePickleError, f"SETITEM(S) on a {type(d).__name__}, not a dict")
        if len(kvs) % 2:
            self.fail(CorruptFileError, "SETITEMS with an odd number of items")
        for k, v in zip(kvs[::2], kvs[1::2]):
            if not isinstance(k, _KEY_TYPES) or isinstance(k, (dict, list)):
                self.fail(CorruptFileError, f"dict key of type {type(k).__name__} is not allowed")
            try:
                d[k] = v
            except TypeError:
                self.fail(CorruptFileError, f"unhashable dict key {brief(k, 60)}")

    def memo_put(self, idx):
        if not self.stack:
            self.fail(CorruptFileError, "memo put with an empty stack")
        if idx not in self.memo and len(self.memo) >= self.limits.max_memo:
            self.fail(CorruptFileError, f"more than {self.limits.max_memo} memo entries")
        self.memo[idx] = self.stack[-1]

    def memo_get(self, idx):
        try:
            self.push(self.memo[idx])
        except KeyError:
            self.fail(CorruptFileError, f"memo key {idx} was never stored")

    def call(self, fn, *args):
        """``fn(*args)`` with its ConversionError re-raised naming the file and opcode offset."""
        try:
            return fn(*args)
        except ConversionError as e:
            self.fail(type(e), str(e))


# ---- opcode handlers: each takes the machine and the opcode byte -------------------------------
def _mark(m, op):
    # A mark stays open while the container it fills is being built, so open marks <= container
    # nesting + tuple nesting: refusing here stops a 200k-deep nest at its first few hundred bytes.
    if len(m.marks) >= m.limits.max_depth + m.limits.max_tuple_depth + 8:
        m.fail(CorruptFileError, f"marks nested deeper than {len(m.marks)} (containers are "
                                 f"limited to {m.limits.max_depth} levels)")
    m.marks.append(m.stack)
    m.stack = []


def _unicode(m, op):                       # BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
    m.push(m.text(m.r.uint({b"X": 4, b"\x8c": 1, b"\x8d": 8}[op])))


def _bytes(m, op):                         # SHORT_BINBYTES, BINBYTES, BINBYTES8
    m.push(m.r.take(m.r.uint({b"C": 1, b"B": 4, b"\x8e": 8}[op])))


def _binint_unsigned(m, op):               # BININT1, BININT2
    m.push(m.r.uint(1 if op == b"K" else 2))


def _binint(m, op):                        # BININT (signed 4 bytes)
    m.push(int.from_bytes(m.r.take(4), "little", signed=True))


def _long(m, op):                          # LONG1, LONG4
    n = m.r.uint(1 if op == b"\x8a" else 4)
    if n > m.limits.max_int_bytes:
        m.fail(CorruptFileError, f"{n}-byte integer exceeds {m.limits.max_int_bytes} bytes")
    m.push(int.from_bytes(m.r.take(n), "little", signed=True))


def _text_int(m, op):                      # INT (I01/I00 are bools), LONG
    s = m.r.line()
    m.push(True if op == b"I" and s == b"01" else False if op == b"I" and s == b"00"
           else m.text_int(s))


def _binfloat(m, op):
    m.push(struct.unpack(">d", m.r.take(8))[0])


def _text_float(m, op):
    s = m.r.line(64)
    try:
        m.push(float(s))
    except ValueError:
        m.fail(CorruptFileError, f"bad float literal {s[:40]!r}")


def _constant(value):
    def handler(m, op):
        m.push(value)
    return handler


def _empty(factory):
    def handler(m, op):
        m.push(factory())
    return handler


def _tuple_mark(m, op):                    # TUPLE
    items = m.pop_mark()   # pop_mark rebinds m.stack: pop before pushing
    m.push(m.make_tuple(items))


def _tuple_n(m, op):                       # TUPLE1..3
    n = op[0] - 0x84
    if len(m.stack) < n:
        m.fail(CorruptFileError, "pickle stack underflow")
    items = m.stack[-n:]
    del m.stack[-n:]
    m.push(m.make_tuple(items))


def _list(m, op):
    items = m.pop_mark()
    m.push(items)


def _append(m, op):                        # APPEND, APPENDS
    items = [m.pop()] if op == b"a" else m.pop_mark()
    target = m.pop()
    if type(target) is not list:
        m.fail(UnsafePickleError, f"APPEND(S) on a {type(target).__name__}, not a list")
    target.extend(items)
    m.push(target)


def _dict(m, op):
    d = {}
    m.set_items(d, m.pop_mark())
    m.push(d)


def _setitem(m, op):                       # SETITEM, SETITEMS
    if op == b"s":
        v = m.pop()
        kvs = [m.pop(), v]
    else:
        kvs = m.pop_mark()
    d = m.pop()
    m.set_items(d, kvs)
    m.push(d)


def _put(m, op):                           # BINPUT, LONG_BINPUT, MEMOIZE, PUT
    m.memo_put(m.r.uint(1) if op == b"q" else m.r.uint(4) if op == b"r" else
               len(m.memo) if op == b"\x94" else m.text_int(m.r.line()))


def _get(m, op):                           # BINGET, LONG_BINGET, GET
    m.memo_get(m.r.uint(1) if op == b"h" else m.r.uint(4) if op == b"j" else
               m.text_int(m.r.line()))


def _global(m, op):                        # GLOBAL (text operands)
    try:
        module, name = m.r.line(256).decode("utf-8"), m.r.line(256).decode("utf-8")
    except UnicodeDecodeError:
        m.fail(CorruptFileError, "invalid UTF-8 in GLOBAL")
    m.push(m.call(resolve_global, module, name))


def _stack_global(m, op):
    name, module = m.pop(), m.pop()
    if type(name) is not str or type(module) is not str:
        m.fail(UnsafePickleError, "STACK_GLOBAL operands must be strings")
    m.push(m.call(resolve_global, module, name))


def _reduce(m, op):
    args, func = m.pop(), m.pop()
    m.push(m.call(reduce_global, func, args))


def _persid(m, op):                        # BINPERSID (PERSID, the text form, is refused)
    if op == b"P":
        m.fail(UnsafePickleError, "text persistent ids are not used by torch.save")
    m.push(m.call(m.persistent_load, m.pop()))


def _build(m, op):
    """BUILD: only state on an OrderedDict (a state_dict's ``_metadata``); dropped, never applied."""
    state, obj = m.pop(), m.pop()
    if not isinstance(obj, OrderedDict) or not isinstance(state, (dict, tuple, type(None))):
        m.fail(UnsafePickleError, f"BUILD on a {type(obj).__name__} is not allowed")
    m.push(obj)


def _pop(m, op):
    if m.stack:
        m.stack.pop()
    else:
        m.pop_mark()


def _pop_mark(m, op):
    m.pop_mark()


def _dup(m, op):
    if not m.stack:
        m.fail(CorruptFileError, "DUP on an empty stack")
    m.push(m.stack[-1])


def _proto(m, op):
    if m.r.uint(1) > 5:
        m.fail(CorruptFileError, "unsupported pickle protocol")


def _frame(m, op):                         # framing is advisory; only bounds-check it
    if m.r.uint(8) > m.r.end - m.r.pos:
        m.fail(CorruptFileError, "FRAME larger than the remaining pickle")


def _stop(m, op):
    if len(m.stack) != 1 or m.marks:
        m.fail(CorruptFileError, "STOP with an unbalanced stack")
    m.result = m.stack[0]
    return True


def _forbidden(m, op):
    m.fail(UnsafePickleError, f"opcode {_FORBIDDEN[op]} is not allowed in a state_dict")


_HANDLERS = {
    b"(": _mark, b"X": _unicode, b"\x8c": _unicode, b"\x8d": _unicode,
    b"C": _bytes, b"B": _bytes, b"\x8e": _bytes,
    b"K": _binint_unsigned, b"M": _binint_unsigned, b"J": _binint,
    b"\x8a": _long, b"\x8b": _long, b"I": _text_int, b"L": _text_int,
    b"G": _binfloat, b"F": _text_float,
    b"N": _constant(None), b"\x88": _constant(True), b"\x89": _constant(False),
    b")": _constant(()), b"t": _tuple_mark, b"\x85": _tuple_n, b"\x86": _tuple_n, b"\x87": _tuple_n,
    b"]": _empty(list), b"l": _list, b"a": _append, b"e": _append,
    b"}": _empty(dict), b"d": _dict, b"s": _setitem, b"u": _setitem,
    b"q": _put, b"r": _put, b"\x94": _put, b"p": _put, b"h": _get, b"j": _get, b"g": _get,
    b"c": _global, b"\x93": _stack_global, b"R": _reduce, b"Q": _persid, b"P": _persid,
    b"b": _build, b"0": _pop, b"1": _pop_mark, b"2": _dup, b"\x80": _proto, b"\x95": _frame,
    b".": _stop,
}
_HANDLERS.update({op: _forbidden for op in _FORBIDDEN})
_OPS = [bytes([i]) for i in range(256)]
_TABLE = [_HANDLERS.get(op) for op in _OPS]      # indexed by the opcode's byte value


def _check_tree(m, obj, budget):
    """Walk ``obj`` as a tree (shared containers once per reference), iteratively; refuse it when
    it is nested deeper than ``limits.max_depth`` or has more than ``budget`` nodes.

    A pickle that shares containers through the memo (or makes a cycle) is cut off after at most
    ``budget`` steps, so this costs O(opcodes) even for a 2**32-node DAG.
    """
    max_depth = m.limits.max_depth
    todo = [(obj, 0)]
    while todo:
        x, depth = todo.pop()
        budget -= 1
        if budget < 0:
            m.fail(CorruptFileError, "the object shares containers so often that it expands to "
                                     "more nodes than the pickle has opcodes (a memo DAG or cycle)")
        t = type(x)
        if t is list or t is tuple or isinstance(x, dict):
            if depth >= max_depth:
                m.fail(CorruptFileError, f"containers nested deeper than {max_depth}")
            if len(x) > budget:
                budget = -1
                continue
            children = x.values() if isinstance(x, dict) else x
            todo.extend((c, depth + 1) for c in children
                        if type(c) in (list, tuple) or isinstance(c, dict))
            budget -= len(x)


def unpickle(data, pos, persistent_load, limits, where):
    """Interpret one pickle starting at ``data[pos]``; return ``(object, end_position)``.

    ``persistent_load(pid)`` turns a persistent id into a :class:`StorageRef`. Only the opcodes a
    ``torch.save`` state_dict needs are understood; anything that could build or call arbitrary
    objects raises :class:`UnsafePickleError` before any effect; an object whose tree expansion
    is deeper than ``limits.max_depth`` or larger than twice the opcode count raises
    :class:`CorruptFileError`.
    """
    r = _Reader(data, pos, min(len(data), pos + limits.max_pickle_bytes), where)
    m = _Machine(r, persistent_load, limits, where)
    max_ops, max_stack, table = limits.max_opcodes, limits.max_stack, _TABLE
    n_ops = 0
    while True:
        p = m.op_pos = r.pos
        n_ops += 1
        if n_ops > max_ops:
            m.fail(CorruptFileError, f"more than {max_ops} opcodes")
        if len(m.stack) + len(m.marks) > max_stack:
            m.fail(CorruptFileError, f"stack deeper than {max_stack}")
        if p >= r.end:
            r.take(1)                   # raises "pickle truncated"
        code = data[p]
        r.pos = p + 1
        handler = table[code]
        if handler is None:
            m.fail(CorruptFileError, f"unknown pickle opcode {_OPS[code]!r}")
        if handler(m, _OPS[code]):
            break
    _check_tree(m, m.result, 2 * n_ops + 1024)
    return m.result, r.pos
