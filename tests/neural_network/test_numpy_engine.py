"""The NumPy training loop computes the same training as the compiled TensorFlow loop.

Without shuffling and dropout both loops see the same batches in the same order from
the same initial weights, so in float64 every weight, loss and validation score must
agree to rounding, for every layer, activation, loss, solver and option the
estimators offer.
"""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skdeep.neural_network import (
    MLPClassifier,
    MLPRegressor,
    WideDeepRegressor,
    _numpy_layers,
    _numpy_training,
)

RTOL = 1e-8  # float64: far below float32's rounding (TF keeps a few float32 constants)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X)[::2], y[::2]


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(60, 5, n_targets=2, noise=1.0, random_state=0)
    return StandardScaler().fit_transform(X), y / y.std(axis=0)


def _fit(est, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # few epochs on purpose
        return est.fit(X, y, **fit_params)


def _both(estimator, X, y, **fit_params):
    """Fit clones of ``estimator`` with each engine; return them (numpy, tf)."""
    fitted = []
    for engine in ("numpy", "tensorflow"):
        est = _fit(clone(estimator).set_params(engine=engine), X, y, **fit_params)
        assert est.engine_ == engine
        fitted.append(est)
    return fitted


def _assert_same_training(ours, theirs, X):
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=RTOL)
    for a, b in zip(ours.model_.get_weights(), theirs.model_.get_weights()):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-9)
    np.testing.assert_allclose(ours._forward(X), theirs._forward(X), rtol=RTOL)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.t_ == theirs.t_


BASE = dict(
    hidden_layer_sizes=(6, 5),
    max_iter=3,
    batch_size=16,
    shuffle=False,
    random_state=0,
    dtype="float64",
    learning_rate_init=0.01,
    # the weights these float64 agreements were checked from ("auto" is Glorot's
    # since issue 13: a few values then differ by 1-5e-8 relative, in gelu's float32
    # constants and in the gradient-free biases before batch normalisation)
    kernel_initializer="he_uniform",
)


@pytest.mark.parametrize(
    "activation",
    [
        "relu",
        "identity",
        "logistic",
        "tanh",
        "elu",
        "selu",
        "leaky_relu",
        "gelu",
        "swish",
    ],
)
def test_activations_train_alike(activation, iris):
    X, y = iris
    est = MLPClassifier(**BASE, activation=activation)
    _assert_same_training(*_both(est, X, y), X)


@pytest.mark.parametrize(
    "solver", ["sgd", "adam", "nadam", "adamax", "rmsprop", "adagrad"]
)
def test_solvers_train_alike(solver, iris):
    X, y = iris
    est = MLPClassifier(**BASE, solver=solver, momentum=0.9, alpha=1e-3)
    _assert_same_training(*_both(est, X, y), X)


def test_sgd_without_momentum_and_nesterov_train_alike(iris):
    X, y = iris
    for momentum, nesterov in [(0.0, False), (0.9, False)]:
        est = MLPClassifier(
            **BASE, solver="sgd", momentum=momentum, nesterovs_momentum=nesterov
        )
        _assert_same_training(*_both(est, X, y), X)


@pytest.mark.parametrize("target", ["binary", "multilabel"])
def test_sigmoid_outputs_train_alike(target, iris):
    X, y = iris
    Y = (y == 2).astype(int) if target == "binary" else np.c_[y == 2, y == 0, y > 0]
    est = MLPClassifier(**BASE, alpha=1e-2)
    _assert_same_training(*_both(est, X, Y), X)


def test_weights_batch_norm_and_early_stopping_train_alike(iris):
    X, y = iris
    est = MLPClassifier(
        **{**BASE, "max_iter": 4},
        batch_normalization=True,
        class_weight="balanced",
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=10,
    )
    weights = np.linspace(0.5, 2.0, len(y))
    ours, theirs = _both(est, X, y, sample_weight=weights)
    _assert_same_training(ours, theirs, X)
    np.testing.assert_allclose(
        ours.validation_scores_, theirs.validation_scores_, rtol=RTOL
    )


@pytest.mark.parametrize(
    "loss, output_activation",
    [
        ("squared_error", None),
        ("absolute_error", None),
        ("huber", None),
        ("squared_error", "relu"),
        ("squared_error", "softplus"),
        ("squared_error", "sigmoid"),
        ("huber", "tanh"),
    ],
)
def test_regression_losses_train_alike(loss, output_activation, regression):
    X, y = regression
    est = MLPRegressor(
        **BASE, loss=loss, output_activation=output_activation, alpha=1e-3
    )
    _assert_same_training(*_both(est, X, y), X)


