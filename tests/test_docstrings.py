"""Every public class and function has a numpydoc docstring with a runnable Examples.

The Examples themselves run as doctests (``--doctest-modules`` over ``skdeep/``);
this test makes sure none is missing.
"""

import importlib
import inspect

import pytest
from numpydoc.docscrape import NumpyDocString

SUBPACKAGES = [
    "skdeep.neural_network",
    "skdeep.semi_supervised",
    "skdeep.anomaly",
    "skdeep.cluster",
    "skdeep.wrappers",
]


def _public():
    for module_name in SUBPACKAGES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            yield f"{module_name}.{name}", getattr(module, name)
    yield "skdeep.cli.main", importlib.import_module("skdeep.cli").main


_PUBLIC = list(_public())


# ids are the names alone: an object's repr holds its address, which differs between
# the test processes pytest-xdist compares
@pytest.mark.parametrize("name, obj", _PUBLIC, ids=[name for name, _ in _PUBLIC])
def test_public_docstring_has_examples(name, obj):
    doc = NumpyDocString(inspect.getdoc(obj) or "")
    assert doc["Summary"], f"{name} has no summary line"
    examples = "\n".join(doc["Examples"])
    assert ">>> " in examples, f"{name} has no Examples section with code"
