"""ModelCheckpoint: save checkpoints during training (``mindspore.train.callback.ModelCheckpoint``).

``CheckpointConfig`` lives in ``_checkpoint_config.py`` and the keep/rotate policy in
``_checkpoint_manager.py``; both are re-exported here so this file mirrors MindSpore's.
"""
import os
import threading
import time

from ..serialization import save_checkpoint, wait_async_saves
from ._callback import Callback
from ._checkpoint_config import CheckpointConfig
from ._checkpoint_manager import CheckpointFiles, claim_prefix, unique_prefix
from ._rank import is_main_rank

__all__ = ["ModelCheckpoint", "CheckpointConfig"]

# MindSpore's default directory is the working directory when ``mindspore.train`` was imported.
_CWD_AT_IMPORT = os.getcwd()


class ModelCheckpoint(Callback):
    """Save the train network (or ``config.saved_network``) during training.

    Args:
        prefix (Union[str, callable]): file-name prefix without ``/``, or ``prefix(cb_params) ->
            str`` giving the whole name without suffix. Default: ``'CKP'``.
        directory (str): where to save; created if missing. Default: None, the working directory
            at the time ``minispore.train`` was imported (as MindSpore).
        config (CheckpointConfig): when and what to save. Default: ``CheckpointConfig()``.

    Files are ``<prefix>-<epoch>_<step in epoch>.ckpt`` (``.safetensors`` with that format). If
    the directory already holds checkpoints of this prefix, the prefix becomes ``<prefix>_N``
    (decided once, when the first file is written, under a lock file in the directory, so two
    callbacks created before training never share a prefix; see ``claim_prefix``). Saves happen at a step end
    every ``save_checkpoint_steps`` steps (``cur_step_num`` counts across epochs and restarts with
    every ``Model.train``) or when more than ``save_checkpoint_seconds`` passed since the last
    save; at the end of training a save is forced unless the last step was already saved.

    Where minispore deliberately differs from MindSpore 2.10:

    * Rotation (``keep_checkpoint_max`` / ``keep_checkpoint_per_n_minutes``) deletes only files
      this callback wrote, oldest by (epoch, step) rather than by mtime, and only after the new
      file is complete on disk; MindSpore deletes first and may delete foreign or older-run files.
    * ``async_save``: the values are snapshotted at the step, the file is written by a background
      thread that is joined at the next save and at the end of training, and an error in it is
      raised there (MindSpore logs it in the thread and goes on). ``latest_ckpt_file_name`` and
      ``cb_params.latest_ckpt_file`` name a file only once it is complete. The writer thread
      itself records the file and rotates, so an interrupted run still keeps
      ``keep_checkpoint_max`` files. The first file is written synchronously, under the folder's
      prefix lock (that is what makes the prefix choice safe).
    * The step counter used for ``save_checkpoint_steps`` restarts at every ``Model.train``
      (MindSpore keeps the previous run's last step and skips saves in a second ``train``).
    * ``-graph.meta`` files are never written (MindSpore writes them only in GRAPH_MODE).
    * Data-parallel training (``ParallelMode.DATA_PARALLEL`` after ``communication.init()``):
      only rank 0 saves, since every rank holds the same parameters; the other ranks write
      nothing, so two processes never write one file. (MindSpore saves one file per rank, each
      in its own directory chosen by the script.)
    """

    _internal = True

    def __init__(self, prefix="CKP", directory=None, config=None):
        super().__init__()
        if not callable(prefix) and (not isinstance(prefix, str) or "/" in prefix):
            raise ValueError(f"For 'ModelCheckpoint', the argument 'prefix' for checkpoint file "
                             f"name is invalid, it must be callable or string that does not "
                             f"contain '/', but got {prefix}.")
        if directory is None:
            directory = _CWD_AT_IMPORT
        elif not isinstance(directory, (str, os.PathLike)):
            raise TypeError(f"For 'ModelCheckpoint', the argument 'directory' must be str or "
                            f"None, but got {type(directory)}.")
        directory = os.path.realpath(os.fspath(directory))
        os.makedirs(directory, exist_ok=True)
        if config is None:
            config = CheckpointConfig()
        elif not isinstance(config, CheckpointConfig):
            raise TypeError(f"For 'ModelCheckpoint', the type of argument 'config' must be "
                            f"'CheckpointConfig', but got {type(config)}.")
        self._directory = directory
        self._config = config
        self._base_prefix = prefix
        self._prefix = prefix if callable(prefix) else None   # chosen at the first save
        self._lock = threading.Lock()   # the async writer thread records files and rotates
        self._files = CheckpointFiles(config.keep_checkpoint_max,
                                      config.keep_checkpoint_per_n_minutes)
        append = config.append_dict or {}
        self._append_dict = dict(append)
        self._epoch_offset = append.get("epoch_num", 0) if "epoch_num" in append else 0
        self._step_offset = append.get("step_num", 0) if "step_num" in append else 0
        self._last_triggered_step = 0
        self._last_time = time.time()
        self._pending = None            # (path, epoch, step) being written in the background
        self._latest_ckpt_file_name = ""

    @property
    def latest_ckpt_file_name(self):
        """Path of the newest checkpoint known to be completely written ('' before any)."""
        return self._latest_ckpt_file_name

    @property
    def directory(self):
        return self._directory

    @property
    def prefix(self):
        """The prefix in use (``<prefix>_N`` after a collision); chosen when the first file is
        written, so before that it is the prefix that would be chosen now."""
        if self._prefix is None:
            return unique_prefix(self._directory, self._base_prefix)
        return self._prefix

    # ---- hooks -----------------------------------------------------------------------------------
    def on_train_begin(self, run_context):
        self._last_triggered_step = 0

    def on_train_step_end(self, run_context):
        if not is_main_rank():
            return
        cb_params = run_context.original_args()
        if self._should_save(cb_params.cur_step_num):
            self._save(cb_params)

    def on_train_end(self, run_context):
        if not is_main_rank():
            return
        cb_params = run_context.original_args()
        try:
            step = cb_params.get("cur_step_num", 0)
            if step > 0 and step != self._last_triggered_step:
                self._save(cb_params)           # the forced save of the last step
        finally:
            self._finish_pending(cb_params)

    # ---- internals -------------------------------------------------------------------------------
    def _should_save(self, cur_step):
        steps = self._config.save_checkpoint_steps
        if steps:
            return cur_step >= self._last_triggered_step + steps
        seconds = self._config.save_checkpoint_seconds
        if seconds:
            now = time.time()
            if now - self._last_time > seconds:
                self._last_time = now
                return True
        return False

    def _file_name(self, cb_params, epoch, step_in_epoch):
        suffix = self._config.format
        if callable(self._prefix):
            name = self._prefix(cb_params)
            if not isinstance(name, str) or "/" in name:
                raise ValueError(f"For 'ModelCheckpoint', the callable 'prefix' must return a "
                                 f"string without '/', but got {name!r}.")
            return f"{name}.{suffix}"
        return f"{self._prefix}-{epoch}_{step_in_epoch}.{suffix}"

    def _first_save(self, network, path_of, cfg, append):
        """Choose the prefix and write the first file while holding the folder's prefix lock, so
        two callbacks (or processes) sharing a folder cannot both pick the same prefix."""
        with claim_prefix(self._directory, self._base_prefix) as prefix:
            self._prefix = prefix
            path = path_of()
            save_checkpoint(network, path, integrated_save=cfg.integrated_save, async_save=False,
                            append_dict=append, crc_check=cfg.crc_check, format=cfg.format)
        return path

    def _save(self, cb_params):
        cur_step = cb_params.cur_step_num
        epoch = cb_params.cur_epoch_num
        step_in_epoch = (cur_step - 1) % cb_params.batch_num + 1
        self._last_triggered_step = cur_step
        def path_of():
            return os.path.join(self._directory, self._file_name(cb_params, epoch, step_in_epoch))
        network = self._config.saved_network
        if network is None:
            network = cb_params.train_network
        append = None
        if self._append_dict:
            append = dict(self._append_dict)
            if "epoch_num" in append:
                append["epoch_num"] = self._epoch_offset + epoch
            if "step_num" in append:
                append["step_num"] = self._step_offset + cur_step
        self._finish_pending(cb_params)     # previous async write done (or its error raised)
        cfg = self._config
        if self._prefix is None:            # the first file: prefix chosen under the lock
            path = self._first_save(network, path_of, cfg, append)
            self._written(path, epoch, step_in_epoch)
            cb_params.latest_ckpt_file = path
        else:
            path = path_of()
            # The writer records the file and rotates as soon as it is complete, on its own
            # thread: a Ctrl-C in the training loop cannot leave an unrotated extra file.
            save_checkpoint(network, path, integrated_save=cfg.integrated_save,
                            async_save=cfg.async_save, append_dict=append,
                            crc_check=cfg.crc_check, format=cfg.format,
                            _on_written=lambda: self._written(path, epoch, step_in_epoch))
            if cfg.async_save:
                self._pending = path
            else:
                cb_params.latest_ckpt_file = path
        cb_params.last_save_ckpt_step = cur_step

    def _finish_pending(self, cb_params):
        if self._pending is None:
            return
        path, self._pending = self._pending, None
        wait_async_saves()                  # re-raises the writer thread's exception
        cb_params.latest_ckpt_file = path

    def _written(self, path, epoch, step):
        """A file is complete on disk: record it as the latest and apply the rotation."""
        with self._lock:
            self._latest_ckpt_file_name = path
            self._files.add(path, epoch, step, time.time())
