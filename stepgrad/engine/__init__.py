"""The stepping engine: graph, op rules, events and the random-access timeline.

Pure Python and NumPy: nothing here imports Textual, Rich or torch.
"""

from __future__ import annotations

from stepgrad.engine.events import (
    EVENT_TYPES,
    KINDS,
    Accumulate,
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
from stepgrad.engine.program import Program
from stepgrad.engine.timeline import (
    NonFiniteError,
    State,
    Timeline,
    describe_nonfinite,
    nonfinite_field,
)

__all__ = [
    "EVENT_TYPES",
    "FUNCTIONS",
    "KINDS",
    "RULES",
    "Accumulate",
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
