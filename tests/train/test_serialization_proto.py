"""``checkpoint.proto`` (the schema as text) and ``checkpoint_pb2`` (the descriptor built at import)
describe the same messages: every field's name, number, label and type agree."""
import os
import re

import pytest

pytest.importorskip("google.protobuf")
from minispore.train import checkpoint_pb2  # noqa: E402

PROTO = os.path.join(os.path.dirname(checkpoint_pb2.__file__), "checkpoint.proto")
FIELD = re.compile(r"^\s*(required|optional|repeated)?\s*([\w.]+)\s+(\w+)\s*=\s*(\d+);")


def _fields_in_text():
    """{message path: {field name: (label, type, number)}} read from the .proto text."""
    out, stack = {}, []
    for line in open(PROTO, encoding="utf-8"):
        line = line.split("//")[0]
        opened = re.match(r"^\s*(message|oneof)\s+(\w+)\s*{", line)
        if opened:
            stack.append((opened.group(1), opened.group(2)))
            continue
        if line.strip() == "}":
            stack.pop()
            continue
        m = FIELD.match(line)
        if m:
            path = ".".join(name for kind, name in stack if kind == "message")
            label = m.group(1) or "optional"  # a oneof member
            out.setdefault(path, {})[m.group(3)] = (label, m.group(2), int(m.group(4)))
    return out


def _flag(field, attribute, label_number):
    """``field.is_repeated`` / ``is_required`` (protobuf 5+), or the old ``label`` number."""
    if hasattr(field, attribute):
        return getattr(field, attribute)
    return field.label == label_number


def _fields_in_descriptor(descriptor, prefix=""):
    path = prefix + descriptor.name
    out = {path: {}}
    for f in descriptor.fields:
        kind = f.message_type.name if f.message_type else {9: "string", 12: "bytes",
                                                            3: "int64"}[f.type]
        label = ("repeated" if _flag(f, "is_repeated", 3) else
                 "required" if _flag(f, "is_required", 2) else "optional")
        out[path][f.name] = (label, kind, f.number)
    for nested in descriptor.nested_types:
        out.update(_fields_in_descriptor(nested, path + "."))
    return out


def test_proto_text_and_descriptor_agree():
    from_descriptor = {}
    for name in ("TensorProto", "MapTensorProto", "Checkpoint"):
        from_descriptor.update(_fields_in_descriptor(getattr(checkpoint_pb2, name).DESCRIPTOR))
    assert _fields_in_text() == from_descriptor
    assert from_descriptor["Checkpoint.Value"]["tensor"] == ("optional", "TensorProto", 2)
