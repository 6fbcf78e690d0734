"""The deep-training options of the built-in networks (Hands-On ML, ch. 10-11), from
the estimator's parameters to what ``_architectures`` builds: checks, warnings and
the hidden blocks' settings. Functions of a ``_BaseKerasEstimator``."""

import warnings
from numbers import Real

import numpy as np

# from the check to the caller of fit: check_options, _validate_fit_args,
# _fit_epochs, _fit, fit, scikit-learn's _fit_context wrapper
_STACKLEVEL = 7


def check_options(estimator):
    """Errors and warnings for the options that cannot apply as given."""
    est = estimator
    n_hidden = len(est._hidden_layer_sizes())
    if not isinstance(est.dropout, Real):
        rates = np.asarray(est.dropout, dtype=object).ravel().tolist()
        if len(rates) != n_hidden or not all(
            isinstance(r, Real) and 0 <= r < 1 for r in rates
        ):
            raise ValueError(
                "dropout must be a rate in [0, 1) or one such rate per hidden "
                f"layer ({n_hidden} here), got {est.dropout!r}."
            )
    if est.clipnorm is not None and est.clipvalue is not None:
        raise ValueError(
            "Set clipnorm or clipvalue, not both: Keras clips gradients one way "
            f"(got clipnorm={est.clipnorm}, clipvalue={est.clipvalue})."
        )
    if est.activation != "leaky_relu" and est.negative_slope != 0.2:
        warnings.warn(
            f"negative_slope={est.negative_slope} has no effect with "
            f"activation={est.activation!r}; it is the slope of 'leaky_relu'.",
            UserWarning,
            stacklevel=_STACKLEVEL,
        )
    if est.activation == "selu":
        breaks = list(est._self_normalisation_breaks())
        if est.batch_normalization:
            breaks.append("batch_normalization")
        if est.kernel_initializer not in ("auto", "lecun_normal"):
            breaks.append(f"kernel_initializer={est.kernel_initializer!r}")
        if breaks:
            warnings.warn(
                "activation='selu' self-normalises only in a plain stack of Dense "
                "layers with kernel_initializer='lecun_normal' (the 'auto' choice) "
                "and standardised inputs; this configuration breaks it: "
                f"{', '.join(breaks)}.",
                UserWarning,
                stacklevel=_STACKLEVEL,
            )
    kernel_initializer(est)  # an initializer object that cannot be rebuilt raises


def kernel_initializer(estimator):
    """A name, or a Keras initializer object serialized as plain data (without its
    seed: each layer gets one drawn from ``random_state``)."""
    import keras

    from skdeep.neural_network._architectures import default_initializer

    initializer = estimator.kernel_initializer
    if isinstance(initializer, str):
        if initializer == "auto":
            return default_initializer(estimator.activation)
        return initializer
    try:
        config = keras.initializers.serialize(initializer)
        if isinstance(config.get("config"), dict) and "seed" in config["config"]:
            config = {**config, "config": {**config["config"], "seed": None}}
        rebuilt = keras.initializers.deserialize(config)
        if not isinstance(rebuilt, keras.initializers.Initializer):
            raise TypeError(f"Keras rebuilt it as {rebuilt!r}")
    except (TypeError, ValueError, AttributeError) as exc:
        raise ValueError(
            "kernel_initializer must be one of the names listed in the "
            "documentation or a Keras initializer that Keras can serialize (a "
            "built-in one, or a class registered with "
            f"keras.saving.register_keras_serializable); got {initializer!r} "
            f"({exc})."
        ) from exc
    return config


def block_options(estimator):
    """The hidden blocks' options, as ``_architectures.dense_stack`` takes them."""
    est = estimator
    rates = (
        float(est.dropout)
        if isinstance(est.dropout, Real)
        else tuple(float(r) for r in np.asarray(est.dropout).ravel())
    )
    return {
        "activation": est.activation,
        "kernel_initializer": kernel_initializer(est),
        "batch_normalization": (
            "before_activation"
            if est.batch_normalization is True
            else est.batch_normalization
        ),
        "dropout": rates,
        "negative_slope": float(est.negative_slope),
        "input_batch_normalization": bool(est.input_batch_normalization),
        "max_norm": None if est.max_norm is None else float(est.max_norm),
        # (only when mixed: the architecture of other fits stays as it was)
        **({"precision": est.precision} if est._mixed_precision else {}),
    }
