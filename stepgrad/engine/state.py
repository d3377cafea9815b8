"""What is known at one point of a run (kept apart from the timeline: no NumPy needed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stepgrad.engine.events import Event

Value = Any  # a NumPy scalar or array of the scenario's dtype


@dataclass(frozen=True, slots=True)
class State:
    """Everything known as of one event (that event included).

    Made by ``stepgrad.engine.fold``: the one place that knows how an event changes it.

    Attributes:
        seq: the event's index.
        event: the event itself.
        step: training step (None for predictions).
        epoch: epoch (None for predictions).
        sample: sample index within the epoch (None without data).
        phase: ``forward``, ``local``, ``backward``, ``update`` or ``predict``.
        values: each node's value by id; None when not yet computed in this step.
        grads: each node's ∂loss/∂node by id, as shown (a param's is its ``.grad``); None
            when not yet known. A param's gradient may come from earlier steps when
            gradients are not zeroed.
        local: local gradients known so far, by (node id, argument index).
        predictions: prediction values known so far, by node name.
        pass_grads: each node's gradient from this backward pass alone, summed so far
            (None: none received yet). Differs from ``grads`` only for a param that
            carries a ``.grad`` from earlier steps (no ``zero_grad``).
        origins: per node, the seq of the event that set its ``pass_grads`` entry.
        carried: params whose ``.grad`` came from earlier steps and is shown until their
            ``accumulate_grad`` adds this pass's sum (what torch's ``w.grad`` holds).
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
    pass_grads: tuple[Value | None, ...] = ()
    origins: tuple[int | None, ...] = ()
    carried: frozenset[int] = field(default_factory=frozenset)
