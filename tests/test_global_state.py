"""No estimator changes global state: random streams, caller arrays (all six)."""

import random

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.utils import get_tags

from skdeep.utils._testing import estimator_instances


def _data_for(estimator):
    X, y = make_blobs(n_samples=60, centers=3, random_state=0)
    tags = get_tags(estimator)
    params = estimator.get_params()
    if "unlabelled_label" in params:  # semi-supervised: hide most labels
        y = y.copy()
        y[5:] = params["unlabelled_label"]
        return X, y
    if tags.estimator_type == "classifier":
        return X, y
    if tags.estimator_type == "regressor":
        return X, y.astype(float)
    return X, None


def _torch_rng_state():
    import keras

    if keras.backend.backend() != "torch":
        return None
    import torch

    return torch.get_rng_state().numpy()


def _id(estimator):
    engine = estimator.get_params().get("engine", "")
    return type(estimator).__name__ + (f"-{engine}" if engine else "")


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize(
    "estimator", list(estimator_instances(every_engine=True)), ids=_id
)
def test_fit_predict_leave_global_state_and_inputs_alone(estimator):
    estimator = clone(estimator)
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=None)  # the case that could use globals
    X, y = _data_for(estimator)
    X_copy, y_copy = X.copy(), None if y is None else y.copy()
    py_state = random.getstate()
    np_state = np.random.get_state()  # noqa: NPY002 - the global state is the point
    torch_state = _torch_rng_state()
    estimator.fit(X, y)
    estimator.predict(X)
    after = np.random.get_state()  # noqa: NPY002
    assert random.getstate() == py_state
    if torch_state is not None:  # PyTorch's generator, on that Keras backend
        assert np.array_equal(_torch_rng_state(), torch_state)
    assert after[0] == np_state[0] and np.array_equal(after[1], np_state[1])
    assert after[2:] == np_state[2:]
    np.testing.assert_array_equal(X, X_copy)
    if y is not None:
        np.testing.assert_array_equal(y, y_copy)
