"""The epoch driver shared by the fast loops, and the route to ``model.fit``."""

import importlib

import numpy as np

from skdeep._bridge.engine._arrays import is_memmap, n_samples, take, to_floatx

# Callback hooks the fast loops do not call (they call the epoch and train hooks).
_STEP_HOOKS = (
    "on_batch_begin",
    "on_batch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
)
_FAST_BACKENDS = {"tensorflow": "_tensorflow", "jax": "_jax"}
# Memory-mapped inputs go to the fast loop this many bytes of rows at a time.
_CHUNK_BYTES = 16 * 2**20


def _step_hooks_are_noops(callback):
    """Keras callbacks whose step hooks do nothing in the configuration given."""
    import keras

    if isinstance(callback, (keras.callbacks.History, keras.callbacks.ProgbarLogger)):
        return True
    if isinstance(
        callback, (keras.callbacks.ModelCheckpoint, keras.callbacks.BackupAndRestore)
    ):
        return getattr(callback, "save_freq", "epoch") == "epoch"
    if isinstance(callback, keras.callbacks.TensorBoard):
        return callback.update_freq == "epoch" and not getattr(
            callback, "_profile_batch", 0
        )
    return False


def _uses_step_hooks(callback):
    import keras

    base = keras.callbacks.Callback
    for hook in _STEP_HOOKS:
        if hook in vars(callback):
            return True
        if getattr(type(callback), hook, None) is not getattr(base, hook):
            return not _step_hooks_are_noops(callback)
    return False


def _is_array(data):
    if isinstance(data, (list, tuple)):
        return len(data) > 0 and all(_is_array(part) for part in data)
    return isinstance(data, np.ndarray)


def fast_path_refusal(model, x, spec):
    """Why ``fit_model`` hands this fit to ``model.fit`` (None: the fast loop runs)."""
    import keras

    backend = keras.backend.backend()
    if backend not in _FAST_BACKENDS:
        return f"the {backend} backend has no fast loop"
    if not _is_array(x):
        return "the data is not NumPy arrays"
    if getattr(model, "run_eagerly", False):
        return "the model runs eagerly (run_eagerly=True)"
    if getattr(model, "_distribute_strategy", None) is not None:
        return "the model trains under a distribution strategy"
    if keras.distribution.distribution() is not None:
        return "a keras.distribution is set"
    for callback in spec.callbacks:
        if _uses_step_hooks(callback):
            return f"the callback {type(callback).__name__} needs per-batch calls"
    if spec.steps_per_epoch is not None:
        return "steps_per_epoch is set"
    return None


def _split_validation(x, y, sample_weight, fraction):
    """Keras' ``validation_split``: the last ``fraction`` of the samples, unshuffled."""
    n = n_samples(x)
    n_train = int(np.floor(n * (1.0 - fraction)))  # as Keras: train_validation_split
    if n_train == 0 or n_train == n:
        raise ValueError(
            f"validation_split={fraction} leaves no samples for training or for "
            f"validation out of {n}; use a split between 0 and 1 that leaves at least "
            "one sample on each side."
        )
    head, tail = slice(0, n_train), slice(n_train, n)
    train = (take(x, head), take(y, head), take(sample_weight, head))
    valid = (take(x, tail), take(y, tail), take(sample_weight, tail))
    return train, valid


def _keras_fit(model, x, y, sample_weight, spec, validation_data):
    return model.fit(
        x,
        y,
        sample_weight=sample_weight,
        batch_size=None if y is None and not _is_array(x) else spec.batch_size,
        epochs=spec.epochs,
        verbose=spec.verbose,
        callbacks=list(spec.callbacks),
        validation_split=spec.validation_split,
        validation_data=validation_data,
        validation_batch_size=spec.validation_batch_size,
        validation_freq=spec.validation_freq,
        shuffle=spec.shuffle,
        initial_epoch=spec.initial_epoch,
        steps_per_epoch=spec.steps_per_epoch,
        validation_steps=spec.validation_steps,
    )


def epoch_loop_class():
    """The current Keras backend's ``EpochLoop``: the fast one on TensorFlow and JAX,
    one ``model.fit`` per epoch elsewhere (``_fit_epochs``)."""
    return _backend_module().EpochLoop


