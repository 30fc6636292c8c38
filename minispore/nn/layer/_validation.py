"""Argument checks shared by the layers, with MindSpore's message shape."""


def check_positive_int(value, arg, cls_name):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"For '{cls_name}', the '{arg}' must be a positive int, but got "
                         f"{value!r}.")
    return value


def check_int_pair(value, arg, cls_name, allow_zero=False):
    """An int or a pair of ints -> a pair; each > 0 (>= 0 with allow_zero)."""
    pair = (value, value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) and (v >= 0 if allow_zero else v > 0)
            for v in pair)):
        raise ValueError(f"For '{cls_name}', the '{arg}' must be a positive int or a tuple of two "
                         f"positive ints, but got {value!r}.")
    return tuple(pair)


def check_pad_mode(pad_mode, cls_name, allowed=("valid", "same", "pad")):
    if not isinstance(pad_mode, str) or pad_mode.lower() not in allowed:
        raise ValueError(f"For '{cls_name}', the 'pad_mode' must be one of "
                         f"{[m for m in allowed]}, but got {pad_mode!r}.")
    return pad_mode.lower()
