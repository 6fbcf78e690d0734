"""Parameter routing (scikeras's ``prefix__name`` convention) and fresh Keras objects.

scikeras routes a parameter named ``optimizer__learning_rate`` to the optimizer's
constructor, ``model__n_hidden`` to the build function, ``fit__verbose`` to ``fit``, and
so on. Everything a fit needs that the user gave as a name, class or instance
(optimizer, loss, metrics, callbacks) is turned here into a *new* object, so two fits
(two folds of a search) never share optimizer slots, metric totals or callback state.
"""

import copy
import inspect

ROUTED_PREFIXES = (
    "model",
    "optimizer",
    "loss",
    "metrics",
    "callbacks",
    "fit",
    "predict",
    "compile",
)
# Names a build function may ask for that are not user parameters (``X`` and ``y``:
# Keras's own wrappers call ``model(X=X, y=y, **model_kwargs)``).
SPECIAL_BUILD_ARGS = ("meta", "compile_kwargs", "params", "X", "y")
# Keras's wrappers' dicts of build-function and fit arguments (parameters like
# any other: searchable whole, or per entry as model__name / fit__name).
KERAS_WRAPPER_DICTS = ("model_kwargs", "fit_kwargs")

_LOSS_ALIASES = {
    "mse": "MeanSquaredError",
    "mae": "MeanAbsoluteError",
    "mape": "MeanAbsolutePercentageError",
    "msle": "MeanSquaredLogarithmicError",
}


def is_routed(name):
    """Whether ``name`` is a routed parameter such as ``optimizer__learning_rate``."""
    prefix, sep, rest = name.partition("__")
    return bool(sep and rest) and prefix in ROUTED_PREFIXES


def route_params(params, destination):
    """The ``destination__name`` entries of ``params``, with the prefix removed."""
    prefix = destination + "__"
    return {
        name[len(prefix) :]: value
        for name, value in params.items()
        if name.startswith(prefix)
    }


