"""KerasClassifier / KerasRegressor: models, targets, parameters, errors."""

import subprocess
import sys
import textwrap

import joblib
import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_multilabel_classification
from sklearn.model_selection import GridSearchCV

from skdeep.wrappers import KerasClassifier, KerasRegressor


def dense_net(meta, compile_kwargs, hidden=16):
    """Output width and activation from the data; compiled with the wrapper's loss."""
    n_out = meta["n_outputs_expected_"]
    classifier = "classes_" in meta
    if not classifier:
        activation = None
    elif meta["target_type_"] == "multiclass" or (
        meta["target_type_"] == "multilabel-indicator"
        and "categorical" in str(compile_kwargs["loss"])
    ):
        activation = "softmax"
    else:
        activation = "sigmoid"
    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(n_out, activation=activation),
        ]
    )
    model.compile(**compile_kwargs)
    return model


def _clf(**params):
    base = {
        "optimizer": "adam",
        "optimizer__learning_rate": 0.02,
        "epochs": 15,
        "random_state": 0,
    }
    return KerasClassifier(dense_net, **{**base, **params})


# ------------------------------------------------------------------ targets


@pytest.mark.parametrize("kind", ["binary", "multiclass", "strings"])
def test_label_targets(classes3, kind):
    X, y = classes3
    if kind == "binary":
        y = (y == 0).astype(int)
    elif kind == "strings":
        y = np.array(["cat", "dog", "emu"])[y]
    clf = _clf().fit(X, y)
    np.testing.assert_array_equal(clf.classes_, np.unique(y))
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), len(np.unique(y)))
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert clf.predict(X).dtype == np.asarray(y).dtype
    assert clf.score(X, y) > 0.8


def test_classifier_validation_data(classes3):
    X, y = classes3
    clf = _clf(epochs=3, metrics=["accuracy"])
    clf.fit(X[:200], y[:200], validation_data=(X[200:], y[200:]))
    assert len(clf.history_["val_accuracy"]) == 3
    assert 0 <= clf.history_["val_accuracy"][-1] <= 1
    with pytest.raises(ValueError, match="classes not in"):
        _clf().fit(X, y, validation_data=(X[:5], np.full(5, 9)))


def test_one_hot_target_round_trips(classes3):
    X, y = classes3
    one_hot = np.eye(3, dtype=int)[y]
    clf = _clf().fit(X, one_hot)
    assert clf.target_.kind == "categorical"  # softmax + categorical cross-entropy
    predicted = clf.predict(X)
    assert predicted.shape == one_hot.shape
    np.testing.assert_array_equal(predicted.sum(axis=1), 1)
    assert clf.score(X, one_hot) > 0.8


def test_multilabel_target():
    X, Y = make_multilabel_classification(n_samples=200, n_classes=3, random_state=0)
    clf = _clf(epochs=30).fit(X, Y)
    assert clf.target_.kind == "binary"
    assert clf.predict(X).shape == Y.shape
    assert clf.predict_proba(X).shape == Y.shape
    assert ((clf.predict(X) == Y).mean()) > 0.7


def test_two_softmax_units_for_a_binary_target(classes3):
    X, y = classes3
    y = (y == 0).astype(int)

    def two_units(meta):
        return keras.Sequential(
            [keras.Input((meta["n_features_in_"],)), keras.layers.Dense(2, "softmax")]
        )

    clf = KerasClassifier(
        two_units,
        optimizer="adam",
        optimizer__learning_rate=0.05,
        epochs=10,
        random_state=0,
    ).fit(X, y)
    assert clf.target_.kind == "sparse"
    assert clf.predict_proba(X).shape == (len(X), 2)
    assert clf.score(X, y) > 0.8


