"""Models with several inputs and outputs: the book's ch. 10 functional listings
(two inputs, an auxiliary output) and its subclassed WideAndDeepModel through the
wrappers, X and y as tuples, lists or dicts, and the declared split of one table
that scikit-learn's tools can index (issue 24, point 2)."""

import keras
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdeep.wrappers import KerasClassifier, KerasRegressor

WIDE, DEEP = list(range(5)), list(range(2, 8))


def two_inputs(n_neurons=30):
    """The book's Wide & Deep with two inputs (ch. 10)."""
    input_A = keras.layers.Input(shape=[5], name="wide_input")
    input_B = keras.layers.Input(shape=[6], name="deep_input")
    hidden1 = keras.layers.Dense(n_neurons, activation="relu")(input_B)
    hidden2 = keras.layers.Dense(n_neurons, activation="relu")(hidden1)
    concat = keras.layers.concatenate([input_A, hidden2])
    output = keras.layers.Dense(1, name="output")(concat)
    return keras.Model(inputs=[input_A, input_B], outputs=[output])


def auxiliary_output():
    """The book's version with an auxiliary output, compiled as printed."""
    input_A = keras.layers.Input(shape=[5], name="wide_input")
    input_B = keras.layers.Input(shape=[6], name="deep_input")
    hidden1 = keras.layers.Dense(30, activation="relu")(input_B)
    hidden2 = keras.layers.Dense(30, activation="relu")(hidden1)
    concat = keras.layers.concatenate([input_A, hidden2])
    output = keras.layers.Dense(1, name="main_output")(concat)
    aux_output = keras.layers.Dense(1, name="aux_output")(hidden2)
    model = keras.Model(inputs=[input_A, input_B], outputs=[output, aux_output])
    model.compile(
        loss=["mse", "mse"],
        loss_weights=[0.9, 0.1],
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        metrics=[["mae"], ["mae"]],
    )
    return model


class WideAndDeepModel(keras.Model):
    """The book's subclassed model (two inputs, two outputs)."""

    def __init__(self, units=30, activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.hidden1 = keras.layers.Dense(units, activation=activation)
        self.hidden2 = keras.layers.Dense(units, activation=activation)
        self.main_output = keras.layers.Dense(1)
        self.aux_output = keras.layers.Dense(1)

    def call(self, inputs):
        input_A, input_B = inputs
        hidden1 = self.hidden1(input_B)
        hidden2 = self.hidden2(hidden1)
        concat = keras.layers.concatenate([input_A, hidden2])
        main_output = self.main_output(concat)
        aux_output = self.aux_output(hidden2)
        return main_output, aux_output


def _reg(model, **params):
    base = dict(loss="mse", optimizer="adam", epochs=10, random_state=0)
    return KerasRegressor(model, **{**base, **params})


def test_two_inputs_as_tuple_list_and_dict(housing):
    X, y = housing
    X_A, X_B = X[:, WIDE], X[:, DEEP]
    reg = _reg(two_inputs).fit((X_A, X_B), y)
    assert reg.score((X_A, X_B), y) > 0.6
    expected = reg.predict([X_A, X_B])
    assert expected.shape == (len(X),)
    by_name = {"deep_input": X_B, "wide_input": X_A}  # matched by name, any order
    np.testing.assert_allclose(reg.predict(by_name), expected, rtol=1e-5)
    assert reg.input_shapes_ == [(5,), (6,)]
    with pytest.raises(ValueError, match="different numbers of rows"):
        reg.predict((X_A, X_B[:10]))
    with pytest.raises(ValueError, match="keys"):
        reg.predict({"wide_input": X_A, "other": X_B})
    with pytest.raises(ValueError, match="fitted on several inputs"):
        reg.predict(X)
    with pytest.raises(ValueError, match="different numbers of rows"):
        _reg(two_inputs).fit((X_A, X_B), y[:-1])


def test_declared_split_works_in_scikit_learn_tools(housing):
    X, y = housing
    reg = _reg(two_inputs, input_features=[WIDE, DEEP], optimizer__learning_rate=0.01)
    scores = cross_val_score(make_pipeline(StandardScaler(), reg), X, y, cv=2)
    assert np.all(scores > 0.3)
    search = GridSearchCV(
        reg,
        {"model__n_neurons": [4, 8], "input_features": [[WIDE, DEEP]]},
        cv=2,
    ).fit(X, y)
    assert search.best_estimator_.n_features_in_ == 8
    with pytest.raises(ValueError, match="already split"):
        reg.fit((X[:, WIDE], X[:, DEEP]), y)


def test_declared_split_by_column_names(housing):
    pd = pytest.importorskip("pandas")
    X, y = housing
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(8)])
    features = {
        "wide_input": [f"f{i}" for i in WIDE],
        "deep_input": [f"f{i}" for i in DEEP],
    }
    reg = _reg(two_inputs, input_features=features).fit(frame, y)
    assert reg.score(frame, y) > 0.6


