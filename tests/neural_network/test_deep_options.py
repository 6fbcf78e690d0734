"""Hands-On ML ch. 10-11 options of the built-in networks: initializers,
activations, batch normalisation, regularisation, MC dropout, transfer learning.

Each test shows the option's effect. The tests that do not need the TensorFlow-only
NumPy loop also run on JAX (see .ci/run).
"""

import random
import warnings

import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_regression
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from skdeep.neural_network import (
    MLPClassifier,
    MLPRegressor,
    WideDeepRegressor,
    reuse_layers,
)

TENSORFLOW = keras.backend.backend() == "tensorflow"
tensorflow_only = pytest.mark.skipif(
    not TENSORFLOW, reason="the NumPy loop is TensorFlow-backend only"
)
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X[:300]), y[:300]


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=120, n_features=6, noise=1.0, random_state=0)
    return X, y / y.std()


def _user_warnings(fit):
    """The messages of the UserWarnings (not their subclasses) ``fit()`` raises.

    (Recorded by hand: ``pytest.warns`` re-emits the other warnings without their
    module, which turns the JAX backend's ignored DeprecationWarnings into errors.)
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    return [str(w.message) for w in caught if w.category is UserWarning]


def _layers(estimator):
    return [(type(layer).__name__, layer.name) for layer in estimator.model_.layers]


# ------------------------------------------------------------------ initializers


def _initial_kernel(X, y, **params):
    """The first kernel as initialised (a learning rate too small to move it)."""
    reg = MLPRegressor(
        hidden_layer_sizes=(200,), max_iter=1, learning_rate_init=1e-12, **params
    )
    return reg.fit(X, y).coefs_[0]


def test_fan_average_he_initializer_has_its_variance():
    X = np.random.RandomState(0).normal(size=(40, 50))
    y = X[:, 0]
    # fan_in 50, fan_out 200: He's variance 2 / 50, over the fan average 2 / 125
    fan_in = _initial_kernel(X, y, kernel_initializer="he_uniform", random_state=0)
    fan_avg = _initial_kernel(X, y, kernel_initializer="he_avg_uniform", random_state=0)
    np.testing.assert_allclose(fan_in.var(), 2 / 50, rtol=0.05)
    np.testing.assert_allclose(fan_avg.var(), 2 / 125, rtol=0.05)
    normal = _initial_kernel(X, y, kernel_initializer="he_avg_normal", random_state=0)
    np.testing.assert_allclose(normal.var(), 2 / 125, rtol=0.1)


def test_initializer_object_is_used_seeded_by_random_state_and_clone_safe():
    X = np.random.RandomState(0).normal(size=(40, 50))
    y = X[:, 0]
    init = keras.initializers.VarianceScaling(
        scale=0.01, mode="fan_in", distribution="uniform", seed=123
    )
    config = init.get_config()
    kernel = _initial_kernel(X, y, kernel_initializer=init, random_state=0)
    np.testing.assert_allclose(kernel.var(), 0.01 / 50, rtol=0.05)
    again = _initial_kernel(X, y, kernel_initializer=init, random_state=0)
    other = _initial_kernel(X, y, kernel_initializer=init, random_state=1)
    np.testing.assert_array_equal(kernel, again)
    assert not np.array_equal(kernel, other)  # random_state decides, not the seed
    assert init.get_config() == config  # the caller's object is untouched
    reg = MLPRegressor(kernel_initializer=init)
    copy = clone(reg).get_params()["kernel_initializer"]
    assert copy is not init and copy.get_config() == config


def test_unserializable_initializer_is_a_clear_error(regression):
    X, y = regression

    class Custom(keras.initializers.Initializer):  # not registered with Keras
        def __call__(self, shape, dtype=None):
            return keras.ops.zeros(shape, dtype=dtype)

    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=1, kernel_initializer=Custom())
    with pytest.raises(ValueError, match="register_keras_serializable"):
        reg.fit(X, y)


# ------------------------------------------------------------------ activations


def test_prelu_learns_a_slope_per_neuron(digits):
    X, y = digits
    clf = MLPClassifier((16,), activation="prelu", max_iter=20, random_state=0)
    clf.set_params(learning_rate_init=0.01).fit(X, y)
    assert ("PReLU", "hidden_1_prelu") in _layers(clf)
    assert clf.engine_ == ("numpy" if TENSORFLOW else "keras")
    slopes = clf.model_.get_layer("hidden_1_prelu").get_weights()[0]
    assert slopes.shape == (16,)
    assert np.abs(slopes).max() > 1e-3  # learned from its zero start
    assert clf.score(X, y) > 0.8


@tensorflow_only
@pytest.mark.parametrize(
    "params",
    [
        {"activation": "leaky_relu", "negative_slope": 0.05},
        {"batch_normalization": "after_activation"},
        {"batch_normalization": "before_activation", "activation": "tanh"},
        {"input_batch_normalization": True},
    ],
    ids=["leaky-slope", "bn-after", "bn-before", "input-bn"],
)
def test_new_layers_train_in_the_fast_loops_as_in_keras(digits, params):
    X, y = digits
    curves, weights = {}, {}
    for engine in ("numpy", "tensorflow", "keras"):
        clf = MLPClassifier(
            (16, 8),
            max_iter=3,
            alpha=0.0,  # (the engines scale the L2 term of a partial batch apart)
            batch_size=100,
            shuffle=False,  # (the compiled loop draws its shuffles from TensorFlow)
            engine=engine,
            dtype="float64",
            random_state=0,
            **params,
        )
        clf.fit(X, y)
        assert clf.engine_ == engine
        curves[engine] = clf.loss_curve_
        weights[engine] = clf.model_.get_weights()
        # the NumPy inference pass computes these layers as Keras does
        np.testing.assert_allclose(
            clf.predict_proba(X[:20]),
            keras.ops.convert_to_numpy(clf.model_(X[:20])),
            rtol=1e-6,
            atol=1e-9,
        )
    # (Keras reports its loss in float32)
    np.testing.assert_allclose(curves["keras"], curves["numpy"], rtol=1e-5)
    for w_keras, w_numpy in zip(weights["keras"], weights["numpy"]):
        np.testing.assert_allclose(w_keras, w_numpy, rtol=1e-4, atol=1e-6)
    for w_compiled, w_numpy in zip(weights["tensorflow"], weights["numpy"]):
        np.testing.assert_allclose(w_compiled, w_numpy, rtol=1e-8, atol=1e-9)
    clf = MLPClassifier((16, 8), max_iter=1, random_state=0, **params).fit(X, y)
    assert clf.engine_ == "numpy"  # engine="auto" keeps the fast loop


def test_leaky_relu_slope_is_the_parameter(digits):
    X, y = digits
    clf = MLPClassifier((8,), activation="leaky_relu", negative_slope=0.01, max_iter=1)
    clf.fit(X, y)
    layer = clf.model_.get_layer("hidden_1_leaky_relu")
    out = keras.ops.convert_to_numpy(layer(np.array([[-2.0, 3.0]])))
    np.testing.assert_allclose(out, [[-0.02, 3.0]], rtol=1e-6)


def test_negative_slope_without_leaky_relu_warns(digits):
    X, y = digits
    clf = MLPClassifier((4,), max_iter=1, negative_slope=0.1)
    messages = _user_warnings(lambda: clf.fit(X, y))
    assert any("negative_slope=0.1 has no effect" in m for m in messages)
    messages = _user_warnings(lambda: clf.set_params(negative_slope=0.2).fit(X, y))
    assert not [m for m in messages if "negative_slope" in m]


def test_selu_is_self_normalising_with_alpha_dropout(digits):
    X, y = digits
    clf = MLPClassifier((16, 16), activation="selu", dropout=0.1, max_iter=2)
    messages = _user_warnings(lambda: clf.fit(X, y))
    assert not [m for m in messages if "self-normalis" in m]  # a sound configuration
    kinds = [kind for kind, _ in _layers(clf)]
    assert kinds.count("AlphaDropout") == 2 and "Dropout" not in kinds
    assert clf.engine_ == ("numpy" if TENSORFLOW else "keras")
    # LeCun normal: variance 1 / fan_in
    kernel = MLPClassifier((200,), activation="selu", max_iter=1, random_state=0)
    kernel.set_params(learning_rate_init=1e-12).fit(X, y)
    np.testing.assert_allclose(kernel.coefs_[0].var(), 1 / 64, rtol=0.1)


@pytest.mark.parametrize(
    "make, match",
    [
        (
            lambda: MLPClassifier(activation="selu", batch_normalization=True),
            "batch_normalization",
        ),
        (
            lambda: MLPClassifier(activation="selu", kernel_initializer="he_normal"),
            "he_normal",
        ),
        (lambda: WideDeepRegressor(activation="selu"), "concatenation"),
    ],
    ids=["batch-norm", "initializer", "wide-deep"],
)
def test_configurations_that_break_self_normalisation_warn(digits, make, match):
    X, y = digits
    estimator = make().set_params(hidden_layer_sizes=(4,), max_iter=1)
    messages = _user_warnings(lambda: estimator.fit(X, y.astype(float)))
    assert [m for m in messages if "breaks it: " in m and match in m]


# ------------------------------------------------------------ batch normalisation


def test_batch_normalization_positions(digits):
    X, y = digits
    before = MLPClassifier((8,), batch_normalization=True, max_iter=2).fit(X, y)
    after = MLPClassifier((8,), batch_normalization="after_activation", max_iter=2).fit(
        X, y
    )
    assert _layers(before)[1:4] == [
        ("Dense", "hidden_1"),
        ("BatchNormalization", "hidden_1_bn"),
        ("Activation", "hidden_1_activation"),
    ]
    assert _layers(after)[1:3] == [
        ("Dense", "hidden_1"),
        ("BatchNormalization", "hidden_1_bn"),
    ]
    assert after.model_.get_layer("hidden_1").activation.__name__ == "relu"
    # after the ReLU the normalised activations are non-negative: so is their mean
    assert (after.model_.get_layer("hidden_1_bn").moving_mean.numpy() >= 0).all()
    assert (before.model_.get_layer("hidden_1_bn").moving_mean.numpy() < 0).any()


def test_input_batch_normalization_learns_the_input_statistics(regression):
    X, y = regression
    X = X * 3 + 5
    reg = MLPRegressor(
        hidden_layer_sizes=(8,),
        input_batch_normalization=True,
        max_iter=40,
        batch_size=10,
    ).fit(X, y)
    bn = reg.model_.get_layer("input_bn")
    np.testing.assert_allclose(bn.moving_mean.numpy(), X.mean(axis=0), rtol=0.1)
    wide = WideDeepRegressor(
        (4,),
        wide_features=[0, 1],
        deep_features=[2, 3, 4],
        input_batch_normalization=True,
        max_iter=1,
    ).fit(X, y)
    names = {name for _, name in _layers(wide)}
    assert {"wide_input_bn", "deep_input_bn"} <= names


# --------------------------------------------------------------- regularisation


def test_max_norm_bounds_each_neurons_incoming_weights(regression):
    X, y = regression
    params = dict(hidden_layer_sizes=(16,), learning_rate_init=0.05, max_iter=30)
    free = MLPRegressor(**params, random_state=0).fit(X, y)
    bounded = MLPRegressor(**params, max_norm=0.5, random_state=0).fit(X, y)
    assert np.linalg.norm(free.coefs_[0], axis=0).max() > 0.6
    norms = np.linalg.norm(bounded.coefs_[0], axis=0)
    assert norms.max() <= 0.5 + 1e-6
    assert bounded.engine_ == ("numpy" if TENSORFLOW else "keras")


def test_l1_drives_kernels_to_zero(regression):
    X, y = regression
    params = dict(
        hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=30, batch_size=10
    )
    plain = MLPRegressor(**params, random_state=0).fit(X, y)
    sparse = MLPRegressor(**params, l1=0.1, random_state=0).fit(X, y)
    assert sparse.engine_ == ("numpy" if TENSORFLOW else "keras")
    assert np.abs(sparse.coefs_[0]).sum() < 0.5 * np.abs(plain.coefs_[0]).sum()
    assert (np.abs(sparse.coefs_[0]) < 0.01).mean() > 0.5
    assert (np.abs(plain.coefs_[0]) < 0.01).mean() < 0.1
    assert sparse.score(X, y) > 0.9


def test_dropout_per_hidden_layer(digits):
    X, y = digits
    clf = MLPClassifier((8, 8, 8), dropout=[0.0, 0.2, 0.5], max_iter=1).fit(X, y)
    rates = {
        layer.name: layer.rate
        for layer in clf.model_.layers
        if type(layer).__name__ == "Dropout"
    }
    assert rates == {"hidden_2_dropout": 0.2, "hidden_3_dropout": 0.5}
    with pytest.raises(ValueError, match="one such rate per hidden layer \\(3 here\\)"):
        clf.set_params(dropout=[0.1, 0.2]).fit(X, y)
    with pytest.raises(ValueError, match="dropout must be a rate"):
        clf.set_params(dropout=[0.1, 0.2, 1.5]).fit(X, y)


@pytest.mark.parametrize("clip", ["clipvalue", "clipnorm"])
@pytest.mark.parametrize("engine", ["keras", "numpy"] if TENSORFLOW else ["keras"])
def test_gradient_clipping_bounds_a_step(regression, clip, engine):
    X, y = regression
    y = y * 100  # large gradients
    params = dict(
        hidden_layer_sizes=(8,),
        solver="sgd",
        momentum=0.0,
        alpha=0.0,
        batch_size=len(y),
        shuffle=False,
        max_iter=1,
        engine=engine,
        random_state=0,
    )
    start = MLPRegressor(**params, learning_rate_init=1e-12).fit(X, y).coefs_
    free = MLPRegressor(**params, learning_rate_init=0.1).fit(X, y).coefs_
    clipped = MLPRegressor(**params, learning_rate_init=0.1, **{clip: 0.01})
    clipped = clipped.fit(X, y).coefs_
    for w0, w_free, w_clip in zip(start, free, clipped):
        step = w_clip - w0
        if clip == "clipvalue":  # every component within 0.1 * 0.01
            assert np.abs(step).max() <= 1e-3 * (1 + 1e-4)
        else:  # each weight's step within 0.1 * 0.01 in norm
            assert np.linalg.norm(step) <= 1e-3 * (1 + 1e-4)
        assert np.abs(w_free - w0).max() > 1e-2


def test_clipping_options_conflict_and_hand_written_loops_name_their_gaps(regression):
    X, y = regression
    with pytest.raises(ValueError, match="clipnorm or clipvalue, not both"):
        MLPRegressor(clipnorm=1.0, clipvalue=1.0, max_iter=1).fit(X, y)
    if TENSORFLOW:
        # the NumPy loop clips and penalises as Keras does; the compiled loop's
        # l1, clipping and constraints have no implementation there
        for engine, option in (
            ("tensorflow", {"l1": 0.1}),
            ("tensorflow", {"clipnorm": 1.0}),
            ("tensorflow", {"clipvalue": 1.0}),
        ):
            reg = MLPRegressor(
                hidden_layer_sizes=(4,), max_iter=1, engine=engine, **option
            )
            with pytest.raises(ValueError, match=f"{next(iter(option))} has no"):
                reg.fit(X, y)
        for option in ({"max_norm": 1.0}, {"activation": "prelu"}):
            reg = MLPRegressor(
                hidden_layer_sizes=(4,), max_iter=1, engine="tensorflow", **option
            )
            with pytest.raises(ValueError, match="constraint"):
                reg.fit(X, y)


# ------------------------------------------------------------------ MC dropout


def test_mc_samples_differ_and_their_mean_is_returned(digits):
    X, y = digits
    clf = MLPClassifier((32,), dropout=0.3, max_iter=5, random_state=0).fit(X, y)
    samples = clf._mc_outputs(X[:10], 8)[0]
    assert samples.shape == (8, 10, 10)
    assert not np.allclose(samples[0], samples[1])
    proba = clf.predict_proba(X[:10], mc_samples=8)
    np.testing.assert_allclose(proba, samples.mean(axis=0))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    labels = clf.predict(X[:10], mc_samples=8)
    np.testing.assert_array_equal(labels, clf.classes_[proba.argmax(axis=1)])
    # seeded by random_state: the same samples on every call
    np.testing.assert_array_equal(proba, clf.predict_proba(X[:10], mc_samples=8))
    assert not np.allclose(proba, clf.predict_proba(X[:10]))


def test_mc_classifier_returns_the_std_of_each_class_probability(digits):
    X, y = digits
    clf = MLPClassifier((16,), dropout=0.3, max_iter=2, random_state=0).fit(X, y)
    python_state = random.getstate()
    numpy_state = np.random.get_state()  # noqa: NPY002 - the global state is the point
    proba, std = clf.predict_proba(X[:10], mc_samples=8, return_std=True)
    samples = clf._mc_outputs(X[:10], 8)[0]
    np.testing.assert_allclose(proba, samples.mean(axis=0))
    np.testing.assert_allclose(std, samples.std(axis=0))
    assert std.shape == (10, 10) and np.all(std > 0)
    again = clf.predict_proba(X[:10], mc_samples=8, return_std=True)  # seeded
    np.testing.assert_array_equal(std, again[1])
    assert random.getstate() == python_state
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state[1])  # noqa: NPY002
    with pytest.raises(ValueError, match="return_std=True needs mc_samples"):
        clf.predict_proba(X[:10], return_std=True)
    # binary: one unit, whose spread both columns share
    binary = MLPClassifier((8,), dropout=0.3, max_iter=2, random_state=0)
    binary.fit(X, y > 4)
    proba, std = binary.predict_proba(X[:5], mc_samples=6, return_std=True)
    samples = binary._mc_outputs(X[:5], 6)[0][:, :, 0]
    np.testing.assert_allclose(std, np.column_stack([samples.std(0)] * 2))


def test_mc_regression_returns_mean_and_std_without_touching_anything(regression):
    X, y = regression
    reg = MLPRegressor(
        hidden_layer_sizes=(32,), dropout=0.3, max_iter=5, random_state=0
    ).fit(X, y)
    weights = [w.copy() for w in reg.model_.get_weights()]
    python_state = random.getstate()
    numpy_state = np.random.get_state()  # noqa: NPY002 - the global state is the point
    mean, std = reg.predict(X[:15], mc_samples=20, return_std=True)
    samples = reg._mc_outputs(X[:15], 20)[0][:, :, 0]
    np.testing.assert_allclose(mean, samples.mean(axis=0))
    np.testing.assert_allclose(std, samples.std(axis=0))
    assert mean.shape == std.shape == (15,) and (std > 0).all()
    assert random.getstate() == python_state
    after = np.random.get_state()  # noqa: NPY002
    np.testing.assert_array_equal(after[1], numpy_state[1])
    for before, after in zip(weights, reg.model_.get_weights()):
        np.testing.assert_array_equal(before, after)


def test_mc_dropout_keeps_batch_norm_in_inference_mode(regression):
    X, y = regression
    # a negligible dropout rate: MC predictions are the plain ones only when batch
    # norm uses its moving statistics (in training mode it would use the batch's)
    reg = MLPRegressor(
        hidden_layer_sizes=(16,),
        dropout=1e-7,
        batch_normalization=True,
        max_iter=5,
        random_state=0,
    ).fit(X + 3, y)
    np.testing.assert_allclose(
        reg.predict(X[:5] + 3, mc_samples=3), reg.predict(X[:5] + 3), rtol=1e-5
    )
    wide = WideDeepRegressor(
        (8,), dropout=0.2, auxiliary_output=True, max_iter=2, random_state=0
    ).fit(X, y)
    assert wide.predict(X[:4], mc_samples=5, return_std=True)[1].shape == (4,)


def test_mc_options_that_cannot_apply_raise(regression):
    X, y = regression
    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="no dropout"):
        reg.predict(X, mc_samples=3)
    with pytest.raises(ValueError, match="return_std=True needs mc_samples"):
        reg.predict(X, return_std=True)
    reg.set_params(dropout=0.2).fit(X, y)
    with pytest.raises(ValueError, match="mc_samples must be a positive integer"):
        reg.predict(X, mc_samples=0)


# ------------------------------------------------------------ transfer learning


def test_reused_layers_are_copies_frozen_then_unfrozen(digits):
    X, y = digits
    task_a, task_b = y < 5, y >= 5
    source = MLPClassifier((16, 8), batch_normalization=True, max_iter=5)
    source.set_params(random_state=0).fit(X[task_a], y[task_a])
    kept = [w.copy() for w in source.model_.get_weights()]
    reused = reuse_layers(source, n_layers=1)
    new = MLPClassifier(
        (16, 8),
        batch_normalization=True,
        init_from=reused,
        max_iter=3,
        warm_start=True,
        random_state=1,
    ).fit(X[task_b], y[task_b])
    # the NumPy loop trains around frozen layers (on TensorFlow's CPU)
    assert new.engine_ == ("numpy" if TENSORFLOW else "keras")
    for name in ("hidden_1", "hidden_1_bn"):  # frozen: bit-identical
        for w_new, w_source in zip(
            new.model_.get_layer(name).get_weights(),
            source.model_.get_layer(name).get_weights(),
        ):
            np.testing.assert_array_equal(w_new, w_source)
    upper = new.coefs_[1].copy()
    assert upper.shape == source.coefs_[1].shape
    assert not np.array_equal(upper, source.coefs_[1])  # not reused: new weights
    # unfreeze, continue at a lower learning rate
    new.set_params(
        init_from=reuse_layers(source, 1, freeze=False), learning_rate_init=1e-4
    ).fit(X[task_b], y[task_b])
    assert not np.array_equal(new.coefs_[0], source.coefs_[0])
    # the source never changed
    for before, after in zip(kept, source.model_.get_weights()):
        np.testing.assert_array_equal(before, after)
    assert clone(new).get_params()["init_from"] is not new.init_from


def test_reuse_layers_errors(digits, regression):
    X, y = digits
    with pytest.raises(ValueError, match="fit it first"):
        reuse_layers(MLPClassifier())
    source = MLPClassifier((8,), max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="n_layers must be an integer from 1 to 1"):
        reuse_layers(source, n_layers=2)
    with pytest.raises(ValueError, match="same number of features"):
        MLPClassifier((9,), init_from=reuse_layers(source), max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="does not have"):
        MLPClassifier((8,), activation="prelu", max_iter=1).set_params(
            init_from=reuse_layers(
                MLPClassifier((8,), activation="prelu", max_iter=1).fit(X, y)
            ),
            activation="relu",
        ).fit(X, y)


# ------------------------------------------------------------------ searchable


def test_options_are_searchable(regression):
    X, y = regression
    search = GridSearchCV(
        MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0),
        {
            "activation": ["prelu", "leaky_relu"],
            "max_norm": [None, 1.0],
            "dropout": [0.0, [0.1]],
        },
        cv=2,
        error_score="raise",
    ).fit(X, y)
    assert set(search.best_params_) == {"activation", "max_norm", "dropout"}