def test_logits_output_gives_probabilities(classes3):
    X, y = classes3

    def logits(meta):
        return keras.Sequential(
            [keras.Input((meta["n_features_in_"],)), keras.layers.Dense(3)]
        )

    clf = KerasClassifier(
        logits,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        epochs=10,
        random_state=0,
    ).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.min() >= 0
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_regressor_outputs(housing, n_outputs):
    X, y = housing
    Y = y if n_outputs == 1 else np.column_stack([y, -y])
    reg = KerasRegressor(
        dense_net,
        optimizer="adam",
        optimizer__learning_rate=0.02,
        epochs=20,
        random_state=0,
    ).fit(X, Y)
    assert reg.predict(X).shape == Y.shape
    assert reg.score(X, Y) > 0.7


# ------------------------------------------------------------------ models


def _functional_wide_deep(meta, compile_kwargs):
    """The book's first Wide & Deep model (one input, a concatenate)."""
    input_ = keras.layers.Input(shape=(meta["n_features_in_"],))
    hidden1 = keras.layers.Dense(30, activation="relu")(input_)
    hidden2 = keras.layers.Dense(30, activation="relu")(hidden1)
    concat = keras.layers.Concatenate()([input_, hidden2])
    output = keras.layers.Dense(1)(concat)
    model = keras.Model(inputs=[input_], outputs=[output])
    model.compile(**compile_kwargs)
    return model


