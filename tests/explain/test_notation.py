"""Issue 11, notation: a local gradient, a contribution along one of several paths and a
total gradient read differently in every line; ``w.grad`` names the running sum."""

from __future__ import annotations

from stepgrad.engine.events import Accumulate, BackwardEnd, Chain, LocalGrad, Update
from stepgrad.explain import describe, edge_label, outline
from stepgrad.replay import TextLines

REUSE = """
params: {a: 2.0}
inputs: {x: 3.0}
model:
  b: a + a
  c: b * b
  loss: c * x
"""

FAN_OUT = """
params: {p: 1.0}
inputs: {x: 2.0}
model:
  q: p * x
  r: p + x
  loss: q * r
"""


def _lines(t) -> list[str]:
    return [describe(t.graph, ev) for ev in t.events_of_step(0) if not isinstance(ev, LocalGrad)]


def test_the_loss_nodes_local_gradient_is_not_the_total(timeline_of):
    """lecture4: #3 is the loss node's local gradient, #7 the total ∂loss/∂s made from it:
    the two no longer share one symbol (the chain rule read as circular)."""
    t = timeline_of("lecture4")
    ev = t.events_of_step(0)
    assert isinstance(ev[3], LocalGrad)
    assert describe(t.graph, ev[3], ev[2].args, ev[2].value) == "local ∂loss/∂s = 2*s = 2*(-1.0) = -2.0"
    assert describe(t.graph, ev[7]) == "∂loss/∂s = ∂loss/∂loss · local ∂loss/∂s = 1.0 × (-2.0) = -2.0"
    assert describe(t.graph, ev[9]) == "∂loss/∂w = ∂loss/∂y_hat · local ∂y_hat/∂w = (-2.0) × 1.0 = -2.0"
    assert outline(t.graph, ev[4]) == "local ∂s/∂y_hat = 1"


def test_a_contribution_names_its_path(model_timeline):
    """p feeds q and r: each chain event into p is one path's product (via q, via r), the
    accumulate adds them (+=), and the total ∂loss/∂p is plain where it is whole."""
    t = model_timeline(FAN_OUT)
    lines = _lines(t)
    # q = 2, r = 3: ∂loss/∂q = r = 3, ∂loss/∂r = q = 2; via q: 3 × x = 6, via r: 2 × 1 = 2.
    assert "∂loss/∂p via q = ∂loss/∂q · local ∂q/∂p = 3.0 × 2.0 = 6.0" in lines
    assert "∂loss/∂p via r = ∂loss/∂r · local ∂r/∂p = 2.0 × 1.0 = 2.0" in lines
    assert "∂loss/∂p += 6.0: 2.0 + 6.0 = 8.0" in lines
    assert "grads: ∂loss/∂p = 8.0" in lines
    # q and r have one path each: their products are their totals, plain.
    assert "∂loss/∂q = ∂loss/∂loss · local ∂loss/∂q = 1.0 × 3.0 = 3.0" in lines


def test_one_node_taking_the_same_input_twice_names_the_argument(model_timeline):
    """c = b × b: both paths into b go via c; which argument tells them apart."""
    t = model_timeline(REUSE)
    chains = [describe(t.graph, ev) for ev in t.events_of_step(0) if isinstance(ev, Chain)]
    assert chains[1] == "∂loss/∂b via c (arg 1) = ∂loss/∂c · local ∂c/∂b = 3.0 × 4.0 = 12.0"
    assert chains[2] == "∂loss/∂b via c (arg 2) = ∂loss/∂c · local ∂c/∂b = 3.0 × 4.0 = 12.0"
    acc = [describe(t.graph, ev) for ev in t.events_of_step(0) if isinstance(ev, Accumulate)]
    assert acc == ["∂loss/∂b += 12.0: 12.0 + 12.0 = 24.0", "∂loss/∂a += 24.0: 24.0 + 24.0 = 48.0"]


def test_the_running_sum_is_w_grad(timeline_of):
    """no-zero-grad: from step 1 w.grad holds every pass so far; backward_end and the update
    call it w.grad (the replay text, the timeline's lines), not this pass's ∂loss/∂w."""
    t = timeline_of("no-zero-grad")
    text = TextLines(t)
    step0 = {type(ev): text.event_line(ev)[0] for ev in t.events_of_step(0)}
    assert step0[BackwardEnd].endswith("grads: ∂loss/∂w = -2.0\n")
    step1 = {type(ev): text.event_line(ev)[0] for ev in t.events_of_step(1)}
    assert step1[BackwardEnd].endswith("grads: w.grad = -9.84000015258789\n")
    assert "w ← w − lr·w.grad = 1.0199999809265137 − " in step1[Update]
    end = next(ev for ev in t.events_of_step(1) if isinstance(ev, BackwardEnd))
    assert describe(t.graph, end, carried=True) == "grads: w.grad = -9.84000015258789"


def test_edge_labels_mark_the_local_gradient(timeline_of):
    """The graph's edge labels (longest first) mark the local gradient as the lines do."""
    t = timeline_of("lecture4")
    assert edge_label(t.events_of_step(0)[3])[0] == "local ∂loss/∂s = 2*s = -2.0"
