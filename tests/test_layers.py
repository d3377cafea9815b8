"""The layers hold and the types check: import-linter's contracts and mypy, both configured
in ``pyproject.toml``, run here so that CI fails when a layer is crossed or a type is wrong.

Each runs in a fresh interpreter (``sys.executable``), from the repository root, where
``pyproject.toml`` is read. Their whole output is the failure message.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: mypy takes about 30 s without its cache; the suite may share the machine with much else.
TIMEOUT_S = 600
#: At most this many ``# type: ignore`` in stepgrad/, each with its reason on its line.
MAX_IGNORES = 10


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S
    )


def test_import_contracts_are_kept() -> None:
    """Every contract (the layers, the headless core, the app's layers) is kept."""
    r = _run("-c", "import sys; from importlinter.cli import lint_imports_command; "
                   "sys.exit(lint_imports_command(['--no-cache']))")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout, r.stdout


def test_mypy_finds_no_error() -> None:
    """``mypy`` over stepgrad/ (files and options from pyproject.toml) reports nothing.

    Incremental, with its cache in .mypy_cache: about 30 s from nothing, 1 s after.
    """
    r = _run("-m", "mypy")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("Success"), r.stdout


def test_few_type_ignores_each_with_its_reason() -> None:
    """At most ten ``# type: ignore`` in stepgrad/, each followed by why on the same line."""
    found: list[str] = []
    for path in sorted((ROOT / "stepgrad").rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = re.search(r"#\s*type:\s*ignore(\[[^\]]*\])?(.*)$", line)
            if m is None:
                continue
            where = f"{path.relative_to(ROOT)}:{n}"
            found.append(where)
            assert m.group(1), f"{where}: name the error code ignored"
            assert re.search(r"#\s*\w", m.group(2)), f"{where}: say why, in a comment after it"
    assert len(found) <= MAX_IGNORES, found
