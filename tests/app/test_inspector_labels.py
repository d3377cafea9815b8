"""Newcomer's item 15: lecture9's class labels y read as labels in the inspector, as its box
writes them ([2, 1, 1, …]), never as floats with a norm ([2.0, 1.0, 1.0, …] ‖·‖ 10.0)."""

from __future__ import annotations

from app_helpers import scenario

from stepgrad.app.explainer import Explainer, plain
from stepgrad.app.trace import Trace


def test_labels_in_the_inspector() -> None:
    program = scenario("lecture9").program
    tr = Trace(program)
    ex = Explainer(tr, "lecture9", "")
    y = tr.graph.by_name["y"]
    # The first five labels of data/three_classes.csv's column 2.
    first = [int(v) for v in tr.state(2).values[y][:5]]
    want = f"(60,) labels [{', '.join(map(str, first))}, …]"
    forward = plain(ex.event(2, tr.state(2)))  # loss = cross_entropy(logits, y)
    assert f"y = {want}" in forward and "‖·‖ 10.0" not in forward
    assert want in plain(ex.node(y, 2, tr.state(2), False))
