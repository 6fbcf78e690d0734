"""``precision``: the estimator's model computes in a dtype policy, nothing global
changes, predictions come back as float32."""

import keras
import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from skdeep.wrappers import KerasClassifier, KerasRegressor

MIXED = ["mixed_float16", "mixed_bfloat16"]


def _build(meta):
    classes = meta.get("n_classes_")
    return keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(classes or 1, activation="softmax" if classes else None),
        ]
    )


def _data(n=48):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n, 4))
    return X, X @ np.array([1.0, -1.0, 0.5, 0.0])


@pytest.mark.parametrize("precision", ["float32", *MIXED])
def test_regressor_trains_in_the_policy_and_predicts_float32(precision, global_policy):
    X, y = _data()
    reg = KerasRegressor(_build, epochs=2, random_state=0, precision=precision)
    reg.fit(X, y)
    compute = "float32" if precision == "float32" else precision.split("_")[1]
    assert reg.model_.dtype_policy.name == precision
    assert reg.model_.layers[0].compute_dtype == compute
    assert reg.model_.layers[0].kernel.dtype == "float32"  # variables stay float32
    outputs = reg.model_(X[:2].astype("float32"))
    assert keras.backend.standardize_dtype(outputs.dtype) == compute
    assert reg.predict(X).dtype == np.float32
    assert np.isfinite(reg.history_["loss"]).all()
    assert keras.config.dtype_policy().name == global_policy


def test_mixed_float16_scales_the_loss(global_policy):
    X, y = _data()
    reg = KerasRegressor(_build, epochs=1, precision="mixed_float16").fit(X, y)
    assert isinstance(reg.model_.optimizer, keras.optimizers.LossScaleOptimizer)


@pytest.mark.parametrize("precision", MIXED)
def test_classifier_outputs_are_not_half_precision(precision, global_policy):
    X, y = _data()
    y = np.digitize(y, [-0.5, 0.5])  # 3 classes
    clf = KerasClassifier(
        _build,
        loss="sparse_categorical_crossentropy",
        epochs=2,
        random_state=0,
        precision=precision,
    ).fit(X, y)
    assert clf.model_.layers[-1].compute_dtype == precision.split("_")[1]
    raw = clf._raw_predict(X)  # the network's outputs, cast from half precision
    assert raw.dtype == np.float32
    proba = clf.predict_proba(X)  # float64 at any precision (normalised in float64)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert set(clf.predict(X)) <= {0, 1, 2}


def test_none_keeps_the_global_policy_and_a_precision_overrides_it():
    X, y = _data()
    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")  # the user's global choice
    try:
        default = KerasRegressor(_build, epochs=1).fit(X, y)
        assert default.model_.dtype_policy.name == "mixed_bfloat16"
        assert default.predict(X).dtype == np.float32
        own = KerasRegressor(_build, epochs=1, precision="float32").fit(X, y)
        assert own.model_.dtype_policy.name == "float32"
        assert keras.config.dtype_policy().name == "mixed_bfloat16"
    finally:
        keras.config.set_dtype_policy(before)


def test_policy_is_restored_when_the_build_function_raises(global_policy):
    seen = []

    def broken(meta):
        seen.append(keras.config.dtype_policy().name)
        raise RuntimeError("broken build function")

    X, y = _data()
    with pytest.raises(RuntimeError, match="broken build function"):
        KerasRegressor(broken, precision="mixed_float16").fit(X, y)
    assert seen == ["mixed_float16"]


def test_a_model_instance_is_copied_into_the_policy(global_policy):
    X, y = _data()
    model = _build({"n_features_in_": 4})
    reg = KerasRegressor(model, epochs=1, precision="mixed_bfloat16").fit(X, y)
    assert [layer.dtype_policy.name for layer in reg.model_.layers] == [
        "mixed_bfloat16"
    ] * 2
    assert reg.predict(X).dtype == np.float32
    # the user's model is untouched
    assert [layer.dtype_policy.name for layer in model.layers] == ["float32"] * 2


def test_unknown_precision_is_refused():
    X, y = _data()
    with pytest.raises(InvalidParameterError, match="'precision' parameter"):
        KerasRegressor(_build, precision="float16").fit(X, y)
