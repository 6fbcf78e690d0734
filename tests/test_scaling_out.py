"""Searches in worker processes: joblib's process pool (``n_jobs=2``) and a Dask
cluster of two worker processes, for the wrappers and a built-in network.

A search in workers must give the sequential search's scores (every fit is seeded by
``random_state``), and a worker that dies mid-search must not lose the search: Dask
runs the lost worker's fits again elsewhere. The Dask tests share one cluster (its
processes import TensorFlow once) and carry ``dask`` in their names:
``pytest tests/test_scaling_out.py -k dask``.
"""

import os
import sys

import joblib
import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

from skdeep.neural_network import MLPClassifier
from skdeep.wrappers import KerasClassifier, KerasRegressor

# generous: two worker processes each import TensorFlow on a busy 2-core machine
TIMEOUT = "300s"


def build_net(meta, hidden=8):
    """A small network with unseeded layers, as users write them.

    Keras draws an unseeded layer's seed from Python's process-wide ``random``
    module; in a Dask worker the event-loop thread draws from it too (retry jitter
    while the cluster recovers from a lost worker). ``random_state`` still fixes the
    weights: skdeep gives Keras' draws a generator of the fitting thread.
    """
    activation = {"binary": "sigmoid", "multiclass": "softmax"}
    return keras.Sequential(
        [
            keras.Input(meta["X_shape_"][1:]),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(
                meta["n_outputs_expected_"],
                activation=activation.get(meta["target_type_"]),
            ),
        ]
    )


def _classification():
    return make_classification(
        n_samples=120, n_features=5, n_informative=3, random_state=0
    )


def _regression():
    X, y = make_regression(n_samples=120, n_features=5, noise=1.0, random_state=0)
    return X, y / np.std(y)


def _searches():
    """(name, search, data): small grids of tiny, seeded fits."""
    yield (
        "KerasClassifier",
        GridSearchCV(
            KerasClassifier(build_net, optimizer="adam", epochs=3, random_state=0),
            {"hidden": [4, 8]},
            cv=2,
        ),
        _classification(),
    )
    yield (
        "KerasRegressor",
        RandomizedSearchCV(
            KerasRegressor(build_net, optimizer="adam", epochs=3, random_state=0),
            {"hidden": [2, 4, 8], "optimizer__learning_rate": [0.01, 0.05]},
            n_iter=2,
            cv=2,
            random_state=0,
        ),
        _regression(),
    )
    yield (
        "MLPClassifier",
        GridSearchCV(
            MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0),
            {"alpha": [1e-4, 1e-2]},
            cv=2,
        ),
        _classification(),
    )


SEARCHES = list(_searches())
IDS = [name for name, _, _ in SEARCHES]


def _scores(search):
    return {
        key: value
        for key, value in search.cv_results_.items()
        if key.startswith("split") or key.startswith("mean_test")
    }


def _assert_same_scores(search, reference):
    expected = _scores(reference)
    got = _scores(search)
    assert got.keys() == expected.keys()
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)
    assert search.best_params_ == reference.best_params_


@pytest.fixture(scope="module")
def sequential():
    """Each search run in this process, as the reference."""
    results = {}
    for name, search, (X, y) in SEARCHES:
        results[name] = clone(search).fit(X, y)
    return results


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("index", range(len(SEARCHES)), ids=IDS)
def test_n_jobs_2_search_gives_the_sequential_scores(index, sequential):
    name, search, (X, y) = SEARCHES[index]
    parallel = clone(search).set_params(n_jobs=2).fit(X, y)
    _assert_same_scores(parallel, sequential[name])
    # the refit best estimator comes back from the workers usable
    np.testing.assert_array_equal(
        parallel.predict(X[:5]), sequential[name].predict(X[:5])
    )


# ---------------------------------------------------------------- Dask


@pytest.fixture(scope="module")
def dask_client():
    """A LocalCluster of two single-threaded worker processes (restarted by their
    nannies when they die)."""
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    import cloudpickle

    # the workers unpickle this module's callback by value, not by import
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with dask.config.set(
        {
            "distributed.comm.timeouts.connect": TIMEOUT,
            "distributed.comm.timeouts.tcp": TIMEOUT,
            "distributed.deploy.lost-worker-timeout": TIMEOUT,
        }
    ):
        with distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            timeout=TIMEOUT,
        ) as cluster:
            with distributed.Client(cluster, timeout=TIMEOUT) as client:
                client.wait_for_workers(2, timeout=TIMEOUT)
                yield client
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("index", range(len(SEARCHES)), ids=IDS)
def test_dask_search_gives_the_sequential_scores(index, sequential, dask_client):
    name, search, (X, y) = SEARCHES[index]
    with joblib.parallel_backend("dask"):
        distributed = clone(search).fit(X, y)
    _assert_same_scores(distributed, sequential[name])
    # both workers took part
    assert len(dask_client.scheduler_info()["workers"]) == 2


class ExitOnce(keras.callbacks.Callback):
    """Ends its worker process once, at the start of the fit that finds ``after``
    fits already started (so mid-search); does nothing otherwise. The files in
    ``folder`` are the count, shared by every process."""

    def __init__(self, folder, after):
        super().__init__()
        self.folder = folder
        self.after = after

    def on_train_begin(self, logs=None):
        started = [n for n in os.listdir(self.folder) if n.startswith("fit-")]
        open(os.path.join(self.folder, f"fit-{os.getpid()}-{id(self)}"), "w").close()
        if len(started) < self.after:
            return
        try:  # exactly one process wins the marker
            fd = os.open(os.path.join(self.folder, "killed"), os.O_CREAT | os.O_EXCL)
        except FileExistsError:
            return
        os.close(fd)
        os._exit(1)


def test_dask_search_survives_a_killed_worker(sequential, dask_client, tmp_path):
    name, search, (X, y) = SEARCHES[0]
    # a callback with no effect on training, except that one fit kills its worker
    killer = clone(search).set_params(
        estimator__callbacks=[ExitOnce(str(tmp_path), after=2)]
    )
    pids = set(
        dask_client.run(os.getpid).values()  # the workers' processes now
    )
    # scatter: a copy of the data on every worker, so the data joblib would
    # otherwise send to one worker is not lost with it
    with joblib.parallel_backend("dask", scatter=[X, y]):
        survived = killer.fit(X, y)
    assert (tmp_path / "killed").exists(), "no worker was killed"
    _assert_same_scores(survived, sequential[name])
    # the nanny started a new process in place of the killed one
    dask_client.wait_for_workers(2, timeout=TIMEOUT)
    assert set(dask_client.run(os.getpid).values()) != pids
