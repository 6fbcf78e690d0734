"""A pickled network: loaded without Keras where it predicts in NumPy, ``model_`` on
first use, files without the NumPy plan (written before it existed) as before."""

import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_blobs

import skdeep
from skdeep.neural_network import MLPClassifier, MLPRegressor, WideDeepRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(skdeep.__file__)))


@pytest.fixture(scope="module")
def fitted():
    """Tiny fitted networks covering each layer kind the NumPy pass runs, and ``X``."""
    X, y = make_blobs(n_samples=40, centers=3, n_features=4, random_state=0)
    small = {"max_iter": 3, "random_state": 0}
    estimators = [
        MLPClassifier(hidden_layer_sizes=(5,), batch_normalization=True, **small),
        MLPClassifier(hidden_layer_sizes=(4, 3), activation="leaky_relu", **small),
        MLPRegressor(hidden_layer_sizes=(4,), dropout=0.2, **small),
        WideDeepRegressor(hidden_layer_sizes=(3,), wide_features=[0, 1], **small),
    ]
    for estimator in estimators:
        target = y if isinstance(estimator, MLPClassifier) else y.astype(float)
        estimator.fit(X, target)
    return estimators, X, y


def _outputs(estimator, X, y):
    out = [estimator.predict(X), np.asarray(estimator.score(X, y))]
    if hasattr(estimator, "predict_proba"):
        out.append(estimator.predict_proba(X))
    return out


_FRESH = textwrap.dedent(
    """
    import pickle, sys
    with open(sys.argv[1], "rb") as f:
        estimators, X, y = pickle.load(f)
    outputs = []
    for estimator in estimators:
        outputs.append([estimator.predict(X), estimator.score(X, y)])
        if hasattr(estimator, "predict_proba"):
            outputs[-1].append(estimator.predict_proba(X))
    loaded = sorted(m for m in ("tensorflow", "keras") if m in sys.modules)
    with open(sys.argv[2], "wb") as f:
        pickle.dump((outputs, loaded), f)
    """
)


def test_a_loaded_network_predicts_without_keras(fitted, tmp_path):
    estimators, X, y = fitted
    with open(tmp_path / "in.pkl", "wb") as f:
        pickle.dump((estimators, X, y), f)
    env = {**os.environ, "PYTHONPATH": ROOT}
    subprocess.run(
        [sys.executable, "-c", _FRESH, tmp_path / "in.pkl", tmp_path / "out.pkl"],
        check=True,
        env=env,
        timeout=120,
    )
    with open(tmp_path / "out.pkl", "rb") as f:
        outputs, loaded = pickle.load(f)
    assert loaded == []
    for estimator, got in zip(estimators, outputs):
        expected = _outputs(estimator, X, y)
        assert len(got) == len(expected)
        for a, b in zip(got, expected):
            np.testing.assert_array_equal(a, b, err_msg=type(estimator).__name__)


def test_model_is_built_from_the_stored_weights_on_first_use(fitted):
    estimators, X, y = fitted
    for estimator in estimators:
        loaded = pickle.loads(pickle.dumps(estimator))
        assert "model_" not in vars(loaded)  # not built at load
        expected = [np.asarray(w) for w in estimator.model_.get_weights()]
        got = loaded.model_.get_weights()
        assert len(got) == len(expected)
        for a, b in zip(got, expected):
            np.testing.assert_array_equal(a, b)
        assert loaded.model_ is loaded.model_  # built once
        assert [layer.name for layer in loaded.model_.layers] == [
            layer.name for layer in estimator.model_.layers
        ]
        lines = []
        loaded.model_.summary(print_fn=lines.append)
        assert lines
        for a, b in zip(_outputs(loaded, X, y), _outputs(estimator, X, y)):
            np.testing.assert_array_equal(a, b)


def test_a_loaded_network_trains_on_as_the_original(fitted):
    estimators, X, y = fitted
    original = estimators[0]
    loaded = pickle.loads(pickle.dumps(original))
    unpickled = clone(original).fit(X, y)  # the original again, never pickled
    np.testing.assert_array_equal(unpickled.predict_proba(X), original.predict_proba(X))
    for estimator in (loaded, unpickled):
        estimator.partial_fit(X, y)
    np.testing.assert_array_equal(loaded.predict_proba(X), unpickled.predict_proba(X))
    assert loaded.n_iter_ == unpickled.n_iter_
    # and pickles again with the weights it trained to
    again = pickle.loads(pickle.dumps(loaded))
    np.testing.assert_array_equal(again.predict_proba(X), loaded.predict_proba(X))


def test_a_state_without_the_numpy_plan_rebuilds_the_network_at_load(fitted):
    """What the previous skdeep pickled: the weights alone."""
    estimators, X, y = fitted
    for estimator in estimators:
        state = estimator.__getstate__()
        assert "_numpy_plan" in state
        del state["_numpy_plan"]
        loaded = type(estimator).__new__(type(estimator))
        loaded.__setstate__(state)
        assert "model_" in vars(loaded)
        for a, b in zip(_outputs(loaded, X, y), _outputs(estimator, X, y)):
            np.testing.assert_array_equal(a, b)


def test_a_plan_that_does_not_fit_the_weights_is_not_used(fitted):
    estimators, X, y = fitted
    estimator = estimators[2]
    state = estimator.__getstate__()
    state["_numpy_plan"] = dict(state["_numpy_plan"], weight_shapes=[[1]])
    loaded = type(estimator).__new__(type(estimator))
    loaded.__setstate__(state)
    assert "model_" in vars(loaded)  # rebuilt from the architecture and weights
    np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))


def test_a_network_numpy_does_not_run_is_rebuilt_at_load(fitted):
    estimators, X, y = fitted
    reg = MLPRegressor(hidden_layer_sizes=(3,), activation="prelu", max_iter=2)
    reg.fit(X, y.astype(float))
    assert "_numpy_plan" not in reg.__getstate__()
    loaded = pickle.loads(pickle.dumps(reg))
    assert "model_" in vars(loaded)
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))


def test_an_unfitted_network_has_no_model():
    estimator = pickle.loads(pickle.dumps(MLPClassifier()))
    assert not hasattr(estimator, "model_")
    with pytest.raises(AttributeError, match="'MLPClassifier' .* 'model_'"):
        estimator.model_.summary()