class WideAndDeepModel(keras.Model):
    """The book's subclassed Wide & Deep model, on one input."""

    def __init__(self, units=30, activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.hidden1 = keras.layers.Dense(units, activation=activation)
        self.hidden2 = keras.layers.Dense(units, activation=activation)
        self.main_output = keras.layers.Dense(1)

    def call(self, inputs):
        input_A, input_B = inputs[:, :5], inputs[:, 2:]
        hidden1 = self.hidden1(input_B)
        hidden2 = self.hidden2(hidden1)
        concat = keras.layers.concatenate([input_A, hidden2])
        return self.main_output(concat)


def test_functional_model(housing):
    X, y = housing
    reg = KerasRegressor(
        _functional_wide_deep, optimizer="adam", epochs=20, random_state=0
    ).fit(X, y)
    assert reg.score(X, y) > 0.7


def test_subclassed_model_class_with_routed_arguments(housing):
    X, y = housing
    reg = KerasRegressor(
        WideAndDeepModel,
        model__units=12,
        loss="mse",
        optimizer="adam",
        epochs=40,
        random_state=0,
    ).fit(X, y)
    assert reg.model_.hidden1.units == 12
    assert reg.score(X, y) > 0.7


def test_model_instance_is_cloned_per_fit(housing):
    X, y = housing
    user_model = _functional_wide_deep(
        {"n_features_in_": 8}, {"loss": "mse", "optimizer": "adam"}
    )
    before = [w.copy() for w in user_model.get_weights()]
    reg = KerasRegressor(user_model, epochs=2, random_state=0)
    first = reg.fit(X, y).model_
    second = clone(reg).fit(X, y).model_
    assert first is not user_model and second is not first
    for a, b in zip(before, user_model.get_weights()):
        np.testing.assert_array_equal(a, b)  # the caller's model is untouched


def test_subclassed_instance_without_config_is_refused(housing):
    X, y = housing
    with pytest.raises(ValueError, match="Pass the class and its arguments"):
        KerasRegressor(WideAndDeepModel(units=12), loss="mse").fit(X, y)


# ------------------------------------------------------------------ parameters


def test_routed_optimizer_and_loss_parameters(classes3):
    X, y = classes3
    clf = _clf(
        optimizer="sgd",
        optimizer__learning_rate=0.05,
        optimizer__momentum=0.9,
        loss="sparse_categorical_crossentropy",
        loss__from_logits=False,
        epochs=1,
    ).fit(X, y)
    optimizer = clf.model_.optimizer
    assert isinstance(optimizer, keras.optimizers.SGD)
    assert optimizer.momentum == pytest.approx(0.9)
    assert float(keras.ops.convert_to_numpy(optimizer.learning_rate)) == pytest.approx(
        0.05
    )


def test_callbacks_are_copied_per_fit_and_called_once_per_epoch(classes3):
    X, y = classes3

    class Counter(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epochs = 0

        def on_epoch_end(self, epoch, logs=None):
            self.epochs += 1

    counter = Counter()
    clf = _clf(callbacks=[counter], epochs=4)
    search = GridSearchCV(clf, {"model__hidden": [4, 8]}, cv=2).fit(X, y)
    assert counter.epochs == 0  # the parameter's callback was copied, never used
    assert search.best_estimator_.history_["loss"].__len__() == 4

    direct = Counter()
    clf.fit(X, y, callbacks=[direct])  # fit's own callbacks are used as given
    assert direct.epochs == 4


def test_warm_start_and_partial_fit_continue_training(classes3):
    X, y = classes3
    clf = _clf(warm_start=True, epochs=2).fit(X, y)
    model = clf.model_
    clf.fit(X, y)
    assert clf.model_ is model
    assert clf.current_epoch_ == 4 and len(clf.history_["loss"]) == 4

    partial = _clf()
    for _ in range(3):
        partial.partial_fit(X[:100], y[:100], classes=[0, 1, 2])
    assert partial.current_epoch_ == 3
    with pytest.raises(ValueError, match="classes not in"):
        partial.partial_fit(X, np.full(len(X), 7))


def test_class_weight_changes_the_fit(classes3):
    X, y = classes3
    plain = _clf(epochs=3).fit(X, y).predict_proba(X)
    weighted = _clf(epochs=3, class_weight={0: 10.0}).fit(X, y).predict_proba(X)
    assert weighted[:, 0].mean() > plain[:, 0].mean()


def test_random_state_reproducible(classes3):
    X, y = classes3
    a = _clf(epochs=2).fit(X, y).predict_proba(X)
    b = _clf(epochs=2).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    c = _clf(epochs=2, random_state=1).fit(X, y).predict_proba(X)
    assert not np.allclose(a, c)


# ------------------------------------------------------------------ errors


def test_build_function_returning_no_model(classes3):
    X, y = classes3
    with pytest.raises(TypeError, match="must return a keras.Model"):
        KerasClassifier(lambda: "not a model").fit(X, y)


def test_build_function_that_raises_names_itself(classes3):
    X, y = classes3

    def broken(meta):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom") as info:
        KerasClassifier(broken).fit(X, y)
    assert "build function broken" in "".join(getattr(info.value, "__notes__", []))


def test_output_width_that_does_not_fit_the_target(classes3):
    X, y = classes3

    def five(meta):
        return keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, "softmax")])

    with pytest.raises(ValueError, match="output has 5 units, but the target has 3"):
        KerasClassifier(five).fit(X, y)


def test_unknown_routed_parameter(classes3):
    X, y = classes3
    with pytest.raises(ValueError, match="Unknown optimizer parameters"):
        _clf(optimizer__not_a_parameter=1).fit(X, y)
    with pytest.raises(ValueError, match="Invalid parameter 'nonsense'"):
        _clf().set_params(nonsense=1)
    with pytest.raises(ValueError, match="Unknown fit arguments"):
        _clf().fit(X, y, not_a_fit_argument=True)


def test_nan_input(classes3):
    X, y = classes3
    X = X.copy()
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        _clf().fit(X, y)


def test_missing_build_argument(classes3):
    X, y = classes3

    def needs(meta, width):
        return None

    with pytest.raises(ValueError, match=r"needs \['width'\]"):
        KerasClassifier(needs).fit(X, y)


# ------------------------------------------------------------------ persistence


