"""``stepgrad check``: the engine against PyTorch, event by event, plus ``expect``.

The engine's timeline and the torch oracle run in lock-step, one training step at a
time, torch starting each step from stepgrad's params, carried ``.grad`` and optimizer
state at its start (``oracle.StepStart``): a difference is that step's own arithmetic,
never a drift carried from earlier steps (float32 runs each on their own drift apart by
many ulps within a few steps where a value is a small difference of large terms). One
rule for every dtype: in float64 the drift is negligible, and one rule is one to explain.
Per step this compares every forward value, every gradient-carrying node's
gradient once the backward pass has delivered it (the loss, each intermediate, each
param's ``w.grad`` at ``backward_end``) and every param after its update; then the
predictions before and after training. Single-step scenarios are also checked against
central finite differences in float64. Finally the scenario's ``expect`` is asserted.

Then the three roads to each param's gradient (scalar models): the closed form that
sympy derives (``symbolic.derive``, bounded by ``timeout_s``), evaluated at every step and compared with the
chain rule; torch's ``w.grad`` against stepgrad's at every step; and the scenario's own
hand derivations (``manual:``) against the chain rule at every step.

The torch comparison stops at the first disagreement: everything after it depends on it.
Exit codes: 0 all agree and ``expect`` holds, 1 a disagreement (with torch, finite
differences, between the closed form and the chain rule, or of a ``manual:`` formula)
or a failed expectation (named), 2 bad input (raised as ``ScenarioError``). A model too
large for symbolic work only says so: that is no failure.

The package holds the command (``run_check``) and re-exports what it is made of: the
report model (``report``), the run (``run``) and the rendering (``render``).
"""


from __future__ import annotations

import json
import sys
from typing import TextIO

from stepgrad.check.render import first_failure, render_json, render_text, roads_text, summary
from stepgrad.check.report import FD_H, FD_TOLERANCES, Miss, ParamRoads, Report, Roads, Row, StepTable, Tally
from stepgrad.check.run import check
from stepgrad.errors import ScenarioError

# Looked up here when the command runs, so that a test may stand in for torch or the loader.
from stepgrad.oracle import torch_available, torch_predictions, torch_steps
from stepgrad.scenario.load import load
from stepgrad.streams import visible


def run_check(spec: str, as_json: bool = False, *, out: TextIO | None = None) -> int:
    """``stepgrad check SPEC``: print the comparison and return the exit code.

    Args:
        spec: a scenario file or bundled short name.
        as_json: print one JSON object instead of the text tables.
        out: where to print (stdout by default).

    Returns:
        0 when stepgrad, torch, finite differences and ``expect`` all agree; 1 otherwise;
        2 when torch is not installed.

    Raises:
        ScenarioError: a bad scenario, or a non-finite number in the run (exit 2).
    """
    out = out or sys.stdout
    scenario = load(spec)
    if not torch_available():
        print("stepgrad check: torch is not installed (pip install torch)", file=sys.stderr)
        return 2
    if sys.stderr.isatty():
        # Loading torch takes seconds (more with its optimizers): say what the wait is for.
        steps = scenario.program.n_steps
        print(
            f"stepgrad check: running {steps:,} step{'s' if steps != 1 else ''} in torch beside stepgrad "
            "(loading torch takes a few seconds)…",
            file=sys.stderr,
            flush=True,
        )
    report = check(scenario, steps=torch_steps, predictions=torch_predictions)
    # Names come from the scenario: nothing in them may act on the terminal (streams.visible).
    if as_json:
        out.write(visible(json.dumps(render_json(report), ensure_ascii=False)) + "\n")
    else:
        out.write(visible(render_text(report)))
    return report.exit_code


__all__ = [
    "FD_H", "FD_TOLERANCES", "Miss", "ParamRoads", "Report", "Roads", "Row", "ScenarioError", "StepTable",
    "Tally", "check", "first_failure", "load", "render_json", "render_text", "roads_text", "run_check",
    "summary", "torch_available", "torch_predictions", "torch_steps",
]
