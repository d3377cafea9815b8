"""What is known at one point of a run (kept apart from the timeline: no NumPy needed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stepgrad.engine.events import Event

Value = Any  # a NumPy scalar or array of the scenario's dtype


@dataclass(frozen=True, slots=True)
class State:
    """Everything known as of one event (that event included).

    Attributes:
        seq: the event's index.
        event: the event itself.
        step: training step (None for predictions).
        epoch: epoch (None for predictions).
        sample: sample index within the epoch (None without data).
        phase: ``forward``, ``local``, ``backward``, ``update`` or ``predict``.
        values: each node's value by id; None when not yet computed in this step.
        grads: each node's ∂loss/∂node by id; None when not yet known. A param's gradient
            may come from earlier steps when gradients are not zeroed.
        local: local gradients known so far, by (node id, argument index).
        predictions: prediction values known so far, by node name.
    """

    seq: int
    event: Event
    step: int | None
    epoch: int | None
    sample: int | None
    phase: str
    values: tuple[Value | None, ...]
    grads: tuple[Value | None, ...]
    local: dict[tuple[int, int], Value]
    predictions: dict[str, Value]
