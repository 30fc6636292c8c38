"""CheckpointConfig: a validated description of when and what ModelCheckpoint saves."""
from ...common.parameter import Parameter
from ...common.tensor import Tensor

__all__ = ["CheckpointConfig"]

_INFO_LIST = ["epoch_num", "step_num"]


def _non_negative_int(value):
    """MindSpore's ``Validator.check_non_negative_int`` (None passes through)."""
    if value is None:
        return None
    text = f"The input value must be int and must >= 0, but got '{value}' with type " \
           f"'{type(value).__name__}'."
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(text)
    if value < 0:
        raise ValueError(text)
    return value


def _check_bool(name, value):
    if not isinstance(value, bool):
        raise TypeError(f"For 'CheckpointConfig', the argument '{name}' must be bool, but got "
                        f"{type(value)}.")
    return value


def _append_dict(append_info):
    """``append_info`` list -> ordered dict: epoch_num, step_num (placeholders), then the dict."""
    if append_info is None or append_info == []:
        return None
    if not isinstance(append_info, list):
        raise TypeError(f"For 'CheckpointConfig', the type of 'append_info' must be list, but got "
                        f"{type(append_info)}.")
    out = {name: 0 for name in _INFO_LIST if name in append_info}
    dicts = 0
    for element in append_info:
        if not isinstance(element, (str, dict)):
            raise TypeError(f"For 'CheckpointConfig', the type of 'append_info' element must be "
                            f"str or dict, but got {type(element)}.")
        if isinstance(element, str) and element not in _INFO_LIST:
            raise ValueError(f"For 'CheckpointConfig', the value of element in the argument "
                             f"'append_info' must be in {_INFO_LIST}, but got {element}.")
        if isinstance(element, dict):
            dicts += 1
            if dicts > 1:
                raise TypeError(f"For 'CheckpointConfig', the element of 'append_info' must has "
                                f"only one dict, but got {dicts}")
            for key, value in element.items():
                if not isinstance(key, str) or \
                        not isinstance(value, (int, float, bool, str, Parameter, Tensor)):
                    raise TypeError(f"For 'CheckpointConfig', the key type of the dict "
                                    f"'append_info' must be string, the value type must be int or "
                                    f"float or bool, but got key type {type(key)}, value type "
                                    f"{type(value)}")
                out[key] = value
    return out


