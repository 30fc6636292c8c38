"""The primitives' declarations, by family as in MindSpore (``math_func``, ``array_func``,
``nn_func``, ``optim_func``). Importing this package registers every primitive; ``minispore.ops``
derives the functional forms, Tensor methods and 1.x primitive classes from the registry."""
from . import array_func, math_func, nn_func, optim_func  # noqa: F401  (registration)
