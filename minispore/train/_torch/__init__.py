"""Reading ``torch.save`` files without torch and without ``pickle.load``.

:mod:`.allowlist` says what a state_dict pickle may contain (globals, inert records, limits,
errors), :mod:`.pickle_vm` interprets the opcode stream against it, :mod:`.archive` reads the zip
(or legacy) container and builds arrays from the storages the pickle references.
"""
