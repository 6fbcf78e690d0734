"""The README's quick-start code runs as written and its commands match .ci/run."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _python_blocks(text):
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_readme_quick_start_runs(capsys):
    blocks = _python_blocks((ROOT / "README.md").read_text())
    assert blocks, "README has no python example"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
    assert "test accuracy" in capsys.readouterr().out


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = 'pip install -e ".[test]" && python -m pytest'
    assert f"    {command}\n" in readme
    assert command in ci
    assert "    pip install -e . && skdeep tour\n" in readme
    docs = 'pip install -e ".[docs]" && python -m sphinx -W --keep-going -b html docs'
    assert f"    {docs} docs/_build/html\n" in readme
    assert f"{docs} docs/_build/html" in ci