def test_joblib_round_trip_in_a_fresh_process(classes3, tmp_path):
    X, y = classes3
    from skdeep.utils._testing import build_test_model  # importable in a new process

    clf = KerasClassifier(
        build_test_model,
        optimizer="adam",
        epochs=3,
        random_state=0,
    )
    clf.fit(X, y)
    path = tmp_path / "model.joblib"
    joblib.dump(clf, path)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "expected.npy", clf.predict_proba(X))
    code = textwrap.dedent(
        f"""
        import joblib, numpy as np
        clf = joblib.load({str(path)!r})
        X = np.load({str(tmp_path / "X.npy")!r})
        expected = np.load({str(tmp_path / "expected.npy")!r})
        np.testing.assert_array_equal(clf.predict_proba(X), expected)
        print("identical")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "identical" in result.stdout


# ------------------------------------------------------------------ defaults


def test_default_epochs_train_until_the_loss_stalls(classes3):
    """epochs="auto": scikit-learn's MLP rule (at most 200 epochs, stop once the
    training loss has not improved by 1e-4 for 10 epochs); an int is exact."""
    X, y = classes3
    auto = KerasClassifier(dense_net, optimizer="adam", random_state=0)
    auto.set_params(optimizer__learning_rate=0.05)
    auto.fit(X, y)
    losses = np.array(auto.history_["loss"])
    assert 10 < len(losses) < 200  # stopped by the rule, not by the cap
    best = losses[:-10].min()
    assert np.all(losses[-10:] > best - 1e-4)  # ten epochs without improvement
    assert auto.score(X, y) > 0.9

    exact = clone(auto).set_params(epochs=3).fit(X, y)  # an int: exactly that many
    assert len(exact.history_["loss"]) == 3


def _require_float64():
    if keras.backend.backend() == "jax":
        import jax

        if not jax.config.jax_enable_x64:
            pytest.skip("JAX without jax_enable_x64 has no float64 networks")


def test_float64_network_trains_on_a_float64_loss():
    """Keras computes compiled losses in float32 (floatx) unless told; the wrapper
    compiles a float64 network's loss in float64."""
    from skdeep.utils._testing import build_test_model

    _require_float64()
    rng = np.random.RandomState(42)
    X, y = rng.rand(15, 6), rng.rand(15)
    reg = KerasRegressor(build_test_model, epochs=2, random_state=0).fit(X, y)
    loss = reg.model_.compute_loss(X, y[:, None], reg.model_(X))
    assert keras.backend.standardize_dtype(loss.dtype) == "float64"


@pytest.mark.skipif(
    keras.backend.backend() not in ("tensorflow", "jax"),
    reason="model.fit (this backend's only loop) casts sample weights to float32",
)
def test_float64_weights_and_repeats_train_the_same_network():
    """With a float64 loss, integer sample weights and repeated rows train the same
    network to float64 round-off (scikit-learn's sample-weight equivalence)."""
    from skdeep.utils._testing import build_test_model

    _require_float64()
    rng = np.random.RandomState(42)
    X, y = rng.rand(15, 6), rng.rand(15)
    weights = rng.randint(0, 4, size=15)
    params = dict(epochs=40, random_state=0, optimizer="adam")
    weighted = KerasRegressor(build_test_model, **params)
    weighted.fit(X, y, sample_weight=weights)
    repeated = KerasRegressor(build_test_model, **params)
    repeated.fit(X.repeat(weights, axis=0), y.repeat(weights))
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-11)


def test_random_state_holds_while_another_thread_draws_from_random(classes3):
    """Keras seeds unseeded layers from Python's process-wide ``random``; a thread
    drawing from it meanwhile (a Dask worker's event loop) must not move them."""
    import random
    import threading

    X, y = classes3
    expected = _clf(epochs=1).fit(X, y).predict_proba(X)
    stop = threading.Event()

    def draw():
        while not stop.is_set():
            random.random()

    thread = threading.Thread(target=draw)
    thread.start()
    try:
        results = [_clf(epochs=1).fit(X, y).predict_proba(X) for _ in range(2)]
    finally:
        stop.set()
        thread.join()
    for result in results:
        np.testing.assert_array_equal(result, expected)
