"""A user's own Keras model, kept faithfully: a model instance is used as given
(weights, frozen flags, optimizer) and a fitted wrapper's file loads back in a fresh
process or is refused when written (issue 24, points 1 and 3)."""

import pickle
import subprocess
import sys
import textwrap

import joblib
import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import cross_val_score

import skdeep
from skdeep.wrappers import KerasClassifier, KerasRegressor

# The book's custom classes (Hands-On ML ch. 10-11), as a user's importable module.
BOOK_MODULE = """
import keras


class MCDropout(keras.layers.Dropout):
    def call(self, inputs):
        return super().call(inputs, training=True)


@keras.saving.register_keras_serializable(package="book")
class RegisteredMCDropout(keras.layers.Dropout):
    def call(self, inputs):
        return super().call(inputs, training=True)


def scaled_mse(y_true, y_pred):
    return keras.ops.mean(keras.ops.square(y_true - y_pred)) * 2.0


class WideAndDeepModel(keras.Model):
    def __init__(self, units=30, activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.hidden1 = keras.layers.Dense(units, activation=activation)
        self.hidden2 = keras.layers.Dense(units, activation=activation)
        self.main_output = keras.layers.Dense(1)

    def call(self, inputs):
        input_A, input_B = inputs[:, :5], inputs[:, 2:]
        hidden2 = self.hidden2(self.hidden1(input_B))
        return self.main_output(keras.layers.concatenate([input_A, hidden2]))


@keras.saving.register_keras_serializable(package="book")
class MyDense(keras.layers.Layer):  # the book's ch. 12 layer, with its own build
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, batch_input_shape):
        self.kernel = self.add_weight(
            name="kernel", shape=[batch_input_shape[-1], self.units],
            initializer="glorot_normal")
        self.bias = self.add_weight(
            name="bias", shape=[self.units], initializer="zeros")

    def call(self, X):
        return self.activation(X @ self.kernel + self.bias)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": keras.activations.serialize(self.activation)}


def my_dense_model(n_features=8):
    model = keras.Sequential(
        [keras.Input((n_features,)), MyDense(16, "relu"), MyDense(1)])
    model.compile(loss="mse", optimizer="adam")
    return model


def mc_model(layer_class, n_features=8):
    model = keras.Sequential([
        keras.Input((n_features,)),
        keras.layers.Dense(16, activation="relu"),
        layer_class(rate=0.3),
        keras.layers.Dense(1),
    ])
    model.compile(loss=scaled_mse, optimizer="adam")
    return model
"""


@pytest.fixture
def book(tmp_path, monkeypatch):
    """The book's classes as an importable module ``book_layers`` (fresh per test:
    the registration decorator runs once per import)."""
    (tmp_path / "book_layers.py").write_text(BOOK_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "book_layers", raising=False)
    import book_layers

    yield book_layers
    sys.modules.pop("book_layers", None)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype("float32"), y


def _trained_sequential(X, y, n_classes):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((X.shape[1],)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(n_classes, activation="softmax"),
        ]
    )
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    model.fit(X, y, epochs=3, verbose=0)
    return model


# ------------------------------------------------------------------ point 1


def test_instance_keeps_its_weights_frozen_flags_and_optimizer(digits):
    """The issue's reproduction: a trained Sequential, first layer frozen, wrapped
    and fitted: the frozen kernel stays bit-identical, in clones and search folds
    too, and the user's instance is never trained in place."""
    X, y = digits
    model = _trained_sequential(X, y, 10)
    model.layers[0].trainable = False
    model.compile(
        loss="sparse_categorical_crossentropy",
        optimizer=keras.optimizers.SGD(learning_rate=0.003, momentum=0.5),
    )
    frozen = model.layers[0].get_weights()[0].copy()
    head = model.layers[1].get_weights()[0].copy()

    clf = KerasClassifier(model, epochs=1, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.model_.layers[0].get_weights()[0], frozen)
    assert not clf.model_.layers[0].trainable
    assert not np.array_equal(clf.model_.layers[1].get_weights()[0], head)
    optimizer = clf.model_.optimizer
    assert isinstance(optimizer, keras.optimizers.SGD)
    assert float(optimizer.momentum) == pytest.approx(0.5)
    assert clf.score(X, y) > 0.8  # trained on, not re-initialised

    again = clone(clf)
    assert again.model is model  # shared: each fit copies it, none changes it
    again.fit(X, y)
    np.testing.assert_array_equal(again.model_.layers[0].get_weights()[0], frozen)
    scores = cross_val_score(clf, X, y, cv=2)
    assert scores.min() > 0.7
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], frozen)
    np.testing.assert_array_equal(model.layers[1].get_weights()[0], head)


