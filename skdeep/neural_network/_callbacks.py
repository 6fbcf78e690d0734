"""Per-epoch hooks of the built-in networks: Keras callbacks, progress, TensorBoard
and checkpoints.

The epoch loop (``_epochs.train``) calls one ``keras.callbacks.CallbackList`` per
fit, as the wrappers' loop does (``skdeep._bridge.engine._loop``): the user's
callbacks (fresh copies), a progress bar for ``verbose=1`` and the TensorBoard
writer are peers there. Checkpoints are files of the estimator's training state.
"""

import copy
import os
import pickle
import re
from datetime import datetime

import numpy as np

_CHECKPOINT_FORMAT = 1
# What a checkpoint restores to resume a fit (the records of the epochs run).
RESUMED_ATTRIBUTES = (
    "n_iter_",
    "t_",
    "loss_",
    "loss_curve_",
    "history_",
    "_no_improvement_count",
    "validation_scores_",
    "best_validation_score_",
    "best_loss_",
    "_learning_rate_",
    "_epochs_done",
)


def verbosity(verbose):
    """0 silent, 1 a progress bar, 2 a line per epoch (``True``, scikit-learn's)."""
    if verbose is True or isinstance(verbose, np.bool_) and verbose:
        return 2
    return min(int(verbose), 2)


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

    keras_verbose = 1 if verbose == 1 else 0
    if any(isinstance(c, keras.callbacks.ProgbarLogger) for c in callbacks):
        # a user's progress bar shows (Keras' verbose=1; verbose=2: its lines)
        keras_verbose = max(verbose, 1)
    return keras.callbacks.CallbackList(
        list(callbacks),
        add_history=False,
        add_progbar=verbose == 1,
        verbose=keras_verbose,
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


# ------------------------------------------------------- the epoch loop's side


def resume(estimator, first_pass, architecture, engine):
    """Restore an unfinished fit from ``checkpoint_path``: the weights (and the
    best ones with early stopping), the optimizer state and the epoch records.
    Returns ``(state, best_state)``, or None when there is nothing to resume."""
    if estimator.checkpoint_path is None:
        return None
    estimator._checkpoint_identity = repr(
        (type(estimator).__name__, architecture, estimator.engine_, estimator._dtype)
    )
    if not first_pass:
        return None
    payload = load_checkpoint(estimator.checkpoint_path)
    if payload is None or payload["finished"]:
        return None
    if payload["identity"] != estimator._checkpoint_identity:
        raise ValueError(
            f"checkpoint_path={os.fspath(estimator.checkpoint_path)!r} holds an "
            "unfinished fit of another network, engine or dtype, which this fit "
            "cannot resume; delete the file or choose another checkpoint_path."
        )
    estimator.__dict__.update(copy.deepcopy(payload["attributes"]))
    previous = payload["optimizer"]
    best_state = None
    if payload["best_weights"] is not None:
        estimator.model_.set_weights(payload["best_weights"])
        best_state = engine.initial_state(previous)
    estimator.model_.set_weights(payload["weights"])
    state = engine.initial_state(previous)
    if estimator.verbose:
        path, epoch = estimator.checkpoint_path, estimator.n_iter_
        print(f"Resuming from {path} after epoch {epoch}.")
    return state, state if best_state is None else best_state


def save_state(estimator, engine, state, best_state):
    """Write the training state to ``checkpoint_path`` (weights to ``model_``)."""
    best_weights = None
    if estimator.early_stopping and best_state is not state:
        engine.write_back(best_state)
        best_weights = estimator.model_.get_weights()
    optimizer = engine.write_back(state)
    attributes = {
        name: copy.deepcopy(estimator.__dict__[name])
        for name in RESUMED_ATTRIBUTES
        if name in estimator.__dict__
    }
    save_checkpoint(
        estimator.checkpoint_path,
        {
            "identity": estimator._checkpoint_identity,
            "finished": False,
            "weights": estimator.model_.get_weights(),
            "best_weights": best_weights,
            "optimizer": optimizer,
            "attributes": attributes,
        },
    )


def finish(estimator):
    """Mark the checkpoint as a finished fit (never resumed)."""
    payload = load_checkpoint(estimator.checkpoint_path)
    if payload is not None and payload.get("identity") == getattr(
        estimator, "_checkpoint_identity", None
    ):
        payload["finished"] = True
        payload.pop("format")
        save_checkpoint(estimator.checkpoint_path, payload)


def epoch_hooks(estimator, max_epochs, n_batches):
    """The fit's Keras callbacks: the user's (fresh copies, kept as
    ``callbacks_``), a progress bar for ``verbose=1``, the TensorBoard writer."""
    estimator.callbacks_ = clone_callbacks(estimator.callbacks)
    hooks = list(estimator.callbacks_)
    if estimator.tensorboard_log_dir is not None:
        estimator.tensorboard_run_dir_ = run_directory(
            estimator.tensorboard_log_dir, estimator
        )
        hooks.append(tensorboard_callback(estimator.tensorboard_run_dir_))
    return callback_list(
        hooks, estimator.model_, verbosity(estimator.verbose), max_epochs, n_batches
    )


# ------------------------------------------- what callbacks see of the network


class RateView:
    """The optimizer a fit's callbacks see as ``model.optimizer``, and its rate.

    The Keras engine's network is compiled: its optimizer is the one that trains.
    The NumPy and compiled TensorFlow loops train with their own update rules, so
    the network gets a Keras optimizer of the same solver for the fit, whose
    ``learning_rate`` and ``iterations`` the epoch loop keeps true: a callback that
    reads or sets the rate (``LearningRateScheduler``, ``ReduceLROnPlateau``, a
    user's own) means the same on every engine. The epoch loop sets the rate before
    ``on_epoch_begin`` and after the epoch, and reads back what callbacks set.
    """

    def __init__(self, model, optimizer, attached, previous=None):
        self.model, self.optimizer, self.attached = model, optimizer, attached
        self._previous = previous  # the network's optimizer before the fit's
        self._expected = None

    @classmethod
    def of(cls, estimator, engine, spec, rate):
        """The view for this fit, or None when the rate is not the loop's (a Keras
        optimizer solver with its own ``LearningRateSchedule``) or no callback
        could look at it."""
        model = estimator.model_
        if hasattr(engine, "sets_rate"):  # a Keras engine: the network's optimizer
            return cls(model, model.optimizer, False) if engine.sets_rate else None
        if not estimator.callbacks_ or spec.solver == "keras":
            return None
        from skdeep.neural_network._keras_engine import keras_optimizer

        previous = getattr(model, "optimizer", None)  # an earlier Keras fit's
        model.optimizer = keras_optimizer(spec.solver, spec.hyper_dict, float(rate))
        return cls(model, model.optimizer, True, previous)

    def set(self, rate, steps=None):
        """Show ``rate`` (and the optimizer's step count ``steps``) to callbacks."""
        self.optimizer.learning_rate = float(rate)
        self._expected = self.read()
        if steps is not None and self.attached:
            self.optimizer.iterations.assign(int(steps))

    def read(self):
        import keras

        return float(keras.ops.convert_to_numpy(self.optimizer.learning_rate))

    def scale(self):
        """How much callbacks scaled the rate since ``set`` (1.0: untouched)."""
        now = self.read()
        return 1.0 if now == self._expected else now / self._expected

    def detach(self):
        """Take the fit's optimizer off the network (the NumPy loop's view)."""
        if self.attached:
            self.model.optimizer = self._previous


def first_and_last(rates):
    rates = np.atleast_1d(np.asarray(rates, dtype=np.float64))
    return float(rates[0]), float(rates[-1])


def snapshot(model):
    """The network's weights, to see whether a callback changed them."""
    return model.get_weights()


def changed(model, before):
    """Whether the network's weights differ from ``before`` (``snapshot``)."""
    return any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def adopt(model, engine, state):
    """``state`` with the weights the network holds now (a callback set them:
    ``EarlyStopping(restore_best_weights=True)``, ``BackupAndRestore``, a user's
    own), the optimizer's state kept."""
    weights = model.get_weights()
    optimizer = engine.write_back(state)
    model.set_weights(weights)
    return engine.initial_state(optimizer)


def epoch_only(callback):
    """Whether the epoch loop's calls (train and epoch hooks, one step hook per
    epoch with the epoch's logs) give ``callback`` all it acts on."""
    import keras

    from skdeep._bridge.engine._loop import _uses_step_hooks

    # TerminateOnNaN looks at each step's loss: the epoch's is NaN if one was
    return isinstance(callback, keras.callbacks.TerminateOnNaN) or not (
        _uses_step_hooks(callback)
    )


def saves_optimizer_state(callback):
    """Whether ``callback`` writes the optimizer's state with the network, to
    resume training from (``BackupAndRestore``, a ``ModelCheckpoint`` of the whole
    model): only the Keras engine trains with the network's own optimizer."""
    import keras

    if isinstance(callback, keras.callbacks.BackupAndRestore):
        return True
    if isinstance(callback, keras.callbacks.ModelCheckpoint):
        return not callback.save_weights_only
    return False
