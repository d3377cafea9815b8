"""`stepgrad --theme NAME` and `stepgrad open --theme NAME`: Textual's themes, a light one
for a projector; an unknown name is refused in one line that lists them, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stepgrad", *args], capture_output=True, text=True, timeout=120
    )


class TestTheme:
    @pytest.mark.parametrize(
        "args",
        [
            ("--theme", "nope"),
            ("open", "lecture4", "--theme=nope", "--keys", "n"),
            ("ex4-3", "--theme", "nope"),
        ],
    )
    def test_an_unknown_theme_is_one_line_and_exit_2(self, args: tuple[str, ...]) -> None:
        """Before anything runs, in a terminal or not: the line names every theme."""
        r = run(*args)
        assert r.returncode == 2 and r.stdout == ""
        assert r.stderr.count("\n") == 1
        assert r.stderr.startswith("stepgrad: --theme: no theme 'nope'; the themes are ansi-dark, ")
        assert "textual-light" in r.stderr and "tokyo-night" in r.stderr and "Traceback" not in r.stderr

    def test_theme_before_the_scenario_opens_the_app(self) -> None:
        """`stepgrad --theme textual-light` is `stepgrad open lecture4 --theme textual-light`."""
        r = run("--theme", "textual-light", "--keys", "n")
        assert (r.returncode, r.stderr) == (0, "")
        assert r.stdout.startswith("event #0 of 13 · step 0")

    def test_screenshot_in_the_light_theme(self, tmp_path: Path) -> None:
        """textual-light's background is #e0e0e0 (tokyo-night's #1a1b26): the SVG is light."""
        out = tmp_path / "light.svg"
        r = run("open", "lecture4", "--theme", "textual-light", "--screenshot", str(out), "--size", "80x24")
        assert (r.returncode, r.stderr) == (0, "")
        svg = out.read_text(encoding="utf-8")
        assert "#e0e0e0" in svg and "#1a1b26" not in svg


@pytest.mark.parametrize("args", [["--help"], ["open", "--help"]])
def test_the_help_names_theme_and_digits(args: list[str]) -> None:
    """Issue 11: a newcomer reading `stepgrad --help` (not only `open --help`) learns of
    --theme and --digits; argparse wraps lines, so words are compared joined."""
    done = run(*args)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "--theme" in text and "textual-light" in text
    assert "--digits" in text
