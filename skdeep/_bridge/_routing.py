"""Parameter routing (scikeras's ``prefix__name`` convention) and fresh Keras objects.

scikeras routes a parameter named ``optimizer__learning_rate`` to the optimizer's
constructor, ``model__n_hidden`` to the build function, ``fit__verbose`` to ``fit``, and
so on. Everything a fit needs that the user gave as a name, class or instance
(optimizer, loss, metrics, callbacks) is turned here into a *new* object, so two fits
(two folds of a search) never share optimizer slots, metric totals or callback state.
"""

import copy
import inspect
import re

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
# Names a build function may ask for that are not user parameters.
SPECIAL_BUILD_ARGS = ("meta", "compile_kwargs", "params")

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


def make_metrics(metrics, kwargs):
    """Fresh metric objects (names and functions pass through)."""
    import keras

    if metrics is None:
        return None
    if isinstance(metrics, dict):
        return {k: make_metrics(v, kwargs) for k, v in metrics.items()}
    single = not isinstance(metrics, (list, tuple))
    items = [metrics] if single else list(metrics)
    out = []
    for metric in items:
        if isinstance(metric, type):
            metric = _instantiate(metric, kwargs, "metric")
        elif isinstance(metric, keras.metrics.Metric):
            metric = _clone_keras_object(metric, {}, "metric")
        out.append(metric)
    return out


def clone_callbacks(callbacks, kwargs=None):
    """New callback objects for one fit: instances are deep-copied (without any model
    they were attached to), classes instantiated with routed ``kwargs``."""
    if callbacks is None:
        return []
    items = [callbacks] if not isinstance(callbacks, (list, tuple)) else callbacks
    kwargs = kwargs or {}
    out = []
    for index, callback in enumerate(items):
        own = {**route_params(kwargs, str(index))}
        shared = {k: v for k, v in kwargs.items() if not re.match(r"^\d+__", k)}
        if isinstance(callback, type):
            out.append(_instantiate(callback, {**shared, **own}, "callback"))
            continue
        memo = {}
        attached = getattr(callback, "_model", None)
        if attached is not None:
            memo[id(attached)] = None
        clone = copy.deepcopy(callback, memo)
        for name, value in own.items():
            setattr(clone, name, value)
        out.append(clone)
    return out
