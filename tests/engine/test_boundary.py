"""The headless side stays light: the engine, the scenario loader and ``replay`` never
load torch (only ``check`` does), textual or rich (only the app does).

Checked in a fresh interpreter, since this test process may have imported them already.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "textual", "rich", "sympy")

_PROBE = textwrap.dedent(
    """
    import io, json, sys
    from contextlib import redirect_stdout

    import stepgrad.engine
    import stepgrad.scenario
    import stepgrad.replay
    from stepgrad.cli import main

    out = io.StringIO()
    with redirect_stdout(out):
        try:
            main(["replay", "lecture4"])
        except SystemExit as e:
            code = e.code
    heavy = sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[1:]))
    print(json.dumps({"code": code, "lines": out.getvalue().count("\\n"), "heavy": heavy}))
    """
)


def test_replay_loads_neither_torch_nor_textual_nor_rich() -> None:
    # numpy is asked about too, as a control: the engine uses it, so the probe must see it.
    r = subprocess.run(
        [sys.executable, "-c", _PROBE, "numpy", *HEAVY],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["code"] == 0
    # lecture4: 3 forward, 3 local_grad, backward_start, 3 chain, backward_end, update, zero_grad.
    assert result["lines"] == 13
    assert result["heavy"] == ["numpy"]