def _backend_module():
    """The current Keras backend's loop module (``_tensorflow``, ``_jax`` or
    ``_fit_epochs``)."""
    import keras

    name = _FAST_BACKENDS.get(keras.backend.backend(), "_fit_epochs")
    return importlib.import_module(f"skdeep._bridge.engine.{name}")


def _custom_step(model, name):
    """Whether ``model``'s class overrides Keras' ``name`` (``train_step``...)."""
    for klass in type(model).__mro__:
        if name in vars(klass):
            return not klass.__module__.startswith("keras.")
    return False


def logs_refusal(model, x, y, sample_weight, spec, validation_data=None):
    """Why a model's own ``train_step`` (or ``test_step``, with validation) keeps
    this fit in ``model.fit`` (None: it may run in the fast loop).

    ``fit`` records the model's metrics as the epoch's logs where the step returns
    logs with the same names, and otherwise that step's own logs (the last step's);
    the fast loops read the metrics once per epoch. A custom step whose logs are
    named otherwise is found by tracing it once, without running it, before any
    training; Keras' own steps are not traced for this.
    """
    import keras

    if keras.backend.backend() not in _FAST_BACKENDS:
        return None  # model.fit trains it anyway
    names = ["train_step"]
    if validation_data is not None or spec.validation_split:
        names.append("test_step")
    names = [name for name in names if _custom_step(model, name)]
    if not names:
        return None
    from skdeep._bridge.engine._build import build_for_training, first_batch

    build_for_training(model, x, y, sample_weight, spec.batch_size)
    backend = _backend_module()
    # as the fast loops convert them (``fit_model``)
    x_head, y_head, *weights = first_batch(x, y, sample_weight, spec.batch_size)
    batch = (to_floatx(x_head), to_floatx(y_head))
    batch += tuple(np.asarray(w, dtype=np.float64) for w in weights)
    metrics = set(model.get_metrics_result())
    for name in names:
        keys = backend.step_log_keys(model, name, batch)
        if keys != metrics:
            return (
                f"the model's {name} returns logs ({sorted(keys or ())}) other than "
                f"its metrics ({sorted(metrics)})"
            )
    return None


def fit_model(model, x, y, sample_weight, spec, validation_data=None, share=None):
    """Train the compiled ``model`` in place; return its ``History``.

    ``share``: ``(key, make_template)``, for a network whose fits may share the fast
    loop's compiled step (its ``EpochLoop.share``; ignored by ``model.fit``)."""
    import keras

    if (
        fast_path_refusal(model, x, spec) is not None
        or logs_refusal(model, x, y, sample_weight, spec, validation_data) is not None
    ):
        return _keras_fit(model, x, y, sample_weight, spec, validation_data)
    epoch_loop = epoch_loop_class()
    # a memory-mapped x stays on disk: converted a chunk of rows at a time below
    chunk_rows = _chunk_rows(x, spec.batch_size) if is_memmap(x) else None
    x, y = (x if chunk_rows else to_floatx(x)), to_floatx(y)
    if sample_weight is not None:
        # the loss casts the weights to its own dtype (float64 losses keep them exact)
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
    if spec.validation_split and validation_data is None:
        (x, y, sample_weight), validation_data = _split_validation(
            x, y, sample_weight, spec.validation_split
        )
    validation_batch_size = spec.validation_batch_size or spec.batch_size
    validation_chunk_rows = None
    if validation_data is not None:
        validation_data = tuple(validation_data) + (None,) * (3 - len(validation_data))
        x_val, y_val, w_val = validation_data
        # a memory-mapped x (or a split of one) is evaluated a chunk at a time
        if is_memmap(x_val):
            validation_chunk_rows = _chunk_rows(x_val, validation_batch_size)
        else:
            x_val = to_floatx(x_val)
        validation_data = (x_val, to_floatx(y_val), to_floatx(w_val))

    n_rows = n_samples(x)
    loop = _new_loop(
        epoch_loop, model, x, y, sample_weight, spec.batch_size, chunk_rows
    )
    if share is not None and hasattr(loop, "share"):
        loop.share(*share)
    callbacks = keras.callbacks.CallbackList(
        list(spec.callbacks),
        add_history=True,
        add_progbar=spec.verbose != 0,
        verbose=spec.verbose,
        epochs=spec.epochs,
        steps=loop.n_batches,
        model=model,
    )
    rng = np.random.RandomState(spec.seed)
    model.stop_training = False
    callbacks.on_train_begin()
    logs = None
    for epoch in range(spec.initial_epoch, spec.epochs):
        model.reset_metrics()
        callbacks.on_epoch_begin(epoch)
        order = rng.permutation(n_rows) if spec.shuffle else np.arange(n_rows)
        if chunk_rows:
            logs = _train_epoch_chunked(loop, x, y, sample_weight, order, chunk_rows)
        else:
            logs = loop.train_epoch(order)
        # One step call per epoch lets the progress bar show the epoch's figures.
        callbacks.on_train_batch_end(loop.n_batches - 1, logs)
        if validation_data is not None and (epoch + 1) % spec.validation_freq == 0:
            if validation_chunk_rows:
                val_logs = _evaluate_chunked(
                    loop, *validation_data, validation_batch_size, validation_chunk_rows
                )
            else:
                val_logs = loop.evaluate(*validation_data, validation_batch_size)
            logs.update({f"val_{name}": value for name, value in val_logs.items()})
        callbacks.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    if isinstance(model.optimizer, keras.optimizers.Optimizer) and spec.epochs > 0:
        model.optimizer.finalize_variable_values(model.trainable_weights)
    callbacks.on_train_end(logs=logs)
    return model.history


