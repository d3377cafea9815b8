"""An edge's mark keeps its number through a step, and an array product's legend line
names what arrives (a student's walk, lecture5 at 120x40: ① moved from loss ← y_hat to
y_hat ← y_hat₁ between #8 and #10, and its legend was a bare array)."""

from __future__ import annotations

from app_helpers import scenario

from stepgrad.app.trace import Trace
from stepgrad.app.widgets.graph_labels import labels_of
from stepgrad.explain import fmt


def _labels(pos: int) -> dict[tuple[int, int], tuple[int | None, tuple[str, ...]]]:
    tr = Trace(scenario("lecture5").program)
    return {lb.edge: (lb.number, lb.forms) for lb in labels_of(tr, pos, tr.state(pos), fmt)}


def test_an_edge_keeps_its_number_from_its_local_gradient_to_its_chain_event() -> None:
    tr = Trace(scenario("lecture5").program)
    y_hat = (tr.graph.by_name["y_hat"], 0)  # y_hat = y_hat₁ + b: its first argument
    # Local gradients come loss's first (#4), then y_hat's (#5, #6), then y_hat₁'s (#7).
    assert _labels(8)[y_hat][0] == 1
    number, forms = _labels(10)[y_hat]  # the chain event that multiplies it in
    assert number == 1
    assert forms[0].startswith("∂loss/∂y_hat₁ = [[-2.627330780029297], ")
