"""The opcode loop of the safe pickle reader (see ``allowlist`` for what it allows and why).

A bounds-checked interpreter over bytes: every length is checked against the remaining input
before anything is read or allocated, the opcode count, stack, memo and tuple depth are capped by
:class:`Limits`, and globals/calls go through ``resolve_global``/``reduce_global`` only. No Python
object other than str/bytes/int/float/bool/None/tuple/list/dict/OrderedDict and the inert records
of ``allowlist`` can come out of it.
"""
import struct
from collections import OrderedDict

from .allowlist import (ConversionError, CorruptFileError, UnsafePickleError, reduce_global,
                            resolve_global)

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
        s = self.take(i + 1)[:-1]
        return s

    def uint(self, n):
        return int.from_bytes(self.take(n), "little")


def unpickle(data, pos, persistent_load, limits, where):
    """Interpret one pickle starting at ``data[pos]``; return ``(object, end_position)``.

    ``persistent_load(pid)`` turns a persistent id into a :class:`StorageRef`. Only the opcodes a
    ``torch.save`` state_dict needs are understood; anything that could build or call arbitrary
    objects raises :class:`UnsafePickleError` before any effect.
    """
    end = min(len(data), pos + limits.max_pickle_bytes)
    r = _Reader(data, pos, end, where)
    stack, marks, memo, tdepth = [], [], {}, {}
    n_ops = 0

    def fail(exc_type, msg):
        raise exc_type(f"{where}: {msg} (opcode at byte {op_pos})")

    def pop_mark():
        nonlocal stack
        if not marks:
            fail(CorruptFileError, "MARK expected but the mark stack is empty")
        items = stack
        stack = marks.pop()
        return items

    def pop():
        if not stack:
            fail(CorruptFileError, "pickle stack underflow")
        return stack.pop()

    def make_tuple(items):
        t = tuple(items)
        depth = 1 + max((tdepth[id(x)][1] if id(x) in tdepth else 1 if type(x) is tuple else 0)
                        for x in t) if t else 1
        if depth > limits.max_tuple_depth:
            fail(CorruptFileError, f"tuples nested deeper than {limits.max_tuple_depth}")
        if depth > 1:
            tdepth[id(t)] = (t, depth)  # keep t alive so its id stays unique
        return t

    def set_items(d, kvs):
        if not isinstance(d, dict):
            fail(UnsafePickleError, f"SETITEM(S) on a {type(d).__name__}, not a dict")
        if len(kvs) % 2:
            fail(CorruptFileError, "SETITEMS with an odd number of items")
        for k, v in zip(kvs[::2], kvs[1::2]):
            if not isinstance(k, _KEY_TYPES) or isinstance(k, (dict, list)):
                fail(CorruptFileError, f"dict key of type {type(k).__name__} is not allowed")
            try:
                d[k] = v
            except TypeError:
                fail(CorruptFileError, f"unhashable dict key {k!r:.60}")

    def memo_put(idx):
        if not stack:
            fail(CorruptFileError, "memo put with an empty stack")
        if idx not in memo and len(memo) >= limits.max_memo:
            fail(CorruptFileError, f"more than {limits.max_memo} memo entries")
        memo[idx] = stack[-1]

    def memo_get(idx):
        try:
            stack.append(memo[idx])
        except KeyError:
            fail(CorruptFileError, f"memo key {idx} was never stored")

    def text_int(s):
        if len(s) > limits.max_int_bytes * 3:
            fail(CorruptFileError, "integer literal too long")
        try:
            return int(s.rstrip(b"L"))
        except ValueError:
            fail(CorruptFileError, f"bad integer literal {s[:40]!r}")

    while True:
        op_pos = r.pos
        n_ops += 1
        if n_ops > limits.max_opcodes:
            fail(CorruptFileError, f"more than {limits.max_opcodes} opcodes")
        if len(stack) + len(marks) > limits.max_stack:
            fail(CorruptFileError, f"stack deeper than {limits.max_stack}")
        op = r.take(1)
        if op == b"q":                       # BINPUT
            memo_put(r.uint(1))
        elif op == b"h":                     # BINGET
            memo_get(r.uint(1))
        elif op == b"(":                     # MARK
            marks.append(stack)
            stack = []
        elif op == b"X":                     # BINUNICODE
            n = r.uint(4)
            try:
                stack.append(r.take(n).decode("utf-8", "surrogatepass"))
            except UnicodeDecodeError:
                fail(CorruptFileError, "invalid UTF-8 string")
        elif op == b"\x8c" or op == b"\x8d":  # SHORT_BINUNICODE, BINUNICODE8
            n = r.uint(1 if op == b"\x8c" else 8)
            try:
                stack.append(r.take(n).decode("utf-8", "surrogatepass"))
            except UnicodeDecodeError:
                fail(CorruptFileError, "invalid UTF-8 string")
        elif op == b"K":                     # BININT1
            stack.append(r.uint(1))
        elif op == b"M":                     # BININT2
            stack.append(r.uint(2))
        elif op == b"J":                     # BININT
            stack.append(int.from_bytes(r.take(4), "little", signed=True))
        elif op == b"\x8a" or op == b"\x8b":  # LONG1, LONG4
            n = r.uint(1 if op == b"\x8a" else 4)
            if n > limits.max_int_bytes:
                fail(CorruptFileError, f"{n}-byte integer exceeds {limits.max_int_bytes} bytes")
            stack.append(int.from_bytes(r.take(n), "little", signed=True))
        elif op == b"I":                     # INT (text); I01/I00 are bools
            s = r.line()
            stack.append(True if s == b"01" else False if s == b"00" else text_int(s))
        elif op == b"L":                     # LONG (text)
            stack.append(text_int(r.line()))
        elif op == b"G":                     # BINFLOAT
            stack.append(struct.unpack(">d", r.take(8))[0])
        elif op == b"F":                     # FLOAT (text)
            s = r.line(64)
            try:
                stack.append(float(s))
            except ValueError:
                fail(CorruptFileError, f"bad float literal {s[:40]!r}")
        elif op in (b"C", b"B", b"\x8e"):    # SHORT_BINBYTES, BINBYTES, BINBYTES8
            stack.append(r.take(r.uint({b"C": 1, b"B": 4, b"\x8e": 8}[op])))
        elif op == b"N":
            stack.append(None)
        elif op == b"\x88":
            stack.append(True)
        elif op == b"\x89":
            stack.append(False)
        elif op == b")":                     # EMPTY_TUPLE
            stack.append(())
        elif op == b"t":                     # TUPLE
            t = make_tuple(pop_mark())   # pop_mark rebinds `stack`: evaluate before append
            stack.append(t)
        elif op in (b"\x85", b"\x86", b"\x87"):  # TUPLE1..3
            n = op[0] - 0x84
            if len(stack) < n:
                fail(CorruptFileError, "pickle stack underflow")
            items = stack[-n:]
            del stack[-n:]
            stack.append(make_tuple(items))
        elif op == b"]":                     # EMPTY_LIST
            stack.append([])
        elif op == b"l":                     # LIST
            items = pop_mark()
            stack.append(items)
        elif op == b"a" or op == b"e":       # APPEND, APPENDS
            items = [pop()] if op == b"a" else pop_mark()
            target = pop()
            if type(target) is not list:
                fail(UnsafePickleError, f"APPEND(S) on a {type(target).__name__}, not a list")
            target.extend(items)
            stack.append(target)
        elif op == b"}":                     # EMPTY_DICT
            stack.append({})
        elif op == b"d":                     # DICT
            d = {}
            set_items(d, pop_mark())
            stack.append(d)
        elif op == b"s" or op == b"u":       # SETITEM, SETITEMS
            if op == b"s":
                v = pop()
                kvs = [pop(), v]
            else:
                kvs = pop_mark()
            d = pop()
            set_items(d, kvs)
            stack.append(d)
        elif op == b"r":                     # LONG_BINPUT
            memo_put(r.uint(4))
        elif op == b"j":                     # LONG_BINGET
            memo_get(r.uint(4))
        elif op == b"\x94":                  # MEMOIZE
            memo_put(len(memo))
        elif op == b"p":                     # PUT
            memo_put(text_int(r.line()))
        elif op == b"g":                     # GET
            memo_get(text_int(r.line()))
        elif op == b"c":                     # GLOBAL
            try:
                module, name = r.line(256).decode("utf-8"), r.line(256).decode("utf-8")
            except UnicodeDecodeError:
                fail(CorruptFileError, "invalid UTF-8 in GLOBAL")
            try:
                stack.append(resolve_global(module, name))
            except UnsafePickleError as e:
                fail(UnsafePickleError, str(e))
        elif op == b"\x93":                  # STACK_GLOBAL
            name, module = pop(), pop()
            if type(name) is not str or type(module) is not str:
                fail(UnsafePickleError, "STACK_GLOBAL operands must be strings")
            try:
                stack.append(resolve_global(module, name))
            except UnsafePickleError as e:
                fail(UnsafePickleError, str(e))
        elif op == b"R":                     # REDUCE
            args, func = pop(), pop()
            try:
                stack.append(reduce_global(func, args))
            except ConversionError as e:
                fail(type(e), str(e))
        elif op == b"Q" or op == b"P":       # BINPERSID, PERSID
            if op == b"P":
                fail(UnsafePickleError, "text persistent ids are not used by torch.save")
            try:
                stack.append(persistent_load(pop()))
            except ConversionError as e:
                fail(type(e), str(e))
        elif op == b"b":                     # BUILD: only state on an OrderedDict (state_dict
            state, obj = pop(), pop()        # _metadata); it is dropped, never applied
            if not isinstance(obj, OrderedDict) or not isinstance(state, (dict, tuple, type(None))):
                fail(UnsafePickleError, f"BUILD on a {type(obj).__name__} is not allowed")
            stack.append(obj)
        elif op == b"0":                     # POP
            if stack:
                stack.pop()
            else:
                pop_mark()
        elif op == b"1":                     # POP_MARK
            pop_mark()
        elif op == b"2":                     # DUP
            if not stack:
                fail(CorruptFileError, "DUP on an empty stack")
            stack.append(stack[-1])
        elif op == b"\x80":                  # PROTO
            if r.uint(1) > 5:
                fail(CorruptFileError, "unsupported pickle protocol")
        elif op == b"\x95":                  # FRAME: framing is advisory; only bounds-check it
            if r.uint(8) > end - r.pos:
                fail(CorruptFileError, "FRAME larger than the remaining pickle")
        elif op == b".":                     # STOP
            if len(stack) != 1 or marks:
                fail(CorruptFileError, "STOP with an unbalanced stack")
            return stack[0], r.pos
        elif op in _FORBIDDEN:
            fail(UnsafePickleError, f"opcode {_FORBIDDEN[op]} is not allowed in a state_dict")
        else:
            fail(CorruptFileError, f"unknown pickle opcode {op!r}")
