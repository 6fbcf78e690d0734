"""The built-in networks on the general Keras engine: same updates, any layer."""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from skdeep.neural_network import (
    MLPClassifier,
    MLPRegressor,
    WideDeepRegressor,
    reuse_layers,
)

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
        lambda: MLPRegressor(hidden_layer_sizes=(16,), max_iter=4, activation="prelu"),
        # a bound the columns reach within the first steps
        lambda: MLPClassifier(
            (16, 8), max_iter=4, max_norm=0.5, l1=1e-3, batch_normalization=True
        ),
    ],
    ids=[
        "classifier-early-stopping",
        "regressor-alpha",
        "wide-deep-auxiliary",
        "regressor-clipnorm",
        "classifier-clipvalue",
        "regressor-prelu",
        "classifier-max-norm-l1-batch-norm",
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


@pytest.mark.skipif(not TENSORFLOW, reason="the NumPy loop is TensorFlow-backend only")
@pytest.mark.parametrize("batch_normalization", [False, True])
def test_frozen_layers_train_alike_on_both_engines_and_stay_bit_identical(
    digits, batch_normalization
):
    """A frozen layer keeps its weights bit for bit (a frozen batch normalisation its
    statistics, normalising with them as Keras does), and the NumPy loop trains the
    rest as the Keras engine does."""
    X, y = digits
    params = dict(batch_normalization=batch_normalization, dtype="float64")
    source = MLPClassifier((16, 8), max_iter=2, random_state=0, **params).fit(X, y)
    frozen = ["hidden_1"] + (["hidden_1_bn"] if batch_normalization else [])
    fitted = {}
    for engine in ("numpy", "keras"):
        new = MLPClassifier(
            (16, 8),
            init_from=reuse_layers(source, 1),
            max_iter=3,
            random_state=1,
            engine=engine,
            **params,
        ).fit(X, y)
        assert new.engine_ == engine
        for name in frozen:
            for a, b in zip(
                new.model_.get_layer(name).get_weights(),
                source.model_.get_layer(name).get_weights(),
            ):
                np.testing.assert_array_equal(a, b)
        assert not np.array_equal(new.coefs_[1], source.coefs_[1])
        fitted[engine] = new
    np.testing.assert_allclose(
        fitted["numpy"].loss_curve_, fitted["keras"].loss_curve_, rtol=1e-6
    )
    for a, b in zip(fitted["numpy"].coefs_, fitted["keras"].coefs_):
        np.testing.assert_allclose(a, b, atol=1e-6)  # Adam: steps of ~1e-3
    auto = MLPClassifier((16, 8), init_from=reuse_layers(source, 1), max_iter=1)
    assert auto.set_params(**params).fit(X, y).engine_ == "numpy"


def test_compiled_loop_says_it_cannot_honour_a_frozen_layer(digits):
    X, y = digits
    clf = MLPClassifier((16,), max_iter=1, warm_start=True, random_state=0)
    clf.fit(X, y)
    clf.model_.layers[1].trainable = False
    with pytest.raises(ValueError, match="a layer is frozen|backend"):
        clf.set_params(engine="tensorflow").fit(X, y)


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


@pytest.mark.skipif(
    keras.backend.backend() != "jax", reason="JAX's stateless step is the shared one"
)
def test_fits_of_one_network_share_jaxs_compiled_step_and_train_as_alone(
    digits, monkeypatch, recorded_shares
):
    _jax, loops = recorded_shares
    X, y = digits

    def fit(**params):
        base = dict(hidden_layer_sizes=(16,), max_iter=3, random_state=0, dropout=0.2)
        return MLPClassifier(**{**base, **params}).fit(X, y)

    alone = fit(random_state=1)  # the first of its kind: compiles its own step
    first = fit()
    shared = fit(random_state=1, learning_rate_init=0.01)
    again = fit(random_state=1)
    assert [loop._train for loop in loops[1:]] == [loops[0]._train] * 3
    # the shared step trains each fit as its own would: the same weights, dropout
    # masks and learning rate (the state, not the compiled program, holds them)
    assert again.loss_curve_ == alone.loss_curve_
    np.testing.assert_array_equal(again.predict_proba(X), alone.predict_proba(X))
    assert shared.loss_curve_ != again.loss_curve_
    assert first.loss_curve_ != again.loss_curve_
    # a set a few rows smaller (another fold) runs the same compiled epoch: its
    # rows are held padded to the same shape
    full_batches = loops[0]._train[0]
    MLPClassifier((16,), dropout=0.2, max_iter=1).fit(X[:390], y[:390])
    compiled = full_batches._cache_size()
    MLPClassifier((16,), dropout=0.2, max_iter=1).fit(X[:380], y[:380])
    assert loops[-1]._train is loops[0]._train
    assert full_batches._cache_size() == compiled
    # another architecture, or a frozen layer, is another step
    fit(hidden_layer_sizes=(8,))
    frozen = MLPClassifier((16,), dropout=0.2, max_iter=1, warm_start=True).fit(X, y)
    frozen.model_.layers[1].trainable = False
    frozen.fit(X, y)
    assert len({id(loop._train) for loop in loops}) == 3
    assert len(_jax._SHARED) == 3
    # and a fit that compiles its own step gives what the shared one gave
    monkeypatch.setattr(_jax.EpochLoop, "share", lambda self, key, make: None)
    own = fit(random_state=1)
    assert own.loss_curve_ == again.loss_curve_
    np.testing.assert_array_equal(own.predict_proba(X), again.predict_proba(X))
