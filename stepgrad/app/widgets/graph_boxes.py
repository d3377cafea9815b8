"""What each box of the graph shows at one position: its texts and their looks (no Textual).

The graph view draws these; they depend only on the state, the current event and what
it is about, so they are worked out here and compared from move to move.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from stepgrad.app.arrays import dims, finite_all, is_array, shape_of
from stepgrad.app.trace import Focus
from stepgrad.engine.events import (
    Accumulate,
    AccumulateGrad,
    BackwardEnd,
    BackwardStart,
    Chain,
    Event,
    Forward,
    Predict,
    Update,
    ZeroGrad,
)
from stepgrad.engine.graph import Const, Graph, Node
from stepgrad.engine.state import State
from stepgrad.explain import finite

# Style slots: an index per look, resolved to Rich styles once per theme.
(S_BLANK, S_BORDER, S_WIRE, S_NAME, S_LABEL, S_NUM, S_UNKNOWN, S_DIM, S_BAD, S_BREAK, S_SELECT,
 S_STALE) = range(12)  # fmt: skip
S_PHASE = 12  # + phase index
PHASES = ("forward", "local", "backward", "update", "predict", "start")
_ROLES = (
    "", "border", "wire", "name", "label", "text", "unknown", "dim", "bad", "breakpoint", "selected", "stale",
)  # fmt: skip
"""Palette role of each style slot (then one per phase)."""


_VALUE_EVENTS = (Forward, Update, Predict)
"""Events that set a node's value: its value text takes the phase colour."""
_GRAD_EVENTS = (Chain, Accumulate, AccumulateGrad, BackwardStart, ZeroGrad, BackwardEnd)
"""Events that set a node's gradient: its gradient text takes the phase colour."""


def op_label(node: Node) -> str:
    """What a box says about its operation: ``input``, ``param``, ``×``, ``^2``, ``2×``."""
    if node.is_leaf:
        return node.op
    rule = node.rule
    if not any(isinstance(a, Const) for a in node.args):
        return rule.symbol
    texts = [a.text if isinstance(a, Const) else "" for a in node.args]
    return rule.infix.format(*texts).replace(" ", "").replace("()", "")


def _bad(v: Any) -> bool:
    # A matrix's check is kept per array (``arrays.finite_all``): boxes ask at every key.
    return not (finite_all(v) if getattr(v, "ndim", 0) > 0 else finite(v))


@dataclass(frozen=True, slots=True)
class BoxView:
    """What one box shows at one position.

    Attributes:
        value: the value text (``·`` when not yet computed).
        grad: the gradient text, or "" for a node that carries no gradient.
        value_style: style slot of the value.
        grad_style: style slot of the gradient.
        border: style slot of the border.
        heavy: draw the border in heavy lines (a node the current event is about, unless
            selected).
        double: draw the border in double lines (the selected node, at every event).
        mark: a one-cell marker in the top border (``●`` for a breakpoint) or "".
        shape: a shape to write in the bottom border instead of the layout's (a
            prediction's own, ``1×1``), or "" for the layout's.
        entries: a tensor lecture's row under the value: the value's first entries
            (``1.0 2.0 3.0``, ``·`` before it is computed), drawn in ``value_style``; ""
            for a number, an array of one entry, class labels, and a scalar lecture.
    """

    value: str
    grad: str
    value_style: int
    grad_style: int
    border: int
    heavy: bool
    mark: str
    double: bool = False
    shape: str = ""
    entries: str = ""


def box_view(
    graph: Graph,
    i: int,
    state: State,
    focus: Focus,
    phase_slot: int,
    marks: dict[int, str],
    selected: int | None,
    ev: Event | None,
    *,
    predict_inputs: dict[int, float],
    requires_grad: Sequence[bool],
    text: Callable[[Any], str],
    stale: bool = False,
    predict_shapes: dict[int, str] | None = None,
    step_shapes: dict[int, str] | None = None,
    predicted_values: dict[int, Any] | None = None,
    entries: Callable[[Any], str] | None = None,
) -> BoxView:
    """What box ``i`` shows as of ``state``.

    Args:
        graph: the graph.
        i: the node's id.
        state: the state shown.
        focus: what the current event is about (its first node is the current one).
        phase_slot: the style slot of the current phase.
        marks: one-cell markers by node id (breakpoints).
        selected: the node clicked last, outlined.
        ev: the current event (None at the start).
        predict_inputs: at a prediction, the inputs' values as written.
        requires_grad: per node, whether it carries a gradient (its line shows even empty).
        text: a number as the box writes it (cut to the current cap).
        stale: the gradient is the last backward pass's, zeroed since (cleared to ``·``
            and dim, never shown as current).
        predict_shapes: at a prediction, the shapes of the nodes it computes (the
            layout's are a batch's).
        step_shapes: the shapes of this step's nodes that are not the layout's (a short
            last batch's, lecture8's 23 rows where the layout says the first batch's 32).
        predicted_values: at a prediction, the values of the nodes it computes (the
            nodes between its inputs and its node: lecture5's y_hat₁).
        entries: the row of entries of the value shown (None: the box has none).

    Returns:
        The box's texts and looks.
    """
    node = graph.nodes[i]
    v = state.values[i]
    predicted = False
    if v is None and node.name in state.predictions:
        v = state.predictions[node.name]
        predicted = True
    if v is None and isinstance(ev, Predict) and predicted_values and i in predicted_values:
        v = predicted_values[i]
        predicted = True
    if isinstance(ev, Predict) and i in predict_inputs:
        v = predict_inputs[i]
        predicted = True
    gv = state.grads[i]
    hot = bool(focus.nodes) and i in focus.nodes
    value_style = S_UNKNOWN if v is None else (S_BAD if _bad(v) else S_NUM)
    grad_style = S_UNKNOWN if gv is None else (S_BAD if _bad(gv) else S_NUM)
    if hot and focus.nodes[0] == i:
        if isinstance(ev, _VALUE_EVENTS):
            value_style = S_BAD if _bad(v) else phase_slot
        elif isinstance(ev, _GRAD_EVENTS):
            grad_style = S_BAD if _bad(gv) else phase_slot
    elif hot and isinstance(ev, BackwardEnd):
        grad_style = phase_slot
    if stale and gv is not None and not hot:
        grad_style = S_STALE
    # The selected node keeps its own look at every event: double lines in the selection's
    # colour, even when the event lights it (the end of the backward pass draws every param
    # heavy; a selection drawn heavy too could not be told from them). Its numbers keep the
    # phase colour, which says the event is about it.
    border = S_SELECT if i == selected else (phase_slot if hot else S_BORDER)
    value_text = text(v)
    grad_text = text(gv) if (requires_grad[i] or gv is not None) else ""
    if stale and gv is not None and not hot:
        # Cleared, not struck through: a terminal without strikethrough would show the last
        # pass's number as current.
        grad_text = "·"
    double = i == selected
    # A prediction's box says the prediction's own shape (lecture5's x is 1×1 for
    # predict: {x: [[4.0]]}), not the batch's that the border says from the layout.
    shape = dims(shape_of(v)) if predicted and is_array(v) else ""
    if not predicted and step_shapes and i in step_shapes:
        shape = step_shapes[i]
    if isinstance(ev, Predict) and predict_shapes and i in predict_shapes:
        shape = predict_shapes[i]
    return BoxView(
        value_text, grad_text, value_style, grad_style, border, hot and not double, marks.get(i, ""),
        double, shape, entries(v) if entries is not None else "",
    )
