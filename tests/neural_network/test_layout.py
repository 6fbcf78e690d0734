"""The layout of ``skdeep.neural_network``: modules a reader takes in one sitting,
and imports that go one way (issue 22)."""

import ast
from pathlib import Path

import pytest

import skdeep.neural_network

PACKAGE = "skdeep.neural_network"
ROOT = Path(skdeep.neural_network.__file__).parent
MODULES = sorted(path.stem for path in ROOT.glob("*.py"))
MAX_LINES = 600


def _imported_modules(path):
    """The modules of the package that ``path`` imports, at the top level or
    inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == PACKAGE:  # from skdeep.neural_network import _x
                found.update(a.name for a in node.names if a.name in MODULES)
            elif node.module.startswith(PACKAGE + "."):
                found.add(node.module.split(".")[2])
        elif isinstance(node, ast.ImportFrom) and node.level:  # pragma: no cover
            raise AssertionError(f"{path.name}: the package imports absolutely")
        elif isinstance(node, ast.Import):
            found.update(
                a.name.split(".")[2]
                for a in node.names
                if a.name.startswith(PACKAGE + ".")
            )
    found.discard(path.stem)
    return found


def _import_graph():
    return {name: _imported_modules(ROOT / f"{name}.py") for name in MODULES}


def _cycle(graph):
    """One import cycle of ``graph`` as a list of modules, or None."""
    state = {}  # 1 on the current path, 2 done

    def visit(module, path):
        state[module] = 1
        path.append(module)
        for other in sorted(graph[module]):
            if state.get(other) == 1:
                return path[path.index(other) :] + [other]
            if other not in state:
                found = visit(other, path)
                if found:
                    return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state:
            found = visit(module, [])
            if found:
                return found
    return None


def test_import_graph_is_read_from_the_sources():
    graph = _import_graph()
    assert {"_engine_interface", "_numpy_layers"} <= graph["_numpy_training"]
    assert {"_numpy_training", "_training", "_keras_engine"} <= graph["_engine"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_import_cycle_among_the_modules():
    cycle = _cycle(_import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("engine", ["_numpy_training", "_training", "_keras_engine"])
def test_engines_do_not_import_the_engine_chooser(engine):
    assert "_engine" not in _import_graph()[engine]


@pytest.mark.parametrize("module", MODULES)
def test_no_module_passes_600_lines(module):
    n_lines = len((ROOT / f"{module}.py").read_text(encoding="utf-8").splitlines())
    assert n_lines <= MAX_LINES, f"{module}.py has {n_lines} lines: split it"