def test_instance_keeps_its_optimizer_state(digits):
    X, y = digits
    model = _trained_sequential(X, y, 10)  # compiled with adam, trained 3 epochs
    steps = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    assert steps > 0
    clf = KerasClassifier(model, epochs=1, batch_size=len(X), random_state=0)
    clf.fit(X, y)
    iterations = clf.model_.optimizer.iterations
    assert int(keras.ops.convert_to_numpy(iterations)) == steps + 1


def test_book_transfer_learning_listing(digits):
    """Hands-On ML ch. 11, verbatim but for the wrapper: model B reuses model A's
    layers, frozen for a few epochs, then unfrozen and recompiled; through the
    wrapper it reaches plain Keras's accuracy and the frozen fit keeps the reused
    weights bit-identical."""
    X, y = digits
    task_a = y < 8
    X_A, y_A = X[task_a], y[task_a]
    X_B, y_B = X[~task_a][:60], (y[~task_a][:60] == 9).astype(int)
    X_B_test, y_B_test = X[~task_a][60:], (y[~task_a][60:] == 9).astype(int)
    model_A = _trained_sequential(X_A, y_A, 8)

    def run(fit):
        keras.utils.set_random_seed(42)
        model_A_clone = keras.models.clone_model(model_A)
        model_A_clone.set_weights(model_A.get_weights())
        model_B_on_A = keras.Sequential(model_A_clone.layers[:-1])
        model_B_on_A.add(keras.layers.Dense(1, activation="sigmoid"))
        for layer in model_B_on_A.layers[:-1]:
            layer.trainable = False
        optimizer = keras.optimizers.SGD(learning_rate=0.1)
        model_B_on_A.compile(
            loss="binary_crossentropy", optimizer=optimizer, metrics=["accuracy"]
        )
        return fit(model_B_on_A)

    reused = model_A.layers[0].get_weights()[0]

    def plain(model):
        model.fit(X_B, y_B, epochs=4, verbose=0, shuffle=False)
        np.testing.assert_array_equal(model.layers[0].get_weights()[0], reused)
        for layer in model.layers[:-1]:
            layer.trainable = True
        model.compile(
            loss="binary_crossentropy",
            optimizer=keras.optimizers.SGD(learning_rate=0.1),
            metrics=["accuracy"],
        )
        model.fit(X_B, y_B, epochs=16, verbose=0, shuffle=False)
        return model.evaluate(X_B_test, y_B_test, verbose=0)[1]

    def wrapped(model):
        clf = KerasClassifier(model, epochs=4, shuffle=False, random_state=0)
        clf.fit(X_B, y_B)
        np.testing.assert_array_equal(clf.model_.layers[0].get_weights()[0], reused)
        for layer in clf.model_.layers[:-1]:
            layer.trainable = True
        clf.model_.compile(
            loss="binary_crossentropy",
            optimizer=keras.optimizers.SGD(learning_rate=0.1),
            metrics=["accuracy"],
        )
        clf.set_params(warm_start=True, epochs=16).fit(X_B, y_B)
        return clf.score(X_B_test, y_B_test)

    plain_accuracy = run(plain)
    wrapped_accuracy = run(wrapped)
    assert wrapped_accuracy > 0.8
    assert wrapped_accuracy == pytest.approx(plain_accuracy, abs=0.05)


# ------------------------------------------------------------------ point 3