def test_poisson_and_early_stopping_regression_train_alike(regression):
    X, y = regression
    est = MLPRegressor(
        **BASE, loss="poisson", early_stopping=True, validation_fraction=0.25
    )
    ours, theirs = _both(est, X, np.abs(y))
    _assert_same_training(ours, theirs, X)
    np.testing.assert_allclose(
        ours.validation_scores_, theirs.validation_scores_, rtol=RTOL
    )


def test_wide_deep_two_inputs_and_auxiliary_output_train_alike(regression):
    X, y = regression
    est = WideDeepRegressor(
        **BASE,
        wide_features=[0, 1, 2],
        deep_features=[2, 3, 4],
        auxiliary_output=True,
        batch_normalization=True,
    )
    ours, theirs = _both(est, X, y[:, 0])
    _assert_same_training(ours, theirs, X)
    for key in ("loss_output_0", "loss_output_1"):
        np.testing.assert_allclose(ours.history_[key], theirs.history_[key], rtol=RTOL)
    np.testing.assert_allclose(
        ours.predict_auxiliary(X), theirs.predict_auxiliary(X), rtol=RTOL
    )


@pytest.mark.parametrize("solver", ["adam", "nadam"])
def test_partial_fit_continues_across_engines(solver, iris):
    """Both loops keep the optimizer state in one layout; either can continue it."""
    X, y = iris
    params = dict(BASE, solver=solver)
    mixed = _fit(MLPClassifier(**params, engine="numpy"), X, y)
    mixed.set_params(engine="tensorflow").partial_fit(X, y)
    plain = _fit(MLPClassifier(**params, engine="numpy"), X, y)
    plain.partial_fit(X, y)
    assert mixed.engine_ == "tensorflow" and plain.engine_ == "numpy"
    for a, b in zip(mixed.model_.get_weights(), plain.model_.get_weights()):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-9)


def test_auto_engine_is_numpy_on_cpu(iris):
    X, y = iris
    est = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, device="cpu")
    _fit(est, X, y)
    assert est.engine_ == "numpy"


def test_dropout_masks_follow_the_seed(iris):
    X, y = iris
    params = dict(BASE, dropout=0.5, shuffle=True, engine="numpy")
    first = _fit(MLPClassifier(**params), X, y).loss_curve_
    again = _fit(MLPClassifier(**params), X, y).loss_curve_
    other = _fit(MLPClassifier(**{**params, "random_state": 1}), X, y).loss_curve_
    no_dropout = _fit(MLPClassifier(**{**params, "dropout": 0.0}), X, y).loss_curve_
    assert first == again
    assert first != other
    assert first != no_dropout


def test_dropout_layer_drops_at_rate_and_rescales():
    class Layer:
        rate = 0.25

    dropout = _numpy_layers._Dropout(Layer())
    x = np.ones((2000, 50))
    rng = np.random.default_rng(0)
    y, mask = dropout.forward(x, None, None, True, rng)
    assert set(np.unique(y)) == {0.0, 1 / 0.75}
    assert abs(np.mean(y == 0) - 0.25) < 0.01
    np.testing.assert_array_equal(dropout.backward(x, mask, None, None, True), y)
    inference, _ = dropout.forward(x, None, None, False, rng)
    assert inference is x


def test_alpha_dropout_layer_computes_keras_alpha_dropout():
    """Given Keras' mask, the same outputs; the gradient is the affine map's on the
    kept units; the mean and variance of standard normal inputs are kept (SELU's
    self-normalisation)."""
    import keras

    rate = 0.3
    layer = keras.layers.AlphaDropout(rate, seed=0)
    x = np.random.default_rng(0).normal(size=(4000, 8))
    expected = np.asarray(layer(x.astype("float32"), training=True), dtype=np.float64)
    ours = _numpy_layers._AlphaDropout(layer)
    dropped = ours.a * ours._ALPHA_P + ours.b  # where a unit is dropped
    kept = ~np.isclose(expected, dropped, rtol=0, atol=1e-6)
    assert abs(kept.mean() - (1 - rate)) < 0.02

    class Draws:  # uniform draws that keep exactly Keras' units
        def random(self, shape, dtype):
            return np.where(kept, 0.99, 0.0).astype(dtype)

    y, cache = ours.forward(x, None, None, True, Draws())
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    dy = np.random.default_rng(1).normal(size=x.shape)
    np.testing.assert_allclose(
        ours.backward(dy, cache, None, None, True), dy * ours.a * kept
    )
    y, _ = ours.forward(x, None, None, True, np.random.default_rng(2))
    assert abs(y.mean()) < 0.05 and abs(y.var() - 1) < 0.05
    inference, _ = ours.forward(x, None, None, False, None)
    assert inference is x


