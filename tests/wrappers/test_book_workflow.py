"""Hands-On ML ch. 10's scikit-learn workflow, verbatim but for the import."""

import keras
import numpy as np
import pytest
from scipy.stats import reciprocal
from sklearn.base import is_classifier, is_regressor
from sklearn.model_selection import RandomizedSearchCV, train_test_split

from skdeep.wrappers import KerasClassifier, KerasRegressor


def build_model(n_hidden=1, n_neurons=30, learning_rate=3e-3, input_shape=[8]):  # noqa: B006 - the book's code
    model = keras.models.Sequential()
    model.add(keras.layers.InputLayer(shape=input_shape))
    for layer in range(n_hidden):  # noqa: B007 - the book's code
        model.add(keras.layers.Dense(n_neurons, activation="relu"))
    model.add(keras.layers.Dense(1))
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate)
    model.compile(loss="mse", optimizer=optimizer)
    return model


def test_estimator_types():
    assert is_regressor(KerasRegressor(build_model))
    assert is_classifier(KerasClassifier(build_model))


def test_single_fit_with_validation_data_and_early_stopping(housing):
    X, y = housing
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, random_state=42)
    keras_reg = KerasRegressor(build_model, random_state=0)
    keras_reg.fit(
        X_train,
        y_train,
        epochs=40,
        validation_data=(X_valid, y_valid),
        callbacks=[keras.callbacks.EarlyStopping(patience=10)],
    )
    assert len(keras_reg.history_["loss"]) == 40
    assert len(keras_reg.history_["val_loss"]) == 40
    assert keras_reg.history_["loss"][-1] < keras_reg.history_["loss"][0]
    mse_test = np.mean((keras_reg.predict(X_valid) - y_valid) ** 2)
    assert mse_test < np.var(y_valid)
    assert keras_reg.score(X_valid, y_valid) > 0.5  # R², not the negative loss


@pytest.mark.parametrize("routed", [False, True], ids=["bare-names", "model__names"])
def test_randomized_search(housing, routed):
    X, y = housing
    prefix = "model__" if routed else ""
    param_distribs = {
        f"{prefix}n_hidden": [0, 1, 2, 3],
        f"{prefix}n_neurons": np.arange(1, 100),
        f"{prefix}learning_rate": reciprocal(3e-4, 3e-2),
    }
    keras_reg = KerasRegressor(build_model, epochs=3, random_state=0)
    rnd_search_cv = RandomizedSearchCV(
        keras_reg, param_distribs, n_iter=2, cv=2, random_state=0
    )
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, random_state=42)
    rnd_search_cv.fit(
        X_train,
        y_train,
        epochs=3,
        validation_data=(X_valid, y_valid),
        callbacks=[keras.callbacks.EarlyStopping(patience=10)],
    )
    best = rnd_search_cv.best_params_
    model = rnd_search_cv.best_estimator_.model_
    assert isinstance(model, keras.Model)
    hidden = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert len(hidden) == best[f"{prefix}n_hidden"] + 1
    if best[f"{prefix}n_hidden"]:
        assert hidden[0].units == best[f"{prefix}n_neurons"]
    lr = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    assert lr == pytest.approx(best[f"{prefix}learning_rate"], rel=1e-6)


def test_clone_keeps_build_arguments():
    from sklearn.base import clone

    reg = KerasRegressor(build_model, n_hidden=3, model__n_neurons=7)
    params = clone(reg).get_params()
    assert params["n_hidden"] == 3
    assert params["model__n_neurons"] == 7
    assert params["learning_rate"] == 3e-3  # the build function's default
