"""Scenario files are data: nothing in them is ever executed."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

import stepgrad
from stepgrad.errors import ScenarioError
from stepgrad.scenario import loads

PACKAGE = Path(stepgrad.__file__).parent
H = "params: {w: 1.0}\ninputs: {x: 1.0}\nmodel:\n  loss: "

_FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}
_UNSAFE_YAML = {"load", "unsafe_load", "full_load", "load_all", "unsafe_load_all", "full_load_all"}


def _calls(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id in _FORBIDDEN_CALLS:
            found.append((node.lineno, f.id))
        # `re.compile` is fine; `builtins.eval` is not.
        if isinstance(f, ast.Attribute) and f.attr in _FORBIDDEN_CALLS - {"compile"}:
            found.append((node.lineno, f.attr))
        if (
            isinstance(f, ast.Attribute)
            and isinstance(f.value, ast.Name)
            and f.value.id == "yaml"
            and f.attr in _UNSAFE_YAML
        ):
            found.append((node.lineno, f"yaml.{f.attr}"))
    return found


def test_the_package_never_calls_eval_exec_or_unsafe_yaml() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert any(f.name == "expr.py" for f in files)
    offenders = {
        str(f.relative_to(PACKAGE)): calls
        for f in files
        if (calls := _calls(ast.parse(f.read_text(encoding="utf-8"))))
    }
    assert offenders == {}


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('echo hi')",
        "\"__import__('os').system('echo hi')\"",
        "exec('import os')",
        "eval('1') * w * x",
        "w * x.__class__",
        "w * ().__class__.__bases__[0].__subclasses__()",
        "open('/etc/passwd') * w",
    ],
)
def test_code_in_a_model_is_refused_and_not_run(expression: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[object] = []
    monkeypatch.setattr(os, "system", lambda *a: ran.append(a) or 0)
    with pytest.raises(ScenarioError) as info:
        loads(H + expression + "\n", "evil.yaml")
    assert str(info.value).startswith("evil.yaml:4:")
    assert "not allowed" in str(info.value) or "unknown function" in str(info.value)
    assert ran == []


def test_python_tags_are_refused() -> None:
    with pytest.raises(ScenarioError) as info:
        loads("params: !!python/object/apply:os.system ['echo hi']\n", "evil.yaml")
    assert (
        str(info.value)
        == "evil.yaml:1:9: YAML tags like '!!python/object/apply:os.system' are not allowed here"
    )
