"""Per-step learning-rate lists (``mindspore.nn.dynamic_lr``), MindSpore's documented formulas.

Each function returns a Python list with one learning rate per step; pass it as an
optimizer's ``learning_rate`` (step i uses element i). ``current_epoch = floor(i /
step_per_epoch)`` throughout.
"""
import math

__all__ = ["piecewise_constant_lr", "exponential_decay_lr", "natural_exp_decay_lr",
           "inverse_decay_lr", "cosine_decay_lr", "polynomial_decay_lr", "warmup_lr"]


def _positive_int(func, name, value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"For '{func}', the '{name}' must be int, but got "
                        f"{type(value).__name__}.")
    if value < 1:
        raise ValueError(f"For '{func}', the '{name}' must be >= 1, but got {value}.")


def _float(func, name, value, positive=True):
    if isinstance(value, bool) or not isinstance(value, float):
        raise TypeError(f"For '{func}', the '{name}' must be float, but got "
                        f"{type(value).__name__}.")
    if (value <= 0) if positive else (value < 0):
        raise ValueError(f"For '{func}', the '{name}' must be {'>' if positive else '>='} 0, "
                         f"but got {value}.")


def _bool(func, name, value):
    if not isinstance(value, bool):
        raise TypeError(f"For '{func}', the '{name}' must be bool, but got "
                        f"{type(value).__name__}.")


def _steps(func, total_step, step_per_epoch, **epochs):
    _positive_int(func, "total_step", total_step)
    _positive_int(func, "step_per_epoch", step_per_epoch)
    for name, value in epochs.items():
        _positive_int(func, name, value)
    return [math.floor(i / step_per_epoch) for i in range(total_step)]


def piecewise_constant_lr(milestone, learning_rates):
    """``learning_rates[t]`` for steps in ``[milestone[t-1], milestone[t])``; the list has
    ``milestone[-1]`` entries. ``milestone`` is increasing positive ints."""
    func = "piecewise_constant_lr"
    for name, value in (("milestone", milestone), ("learning_rates", learning_rates)):
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"For '{func}', the '{name}' must be list or tuple, but got "
                            f"{type(value).__name__}.")
    if len(milestone) != len(learning_rates):
        raise ValueError(f"For '{func}', the size of 'milestone' must be the size of "
                         f"'learning_rates', but got {len(milestone)} and {len(learning_rates)}.")
    lr, last = [], 0
    for i, (item, rate) in enumerate(zip(milestone, learning_rates)):
        _positive_int(func, f"milestone[{i}]", item)
        _float(func, f"learning_rates[{i}]", rate, positive=False)
        if item < last:
            raise ValueError(f"For '{func}', the milestone[{i}] ({item}) must be >= "
                             f"milestone[{i - 1}] ({last}).")
        lr += [rate] * (item - last)
        last = item
    return lr


def _decay_inputs(func, learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch,
                  is_stair):
    _float(func, "learning_rate", learning_rate)
    _float(func, "decay_rate", decay_rate)
    _bool(func, "is_stair", is_stair)
    return _steps(func, total_step, step_per_epoch, decay_epoch=decay_epoch)


def exponential_decay_lr(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch,
                         is_stair=False):
    """``learning_rate * decay_rate ** (current_epoch / decay_epoch)`` (the exponent floored
    when ``is_stair``)."""
    epochs = _decay_inputs("exponential_decay_lr", learning_rate, decay_rate, total_step,
                           step_per_epoch, decay_epoch, is_stair)
    if is_stair:
        return [learning_rate * decay_rate ** math.floor(e / decay_epoch) for e in epochs]
    return [learning_rate * decay_rate ** (e / decay_epoch) for e in epochs]


def natural_exp_decay_lr(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch,
                         is_stair=False):
    """``learning_rate * e ** (-decay_rate * current_epoch)``; with ``is_stair`` the epoch is
    rounded down to a multiple of ``decay_epoch``."""
    epochs = _decay_inputs("natural_exp_decay_lr", learning_rate, decay_rate, total_step,
                           step_per_epoch, decay_epoch, is_stair)
    if is_stair:
        epochs = [math.floor(e / decay_epoch) * decay_epoch for e in epochs]
    return [learning_rate * math.e ** (-decay_rate * e) for e in epochs]


def inverse_decay_lr(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch,
                     is_stair=False):
    """``learning_rate / (1 + decay_rate * current_epoch / decay_epoch)`` (the ratio floored
    when ``is_stair``)."""
    epochs = _decay_inputs("inverse_decay_lr", learning_rate, decay_rate, total_step,
                           step_per_epoch, decay_epoch, is_stair)
    if is_stair:
        return [learning_rate / (1 + decay_rate * math.floor(e / decay_epoch)) for e in epochs]
    return [learning_rate / (1 + decay_rate * e / decay_epoch) for e in epochs]


def cosine_decay_lr(min_lr, max_lr, total_step, step_per_epoch, decay_epoch):
    """``min_lr + 0.5*(max_lr - min_lr)*(1 + cos(pi * min(current_epoch, decay_epoch) /
    decay_epoch))``."""
    func = "cosine_decay_lr"
    _float(func, "min_lr", min_lr, positive=False)
    _float(func, "max_lr", max_lr)
    epochs = _steps(func, total_step, step_per_epoch, decay_epoch=decay_epoch)
    if min_lr >= max_lr:
        raise ValueError(f"For '{func}', the 'max_lr' must be greater than the 'min_lr', but got "
                         f"'max_lr' {max_lr}, 'min_lr' {min_lr}.")
    delta = 0.5 * (max_lr - min_lr)
    return [min_lr + delta * (1 + math.cos(math.pi * min(e, decay_epoch) / decay_epoch))
            for e in epochs]


def polynomial_decay_lr(learning_rate, end_learning_rate, total_step, step_per_epoch, decay_epoch,
                        power, update_decay_epoch=False):
    """``(learning_rate - end_learning_rate) * (1 - tmp_epoch / tmp_decay_epoch) ** power +
    end_learning_rate`` with ``tmp_epoch = min(current_epoch, decay_epoch)`` and
    ``tmp_decay_epoch = decay_epoch``; with ``update_decay_epoch``, ``tmp_epoch =
    current_epoch`` and ``tmp_decay_epoch = decay_epoch * max(ceil(current_epoch /
    decay_epoch), 1)``."""
    func = "polynomial_decay_lr"
    _float(func, "learning_rate", learning_rate)
    _float(func, "end_learning_rate", end_learning_rate, positive=False)
    _float(func, "power", power)
    _bool(func, "update_decay_epoch", update_decay_epoch)
    epochs = _steps(func, total_step, step_per_epoch, decay_epoch=decay_epoch)
    delta = learning_rate - end_learning_rate
    lr = []
    for e in epochs:
        if update_decay_epoch:
            tmp_decay, tmp_epoch = decay_epoch * max(math.ceil(e / decay_epoch), 1), e
        else:
            tmp_decay, tmp_epoch = decay_epoch, min(e, decay_epoch)
        lr.append(delta * (1 - tmp_epoch / tmp_decay) ** power + end_learning_rate)
    return lr


def warmup_lr(learning_rate, total_step, step_per_epoch, warmup_epoch):
    """``learning_rate * min(current_epoch, warmup_epoch) / warmup_epoch``."""
    func = "warmup_lr"
    _float(func, "learning_rate", learning_rate, positive=False)
    epochs = _steps(func, total_step, step_per_epoch, warmup_epoch=warmup_epoch)
    return [learning_rate * min(e, warmup_epoch) / warmup_epoch for e in epochs]
