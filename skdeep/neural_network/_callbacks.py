"""Per-epoch hooks of the built-in networks: Keras callbacks, progress, TensorBoard
and checkpoints.

The epoch loop (``_base._train``) calls one ``keras.callbacks.CallbackList`` per
fit, as the wrappers' loop does (``skdeep._bridge.engine._loop``): the user's
callbacks (fresh copies), a progress bar for ``verbose=1`` and the TensorBoard
writer are peers there. Checkpoints are files of the estimator's training state.
"""

import copy
import os
import pickle
import re
from datetime import datetime

_CHECKPOINT_FORMAT = 1


def clone_callbacks(callbacks):
    """Fresh copies of the user's Keras callbacks (a used one's model not copied)."""
    import keras

    clones = []
    for callback in callbacks or ():
        if not isinstance(callback, keras.callbacks.Callback):
            raise TypeError(
                "callbacks must be a list of keras.callbacks.Callback instances, got "
                f"{type(callback).__name__}."
            )
        model = getattr(callback, "_model", None)
        memo = {} if model is None else {id(model): None}
        clones.append(copy.deepcopy(callback, memo))
    return clones


def tensorboard_callback(log_dir):
    """A callback writing the epoch logs as TensorBoard scalars under ``log_dir``."""
    import keras
    import tensorflow as tf

    class TensorBoardLogger(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.log_dir = log_dir
            self._writer = None

        def on_train_begin(self, logs=None):
            self._writer = tf.summary.create_file_writer(self.log_dir)

        def on_epoch_end(self, epoch, logs=None):
            with self._writer.as_default():
                for name, value in (logs or {}).items():
                    tf.summary.scalar(f"epoch_{name}", float(value), step=epoch)
            self._writer.flush()

        def on_train_end(self, logs=None):
            if self._writer is not None:
                self._writer.close()

    return TensorBoardLogger()


def run_directory(root, estimator):
    """A fresh subdirectory of ``root`` named by a time stamp and key parameters."""
    solver = estimator.solver
    solver = solver if isinstance(solver, str) else type(solver).__name__.lower()
    sizes = "-".join(str(s) for s in estimator._hidden_layer_sizes()) or "linear"
    name = (
        f"{datetime.now():%Y%m%d-%H%M%S-%f}_{type(estimator).__name__}_{sizes}_"
        f"{estimator.activation}_{solver}_lr{estimator.learning_rate_init:g}_"
        f"{estimator.learning_rate}"
    )
    path = os.path.join(os.fspath(root), re.sub(r"[^\w.-]", "_", name))
    os.makedirs(path)
    return path


def callback_list(callbacks, model, verbose, epochs, steps):
    import keras

    return keras.callbacks.CallbackList(
        list(callbacks),
        add_history=False,
        add_progbar=verbose == 1,
        verbose=1 if verbose == 1 else 0,
        epochs=epochs,
        steps=steps,
        model=model,
    )


def save_checkpoint(path, payload):
    """Write ``payload`` to ``path`` atomically (a crash never leaves half a file)."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as f:
        pickle.dump({"format": _CHECKPOINT_FORMAT, **payload}, f)
    os.replace(tmp, path)


def load_checkpoint(path):
    """The payload at ``path``, or None when there is no file."""
    path = os.fspath(path)
    if not os.path.exists(path):
        return None
    try:
        with open(path, "rb") as f:
            payload = pickle.load(f)
    except Exception as exc:
        raise ValueError(
            f"checkpoint_path={path!r} is not a readable skdeep checkpoint ({exc}); "
            "delete it or choose another path."
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != _CHECKPOINT_FORMAT:
        raise ValueError(
            f"checkpoint_path={path!r} is not an skdeep checkpoint of this version; "
            "delete it or choose another path."
        )
    return payload
