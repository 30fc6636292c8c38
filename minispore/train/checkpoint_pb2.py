"""Protobuf classes for ``checkpoint.proto`` (``Checkpoint``, ``TensorProto``, ``MapTensorProto``).

Not protoc output: the descriptor is built at import with ``descriptor_pb2`` so that it works with
any protobuf runtime from 4.21 to 7.x (protoc-generated modules pin the runtime through
``ValidateProtobufRuntimeVersion``). It mirrors ``checkpoint.proto`` beside this file field by field;
``tests/train/test_serialization_proto.py`` checks both agree.

minispore's own reader and writer do not use these classes (they stream over a memory map with no
2 GB limit); they are here as the schema's executable form and as an independent oracle in tests.
protobuf is imported only when this module is imported.
"""
from google.protobuf import descriptor_pb2, descriptor_pool

__all__ = ["Checkpoint", "TensorProto", "MapTensorProto", "DESCRIPTOR"]

_F = descriptor_pb2.FieldDescriptorProto


def _field(msg, name, number, label, ftype, type_name=None, oneof_index=None):
    f = msg.field.add(name=name, number=number, label=label, type=ftype)
    if type_name is not None:
        f.type_name = type_name
    if oneof_index is not None:
        f.oneof_index = oneof_index
    return f


def _file_proto():
    fp = descriptor_pb2.FileDescriptorProto(name="minispore/train/checkpoint.proto", syntax="proto2")
    tensor = fp.message_type.add(name="TensorProto")
    _field(tensor, "dims", 1, _F.LABEL_REPEATED, _F.TYPE_INT64)
    _field(tensor, "tensor_type", 2, _F.LABEL_REQUIRED, _F.TYPE_STRING)
    _field(tensor, "tensor_content", 3, _F.LABEL_REQUIRED, _F.TYPE_BYTES)
    map_tensor = fp.message_type.add(name="MapTensorProto")
    _field(map_tensor, "tensor", 1, _F.LABEL_REPEATED, _F.TYPE_MESSAGE, ".TensorProto")
    ckpt = fp.message_type.add(name="Checkpoint")
    value = ckpt.nested_type.add(name="Value")
    value.oneof_decl.add(name="value")
    _field(value, "tag", 1, _F.LABEL_REQUIRED, _F.TYPE_STRING)
    _field(value, "tensor", 2, _F.LABEL_OPTIONAL, _F.TYPE_MESSAGE, ".TensorProto", oneof_index=0)
    _field(value, "maptensor", 3, _F.LABEL_OPTIONAL, _F.TYPE_MESSAGE, ".MapTensorProto",
           oneof_index=0)
    _field(ckpt, "value", 1, _F.LABEL_REPEATED, _F.TYPE_MESSAGE, ".Checkpoint.Value")
    return fp


def _message_class(descriptor):
    try:
        from google.protobuf.message_factory import GetMessageClass  # protobuf >= 4.22
        return GetMessageClass(descriptor)
    except ImportError:  # protobuf 4.21
        from google.protobuf import message_factory
        return message_factory.MessageFactory().GetPrototype(descriptor)


_pool = descriptor_pool.DescriptorPool()  # private pool: no clash with another checkpoint.proto
_pool.AddSerializedFile(_file_proto().SerializeToString())
DESCRIPTOR = _pool.FindFileByName("minispore/train/checkpoint.proto")

TensorProto = _message_class(DESCRIPTOR.message_types_by_name["TensorProto"])
MapTensorProto = _message_class(DESCRIPTOR.message_types_by_name["MapTensorProto"])
Checkpoint = _message_class(DESCRIPTOR.message_types_by_name["Checkpoint"])
