"""The stepping engine: graph, op rules, events and the random-access timeline.

Pure Python and NumPy: nothing here imports Textual, Rich or torch. NumPy itself is
imported by the first computation, not by loading a scenario.
"""

from __future__ import annotations

from typing import Any

from stepgrad.engine.events import (
    EVENT_TYPES,
    KINDS,
    Accumulate,
    AccumulateGrad,
    BackwardEnd,
    BackwardStart,
    Chain,
    Event,
    Forward,
    LocalGrad,
    Predict,
    Update,
    ZeroGrad,
    json_number,
    to_json,
)
from stepgrad.engine.graph import Const, Edge, Graph, Node
from stepgrad.engine.ops import FUNCTIONS, RULES, OpRule
from stepgrad.engine.plan import Plan
from stepgrad.engine.program import Program
from stepgrad.engine.state import State

# The timeline computes, so it needs NumPy: imported when first asked for, so that loading a
# scenario (and the app's first frame) does not wait for NumPy.
_TIMELINE = ("NonFiniteError", "Timeline", "describe_nonfinite", "nonfinite_field")


def __getattr__(name: str) -> Any:
    if name in _TIMELINE:
        from stepgrad.engine import timeline

        return getattr(timeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EVENT_TYPES",
    "FUNCTIONS",
    "KINDS",
    "RULES",
    "Accumulate",
    "AccumulateGrad",
    "BackwardEnd",
    "BackwardStart",
    "Chain",
    "Const",
    "Edge",
    "Event",
    "Forward",
    "Graph",
    "LocalGrad",
    "Node",
    "NonFiniteError",
    "OpRule",
    "Plan",
    "Predict",
    "Program",
    "State",
    "Timeline",
    "Update",
    "ZeroGrad",
    "describe_nonfinite",
    "json_number",
    "nonfinite_field",
    "to_json",
]
