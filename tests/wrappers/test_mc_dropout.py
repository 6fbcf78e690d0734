"""Layers that run in training mode at inference (the book's MCDropout) and Monte
Carlo dropout through ``mc_samples``, on every backend (issue 24, point 4)."""

import keras
import numpy as np
import pytest

from skdeep.wrappers import KerasClassifier, KerasRegressor


class MCDropout(keras.layers.Dropout):
    """Hands-On ML ch. 11."""

    def call(self, inputs):
        return super().call(inputs, training=True)


def _net(dropout, n_out, activation=None, batch_norm=False):
    def build(meta):
        layers = [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(32, activation="relu"),
            dropout(0.3),
        ]
        if batch_norm:
            layers.append(keras.layers.BatchNormalization())
        layers.append(keras.layers.Dense(n_out, activation=activation))
        return keras.Sequential(layers)

    return build


def _variables(model):
    return [keras.ops.convert_to_numpy(v) for v in model.variables]


def test_training_mode_layer_varies_at_every_predict(classes3):
    """As plain Keras's ``model.predict``: each call draws new dropout masks."""
    X, y = classes3
    clf = KerasClassifier(_net(MCDropout, 3, "softmax"), epochs=2, random_state=0)
    clf.fit(X, y)
    first, second = clf.predict_proba(X[:20]), clf.predict_proba(X[:20])
    assert not np.allclose(first, second)
    np.testing.assert_allclose(first.sum(axis=1), 1, rtol=1e-5)


def test_classifier_mc_samples_mean_and_per_class_std(classes3):
    X, y = classes3
    clf = KerasClassifier(
        _net(keras.layers.Dropout, 3, "softmax", batch_norm=True),
        optimizer="adam",
        epochs=10,
        random_state=0,
    ).fit(X, y)
    plain = clf.predict_proba(X)
    before = _variables(clf.model_)
    mean, std = clf.predict_proba(X, mc_samples=20, return_std=True)
    assert mean.shape == std.shape == (len(X), 3)
    np.testing.assert_allclose(mean.sum(axis=1), 1, rtol=1e-5)
    assert np.all(std >= 0) and std.max() > 0
    again, again_std = clf.predict_proba(X, mc_samples=20, return_std=True)
    np.testing.assert_array_equal(mean, again)  # seeded by random_state
    np.testing.assert_array_equal(std, again_std)
    # the model (moving statistics, seed states) is unchanged
    for a, b in zip(before, _variables(clf.model_)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(clf.predict_proba(X), plain)
    labels = clf.predict(X, mc_samples=20)
    np.testing.assert_array_equal(labels, clf.classes_[mean.argmax(axis=1)])
    assert (labels == y).mean() > 0.8
    other = clf.set_params(random_state=1).predict_proba(X, mc_samples=20)
    assert not np.array_equal(other, mean)


def test_regressor_mc_samples_and_global_state(housing):
    import random

    X, y = housing
    reg = KerasRegressor(_net(MCDropout, 1), loss="mse", epochs=5, random_state=0).fit(
        X, y
    )
    # the global generators, which the draws must leave alone
    python_state = random.getstate()
    numpy_state = np.random.get_state()  # noqa: NPY002
    mean, std = reg.predict(X, mc_samples=10, return_std=True)
    assert mean.shape == std.shape == (len(X),)
    assert std.min() > 0
    assert random.getstate() == python_state
    assert np.array_equal(np.random.get_state()[1], numpy_state[1])  # noqa: NPY002
    with pytest.raises(ValueError, match="needs mc_samples"):
        reg.predict(X, return_std=True)
    with pytest.raises(ValueError, match="at least 1"):
        reg.predict(X, mc_samples=0)
