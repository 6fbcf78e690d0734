"""Backend-neutral helpers of the fast loops: building the model's state, logs."""

import numpy as np

from skdeep._bridge.engine._arrays import take


def first_batch(x, y, sample_weight, batch_size):
    """The first minibatch, ``(x, y)`` or ``(x, y, sample_weight)`` as a step takes
    it."""
    head = slice(0, batch_size)
    batch = (take(x, head), take(y, head))
    if sample_weight is not None:
        batch = batch + (take(sample_weight, head),)
    return batch


def build_for_training(model, x, y, sample_weight, batch_size):
    """Create every variable a training step needs (layers, optimizer slots, metrics)
    before the step is compiled, as ``model.fit`` does."""
    batch = first_batch(x, y, sample_weight, batch_size)
    if getattr(model, "_distribute_strategy", "other backend") is None:
        # TensorFlow's trainer leaves the variables of the optimizer, metrics and
        # loss to the first traced step outside a distribution strategy; variables
        # created there make tf.function trace the step a second time. Built here
        # as the other backends build them; a model Keras cannot build from
        # symbolic inputs builds in its first step, as in ``model.fit``.
        try:
            model._symbolic_build(data_batch=batch)
        except (ValueError, RuntimeError, TypeError, NotImplementedError):
            pass
        return
    build = getattr(model, "_maybe_symbolic_build", None) or model._symbolic_build
    build(data_batch=batch)


def state_signature(model):
    """What a jitted step fixes about ``model``'s state: the shape, dtype and
    trainability of each variable, and the number of optimizer and metric
    variables (their values are the state)."""
    return (
        tuple(
            (tuple(v.shape), str(v.dtype), bool(v.trainable)) for v in model.variables
        ),
        len(model.optimizer.variables),
        len(model.metrics_variables),
    )


def shared_entry(cache, lock, limit, key, make):
    """``cache[key]``, made by ``make()`` the first time ``key`` is seen (None: a
    template that turned out unlike its network; nothing is kept) and kept among
    the ``limit`` latest keys: the store of each fast loop's shared steps
    (``EpochLoop.share``). ``lock`` guards ``cache``, an ``OrderedDict``."""
    with lock:
        entry = cache.get(key)
        if entry is not None:
            cache.move_to_end(key)
            return entry
    entry = make()
    if entry is None:
        return None
    with lock:
        entry = cache.setdefault(key, entry)
        while len(cache) > limit:
            cache.popitem(last=False)
    return entry


def logs_to_floats(logs):
    """Metric results as Python floats (what ``History`` records)."""
    out = {}
    for name, value in logs.items():
        value = np.asarray(value)
        out[name] = float(value) if value.ndim == 0 else value
    return out


def compute_loss_in(model, dtype):
    """Let the compiled ``model``'s total loss add its parts up in ``dtype``.

    Keras sums the per-output losses in ``floatx`` (float32) whatever their own dtype,
    and ``compile`` takes no dtype: a float64 network's gradients would pass through
    float32. Set on this model's loss only (changing ``floatx`` would change it for
    every thread). ``CompileLoss`` has no public setting, hence the private
    attributes; where a Keras version lacks them the loss stays as ``model.fit``
    computes it.
    """
    import keras

    total = getattr(model, "_compile_loss", None)
    if total is None or not hasattr(total, "_dtype"):
        return
    total._dtype_policy = keras.dtype_policies.get(str(dtype))
    total._dtype = total._dtype_policy.compute_dtype


# -- a compiled Keras model's shared step (the wrappers' fits) ----------------------

# config keys whose values name layers: the name itself, a tensor's producing
# layer, a functional model's ends
_NAMING = frozenset({"name", "keras_history", "input_layers", "output_layers"})


def _keras_made(obj):
    return type(obj).__module__.startswith("keras.")


def _canonical(config, key=None, names=None):
    """``config`` with every layer (and optimizer) name replaced by its order of
    first appearance, so that two networks built alike (``dense_3`` in one,
    ``dense_7`` in the other) read the same, and without initializers (they set
    the first values, not the step); None where the config holds anything
    not made by Keras (a custom class, a Python function), whose behaviour its
    config may not fix."""
    names = {} if names is None else names
    if isinstance(config, dict):
        module = config.get("module")
        if module is not None and not str(module).startswith("keras"):
            return None
        if config.get("class_name") in ("Lambda", "__lambda__", "function"):
            return None
        out = {}
        for k, value in config.items():
            if k.endswith("_initializer"):
                continue  # initial values only: the state, not the step
            out[k] = _canonical(value, k, names)
            if out[k] is None and value is not None:
                return None
        return out
    if isinstance(config, (list, tuple)):
        items = list(config)
        if key in _NAMING and items and isinstance(items[0], str):
            items[0] = names.setdefault(items[0], f"#{len(names)}")
        out = [_canonical(item, key, names) for item in items]
        if any(o is None and i is not None for o, i in zip(out, items)):
            return None
        return out
    if key in _NAMING and isinstance(config, str):
        return names.setdefault(config, f"#{len(names)}")
    return config


def shared_step(model):
    """``(key, make_template)`` for ``fit_model``'s ``share`` where every fit of a
    network built as ``model`` is may run one compiled step (a search's folds and
    candidates rebuild the same network); None where that cannot be told safely.

    Only a ``Sequential`` or functional model of Keras' own layers, compiled with
    Keras' own losses, metrics and optimizer, qualifies: its configs then fix all
    that its step computes besides the variables' values (a custom layer's or
    step's behaviour may hang on attributes its config leaves out). The key is the
    model's and compile configs with the layers' names canonical, the compiled
    loss's dtype and Keras' global settings; the template is a clone compiled from
    the same config.
    """
    import json

    import keras

    optimizer = getattr(model, "optimizer", None)
    if (
        not _keras_made(model)
        or type(model).__name__ not in ("Sequential", "Functional")
        or not all(_keras_made(layer) for layer in model._flatten_layers())
        or optimizer is None
        or not _keras_made(optimizer)
        or getattr(optimizer, "_exclude_from_weight_decay", None)
        or getattr(optimizer, "_exclude_from_weight_decay_pattern", None) is not None
    ):
        return None
    try:
        configs = _canonical(
            {"model": model.get_config(), "compile": model.get_compile_config()}
        )
        text = json.dumps(configs, sort_keys=True)
    except (NotImplementedError, TypeError, ValueError):
        return None
    if configs is None:
        return None
    loss_dtype = getattr(getattr(model, "_compile_loss", None), "_dtype", None)
    # a loss's config leaves out its dtype (the template takes the loss objects,
    # which hold no state)
    losses = [
        (type(loss).__name__, str(getattr(loss, "dtype", None)))
        for loss in keras.tree.flatten(model.loss)
    ]
    key = (
        "keras-model",
        text,
        repr(losses),
        str(loss_dtype),
        keras.config.floatx(),
        keras.config.epsilon(),
        keras.config.image_data_format(),
    )

    def make_template():
        template = keras.models.clone_model(model)
        config = keras.saving.deserialize_keras_object(model.get_compile_config())
        template.compile(**{**config, "loss": model.loss})
        if loss_dtype is not None:
            compute_loss_in(template, loss_dtype)
        return template

    return key, make_template
