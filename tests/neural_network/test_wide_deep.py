"""WideDeepRegressor: feature selection, both network shapes, auxiliary output, and
the scikit-learn tooling around it (DataFrames, Pipeline, search, joblib)."""

import copy
import io

import joblib
import numpy as np
import pandas as pd
import pytest
from scipy.stats import loguniform
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import RandomizedSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skdeep.neural_network import WideDeepRegressor

N_FEATURES = 6
NAMES = [f"f{i}" for i in range(N_FEATURES)]
FAST = {"learning_rate_init": 0.01, "random_state": 0}

# tiny networks trained for a few epochs on purpose
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(n=240, seed=0, n_targets=1):
    """Linear in f0, f1 (the wide part), non-linear in f2, f3; f4, f5 are noise."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, size=(n, N_FEATURES))
    y = X[:, 0] - 2 * X[:, 1] + np.sin(3 * X[:, 2]) * X[:, 3]
    if n_targets > 1:
        y = np.column_stack([y, X[:, 0] + X[:, 2] ** 2])
    return X, y


@pytest.fixture(scope="module")
def data():
    return _data()


@pytest.fixture(scope="module")
def two_input(data):
    X, y = data
    return WideDeepRegressor(
        (16, 16), wide_features=[0, 1], deep_features=[2, 3], max_iter=150, **FAST
    ).fit(X, y)


@pytest.fixture(scope="module")
def auxiliary(data):
    X, y = data
    return WideDeepRegressor(
        (16,), auxiliary_output=True, alpha=0.0, max_iter=30, **FAST
    ).fit(X, y)


# ----------------------------------------------------------------- network shapes


def test_default_is_the_single_input_network_of_the_book(data):
    X, y = data
    reg = WideDeepRegressor(max_iter=3, **FAST).fit(X, y)
    assert reg.hidden_layer_sizes == (30, 30)
    model = reg.model_
    assert [t.name for t in model.inputs] == ["input"]
    assert [layer.name for layer in model.layers] == [
        "input",
        "deep_1",
        "deep_2",
        "wide_deep_concat",
        "output",
    ]
    # concat([input, hidden2]): every feature reaches the output directly
    assert model.get_layer("wide_deep_concat").output.shape[-1] == N_FEATURES + 30
    np.testing.assert_array_equal(reg.wide_features_idx_, np.arange(N_FEATURES))
    np.testing.assert_array_equal(reg.deep_features_idx_, np.arange(N_FEATURES))
    assert reg.n_layers_ == 4
    assert reg.predict(X).shape == (X.shape[0],)


def test_two_subsets_give_the_two_input_network(two_input, data):
    X, y = data
    model = two_input.model_
    assert [t.name for t in model.inputs] == ["wide_input", "deep_input"]
    assert [t.shape[-1] for t in model.inputs] == [2, 2]
    # deep_1 reads the deep input; the concat joins the wide input and deep_2
    deep_1 = model.get_layer("deep_1")
    assert deep_1.input.name == "deep_input"
    concat_inputs = model.get_layer("wide_deep_concat").input
    assert [t.shape[-1] for t in concat_inputs] == [2, 16]
    assert two_input.score(X, y) > 0.9


def test_predictions_use_only_the_selected_columns(two_input, data):
    X, _ = data
    base = two_input.predict(X)
    unused = X.copy()
    unused[:, 4:] = 123.0  # neither path reads f4, f5
    np.testing.assert_array_equal(two_input.predict(unused), base)
    for column in (0, 2):  # one wide, one deep column
        moved = X.copy()
        moved[:, column] += 1.0
        assert not np.allclose(two_input.predict(moved), base)


def test_numpy_inference_matches_the_keras_model(two_input, auxiliary, data):
    X, _ = data
    keras_pred = two_input.model_([X[:, [0, 1]], X[:, [2, 3]]], training=False)
    np.testing.assert_allclose(
        two_input.predict(X), np.asarray(keras_pred).ravel(), rtol=1e-5, atol=1e-6
    )
    main, aux = auxiliary.model_(X, training=False)
    np.testing.assert_allclose(
        auxiliary.predict(X), np.asarray(main).ravel(), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        auxiliary.predict_auxiliary(X), np.asarray(aux).ravel(), rtol=1e-5, atol=1e-6
    )


# ------------------------------------------------------------- feature selection


@pytest.mark.parametrize(
    "selection, expected",
    [
        (None, [0, 1, 2, 3, 4, 5]),
        ([0, 4], [0, 4]),
        (np.array([5, 1]), [5, 1]),
        ([-1, -2], [5, 4]),
        (slice(2, 5), [2, 3, 4]),
        (slice(None, None, 2), [0, 2, 4]),
        ([True, False, True, False, False, True], [0, 2, 5]),
        (np.array([False] * 5 + [True]), [5]),
    ],
    ids=["none", "list", "array", "negative", "slice", "step", "mask", "mask-array"],
)
def test_feature_selections(selection, expected, data):
    X, y = data
    deep = [0, 1, 2, 3]  # overlaps every wide selection above but one
    reg = WideDeepRegressor(
        (4,), wide_features=selection, deep_features=deep, max_iter=2, **FAST
    ).fit(X, y)
    np.testing.assert_array_equal(reg.wide_features_idx_, expected)
    np.testing.assert_array_equal(reg.deep_features_idx_, deep)
    widths = [t.shape[-1] for t in reg.model_.inputs]
    assert widths == ([4] if expected == deep else [len(expected), 4])
    assert reg.wide_features is selection  # the parameter is never rewritten


def test_same_subset_on_both_paths_gives_one_narrow_input(data):
    X, y = data
    reg = WideDeepRegressor(
        (4,), wide_features=[1, 3], deep_features=[1, 3], max_iter=2, **FAST
    ).fit(X, y)
    assert [(t.name, t.shape[-1]) for t in reg.model_.inputs] == [("input", 2)]
    changed = X.copy()
    changed[:, [0, 2, 4, 5]] = 0.0
    np.testing.assert_array_equal(reg.predict(changed), reg.predict(X))


def test_dataframe_column_names(data):
    X, y = data
    df = pd.DataFrame(X, columns=NAMES)
    reg = WideDeepRegressor(
        (8,),
        wide_features=["f0", "f1"],
        deep_features=slice("f2", "f3"),  # label slices include their stop
        max_iter=5,
        **FAST,
    ).fit(df, y)
    np.testing.assert_array_equal(reg.feature_names_in_, NAMES)
    np.testing.assert_array_equal(reg.wide_features_idx_, [0, 1])
    np.testing.assert_array_equal(reg.deep_features_idx_, [2, 3])
    positional = WideDeepRegressor(
        (8,), wide_features=[0, 1], deep_features=[2, 3], max_iter=5, **FAST
    ).fit(X, y)
    np.testing.assert_allclose(reg.predict(df), positional.predict(X), rtol=1e-6)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"wide_features": [0, 6]}, r"out of range .* 6 features: \[6\]"),
        ({"deep_features": [-7]}, r"out of range .* \[-7\]"),
        ({"wide_features": []}, "wide_features selects no column"),
        ({"deep_features": slice(3, 3)}, "deep_features selects no column"),
        ({"wide_features": [False] * 6}, "wide_features selects no column"),
        ({"wide_features": [True, False]}, "mask of length 2, but X has 6"),
        ({"wide_features": ["f0"]}, "needs X to be a pandas DataFrame"),
        ({"deep_features": slice("f0", "f2")}, "needs X to be a pandas DataFrame"),
        ({"wide_features": [0, "f1"]}, "not a mix"),
        ({"wide_features": [0.0, 1.0]}, "integer positions or of column names"),
        ({"deep_features": [1, 1]}, "more than once"),
    ],
)
def test_invalid_selections_raise_at_fit(params, match, data):
    X, y = data
    reg = WideDeepRegressor(max_iter=2, **params)
    with pytest.raises(ValueError, match=match):
        reg.fit(X, y)
    assert not hasattr(reg, "model_")


def test_unknown_column_names_raise(data):
    X, y = data
    df = pd.DataFrame(X, columns=NAMES)
    reg = WideDeepRegressor(wide_features=["f0", "price"], max_iter=2)
    with pytest.raises(ValueError, match=r"not in the data: \['price'\]"):
        reg.fit(df, y)
    reg = WideDeepRegressor(deep_features=slice("f1", "zzz"), max_iter=2)
    with pytest.raises(ValueError, match=r"deep_features .* \['zzz'\]"):
        reg.fit(df, y)


def test_warm_start_keeps_the_fitted_selection(data):
    X, y = data
    reg = WideDeepRegressor(
        (4,), wide_features=[0, 1], warm_start=True, max_iter=3, **FAST
    ).fit(X, y)
    before = reg.predict(X)
    reg.set_params(wide_features=[0, 2])  # same width, other columns
    with pytest.raises(ValueError, match="architecture parameters changed"):
        reg.fit(X, y)
    np.testing.assert_array_equal(reg.wide_features_idx_, [0, 1])
    np.testing.assert_array_equal(reg.predict(X), before)
    reg.set_params(wide_features=[0, 1]).fit(X, y)  # continues the same network
    assert len(reg.loss_curve_) == 6


# ---------------------------------------------------------------- auxiliary output


def test_auxiliary_output_layers_and_predictions(auxiliary, data):
    X, _ = data
    model = auxiliary.model_
    assert model.output_names == ["output", "auxiliary_output"]
    # the auxiliary head sits on the deep stack, not on the concat
    assert model.get_layer("auxiliary_output").input.shape[-1] == 16
    main, aux = auxiliary.predict(X), auxiliary.predict_auxiliary(X)
    assert main.shape == aux.shape == (X.shape[0],)
    assert not np.allclose(main, aux)


def test_auxiliary_loss_curve_records_the_total_and_both_parts(auxiliary):
    history = auxiliary.history_
    total = np.asarray(history["loss"])
    main = np.asarray(history["loss_output_0"])
    aux = np.asarray(history["loss_output_1"])
    assert len(total) == len(main) == len(aux) == auxiliary.n_iter_
    # alpha=0: the total is exactly the 0.9 / 0.1 weighting of the two parts
    np.testing.assert_allclose(total, 0.9 * main + 0.1 * aux, rtol=1e-5)
    assert auxiliary.loss_curve_ == history["loss"]
    assert main[-1] < main[0] and aux[-1] < aux[0]


def test_auxiliary_weight_sets_the_loss_weights(data):
    X, y = data
    reg = WideDeepRegressor(
        (4,), auxiliary_output=True, auxiliary_weight=0.5, alpha=0.0, max_iter=3, **FAST
    ).fit(X, y)
    history = reg.history_
    np.testing.assert_allclose(
        history["loss"],
        0.5 * np.asarray(history["loss_output_0"])
        + 0.5 * np.asarray(history["loss_output_1"]),
        rtol=1e-5,
    )


def test_predict_auxiliary_needs_an_auxiliary_network(two_input, data):
    X, _ = data
    with pytest.raises(ValueError, match="fitted without an auxiliary output"):
        two_input.predict_auxiliary(X)
    # the fitted network decides, not a parameter changed after fit
    changed = copy.deepcopy(two_input).set_params(auxiliary_output=True)
    with pytest.raises(ValueError, match="fitted without an auxiliary output"):
        changed.predict_auxiliary(X)
    np.testing.assert_array_equal(changed.predict(X), two_input.predict(X))


def test_main_prediction_ignores_parameter_changes_after_fit(auxiliary, data):
    X, _ = data
    changed = copy.deepcopy(auxiliary).set_params(auxiliary_output=False)
    np.testing.assert_array_equal(changed.predict(X), auxiliary.predict(X))
    np.testing.assert_array_equal(
        changed.predict_auxiliary(X), auxiliary.predict_auxiliary(X)
    )


def test_multi_output_targets_with_auxiliary_output():
    X, Y = _data(n_targets=2)
    reg = WideDeepRegressor(
        (8,),
        wide_features=[0, 1],
        deep_features=[2, 3],
        auxiliary_output=True,
        max_iter=5,
        **FAST,
    ).fit(X, Y)
    assert reg.n_outputs_ == 2
    assert reg.predict(X).shape == reg.predict_auxiliary(X).shape == (X.shape[0], 2)
    assert reg.model_.get_layer("auxiliary_output").units == 2


# ------------------------------------------------------------- scikit-learn tooling


def test_pipeline_with_column_transformer_and_names():
    rng = np.random.RandomState(1)
    n = 200
    city = rng.choice(["lyon", "oslo", "rome"], size=n)
    df = pd.DataFrame(
        {
            "city": city,
            "size": rng.uniform(20, 200, n),
            "age": rng.uniform(0, 80, n),
        }
    )
    y = (df["size"] / 50 + (city == "oslo") * 2 - (df["age"] / 40) ** 2).to_numpy()
    preprocess = ColumnTransformer(
        [
            ("num", StandardScaler(), ["size", "age"]),
            ("cat", OneHotEncoder(sparse_output=False), ["city"]),
        ]
    ).set_output(transform="pandas")
    reg = WideDeepRegressor(
        (16,),
        wide_features=["cat__city_lyon", "cat__city_oslo", "cat__city_rome"],
        deep_features=["num__size", "num__age"],
        max_iter=150,
        **FAST,
    )
    pipe = make_pipeline(preprocess, reg).fit(df, y)
    fitted = pipe[-1]
    np.testing.assert_array_equal(fitted.wide_features_idx_, [2, 3, 4])
    np.testing.assert_array_equal(fitted.deep_features_idx_, [0, 1])
    assert pipe.score(df, y) > 0.9


def test_randomized_search_over_its_parameters(data):
    X, y = data
    search = RandomizedSearchCV(
        WideDeepRegressor(max_iter=5, random_state=0),
        {
            "hidden_layer_sizes": [(4,), (8, 4)],
            "wide_features": [None, [0, 1], slice(0, 3)],
            "deep_features": [None, [2, 3]],
            "auxiliary_output": [False, True],
            "auxiliary_weight": [0.1, 0.3],
            "learning_rate_init": loguniform(1e-3, 3e-2),
        },
        n_iter=3,
        cv=2,
        random_state=0,
        error_score="raise",
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 3
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_
    assert best.predict(X).shape == (X.shape[0],)
    for key, value in search.best_params_.items():
        assert best.get_params()[key] == value


@pytest.mark.parametrize("fixture", ["two_input", "auxiliary"])
def test_joblib_round_trip(fixture, request, data):
    X, _ = data
    reg = request.getfixturevalue(fixture)
    buffer = io.BytesIO()
    joblib.dump(reg, buffer)
    buffer.seek(0)
    loaded = joblib.load(buffer)
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
    np.testing.assert_array_equal(loaded.wide_features_idx_, reg.wide_features_idx_)
    np.testing.assert_array_equal(loaded.deep_features_idx_, reg.deep_features_idx_)
    assert [layer.name for layer in loaded.model_.layers] == [
        layer.name for layer in reg.model_.layers
    ]
    if reg.auxiliary_output:
        np.testing.assert_array_equal(
            loaded.predict_auxiliary(X), reg.predict_auxiliary(X)
        )


def test_shares_the_regression_hooks_of_mlp_regressor(data):
    X, y = data
    with pytest.raises(ValueError, match="loss='poisson' uses an exponential output"):
        WideDeepRegressor(loss="poisson", output_activation="relu").fit(X, np.abs(y))
    reg = WideDeepRegressor((4,), loss="poisson", max_iter=3, **FAST).fit(X, np.abs(y))
    assert reg.out_activation_ == "exponential"
    assert np.all(reg.predict(X) > 0)
