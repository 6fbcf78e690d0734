"""The README's test command collects on a machine without JAX and PyTorch.

The test extras install neither (CI's backend passes install each); a module of
skdeep that imports one of them at its top level must stay out of the doctest
collection there instead of failing it.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).parents[1]

# JAX and PyTorch made unimportable, as on a machine that never installed them
_COLLECT_WITHOUT = textwrap.dedent(
    """
    import sys

    class NotInstalled:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("jax", "jaxlib", "torch"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NotInstalled())
    import pytest

    sys.exit(pytest.main(["-o", "addopts=", "-p", "no:cacheprovider", "-p", "no:xdist",
                          "--doctest-modules", "--collect-only", "-q", "skdeep"]))
    """
)


def test_doctests_collect_without_jax_and_torch():
    env = {"KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-c", _COLLECT_WITHOUT],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "error" not in result.stdout.splitlines()[-1].lower(), out
    # the doctests of the rest of the package are still collected
    assert "skdeep/wrappers/_classifier.py::" in out
    assert "_devices_torch" not in out and "engine/_jax.py" not in out


def test_the_configuration_runs_without_pytest_xdist():
    # the project's addopts, with the xdist plugin absent (as after `pip install -e .`
    # and a bare pytest): one process, no usage error from an -n option
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "--collect-only", "-q"]
        + ["tests/test_readme.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 tests collected" in result.stdout, result.stdout


def test_tests_hold_one_conftest():
    # pytest imports the conftest.py of a folder without __init__.py as the module
    # `conftest`; a run naming two such folders (CI's backend passes: tests/wrappers
    # and files of tests/neural_network) collects the second as a doctest module and
    # fails with "import file mismatch", as CI's JAX pass once did. Fixtures for
    # tests/ go in tests/conftest.py.
    assert not list(ROOT.glob("tests/**/__init__.py"))
    conftests = sorted(
        p.relative_to(ROOT).as_posix() for p in ROOT.glob("tests/**/conftest.py")
    )
    assert conftests == ["tests/conftest.py"]
