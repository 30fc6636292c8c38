"""Collective communication primitives (``ops.AllReduce``, ``ops.AllGather``, ``ops.Broadcast``)."""

__all__ = []
