"""Structure: no import cycle among the package's modules, time words parsed in one module,
and ruff clean (the rule set is in pyproject.toml)."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT

PACKAGE = ROOT / "qa"


def _imports() -> dict[str, set[str]]:
    """module → the package modules it imports (at any depth of the file)."""
    graph = {}
    for path in PACKAGE.glob("*.py"):
        name = path.stem
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    deps.add(node.module.split(".")[0])
                else:
                    deps.update(a.name for a in node.names)
        graph[name] = deps - {name}
    return graph


def test_no_import_cycle():
    graph = _imports()
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in graph.get(node, ()):
            if state.get(dep) == 1:
                raise AssertionError("import cycle: " + " → ".join(path + [node, dep]))
            if dep not in state:
                visit(dep, path + [node])
        state[node] = 2

    for module in graph:
        if module not in state:
            visit(module, [])


def test_measures_sit_below_answers_and_audit():
    graph = _imports()
    assert "audit" not in graph["answer"] and "audit" not in graph["plan"] and "audit" not in graph["render"]
    assert not {"answer", "audit", "plan", "render"} & graph["measure"]


def test_relative_time_words_are_parsed_in_one_module():
    """Outside qa/timescope.py no module writes its own pattern of relative year words."""
    words = re.compile(r"今年\|明年|去年\|上年|明年\|去年|\"今年\" in|\"明年\" in|\"去年\" in")
    offenders = [p.name for p in PACKAGE.glob("*.py") if p.name != "timescope.py" and words.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or shutil.which("ruff", path=str(ROOT / ".venv" / "bin"))
    cmd = [ruff] if ruff else [sys.executable, "-m", "ruff"]
    probe = subprocess.run(cmd + ["--version"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.fail("ruff is not installed: pip install -e '.[test]'")
    out = subprocess.run(cmd + ["check", "qa", "app.py", "tests"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