class CheckpointConfig:
    """When ``ModelCheckpoint`` saves, how many files it keeps, and what goes into them.

    Args:
        save_checkpoint_steps (int): save every this many steps; wins over seconds. Default: 1.
        save_checkpoint_seconds (int): save when more than this many seconds passed since the
            last save (used only when ``save_checkpoint_steps`` is 0/None). Default: 0.
        keep_checkpoint_max (int): keep at most this many files. Default: 5.
        keep_checkpoint_per_n_minutes (int): keep one file per n-minute window (used only when
            ``keep_checkpoint_max`` is 0/None). Default: 0.
        integrated_save (bool): passed to ``save_checkpoint``. Default: True.
        async_save (Union[bool, str]): False, True / ``"thread"`` or ``"process"`` (both a
            background thread here): snapshot at the step, write in the background. Default: False.
        saved_network (Cell): save only this cell's parameters instead of the whole train
            network (the guide's 241 kB LeNet file). Default: None.
        append_info (list): ``"epoch_num"``, ``"step_num"`` (saved as Int64 scalars) and at most
            one dict str -> int/float/bool/str/Parameter/Tensor, appended after the parameters.
        enc_key, enc_mode: encryption is not implemented; a key raises ``NotImplementedError``.
        exception_save (bool): breakpoint saving on exceptions is not implemented; True raises
            ``NotImplementedError``.
        crc_check (bool): write MindSpore's CRC32 trailer. Default: False.
        remove_redundancy (bool): a no-op on one device. Default: False.
        format (str): ``"ckpt"`` or ``"safetensors"``. Default: ``"ckpt"``.

    Raises:
        TypeError / ValueError with MindSpore's messages, e.g. ``The input value must be int and
        must >= 0, but got '-1' with type 'int'.`` All four counts 0/None -> ``ValueError``.

    Normalisation (as MindSpore): steps > 0 sets seconds to None; keep_max > 0 sets
    per_n_minutes to None; keep_max and per_n_minutes both 0/None make keep_max 1.
    """

    def __init__(self, save_checkpoint_steps=1, save_checkpoint_seconds=0, keep_checkpoint_max=5,
                 keep_checkpoint_per_n_minutes=0, integrated_save=True, async_save=False,
                 saved_network=None, append_info=None, enc_key=None, enc_mode="AES-GCM",
                 exception_save=False, crc_check=False, remove_redundancy=False, format="ckpt",
                 **kwargs):  # noqa: A002 - MindSpore's name
        steps = _non_negative_int(save_checkpoint_steps)
        seconds = _non_negative_int(save_checkpoint_seconds)
        keep_max = _non_negative_int(keep_checkpoint_max)
        per_minutes = _non_negative_int(keep_checkpoint_per_n_minutes)
        if saved_network is not None:
            from ...nn.cell import Cell  # noqa: PLC0415 - train sits above nn
            if not isinstance(saved_network, Cell):
                raise TypeError(f"For 'CheckpointConfig', the type of 'saved_network' must be None "
                                f"or Cell, but got {type(saved_network)}.")
        if not steps and not seconds and not keep_max and not per_minutes:
            raise ValueError("For 'CheckpointConfig', the input arguments 'save_checkpoint_steps', "
                             "'save_checkpoint_seconds', 'keep_checkpoint_max' and "
                             "'keep_checkpoint_per_n_minutes' can't be all None or 0.")
        if steps:
            seconds = None
        if keep_max:
            per_minutes = None
        elif not per_minutes:
            keep_max = 1
        self._save_checkpoint_steps = steps
        self._save_checkpoint_seconds = seconds
        self._keep_checkpoint_max = keep_max
        self._keep_checkpoint_per_n_minutes = per_minutes
        self._integrated_save = _check_bool("integrated_save", integrated_save)
        if not isinstance(async_save, bool) and async_save not in ("thread", "process"):
            raise ValueError(f"For 'CheckpointConfig', the argument 'async_save' must be bool, "
                             f"'thread' or 'process', but got {async_save!r}.")
        self._async_save = async_save
        self._saved_network = saved_network
        self._append_dict = _append_dict(append_info)
        if enc_key is not None and not isinstance(enc_key, bytes):
            raise TypeError(f"For 'CheckpointConfig', the argument 'enc_key' must be bytes or "
                            f"None, but got {type(enc_key)}.")
        if not isinstance(enc_mode, str):
            raise TypeError(f"For 'CheckpointConfig', the argument 'enc_mode' must be str, but got "
                            f"{type(enc_mode)}.")
        if enc_key is not None:
            raise NotImplementedError("minispore does not implement encrypted checkpoints; "
                                      "leave 'enc_key' as None.")
        self._enc_key, self._enc_mode = enc_key, enc_mode
        if _check_bool("exception_save", exception_save):
            raise NotImplementedError("minispore does not implement 'exception_save' (breakpoint "
                                      "checkpoints on exceptions); leave it False.")
        self._exception_save = exception_save
        self._crc_check = _check_bool("crc_check", crc_check)
        self._remove_redundancy = _check_bool("remove_redundancy", remove_redundancy)
        if format not in ("ckpt", "safetensors"):
            raise ValueError(f"For 'CheckpointConfig', the argument 'format' must be 'ckpt' or "
                             f"'safetensors', but got {format!r}.")
        self._format = format
        self._kwargs = dict(kwargs)

    save_checkpoint_steps = property(lambda self: self._save_checkpoint_steps)
    save_checkpoint_seconds = property(lambda self: self._save_checkpoint_seconds)
    keep_checkpoint_max = property(lambda self: self._keep_checkpoint_max)
    keep_checkpoint_per_n_minutes = property(lambda self: self._keep_checkpoint_per_n_minutes)
    integrated_save = property(lambda self: self._integrated_save)
    async_save = property(lambda self: self._async_save)
    saved_network = property(lambda self: self._saved_network)
    enc_key = property(lambda self: self._enc_key)
    enc_mode = property(lambda self: self._enc_mode)
    exception_save = property(lambda self: self._exception_save)
    crc_check = property(lambda self: self._crc_check)
    remove_redundancy = property(lambda self: self._remove_redundancy)
    format = property(lambda self: self._format)
    append_dict = property(lambda self: self._append_dict)

    def get_checkpoint_policy(self):
        """The save/keep policy as a dict (MindSpore's keys)."""
        return {"save_checkpoint_steps": self._save_checkpoint_steps,
                "save_checkpoint_seconds": self._save_checkpoint_seconds,
                "keep_checkpoint_max": self._keep_checkpoint_max,
                "keep_checkpoint_per_n_minutes": self._keep_checkpoint_per_n_minutes,
                "saved_network": self._saved_network}

    def __repr__(self):
        return f"CheckpointConfig({self.get_checkpoint_policy()})"
