"""The app asks the timeline for a prediction's every node through its public
``prediction_values`` (it read the Timeline's private lock, runner and checkpoints)."""

from __future__ import annotations

import ast
import inspect

import numpy as np
from app_helpers import scenario

from stepgrad.app import trace as trace_module
from stepgrad.app.trace import Trace
from stepgrad.engine.events import Predict
from stepgrad.engine.timeline import Timeline


def test_prediction_values_agree_with_the_predict_events() -> None:
    """lecture5 before and after training: each predicted node's value is its Predict
    event's, and the node between x and y_hat (y_hat₁ = x @ w) is computed too."""
    t = Timeline(scenario("lecture5").program)
    g = t.graph
    events = [ev for ev in t if isinstance(ev, Predict)]
    assert {ev.when for ev in events} == {"before", "after"}
    for ev in events:
        values = t.prediction_values(ev.when)
        assert len(values) == len(g.nodes)
        np.testing.assert_array_equal(values[g.by_name[ev.node]], ev.value)
        assert values[g.by_name["y_hat₁"]] is not None
    got = Trace(t).prediction_values("after")
    np.testing.assert_array_equal(got[g.by_name["y_hat"]], t.prediction_values("after")[g.by_name["y_hat"]])


def test_trace_reads_no_private_attribute_of_the_timeline() -> None:
    """No ``t._lock``, ``t._runner`` or ``t._ck`` (any ``._name`` on something other than
    self) in stepgrad/app/trace.py."""
    tree = ast.parse(inspect.getsource(trace_module))
    private = [
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
        and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
    ]
    assert private == []
