"""Instances of every public estimator for the common checks and shared tests."""

# Constructor parameters that keep the common checks fast (tiny models, few epochs).
# One entry per public estimator; each estimator's owner edits only its own entry.
_TEST_PARAMS = {
    "MLPClassifier": {
        "hidden_layer_sizes": (16,),
        "learning_rate_init": 0.01,
        "max_iter": 100,
        "random_state": 0,
        # float64 so that sample_weight equivalence holds to the check's rtol=1e-7;
        # float32 (the default) agrees to float32 rounding (tests/neural_network).
        "dtype": "float64",
    },
    "MLPRegressor": {
        "hidden_layer_sizes": (16,),
        "learning_rate_init": 0.01,
        "max_iter": 100,
        "random_state": 0,
        # float64 so that sample_weight equivalence holds to the check's rtol=1e-7;
        # float32 (the default) agrees to float32 rounding (tests/neural_network).
        "dtype": "float64",
    },
    "WideDeepRegressor": {
        "hidden_layer_sizes": (8,),
        "learning_rate_init": 0.01,
        "max_iter": 50,
        "random_state": 0,
        # the two-output network, so the checks cover the auxiliary path too
        "auxiliary_output": True,
        # float64 so that sample_weight equivalence holds to the check's rtol=1e-7
        "dtype": "float64",
    },
    # the whole recipe on, at a small size. For sample_weight equivalence to the
    # check's rtol=1e-7: float64, no dropout (its masks are drawn per row, so
    # repeated rows draw others), and a smaller step (on 15 rows the recipe's
    # large steps amplify the rounding of another row order to ~1e-6)
    "TabularMLPClassifier": {
        "hidden_layer_sizes": (16,),
        "n_frequencies": 4,
        "max_iter": 10,
        "dropout": 0.0,
        "learning_rate_init": 0.01,
        "dtype": "float64",
        "random_state": 0,
    },
    "TabularMLPRegressor": {
        "hidden_layer_sizes": (16,),
        "n_frequencies": 4,
        "max_iter": 10,
        "dropout": 0.0,
        "learning_rate_init": 0.01,
        "dtype": "float64",
        "random_state": 0,
    },
    "ClusterPropagationClassifier": {
        # the checks' datasets have 1 to 30 samples; 3 clusters keeps KMeans meaningful
        "n_clusters": 3,
        # check_classifiers_classes trains on the classes {-1, 1}; scikit-learn exempts
        # its own semi-supervised classifiers by name, so the marker moves off -1 here
        "unlabelled_label": -2,
        "random_state": 0,
    },
    "GaussianMixtureAnomalyDetector": {
        "n_components_range": (1, 2, 3),
        "random_state": 0,
    },
    "DBSCANPredictor": {},
    # a plain build function; one full batch per epoch, float64 layers and loss so
    # that sample_weight equivalence holds to the check's rtol=1e-7
    "KerasClassifier": {
        "model": "build_test_model",
        "loss__dtype": "float64",
        "optimizer": "adam",
        "optimizer__learning_rate": 0.05,
        "batch_size": 512,
        "epochs": 40,
        "random_state": 0,
    },
    "KerasRegressor": {
        "model": "build_test_model",
        "loss__dtype": "float64",
        "optimizer": "adam",
        "optimizer__learning_rate": 0.05,
        "batch_size": 512,
        "epochs": 40,
        "random_state": 0,
    },
    # the same network, trained to reproduce X (no y); transform is its output
    "KerasTransformer": {
        "model": "build_test_model",
        "loss__dtype": "float64",
        "optimizer": "adam",
        "optimizer__learning_rate": 0.05,
        "batch_size": 512,
        "epochs": 5,
        "random_state": 0,
    },
}


def build_test_model(meta, hidden=16):
    """A small float64 network for the wrappers' common checks."""
    import keras

    task = meta["target_type_"]
    width = meta["n_outputs_expected_"]
    if "classes_" not in meta:  # a regressor
        activation = None
    elif task in ("binary", "multilabel-indicator"):
        activation = "sigmoid"
    else:
        activation = "softmax"
    return keras.Sequential(
        [
            keras.Input(meta["X_shape_"][1:], dtype="float64"),
            keras.layers.Dense(hidden, activation="relu", dtype="float64"),
            keras.layers.Dense(width, activation=activation, dtype="float64"),
        ]
    )


def all_estimators():
    """Return ``[(name, class), ...]`` for every public estimator of skdeep."""
    import skdeep

    return [(name, getattr(skdeep, name)) for name in sorted(skdeep._LAZY)]


def estimator_instances(*, every_engine=False):
    """Yield one fast-to-fit instance of every public estimator.

    With ``every_engine``, the neural estimators come a second time with
    ``engine="tensorflow"`` (the compiled loop GPUs use; the default trains in NumPy
    on a CPU).
    """
    for name, cls in all_estimators():
        params = dict(_TEST_PARAMS[name])
        if params.get("model") == "build_test_model":
            params["model"] = build_test_model
        estimator = cls(**params)
        yield estimator
        if every_engine and "engine" in estimator.get_params():
            yield cls(**{**_TEST_PARAMS[name], "engine": "tensorflow"})


# Two CPU devices for a data-parallel test without GPUs, before the backend starts:
# TensorFlow splits its CPU into logical devices here; JAX reads XLA_FLAGS.
_TWO_TENSORFLOW_CPUS = """
import os as _os

if _os.environ["KERAS_BACKEND"] == "tensorflow":
    import tensorflow as _tf

    _tf.config.set_logical_device_configuration(
        _tf.config.list_physical_devices("CPU")[0],
        [_tf.config.LogicalDeviceConfiguration()] * 2,
    )
"""


def run_on_two_cpu_devices(script, backend, args):
    """Run ``script`` (Python source) in a fresh interpreter whose Keras ``backend``
    sees two CPU devices, with ``args`` as its ``sys.argv[1:]``; return the JSON of
    its last line of output (an AssertionError with its stderr if it fails)."""
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    if backend == "jax":
        env["XLA_FLAGS"] = (
            env.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2"
        ).strip()
    out = subprocess.run(
        [sys.executable, "-c", _TWO_TENSORFLOW_CPUS + script, *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])