def _fresh_process_predicts(path, X, expected, tmp_path, compare="predict"):
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "expected.npy", expected)
    code = textwrap.dedent(
        f"""
        import joblib, numpy as np
        est = joblib.load({str(path)!r})
        X = np.load({str(tmp_path / "X.npy")!r})
        expected = np.load({str(tmp_path / "expected.npy")!r})
        got = {"est.predict(X)" if compare == "predict" else compare}
        np.testing.assert_array_equal(got, expected)
        print("identical")
        """
    )
    env_path = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env={**__import__("os").environ, "PYTHONPATH": env_path},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "identical" in result.stdout


@pytest.mark.parametrize("layer", ["MCDropout", "RegisteredMCDropout"])
def test_custom_layer_and_loss_round_trip_in_a_fresh_process(
    book, housing, tmp_path, layer
):
    """The book's MCDropout (registered or not) and a custom loss: the file loads
    in a fresh process that never imported the user's module itself."""
    X, y = housing
    reg = KerasRegressor(
        book.mc_model(getattr(book, layer)), epochs=2, random_state=0
    ).fit(X, y)
    path = tmp_path / "reg.joblib"
    joblib.dump(reg, path)
    weights = np.concatenate([w.ravel() for w in reg.model_.get_weights()])
    _fresh_process_predicts(
        path,
        X,
        weights,
        tmp_path,
        compare="np.concatenate([w.ravel() for w in est.model_.get_weights()])",
    )
    assert type(pickle.loads(pickle.dumps(reg)).model_.layers[1]).__name__ == layer


def test_a_custom_layer_with_its_own_build_method_pickles(book, housing):
    """Keras wraps a layer's ``build`` in an instance attribute; the check of what a
    file can load back took that wrapper for a function of the user's and refused
    every custom layer with a ``build`` method (the book's ``MyDense``)."""
    X, y = housing
    reg = KerasRegressor(book.my_dense_model(), epochs=1, random_state=0).fit(X, y)
    loaded = pickle.loads(pickle.dumps(reg))
    assert type(loaded.model_.layers[0]).__name__ == "MyDense"
    np.testing.assert_allclose(loaded.predict(X), reg.predict(X), rtol=1e-6)


def test_unloadable_models_are_refused_when_written(book, housing, tmp_path):
    X, y = housing

    class LocalDropout(keras.layers.Dropout):  # no module can import it
        pass

    local = KerasRegressor(book.mc_model(LocalDropout), epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="(?s)LocalDropout.*defined inside a function"):
        pickle.dumps(local)
    with pytest.raises(ValueError, match="register_keras_serializable"):
        skdeep.save(local, tmp_path / "local.skops")
    assert not (tmp_path / "local.skops").exists()

    # the book's subclassed model has no get_config: it would not load back
    wide_deep = KerasRegressor(book.WideAndDeepModel, model__units=8, loss="mse")
    wide_deep.set_params(epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="(?s)would not load back.*get_config"):
        joblib.dump(wide_deep, tmp_path / "wide_deep.joblib")

    def lambda_model():
        inputs = keras.Input((8,))
        hidden = keras.layers.Lambda(lambda t: t * 2)(inputs)
        return keras.Model(inputs, keras.layers.Dense(1)(hidden))

    with_lambda = KerasRegressor(lambda_model, loss="mse", epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="(?s)would not load back.*Lambda"):
        pickle.dumps(with_lambda)


def test_skdeep_save_names_the_custom_objects_to_trust(book, housing, tmp_path):
    X, y = housing
    reg = KerasRegressor(book.mc_model(book.MCDropout), epochs=1, random_state=0)
    reg.fit(X, y)
    path = tmp_path / "reg.skops"
    with pytest.raises(TypeError, match="book_layers.MCDropout"):
        skdeep.save(reg, path)
    trusted = ["book_layers.MCDropout", "book_layers.scaled_mse"]
    skdeep.save(reg, path, trusted=trusted)
    loaded = skdeep.load(path, trusted=trusted)
    for a, b in zip(loaded.model_.get_weights(), reg.model_.get_weights()):
        np.testing.assert_array_equal(a, b)
