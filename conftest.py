"""Test-session set-up shared by tests/ and the doctests in skdeep/."""

import os

# Lets scikit-learn's common check `check_array_api_input` run (with NumPy inputs and
# array API dispatch on) instead of skipping. Must be set before scipy is imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")


import pytest  # noqa: E402 - after the environment set-up above


@pytest.fixture
def global_policy():
    """Keras' global dtype policy before the test, checked unchanged after it (for
    the ``precision`` tests of the wrappers and the built-in networks)."""
    import keras

    before = keras.config.dtype_policy().name
    yield before
    assert keras.config.dtype_policy().name == before
