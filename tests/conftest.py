"""Fixtures shared by the tests: the wrapper tests' small data sets, and the fast
loop's store of shared steps for the shared-step tests.

One conftest.py for all of tests/ (beside the root one): pytest imports every
conftest.py of a folder without ``__init__.py`` as the module ``conftest``, and with
``--doctest-modules`` a run that names two such folders (CI's backend passes) fails
to collect the second ("import file mismatch")."""

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.preprocessing import StandardScaler


@pytest.fixture(scope="session")
def housing():
    """A California-housing-shaped regression set (8 features), scaled."""
    X, y = make_regression(
        n_samples=300, n_features=8, n_informative=6, noise=5.0, random_state=0
    )
    X = StandardScaler().fit_transform(X)
    return X, y / np.std(y)


@pytest.fixture(scope="session")
def classes3():
    X, y = make_classification(
        n_samples=240,
        n_features=6,
        n_informative=4,
        n_classes=3,
        n_clusters_per_class=1,
        class_sep=2.0,
        random_state=0,
    )
    return StandardScaler().fit_transform(X), y


@pytest.fixture
def fresh_shared_steps(monkeypatch):
    """The fast loop's module of this Keras backend with an empty store of shared
    steps (``EpochLoop.share``); None where the backend has none (Keras' own fit
    trains)."""
    import keras

    from skdeep._bridge.engine import _loop

    if keras.backend.backend() not in _loop._FAST_BACKENDS:
        return None
    engine = _loop._backend_module()
    monkeypatch.setattr(engine, "_SHARED", type(engine._SHARED)())
    return engine


@pytest.fixture
def recorded_shares(fresh_shared_steps, monkeypatch):
    """``(engine, loops)``: ``fresh_shared_steps``, and the list every
    ``EpochLoop.share`` call adds its loop to. Skips without a fast loop."""
    import keras

    engine = fresh_shared_steps
    if engine is None:
        pytest.skip(f"{keras.backend.backend()} trains through Keras' own fit")
    loops = []
    share = engine.EpochLoop.share

    def recording_share(self, key, make_template):
        share(self, key, make_template)
        loops.append(self)

    monkeypatch.setattr(engine.EpochLoop, "share", recording_share)
    return engine, loops
