"""The primitives' declarations, by family as in MindSpore (``math_func``, ``array_func``,
``nn_func``, ...). Importing this package registers every primitive; ``minispore.ops`` derives the
functional forms, Tensor methods and 1.x primitive classes from the registry and re-exports each
family's ``__all__``. A new family is one module here plus its name in ``FAMILIES``."""
import importlib

FAMILIES = ("array_func", "selection_func", "math_func", "linalg_func", "comparison_func",
            "reduction_func", "nn_func", "pooling_func", "activation_func", "normalization_func",
            "rnn_func", "loss_func", "optim_func", "comm_func", "random_func")
modules = [importlib.import_module(f"{__name__}.{family}") for family in FAMILIES]
