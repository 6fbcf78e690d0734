"""Bad input over every estimator and method: a clear error, never a deep traceback.

Each case expects scikit-learn's wording where it has one, raised before any
Keras/TensorFlow code runs (the traceback never reaches those libraries), and
leaves a fitted estimator as it was. Inputs that are valid but unusual (one sample,
read-only memmaps, sparse where supported) must work.
"""

import contextlib
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.utils import get_tags
from sklearn.utils._testing import create_memmap_backed_data
from sklearn.utils.validation import has_fit_parameter

from skdeep.utils._testing import estimator_instances

INSTANCES = list(estimator_instances(every_engine=True))
METHODS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "score_samples",
)
# modules a validation error must not come from (their tracebacks mean nothing to a
# scikit-learn user)
DEEP = ("/keras/", "/tensorflow/", "/tf_keras/", "/jax/")


def _id(estimator):
    engine = estimator.get_params().get("engine", "")
    return type(estimator).__name__ + (f"-{engine}" if engine else "")


def _kind(estimator):
    if "unlabelled_label" in estimator.get_params():
        return "semi-supervised"
    return get_tags(estimator).estimator_type  # classifier, regressor, outlier...


def _data(estimator, n_samples=30):
    X, y = make_blobs(n_samples=n_samples, centers=3, random_state=0)
    kind = _kind(estimator)
    if kind == "semi-supervised":
        y = y.copy()
        y[9:] = estimator.get_params()["unlabelled_label"]
        return X, y
    if kind == "classifier":
        return X, y
    if kind == "regressor":
        return X, y.astype(float)
    return X, None


SUPERVISED = [e for e in INSTANCES if _data(e)[1] is not None]
WEIGHTED = [e for e in INSTANCES if has_fit_parameter(e, "sample_weight")]
CLASSIFIERS = [e for e in INSTANCES if _kind(e) == "classifier"]


@contextlib.contextmanager
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter of short fits
        yield


def _methods(estimator):
    return [m for m in METHODS if hasattr(estimator, m)]


def _outputs(estimator, X):
    return {m: getattr(estimator, m)(X) for m in _methods(estimator)}


def _raises_clearly(exc_type, match, func, *args, **kwargs):
    with pytest.raises(exc_type, match=match) as info:
        func(*args, **kwargs)
    deep = [
        entry.path
        for entry in info.traceback
        if any(part in str(entry.path) for part in DEEP)
    ]
    assert not deep, f"the error passed through {deep[-1]}"
    return info


@pytest.fixture(scope="module")
def fitted():
    out = {}
    for estimator in INSTANCES:
        estimator = clone(estimator)
        X, y = _data(estimator)
        with _quiet():
            estimator.fit(X, y)
        out[_id(estimator)] = (estimator, X, y)
    return out


def _with_nan(X):
    X = X.copy()
    X[3, 1] = np.nan
    return X


def _with_inf(X):
    X = X.copy()
    X[3, 0] = np.inf
    return X


def _strings(X):
    return np.array([["a", "b"]] * len(X), dtype=object)


