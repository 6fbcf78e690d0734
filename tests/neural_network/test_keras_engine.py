"""The built-in networks on the general Keras engine: same updates, any layer."""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from skdeep.neural_network import MLPClassifier, MLPRegressor, WideDeepRegressor

TENSORFLOW = keras.backend.backend() == "tensorflow"


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X[:400])
    return X, y[:400]


@pytest.mark.skipif(not TENSORFLOW, reason="the NumPy loop is TensorFlow-backend only")
@pytest.mark.parametrize(
    "make",
    [
        lambda: MLPClassifier((16,), max_iter=4, early_stopping=True),
        lambda: MLPRegressor(hidden_layer_sizes=(16,), max_iter=4, alpha=0.01),
        lambda: WideDeepRegressor(
            hidden_layer_sizes=(8,), max_iter=4, auxiliary_output=True
        ),
        # small enough to bite on most steps
        lambda: MLPRegressor(hidden_layer_sizes=(16,), max_iter=4, clipnorm=0.5),
        lambda: MLPClassifier((16,), max_iter=4, alpha=0.01, clipvalue=0.01),
    ],
    ids=[
        "classifier-early-stopping",
        "regressor-alpha",
        "wide-deep-auxiliary",
        "regressor-clipnorm",
        "classifier-clipvalue",
    ],
)
def test_keras_engine_makes_the_numpy_loops_updates(digits, make):
    X, y = digits
    if not isinstance(make(), MLPClassifier):
        y = y.astype(float)
    curves = {}
    for engine in ("numpy", "keras"):
        estimator = make().set_params(engine=engine, random_state=0, dtype="float64")
        estimator.fit(X, y)
        assert estimator.engine_ == engine
        curves[engine] = estimator.loss_curve_
        if engine == "keras":
            keras_scores = getattr(estimator, "validation_scores_", None)
        else:
            numpy_scores = getattr(estimator, "validation_scores_", None)
    np.testing.assert_allclose(curves["keras"], curves["numpy"], rtol=1e-6)
    if numpy_scores is not None:
        np.testing.assert_allclose(keras_scores, numpy_scores)


def test_frozen_layer_trains_on_the_keras_engine_and_stays_bit_identical(digits):
    X, y = digits
    clf = MLPClassifier((16, 8), max_iter=2, warm_start=True, random_state=0)
    clf.fit(X, y)
    clf.model_.layers[1].trainable = False
    frozen, head = clf.coefs_[0].copy(), clf.coefs_[-1].copy()
    clf.fit(X, y)
    assert clf.engine_ == "keras"
    np.testing.assert_array_equal(clf.coefs_[0], frozen)
    assert not np.array_equal(clf.coefs_[-1], head)


def test_loops_that_cannot_honour_a_frozen_layer_say_so(digits):
    X, y = digits
    clf = MLPClassifier((16,), max_iter=1, warm_start=True, random_state=0)
    clf.fit(X, y)
    clf.model_.layers[1].trainable = False
    with pytest.raises(ValueError, match="a layer is frozen|backend"):
        clf.set_params(engine="numpy").fit(X, y)


def test_keras_engine_learns(digits):
    X, y = digits
    clf = MLPClassifier(
        (32,), max_iter=30, learning_rate_init=0.01, engine="keras", random_state=0
    )
    assert clf.fit(X, y).score(X, y) > 0.9


@pytest.mark.parametrize(
    "make",
    [
        # log loss, SELU's AlphaDropout
        lambda: MLPClassifier((8,), max_iter=2, activation="selu", dropout=0.1),
        lambda: MLPRegressor(
            hidden_layer_sizes=(8,),
            max_iter=2,
            activation="prelu",
            max_norm=2.0,
            l1=1e-4,
            clipnorm=1.0,
        ),
        lambda: WideDeepRegressor(
            hidden_layer_sizes=(8,), max_iter=2, auxiliary_output=True
        ),
    ],
    ids=[
        "classifier-selu-dropout",
        "regressor-prelu-max-norm-l1-clipnorm",
        "wide-deep",
    ],
)
def test_networks_the_keras_engine_trained_load_in_plain_keras(digits, make, tmp_path):
    # no custom_objects: the saved compile configuration names Keras' own losses
    X, y = digits
    estimator = make().set_params(engine="keras", random_state=0)
    if not isinstance(estimator, MLPClassifier):
        y = y.astype(float)
    estimator.fit(X, y)
    path = tmp_path / "network.keras"
    estimator.model_.save(path)
    loaded = keras.models.load_model(path)
    inputs = estimator._model_inputs(X.astype("float32"))
    inputs = inputs[0] if len(inputs) == 1 else inputs
    expected = estimator.model_.predict(inputs, verbose=0)
    for a, b in zip(
        keras.tree.flatten(loaded.predict(inputs, verbose=0)),
        keras.tree.flatten(expected),
    ):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert type(loaded.optimizer) is type(estimator.model_.optimizer)
    loaded.fit(inputs, loaded.predict(inputs, verbose=0), epochs=1, verbose=0)
