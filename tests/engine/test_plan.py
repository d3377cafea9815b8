"""The plan outlines every event before it is computed: same place, same kind, same names."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields

import pytest

from stepgrad.engine.plan import Plan
from stepgrad.engine.timeline import Timeline
from stepgrad.scenario import bundled, load, loads

TWO_PATHS = """
name: two paths
params: {w: 1.0}
data: {x: [2.0, 1.0], y: [1.0, 0.5]}
model:
  a: w * x
  b: w * w
  loss: (a + b - y) ** 2
train: {epochs: 2, lr: 0.01, zero_grad: false}
predict: {x: 3.0}
"""


def _seqs(t: Timeline) -> list[int]:
    """Predictions, the first three steps and the last one: every kind of step there is."""
    seqs = set(range(t.plan.pre))
    for step in {0, 1, 2, t.n_steps - 1} & set(range(t.n_steps)):
        seqs |= set(t.step_range(step))
    seqs |= set(range(len(t) - t.plan.pre, len(t)))
    return sorted(seqs)


def _same_shape(outline: object, event: object) -> None:
    assert type(outline) is type(event)
    for f in fields(event):  # type: ignore[arg-type]
        want, got = getattr(event, f.name), getattr(outline, f.name)
        if f.name in ("grads", "state"):
            assert [name for name, _ in got] == [name for name, _ in want]
            assert all(v is None for _, v in got)
        elif got is not None:
            assert got == want, f.name


@pytest.mark.parametrize("short", sorted(bundled()))
def test_outline_matches_every_bundled_run(short: str) -> None:
    t = Timeline(load(short).program)
    plan = Plan(t.program)
    assert len(plan) == len(t)
    for seq in _seqs(t):
        _same_shape(plan.outline(seq), t[seq])


def test_outline_of_accumulation_and_predictions() -> None:
    # w reaches the loss along two edges of b = w * w and one of a: three chain events into
    # w, the 2nd and 3rd accumulate within the pass; from step 1 on, w still holds step 0's
    # gradient (no zero_grad), so one accumulate_grad adds the pass's sum to w.grad, as torch
    # does (issue 9: it used to be a third accumulate, (old + c1) + c2).
    program = loads(TWO_PATHS, "two.yaml").program
    t, plan = Timeline(program), Plan(program)
    kinds0 = [e.kind for e in plan.outline_of_step(0)]
    kinds1 = [e.kind for e in plan.outline_of_step(1)]
    assert kinds0.count("accumulate") == 2
    assert kinds1.count("accumulate") == 2
    assert kinds0.count("accumulate_grad") == 0 and kinds1.count("accumulate_grad") == 1
    # Right after w's last contribution (its last chain and the accumulate after it).
    at = kinds1.index("accumulate_grad")
    assert kinds1[at - 2 : at + 2] == ["chain", "accumulate", "accumulate_grad", "backward_end"]
    assert plan.outline(0).kind == "predict" and plan.outline(len(plan) - 1).when == "after"  # type: ignore[union-attr]
    for seq in range(len(t)):
        _same_shape(plan.outline(seq), t[seq])


def test_loading_a_scenario_and_its_plan_imports_no_numpy() -> None:
    code = (
        "import sys\n"
        "from stepgrad.engine.plan import Plan\n"
        "from stepgrad.scenario import load\n"
        "p = Plan(load('lecture4').program)\n"
        "print(len(p), p.outline(0).node, 'numpy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["13", "y_hat", "False"]
