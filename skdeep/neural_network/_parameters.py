"""The parameters of the built-in networks: their constraints, free of Keras.

Importing this module imports neither Keras nor TensorFlow, so the ``skdeep`` command
checks a parameter's name and value before loading them. The estimators'
``_parameter_constraints`` are the dicts defined here.
"""

import os
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import HasMethods, Interval, Options, StrOptions

from skdeep._bridge._precision import PRECISIONS

# Keras names of the activations skdeep accepts (sklearn's "logistic" is "sigmoid").
ACTIVATIONS = {
    "identity": "linear",
    "logistic": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "elu": "elu",
    "selu": "selu",
    "leaky_relu": "leaky_relu",  # a LeakyReLU layer (its slope is a parameter)
    "prelu": "linear",  # a PReLU layer (a learned slope per neuron)
    "gelu": "gelu",
    "swish": "silu",
}
BATCH_NORMALIZATION = ("before_activation", "after_activation")


def hidden_layer_sizes(value):
    """``hidden_layer_sizes`` as a tuple of ints (one int is one layer); a
    ValueError for anything but positive integers."""
    sizes = np.atleast_1d(np.asarray(value, dtype=object))
    if not all(isinstance(s, Integral | np.integer) and s > 0 for s in sizes):
        raise ValueError(
            "hidden_layer_sizes must be a sequence of positive integers, got "
            f"{value!r}."
        )
    return tuple(int(s) for s in sizes)


_INITIALIZERS = {
    "glorot_uniform": "GlorotUniform",
    "glorot_normal": "GlorotNormal",
    "he_uniform": "HeUniform",
    "he_normal": "HeNormal",
    "lecun_uniform": "LecunUniform",
    "lecun_normal": "LecunNormal",
    "orthogonal": "Orthogonal",
    "random_normal": "RandomNormal",
    "random_uniform": "RandomUniform",
    "truncated_normal": "TruncatedNormal",
}
# He's variance (scale 2) over the average of fan-in and fan-out (Hands-On ML, ch. 11)
_FAN_AVG = {"he_avg_uniform": "uniform", "he_avg_normal": "truncated_normal"}
INITIALIZER_NAMES = ("auto", *_INITIALIZERS, *_FAN_AVG)

SOLVERS = {"sgd", "adam", "nadam", "rmsprop", "adagrad", "adamax", "adamw", "lbfgs"}
SCHEDULES = {
    "constant",
    "invscaling",
    "power",
    "exponential",
    "piecewise",
    "adaptive",
    "1cycle",
}
INITIALIZERS = set(INITIALIZER_NAMES)

BASE_PARAMETER_CONSTRAINTS = {
    "hidden_layer_sizes": [
        "array-like",
        Interval(Integral, 1, None, closed="left"),
    ],
    "activation": [StrOptions(set(ACTIVATIONS))],
    "solver": [StrOptions(SOLVERS), HasMethods(["apply", "get_config"])],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "batch_size": [
        StrOptions({"auto"}),
        Interval(Integral, 1, None, closed="left"),
    ],
    "learning_rate": [StrOptions(SCHEDULES)],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "tol": [Interval(Real, 0, None, closed="left")],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "n_iter_no_change": [
        Interval(Integral, 1, None, closed="left"),
        Options(Real, {np.inf}),
    ],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
    "kernel_initializer": [
        StrOptions(INITIALIZERS),
        HasMethods(["get_config", "__call__"]),
    ],
    "batch_normalization": ["boolean", StrOptions(set(BATCH_NORMALIZATION))],
    "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
    "device": [str, list, tuple],
    "dtype": [StrOptions({"auto", "float32", "float64"})],
    "engine": [StrOptions({"auto", "numpy", "tensorflow", "keras"})],
    "rho": [Interval(Real, 0, 1, closed="left")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "decay_rate": [Interval(Real, 0, None, closed="neither")],
    "decay_steps": [Interval(Integral, 1, None, closed="left"), None],
    "piecewise_boundaries": ["array-like", None],
    "piecewise_values": ["array-like", None],
    "reduce_factor": [Interval(Real, 0, 1, closed="neither")],
    "max_learning_rate": [Interval(Real, 0, None, closed="neither"), None],
    "callbacks": [list, tuple, None],
    "checkpoint_path": [str, os.PathLike, None],
    "checkpoint_best_only": ["boolean"],
    "tensorboard_log_dir": [str, os.PathLike, None],
    # the deep-training options of Hands-On ML ch. 11 (issue 13)
    "negative_slope": [Interval(Real, 0, None, closed="left")],
    "input_batch_normalization": ["boolean"],
    "l1": [Interval(Real, 0, None, closed="left")],
    "max_norm": [Interval(Real, 0, None, closed="neither"), None],
    "clipnorm": [Interval(Real, 0, None, closed="neither"), None],
    "clipvalue": [Interval(Real, 0, None, closed="neither"), None],
    "init_from": [HasMethods(["apply"]), None],
    # issue 14: the dtype policy of the hidden layers
    "precision": [StrOptions(set(PRECISIONS)), None],
}

REGRESSION_PARAMETER_CONSTRAINTS = {
    "loss": [StrOptions({"squared_error", "absolute_error", "huber", "poisson"})],
    "output_activation": [
        StrOptions({"relu", "softplus", "sigmoid", "tanh"}),
        None,
    ],
}

MLP_CLASSIFIER_CONSTRAINTS = {
    **BASE_PARAMETER_CONSTRAINTS,
    "class_weight": [dict, StrOptions({"balanced"}), None],
}
MLP_REGRESSOR_CONSTRAINTS = {
    **BASE_PARAMETER_CONSTRAINTS,
    **REGRESSION_PARAMETER_CONSTRAINTS,
}
WIDE_DEEP_CONSTRAINTS = {
    **BASE_PARAMETER_CONSTRAINTS,
    **REGRESSION_PARAMETER_CONSTRAINTS,
    "wide_features": [None, slice, "array-like"],
    "deep_features": [None, slice, "array-like"],
    "auxiliary_output": ["boolean"],
    "auxiliary_weight": [Interval(Real, 0, 1, closed="neither")],
}
# estimator name -> its ``_parameter_constraints`` (read by the ``skdeep`` command)
PARAMETER_CONSTRAINTS = {
    "MLPClassifier": MLP_CLASSIFIER_CONSTRAINTS,
    "MLPRegressor": MLP_REGRESSOR_CONSTRAINTS,
    "WideDeepRegressor": WIDE_DEEP_CONSTRAINTS,
}
