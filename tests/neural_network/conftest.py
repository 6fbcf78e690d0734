"""Fixtures shared by the built-in networks' tests."""

import keras
import pytest


@pytest.fixture
def fresh_shared_steps(monkeypatch):
    """The fast loop's module of this Keras backend with an empty store of shared
    steps (``EpochLoop.share``); None where the backend has none (Keras' own fit
    trains)."""
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