def signature_args(function):
    """``{name: default}`` of the named arguments of ``function`` (no ``*args``)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {
        p.name: p.default
        for p in parameters
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"
    }


def accepts_var_keyword(function):
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.kind is p.VAR_KEYWORD for p in parameters)


def _clone_keras_object(obj, overrides, kind):
    """A fresh copy of a Keras object through its config, with ``overrides`` applied."""
    if not hasattr(obj, "get_config"):
        if overrides:
            raise ValueError(
                f"Routed {kind} parameters {sorted(overrides)} cannot be applied to "
                f"{obj!r}: it has no get_config(). Pass the {kind} as a name or class."
            )
        return obj
    config = obj.get_config()
    unknown = set(overrides) - set(config)
    if unknown and not accepts_var_keyword(type(obj).__init__):
        raise ValueError(
            f"Unknown {kind} parameters {sorted(unknown)} for "
            f"{type(obj).__name__}; it takes {sorted(config)}."
        )
    return type(obj).from_config({**config, **overrides})


def _instantiate(cls, kwargs, kind):
    known = signature_args(cls.__init__)
    unknown = set(kwargs) - set(known)
    if unknown and not accepts_var_keyword(cls.__init__):
        raise ValueError(
            f"Unknown {kind} parameters {sorted(unknown)} for {cls.__name__}; "
            f"it takes {sorted(known)}."
        )
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as error:
        if not kwargs:
            raise
        raise ValueError(
            f"Unknown {kind} parameters or values {sorted(kwargs)} for "
            f"{cls.__name__}: {error}"
        ) from error


def make_optimizer(optimizer, kwargs):
    """A new Keras optimizer from a name, class or instance plus routed ``kwargs``."""
    import keras

    if isinstance(optimizer, str):
        try:
            template = keras.optimizers.get(optimizer)
        except ValueError as error:
            raise ValueError(
                f"Unknown optimizer {optimizer!r}: pass a Keras optimizer name "
                "('sgd', 'adam', 'rmsprop', ...), class or instance."
            ) from error
        return _instantiate(type(template), kwargs, "optimizer")
    if isinstance(optimizer, type):
        return _instantiate(optimizer, kwargs, "optimizer")
    if isinstance(optimizer, keras.optimizers.Optimizer):
        return _clone_keras_object(optimizer, kwargs, "optimizer")
    raise TypeError(
        f"optimizer must be a Keras optimizer name, class or instance, got "
        f"{optimizer!r}."
    )


def _loss_class_name(name):
    return _LOSS_ALIASES.get(
        name, "".join(part.capitalize() for part in name.split("_"))
    )


def make_loss(loss, kwargs):
    """A loss for ``compile``: names and functions pass through unless routed
    parameters ask for the loss class; classes are instantiated, instances copied."""
    import keras

    if loss is None:
        return None
    if isinstance(loss, (list, tuple)):  # one loss per output
        return [make_loss(item, kwargs) for item in loss]
    if isinstance(loss, dict):
        return {name: make_loss(item, kwargs) for name, item in loss.items()}
    if isinstance(loss, str):
        if not kwargs:
            keras.losses.get(loss)  # raises a clear error for an unknown name
            return loss
        cls = keras.losses.get(_loss_class_name(loss))
        if not isinstance(cls, type):
            cls = type(cls)
        return _instantiate(cls, kwargs, "loss")
    if isinstance(loss, type):
        return _instantiate(loss, kwargs, "loss")
    if isinstance(loss, keras.losses.Loss):
        return _clone_keras_object(loss, kwargs, "loss")
    if callable(loss):
        if kwargs:
            raise ValueError(
                f"Routed loss parameters {sorted(kwargs)} cannot be applied to the "
                f"loss function {loss!r}; pass a loss class instead."
            )
        return loss
    raise TypeError(f"loss must be a name, class, instance or function, got {loss!r}.")


def loss_in_dtype(loss, kwargs, dtype):
    """``make_loss`` for a loss that computes in ``dtype`` (a Keras loss's ``dtype``
    argument). Plain functions stay as they are: Keras computes them in ``floatx``."""
    import keras

    if isinstance(loss, (str, type, keras.losses.Loss)):
        try:
            return make_loss(loss, {**kwargs, "dtype": dtype})
        except (TypeError, ValueError):
            pass  # a name without a Loss class, or a class without ``dtype``
    return make_loss(loss, kwargs)


def _keyed(items):
    """``(key, item)`` pairs of a list (keys "0", "1", ...) or a dict, and whether
    it was a dict."""
    if isinstance(items, dict):
        return [(str(k), v) for k, v in items.items()], True
    items = [items] if not isinstance(items, (list, tuple)) else list(items)
    return [(str(i), v) for i, v in enumerate(items)], False


def _split_routed(kwargs, keys):
    """scikeras's routing for lists and dicts of objects: ``metrics__0__name``
    (``callbacks__es__patience``) goes to the item with that index (key), a
    parameter without one to every item built from a class."""
    keys = set(keys)
    own = {key: {} for key in keys}
    shared = {}
    for name, value in kwargs.items():
        key, sep, rest = name.partition("__")
        if sep and key in keys:
            own[key][rest] = value
        else:
            shared[name] = value
    return own, shared


def make_metrics(metrics, kwargs):
    """Fresh metric objects (names and functions pass through); classes are
    instantiated with the routed parameters (``metrics__name`` for all,
    ``metrics__0__name`` for the first). A list of lists or a dict keeps its
    form (per-output metrics)."""
    import keras

    if metrics is None:
        return None
    if isinstance(metrics, dict) or (
        isinstance(metrics, (list, tuple))
        and any(isinstance(m, (list, tuple, dict)) for m in metrics)
    ):
        # per output: the same routed parameters for each output's metrics
        items = metrics.items() if isinstance(metrics, dict) else enumerate(metrics)
        built = {k: make_metrics(v, kwargs) for k, v in items}
        return built if isinstance(metrics, dict) else list(built.values())
    pairs, _ = _keyed(metrics)
    own, shared = _split_routed(kwargs, [key for key, _ in pairs])
    out = []
    for key, metric in pairs:
        if isinstance(metric, type):
            metric = _instantiate(metric, {**shared, **own[key]}, "metric")
        elif isinstance(metric, keras.metrics.Metric):
            metric = _clone_keras_object(metric, own[key], "metric")
        out.append(metric)
    return out


def clone_callbacks(callbacks, kwargs=None):
    """New callback objects for one fit: instances are deep-copied (without any model
    they were attached to), classes instantiated with routed ``kwargs``
    (``callbacks__patience`` for every class, ``callbacks__0__patience`` or, for a
    dict of callbacks, ``callbacks__name__patience`` for one). A dict's callbacks
    run in its order."""
    import keras

    if callbacks is None:
        return []
    if isinstance(callbacks, (list, tuple)) and any(
        isinstance(c, (list, tuple)) for c in callbacks
    ):
        flat = []
        for callback in callbacks:
            flat.extend(callback if isinstance(callback, (list, tuple)) else [callback])
        callbacks = flat
    pairs, _ = _keyed(callbacks)
    own, shared = _split_routed(kwargs or {}, [key for key, _ in pairs])
    out = []
    for key, callback in pairs:
        if isinstance(callback, type):
            out.append(_instantiate(callback, {**shared, **own[key]}, "callback"))
            continue
        if not isinstance(callback, keras.callbacks.Callback):
            raise TypeError(
                "If specified, ``callbacks`` must be one of: a list or dict of "
                "callbacks (instances or classes of keras.callbacks.Callback), or a "
                f"single callback; got {callback!r}."
            )
        memo = {}
        attached = getattr(callback, "_model", None)
        if attached is not None:
            memo[id(attached)] = None
        clone = copy.deepcopy(callback, memo)
        for name, value in own[key].items():
            setattr(clone, name, value)
        out.append(clone)
    return out