def test_declared_split_takes_wide_deep_selections(housing):
    """input_features takes what WideDeepRegressor's wide_features takes (one
    definition: positions, slices, masks, names), with errors naming the input."""
    X, y = housing
    mask = np.isin(np.arange(8), DEEP)
    as_lists = _reg(two_inputs, input_features=[WIDE, DEEP]).initialize(X, y)
    as_slices = _reg(two_inputs, input_features=[slice(0, 5), mask]).initialize(X, y)
    np.testing.assert_array_equal(as_lists.predict(X), as_slices.predict(X))
    with pytest.raises(ValueError, match=r"input_features\[1\] selects columns by"):
        _reg(two_inputs, input_features=[WIDE, ["f0"]]).fit(X, y)
    with pytest.raises(ValueError, match=r"input_features\[0\] has column indices"):
        _reg(two_inputs, input_features=[[0, 8], DEEP]).fit(X, y)


def test_auxiliary_output_listing(housing):
    """``fit(X, [y, y])`` with the model's two losses and loss weights; per-output
    figures in ``history_``; ``predict`` gives the main output."""
    X, y = housing
    X_A, X_B = X[:, WIDE], X[:, DEEP]
    reg = KerasRegressor(auxiliary_output, epochs=10, random_state=0)
    reg.fit((X_A, X_B), [y, y], validation_data=((X_A, X_B), [y, y]))
    for name in ("main_output_loss", "aux_output_loss", "val_main_output_mae"):
        assert len(reg.history_[name]) == 10
    assert reg.n_outputs_ == 2
    main, aux = reg.predict((X_A, X_B), outputs="all")
    np.testing.assert_array_equal(reg.predict((X_A, X_B)), main)
    assert main.shape == aux.shape == (len(X),)
    assert reg.score((X_A, X_B), y) > 0.6  # the main output's R²
    # one y for every output, as a dict by output name too
    again = KerasRegressor(auxiliary_output, epochs=2, random_state=0)
    first = again.fit((X_A, X_B), y).predict((X_A, X_B))
    by_name = again.fit((X_A, X_B), {"main_output": y, "aux_output": y})
    np.testing.assert_allclose(by_name.predict((X_A, X_B)), first, rtol=1e-5)
    with pytest.raises(ValueError, match="3 targets; the model has 2 outputs"):
        again.fit((X_A, X_B), [y, y, y])


def test_subclassed_listing_with_routed_losses(housing):
    X, y = housing
    X_A, X_B = X[:, WIDE], X[:, DEEP]
    reg = _reg(
        WideAndDeepModel,
        loss=["mse", "mse"],
        compile__loss_weights=[0.9, 0.1],
        model__units=16,
        optimizer__learning_rate=0.01,
        epochs=15,
    ).fit((X_A, X_B), (y, y))
    assert reg.model_.hidden1.units == 16
    assert reg.score((X_A, X_B), y) > 0.6


def test_classifier_with_two_outputs(classes3):
    X, y = classes3
    binary = (y == 0).astype(int)

    def two_heads(meta):
        inputs = keras.Input((meta["n_features_in_"],))
        hidden = keras.layers.Dense(16, activation="relu")(inputs)
        return keras.Model(
            inputs,
            [
                keras.layers.Dense(3, activation="softmax")(hidden),
                keras.layers.Dense(1, activation="sigmoid")(hidden),
            ],
        )

    clf = KerasClassifier(two_heads, optimizer="adam", epochs=15, random_state=0).fit(
        X, [y, binary]
    )
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])  # the main output's
    assert clf.predict_proba(X).shape == (len(X), 3)
    labels, flags = clf.predict(X, outputs="all")
    assert set(np.unique(flags)) <= {0, 1}
    assert clf.score(X, y) > 0.8
    assert (flags == binary).mean() > 0.8