def _mixed_frame(X):
    return pd.DataFrame({"x": X[:, 0], "colour": ["red", "blue"] * (len(X) // 2)})


BAD_X = {
    "NaN": (_with_nan, ValueError, "contains NaN"),
    "inf": (_with_inf, ValueError, "contains infinity"),
    "empty": (lambda X: X[:0], ValueError, r"0 sample\(s\)"),
    "1-D": (lambda X: X[:, 0], ValueError, "Expected 2D array"),
    "3-D": (lambda X: X[:, :, None], ValueError, "dim 3"),
    "strings": (_strings, ValueError, "could not convert string to float"),
    "mixed DataFrame": (
        _mixed_frame,
        ValueError,
        "could not convert string to float",
    ),
}


# The wrappers take n-D samples (images for a user's CNN): 3-D X is refused because
# the model does not take it, with the shapes in the message.
_WRAPPER_3D = "output has shape .* one row per sample|fitted on samples of shape"


def _expected(estimator, case):
    make_bad, exc_type, match = BAD_X[case]
    if case == "3-D" and type(estimator).__module__.startswith("skdeep.wrappers."):
        match = _WRAPPER_3D
    return make_bad, exc_type, match


@pytest.mark.parametrize("case", list(BAD_X))
@pytest.mark.parametrize("estimator", INSTANCES, ids=_id)
def test_bad_X_at_fit(estimator, case):
    make_bad, exc_type, match = _expected(estimator, case)
    X, y = _data(estimator)
    bad = make_bad(X)
    if case == "mixed DataFrame" and type(estimator).__name__.startswith("Tabular"):
        # not bad for them: they encode a DataFrame's string columns (one-hot here)
        with _quiet():
            model = clone(estimator).fit(bad, y)
        assert model.predict(bad).shape[0] == len(bad)
        return
    _raises_clearly(exc_type, match, clone(estimator).fit, bad, y)


# a DataFrame for an estimator fitted on an array warns before the error
@pytest.mark.filterwarnings("ignore:X has feature names:UserWarning")
@pytest.mark.parametrize("case", list(BAD_X) + ["wrong width"])
@pytest.mark.parametrize("estimator", INSTANCES, ids=_id)
def test_bad_X_at_predict_leaves_the_estimator_alone(estimator, case, fitted):
    estimator, X, _ = fitted[_id(estimator)]
    before = _outputs(estimator, X)
    if case == "wrong width":
        bad, exc_type, match = X[:, :1], ValueError, "X has 1 features, but"
    else:
        make_bad, exc_type, match = _expected(estimator, case)
        bad = make_bad(X)
    if case == "mixed DataFrame":  # fitted without names: the width check speaks
        match = "could not convert string to float|X has 2 features"
    for method in _methods(estimator):
        _raises_clearly(exc_type, match, getattr(estimator, method), bad)
    after = _outputs(estimator, X)
    for method in before:
        np.testing.assert_array_equal(after[method], before[method])


@pytest.mark.parametrize("estimator", INSTANCES, ids=_id)
def test_sparse_input(estimator, fitted):
    X, y = _data(estimator)
    if get_tags(estimator).input_tags.sparse:
        with _quiet():
            dense = clone(estimator).fit(X, y)
            sparse_fit = clone(estimator).fit(sparse.csr_matrix(X), y)
        np.testing.assert_allclose(sparse_fit.predict(X), dense.predict(X))
        return
    _raises_clearly(
        TypeError,
        "dense data is required",
        clone(estimator).fit,
        sparse.csr_matrix(X),
        y,
    )
    fitted_estimator, X, _ = fitted[_id(estimator)]
    for method in _methods(fitted_estimator):
        _raises_clearly(
            TypeError,
            "dense data is required",
            getattr(fitted_estimator, method),
            sparse.csr_matrix(X),
        )


@pytest.mark.parametrize("estimator", INSTANCES, ids=_id)
def test_read_only_memmap_gives_the_same_results(estimator, fitted, tmp_path):
    reference, X, y = fitted[_id(estimator)]
    X_mm, y_mm = create_memmap_backed_data([X, y])
    assert not X_mm.flags.writeable
    with _quiet():
        from_memmap = clone(estimator).fit(X_mm, y_mm)
    for method, values in _outputs(reference, X).items():
        np.testing.assert_array_equal(getattr(from_memmap, method)(X_mm), values)


@pytest.mark.parametrize("estimator", INSTANCES, ids=_id)
def test_one_sample(estimator):
    """One sample: a clear ValueError, or a fit that predicts one row."""
    X, y = _data(estimator)
    X1, y1 = X[:1], None if y is None else y[:1]
    model = clone(estimator)
    try:
        with _quiet():
            model.fit(X1, y1)
    except ValueError as exc:
        message = str(exc)
        assert any(
            word in message
            for word in ("sample", "class", "n_clusters", "n_samples", "labelled")
        ), message
        return
    for method in _methods(model):
        assert len(getattr(model, method)(X1)) == 1


@pytest.mark.parametrize("estimator", SUPERVISED, ids=_id)
def test_y_with_nan_or_wrong_length(estimator):
    X, y = _data(estimator)
    y_nan = y.astype(float)
    y_nan[2] = np.nan
    match = "contains NaN|Unknown label type|Input y contains"
    _raises_clearly(ValueError, match, clone(estimator).fit, X, y_nan)
    _raises_clearly(
        ValueError, "inconsistent numbers of samples", clone(estimator).fit, X, y[:-1]
    )


@pytest.mark.parametrize("estimator", WEIGHTED, ids=_id)
def test_negative_sample_weight(estimator):
    X, y = _data(estimator)
    weights = np.r_[-1.0, np.ones(len(X) - 1)]
    _raises_clearly(
        ValueError,
        "Negative values in data passed to",
        clone(estimator).fit,
        X,
        y,
        sample_weight=weights,
    )


@pytest.mark.parametrize("estimator", WEIGHTED, ids=_id)
def test_bad_sample_weight(estimator):
    X, y = _data(estimator)
    n = len(X)
    cases = [
        (np.r_[np.nan, np.ones(n - 1)], "NaN"),
        (np.r_[np.inf, np.ones(n - 1)], "infinity"),
        (np.ones(n - 1), r"sample_weight.shape == \(29,\), expected \(30,\)"),
        (np.ones((n, 2)), "Sample weights must be 1D"),
        (np.array(["a"] * n, dtype=object), "could not convert string to float"),
    ]
    for weights, match in cases:
        _raises_clearly(
            ValueError, match, clone(estimator).fit, X, y, sample_weight=weights
        )


@pytest.mark.parametrize("estimator", CLASSIFIERS, ids=_id)
def test_unseen_labels(estimator, fitted):
    """Labels not seen at fit: partial_fit and warm_start refuse them by name."""
    model, X, y = fitted[_id(estimator)]
    before = _outputs(model, X)
    if hasattr(model, "partial_fit"):
        _raises_clearly(
            ValueError,
            r"`y` has classes not in `self.classes_`",
            model.partial_fit,
            X,
            np.where(y == 0, 7, y),
        )
    if "warm_start" in model.get_params():
        warm = clone(model).set_params(warm_start=True)
        with _quiet():
            warm.fit(X, y)
        _raises_clearly(
            ValueError,
            "warm_start can only be used|`y` has classes not in `self.classes_`",
            warm.fit,
            X,
            y + 10,
        )
    for method, values in _outputs(model, X).items():
        np.testing.assert_array_equal(values, before[method])
