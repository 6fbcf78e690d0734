"""Test-session set-up shared by tests/ and the doctests in skdeep/."""

import ast
import importlib.util
import os
from pathlib import Path

# Lets scikit-learn's common check `check_array_api_input` run (with NumPy inputs and
# array API dispatch on) instead of skipping. Must be set before scipy is imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

# pytest-xdist runs one test process per core: each process's TensorFlow computes on
# one thread (set before TensorFlow starts; inherited by the tests' subprocesses), as
# two processes each spreading small ops over every core spend more CPU time waiting
# on each other than computing (about 7% of the common checks' time on 2 cores)
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")


import pytest  # noqa: E402 - after the environment set-up above

# Keras backends a module of skdeep may import at its top level (one module per
# backend: skdeep/_bridge/_devices_torch.py, ...). The test extras install neither
# JAX nor PyTorch; CI's backend passes install each explicitly.
_OPTIONAL_FRAMEWORKS = ("jax", "jaxlib", "torch")
_PACKAGE = Path(__file__).parent / "skdeep"


def _installed(name):
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a blocked or half-installed package
        return False


def missing_frameworks(path):
    """The optional frameworks that ``path``'s top-level imports need and that this
    environment lacks (an empty tuple for a module that imports fine)."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    needed = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            needed.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            needed.add(node.module.split(".")[0])
    return tuple(
        sorted(n for n in needed if n in _OPTIONAL_FRAMEWORKS and not _installed(n))
    )


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    """One test process per CPU core (``-n auto``) where pytest-xdist is installed
    and no ``-n`` was given; without xdist (or with ``-p no:xdist``) the tests run
    in this process, where an ``-n`` in ``addopts`` would be a usage error. Runs
    before xdist's own hook, which turns ``auto`` into a worker count."""
    worker = hasattr(config, "workerinput")  # xdist's workers reset the option
    if not worker and getattr(config.option, "numprocesses", 0) is None:
        config.option.numprocesses = "auto"


def pytest_ignore_collect(collection_path, config):
    """Leave a backend's own module out of the doctest collection where its
    framework is not installed (importing it would fail, and it holds no doctest
    that could run without the framework)."""
    path = Path(collection_path)
    if path.suffix != ".py" or _PACKAGE not in path.parents:
        return None
    return True if missing_frameworks(path) else None


@pytest.fixture
def global_policy():
    """Keras' global dtype policy before the test, checked unchanged after it (for
    the ``precision`` tests of the wrappers and the built-in networks)."""
    import keras

    before = keras.config.dtype_policy().name
    yield before
    assert keras.config.dtype_policy().name == before
