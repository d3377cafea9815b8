"""After zero_grad, torch adds a pass's gradient to a zeroed ``.grad``: -0.0 becomes +0.0."""

from __future__ import annotations

import math

import pytest

from stepgrad.engine import Timeline
from stepgrad.engine.events import BackwardEnd, Update
from stepgrad.scenario import loads

ZERO_INPUT = """
name: zero input
params: {w: 1.0}
data: {x: [-0.0, -0.0]}
model:
  loss: x * w
train: {epochs: 1, lr: 0.1, zero_grad: true}
"""


def _grads(text: str) -> list[float]:
    t = Timeline(loads(text, "z.yaml").program)
    return [dict(ev.grads)["w"] for ev in t.iter_events() if isinstance(ev, BackwardEnd)]


def test_a_minus_zero_gradient_after_zero_grad_is_plus_zero() -> None:
    # ∂loss/∂w = x = -0.0 in both steps; step 0's .grad is the gradient itself (None
    # before), step 1's is 0.0 + (-0.0) = +0.0.
    grads = _grads(ZERO_INPUT)
    assert [math.copysign(1.0, g) for g in grads] == [-1.0, 1.0]


def test_the_fold_holds_the_reported_grad() -> None:
    t = Timeline(loads(ZERO_INPUT, "z.yaml").program)
    end = next(ev for ev in t.iter_events() if isinstance(ev, BackwardEnd) and ev.step == 1)
    w = t.graph.by_name["w"]
    assert math.copysign(1.0, t.state_at(end.seq).grads[w]) == 1.0


def test_without_zero_grad_the_sum_keeps_torchs_sign() -> None:
    # old + this pass: -0.0 + -0.0 is -0.0 in torch too.
    grads = _grads(ZERO_INPUT.replace("zero_grad: true", "zero_grad: false"))
    assert [math.copysign(1.0, g) for g in grads] == [-1.0, -1.0]


def test_as_torch() -> None:
    torch = pytest.importorskip("torch")
    w = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    seen = []
    for _ in range(2):
        loss = torch.tensor(-0.0, dtype=torch.float64) * w
        loss.backward()
        seen.append(w.grad.item())
        with torch.no_grad():
            w -= 0.1 * w.grad
        w.grad.data.zero_()
    stepgrad = _grads(ZERO_INPUT)
    assert [math.copysign(1.0, g) for g in stepgrad] == [math.copysign(1.0, g) for g in seen]
    t = Timeline(loads(ZERO_INPUT, "z.yaml").program)
    assert [ev.grad for ev in t.iter_events() if isinstance(ev, Update)] == stepgrad
