"""Regenerate every image in screenshots/ by driving the app headless.

Each image is one ``stepgrad open SCENARIO --keys ... --screenshot ... --size ...`` run,
exactly as a user would type it; torch's numbers are waited for, so the params panel
shows the comparison. Run from anywhere: ``python screenshots/regenerate.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

SHOTS: list[tuple[str, str, str, str, str]] = [
    # (file, scenario, keys, size, what it shows)
    ("lecture4-start.svg", "lecture4", "", "120x40", "opening the video's example: nothing computed yet"),
    ("lecture4-chain-rule.svg", "lecture4", "g 9 enter", "120x40", "#9: ∂loss/∂w = (-2) × 1 × 1 = -2"),
    ("lecture4-update.svg", "lecture4", "u", "120x40", "#11: w ← 1.0 − 0.01 × (-2.0) = 1.02, torch agrees"),
    ("no-zero-grad-accumulate.svg", "no-zero-grad", "g 2 3 enter", "120x40", "gradients pile up without zero_grad"),
    ("lecture4-80x24.svg", "lecture4", "g 9 enter", "80x24", "the chain-rule step on an 80×24 terminal"),
    ("ex4-5-200x60.svg", "ex4-5", "b", "200x60", "the quadratic model after its first backward pass"),
    ("help.svg", "lecture4", "?", "120x40", "the help screen"),
    ("lecture4-local-gradient-edge.svg", "lecture4", "g 5 enter", "120x40", "#5: each local gradient on its edge"),
    ("ex4-5-whole.svg", "ex4-5", "g 2 0 enter", "120x40", "ex4-5 whole at 120x40, mid-backward (#20)"),
    ("lecture4-200x60-light.svg", "lecture4", "g 9 enter", "200x60", "a projector: the light theme at 200×60"),
]
"""Every image, how it is made, and what it shows."""

THEMES: dict[str, str] = {"lecture4-200x60-light.svg": "textual-light"}
"""Images made in another theme than the app's own (``--theme``)."""


def main() -> int:
    """Make every image; stop at the first failure."""
    for name, scenario, keys, size, what in SHOTS:
        out = HERE / name
        cmd = [sys.executable, "-m", "stepgrad", "open", scenario, "--keys", keys, "--size", size]
        cmd += ["--screenshot", str(out)]
        if name in THEMES:
            cmd += ["--theme", THEMES[name]]
        done = subprocess.run(cmd, check=False)
        if done.returncode != 0:
            print(f"failed ({done.returncode}): {' '.join(cmd)}", file=sys.stderr)
            return done.returncode
        print(f"{name:<30} {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
