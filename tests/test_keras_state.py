"""Keras models stored as ``.keras`` bytes: reloading is quiet where nothing was lost.

Keras warns "Skipping variable loading for optimizer ..." when an archive's optimizer
variables do not match the loaded model's. For an optimizer that was never built
(a compiled model not trained yet) the loaded one is the saved one and the warning
is noise; any other mismatch still warns.
"""

import io
import json
import warnings
import zipfile

import keras
import numpy as np
import pytest

from skdeep.utils._keras_state import keras_model_from_bytes, keras_model_to_bytes


def _compiled_model():
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(1)]
    )
    model.compile(keras.optimizers.Adam(learning_rate=0.01), "mse")
    return model


def _with_optimizer(data, class_name, config):
    """``data`` (a .keras archive) with its compiled optimizer replaced."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "config.json":
                config_json = json.loads(content)
                optimizer = config_json["compile_config"]["optimizer"]
                optimizer["class_name"], optimizer["config"] = class_name, config
                content = json.dumps(config_json).encode()
            target.writestr(item, content)
    return out.getvalue()


def test_an_optimizer_never_built_reloads_without_a_warning():
    model = _compiled_model()
    data = keras_model_to_bytes(model)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Skipping variable loading")
        loaded = keras_model_from_bytes(data)
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.01)
    assert int(loaded.optimizer.iterations) == 0


def test_a_trained_optimizer_reloads_its_state_without_a_warning():
    model = _compiled_model()
    X = np.random.default_rng(0).normal(size=(16, 3))
    model.fit(X, X.sum(axis=1), epochs=2, verbose=0)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Skipping variable loading")
        loaded = keras_model_from_bytes(keras_model_to_bytes(model))
    for saved, restored in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(saved), np.asarray(restored))


def test_a_real_optimizer_mismatch_still_warns():
    model = _compiled_model()
    X = np.random.default_rng(0).normal(size=(16, 3))
    model.fit(X, X.sum(axis=1), epochs=1, verbose=0)  # Adam: 2 + 2 per weight
    sgd = keras.optimizers.SGD(learning_rate=0.01).get_config()
    data = _with_optimizer(keras_model_to_bytes(model), "SGD", sgd)
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer"):
        keras_model_from_bytes(data)
