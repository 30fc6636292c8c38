"""The error for a MindSpore name minispore does not have.

``ops.foo``, ``nn.Foo``, ``ms.foo`` and ``Tensor.foo`` raise :class:`NotSupportedError`, an
AttributeError (so ``hasattr`` and ``except AttributeError`` work) whose message says the name is
not supported by minispore. It is a subclass on purpose: Python attaches its "Did you mean ...?"
hint only to a plain AttributeError, and that hint would point at a different function.
"""

__all__ = ["NotSupportedError", "not_supported"]


class NotSupportedError(AttributeError):
    """A MindSpore name that minispore does not provide."""


def not_supported(owner, name):
    """The error to raise for ``owner.name``; dunder probes get a plain AttributeError."""
    if name.startswith("__") and name.endswith("__"):
        return AttributeError(f"{owner} has no attribute '{name}'")
    return NotSupportedError(f"'{name}' is not supported by minispore ({owner}.{name} has no "
                             f"equivalent here).")
