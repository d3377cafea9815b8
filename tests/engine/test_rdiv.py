"""A constant over a node is torch's ``w.reciprocal() * c`` (Python's ``c / w`` on a tensor)."""

from __future__ import annotations

import pytest

from stepgrad.engine import Timeline
from stepgrad.engine.events import BackwardEnd, Forward
from stepgrad.scenario import loads

W = 3.435504826667761
TEXT = f"""
name: c over w
params: {{w: {W!r}}}
data: {{x: [1.0]}}
model:
  loss: (-0.3) / w
train: {{epochs: 1, lr: 0.1}}
"""


def _run(text: str) -> tuple[float, float]:
    t = Timeline(loads(text, "c.yaml").program)
    evs = list(t.iter_events())
    value = next(ev.value for ev in evs if isinstance(ev, Forward) and ev.node == "loss")
    grad = next(dict(ev.grads)["w"] for ev in evs if isinstance(ev, BackwardEnd))
    return value, grad


def test_a_constant_over_w_is_its_reciprocal_times_the_constant() -> None:
    value, grad = _run(TEXT)
    r = 1.0 / W
    assert value == r * -0.3 == -0.08732341100826876  # -0.3 / W is ...875, one bit away
    assert grad == -(1.0 * -0.3) * (r * r) == 0.025417927033730112  # a true division's: ...011


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_as_torch(dtype: str) -> None:
    torch = pytest.importorskip("torch")
    w = torch.tensor(W, dtype=getattr(torch, dtype), requires_grad=True)
    loss = -0.3 / w
    loss.backward()
    assert w.grad is not None
    assert _run(TEXT.replace("name:", f"dtype: {dtype}\nname:")) == (loss.item(), w.grad.item())
