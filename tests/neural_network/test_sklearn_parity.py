"""scikit-learn's own MLP tests (``sklearn/neural_network/tests/test_mlp.py``), run on
skdeep's MLPs: the same settings and assertions, so the behaviours its test suite
and documentation show hold here too."""

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning

from skdeep.neural_network import MLPClassifier, MLPRegressor


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(n_class=2, return_X_y=True)  # as the tests there
    return X, y


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def test_mlp_classifier_dtypes_casting(digits):
    X_digits, y_digits = digits
    params = dict(alpha=1e-5, hidden_layer_sizes=(5, 3), random_state=1, max_iter=100)
    mlp_64 = MLPClassifier(**params, tol=1e-1).fit(X_digits[:300], y_digits[:300])
    pred_64 = mlp_64.predict(X_digits[300:])
    proba_64 = mlp_64.predict_proba(X_digits[300:])
    mlp_32 = MLPClassifier(**params, tol=1e-1)
    mlp_32.fit(X_digits[:300].astype(np.float32), y_digits[:300])
    pred_32 = mlp_32.predict(X_digits[300:].astype(np.float32))
    proba_32 = mlp_32.predict_proba(X_digits[300:].astype(np.float32))
    assert_array_equal(pred_64, pred_32)
    assert_allclose(proba_64, proba_32, rtol=1e-02)


def test_mlp_regressor_dtypes_casting(digits):
    X_digits, y_digits = digits
    params = dict(alpha=1e-5, hidden_layer_sizes=(5, 3), random_state=1, max_iter=150)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp_64 = MLPRegressor(**params, tol=1e-3).fit(X_digits[:300], y_digits[:300])
        mlp_32 = MLPRegressor(**params, tol=1e-3)
        mlp_32.fit(X_digits[:300].astype(np.float32), y_digits[:300])
    pred_64 = mlp_64.predict(X_digits[300:])
    pred_32 = mlp_32.predict(X_digits[300:].astype(np.float32))
    assert_allclose(pred_64, pred_32, rtol=5e-04)
    # the same initial weights and updates: only float32's rounding differs
    assert mlp_64.n_iter_ == mlp_32.n_iter_
    assert_allclose(mlp_64.loss_curve_, mlp_32.loss_curve_, rtol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_mlp_param_dtypes(digits, dtype, Estimator):
    X_digits, y_digits = digits
    X, y = X_digits.astype(dtype), y_digits
    mlp = Estimator(
        alpha=1e-5, hidden_layer_sizes=(5, 3), random_state=1, max_iter=50, tol=1e-1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X[:300], y[:300])
    pred = mlp.predict(X[300:])
    assert all([intercept.dtype == dtype for intercept in mlp.intercepts_])
    assert all([coef.dtype == dtype for coef in mlp.coefs_])
    if Estimator == MLPRegressor:
        assert pred.dtype == dtype


def test_verbose_sgd(capsys):
    X = [[3, 2], [1, 6]]
    y = [1, 0]
    clf = MLPClassifier(solver="sgd", max_iter=2, verbose=10, hidden_layer_sizes=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    clf.partial_fit(X, y)
    out, _ = capsys.readouterr()
    assert "Iteration" in out
    # scikit-learn's format and counters: n_iter_ counts each call's epochs
    lines = out.strip().splitlines()
    assert [line.split(",")[0] for line in lines] == [
        "Iteration 1",
        "Iteration 2",
        "Iteration 1",
    ]
    assert all(re.fullmatch(r"Iteration \d, loss = \d+\.\d{8}", line) for line in lines)


def test_verbose_with_early_stopping_prints_the_validation_score(iris, capsys):
    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier((4,), max_iter=2, verbose=True, early_stopping=True).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"Validation score: \d\.\d{6}", lines[1])
    assert lines[2].startswith("Iteration 2, loss = ")


def test_early_stopping_stratified():
    X = [[1, 2], [2, 3], [3, 4], [4, 5]]
    y = [0, 0, 0, 1]
    mlp = MLPClassifier(early_stopping=True)
    with pytest.raises(
        ValueError,
        match=(
            r"The least populated classes in y have only 1 member.*Classes with "
            r"too few members are: \['True'\]"
        ),
    ):
        mlp.fit(X, y)


def test_single_class_target_fits_and_predicts_it(iris):
    X, _ = iris
    y = np.full(len(X), "only")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier((4,), max_iter=3, random_state=0).fit(X, y)
    assert_array_equal(clf.classes_, ["only"])
    assert_array_equal(clf.predict(X[:5]), ["only"] * 5)
    # as scikit-learn's: the logistic unit's two columns
    assert clf.predict_proba(X[:5]).shape == (5, 2)


def _attributes(est):
    return est.n_iter_, est.t_, len(est.loss_curve_)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fitted_counters_through_warm_start_and_partial_fit(iris):
    # the figures scikit-learn's MLPClassifier gives on the same calls
    X, y = iris
    mlp = MLPClassifier((4,), max_iter=3, random_state=0, warm_start=True).fit(X, y)
    assert _attributes(mlp) == (3, 450, 3) and mlp.validation_scores_ is None
    assert mlp.best_loss_ == min(mlp.loss_curve_)
    mlp.partial_fit(X, y)
    assert _attributes(mlp) == (1, 600, 4)
    mlp.set_params(max_iter=2).fit(X, y)
    assert _attributes(mlp) == (2, 900, 6)
    assert mlp.best_loss_ == min(mlp.loss_curve_)

    mlp = MLPClassifier(
        (4,), max_iter=3, random_state=0, warm_start=True, early_stopping=True
    ).fit(X, y)
    assert _attributes(mlp) == (3, 405, 3) and len(mlp.validation_scores_) == 3
    assert mlp.best_loss_ is None
    mlp.set_params(max_iter=2).fit(X, y)
    assert _attributes(mlp) == (2, 675, 5) and len(mlp.validation_scores_) == 5
    assert mlp.best_validation_score_ == max(mlp.validation_scores_)

    mlp = MLPClassifier((4,), random_state=0)
    mlp.partial_fit(X, y, classes=[0, 1, 2])
    mlp.partial_fit(X, y)
    assert _attributes(mlp) == (1, 300, 2)