def test_numpy_optimizers_match_the_compiled_ones_step_by_step():
    import tensorflow as tf

    from skdeep.neural_network._engine import solver_hyper
    from skdeep.neural_network._numpy_optimizers import make_optimizer as numpy_opt
    from skdeep.neural_network._optimizers import make_optimizer as tf_opt

    rng = np.random.RandomState(0)
    params0 = rng.normal(size=12)
    grads = [rng.normal(size=12) for _ in range(5)]
    for solver in ["sgd", "adam", "nadam", "adamax", "rmsprop", "adagrad"]:
        for nesterov in (True, False):
            hyper = dict(
                solver_hyper(
                    solver,
                    momentum=0.9,
                    nesterovs_momentum=nesterov,
                    beta_1=0.9,
                    beta_2=0.999,
                    epsilon=1e-7,
                )
            )
            compiled = tf_opt(solver, hyper)
            ours = numpy_opt(solver, hyper)
            p_tf = tf.constant(params0)
            slots_tf = compiled.init_slots([p_tf])
            p_np = params0.copy()
            slots_np = ours.init_slots(p_np)
            for step, g in enumerate(grads):
                (p_tf,), slots_tf = compiled.apply(
                    step,
                    slots_tf,
                    [tf.constant(g)],
                    [p_tf],
                    tf.constant(0.05, tf.float64),
                )
                ours.update(step, p_np, g, slots_np, 0.05)
                np.testing.assert_allclose(p_np, p_tf.numpy(), rtol=1e-12)
            for a, b in zip(slots_np, slots_tf):
                np.testing.assert_allclose(a, np.asarray(b), rtol=1e-12)


def test_unsupported_networks_are_not_trainable_in_numpy():
    import keras

    inputs = keras.Input((3,))
    x = keras.layers.LayerNormalization()(keras.layers.Dense(4)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))
    assert not _numpy_training.trainable(model, "log_loss")

    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(inputs))
    assert _numpy_training.trainable(model, "log_loss")
    assert _numpy_training.trainable(model, "squared_error")
    # log loss on an output that is not the matching sigmoid/softmax
    assert not _numpy_training.trainable(model, "binary_log_loss")


def test_numpy_loop_takes_max_norm_prelu_alpha_dropout_and_frozen_layers():
    import keras

    def network(constraint=None, shared_axes=None, frozen=False):
        inputs = keras.Input((3,))
        dense = keras.layers.Dense(4, kernel_constraint=constraint)
        x = keras.layers.PReLU(shared_axes=shared_axes)(dense(inputs))
        dense.trainable = not frozen
        return keras.Model(inputs, keras.layers.Dense(1)(x))

    inputs = keras.Input((3,))
    outputs = keras.layers.Dense(1)(keras.layers.AlphaDropout(0.1)(inputs))
    alpha_dropout = keras.Model(inputs, outputs)
    for model in (
        network(),
        network(keras.constraints.MaxNorm(2.0)),
        network(frozen=True),
        alpha_dropout,
    ):
        assert _numpy_training.trainable(model, "squared_error")
        assert not _numpy_training.trainable(model, "squared_error", numpy=False)
    # constraints other than MaxNorm, a PReLU slope shared across units: Keras only
    assert not _numpy_training.trainable(
        network(keras.constraints.NonNeg()), "squared_error"
    )
    assert not _numpy_training.trainable(network(shared_axes=[1]), "squared_error")
    outputs = keras.layers.Dense(1)(
        keras.layers.Dropout(0.1, noise_shape=(1, 3))(inputs)
    )
    shared_mask = keras.Model(inputs, outputs)
    assert not _numpy_training.trainable(shared_mask, "squared_error")


def test_engine_numpy_refuses_a_network_it_cannot_train(iris, monkeypatch):
    X, y = iris
    monkeypatch.setattr(
        _numpy_training, "trainable", lambda model, loss, **kwargs: False
    )
    with pytest.raises(ValueError, match="engine='numpy' cannot train"):
        _fit(MLPClassifier(hidden_layer_sizes=(3,), max_iter=1, engine="numpy"), X, y)
    est = MLPClassifier(hidden_layer_sizes=(3,), max_iter=1)
    _fit(est, X, y)
    # 'auto' falls back to the general Keras engine, which trains any layer
    assert est.engine_ == "keras"