def _chunk_rows(x, batch_size):
    """Rows per chunk of a memory-mapped ``x``: whole minibatches, about
    ``_CHUNK_BYTES`` of Keras' floatx."""
    import keras

    parts = x if isinstance(x, (list, tuple)) else [x]
    itemsize = np.dtype(keras.backend.floatx()).itemsize
    row_bytes = sum(int(np.prod(part.shape[1:])) for part in parts) * itemsize
    return max(1, _CHUNK_BYTES // max(1, row_bytes * batch_size)) * batch_size


def _new_loop(
    loop_class, model, x, y, sample_weight, batch_size, chunk_rows, convert=None
):
    """``loop_class`` over these arrays; with ``chunk_rows`` (a memory-mapped ``x``)
    it holds the first chunk (through ``convert``) and counts the batches of all of
    ``x``, and ``_train_epoch_chunked`` feeds it the rest."""
    if not chunk_rows:
        return loop_class(model, x, y, sample_weight, batch_size)
    convert = convert or to_floatx
    head = slice(0, chunk_rows)
    loop = loop_class(
        model,
        convert(take(x, head)),
        take(y, head),
        take(sample_weight, head),
        batch_size,
    )
    loop.n_batches = -(-n_samples(x) // batch_size)
    return loop


def _train_epoch_chunked(loop, x, y, sample_weight, order, chunk_rows, convert=None):
    """One epoch over ``order`` fed ``chunk_rows`` rows at a time, each chunk of
    ``x`` through ``convert`` (default: Keras' floatx, as ``fit``; the built-in
    networks keep their dtype). The chunks hold whole minibatches in ``order``'s
    order, so every training step sees the rows it would see with ``x`` in memory
    (the same results)."""
    convert = convert or to_floatx
    logs = None
    for start in range(0, len(order), chunk_rows):
        index = order[start : start + chunk_rows]
        loop.load(convert(take(x, index)), take(y, index), take(sample_weight, index))
        logs = loop.train_epoch(np.arange(len(index)))
    return logs


def _evaluate_chunked(loop, x, y, sample_weight, batch_size, chunk_rows):
    """The metrics over a memory-mapped ``x`` fed ``chunk_rows`` rows at a time.

    The metrics are reset once, then every chunk adds to their running state, and
    the chunks hold whole batches of ``batch_size``: the test steps see the batches
    they would see with ``x`` in memory, so the results are the same.
    """
    loop.model.reset_metrics()
    logs = None
    for start in range(0, n_samples(x), chunk_rows):
        rows = slice(start, start + chunk_rows)
        chunk = (to_floatx(take(x, rows)), take(y, rows), take(sample_weight, rows))
        logs = loop.test_chunk(*chunk, batch_size)
    return logs
