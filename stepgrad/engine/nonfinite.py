"""Where a run first holds a NaN or an infinity, said in one line."""

from __future__ import annotations

from typing import Any

import numpy as np

from stepgrad.engine.events import BackwardEnd, Event

Value = Any


class NonFiniteError(Exception):
    """Raised by callers that refuse non-finite numbers; names the first such event."""

    def __init__(self, event: Event, field: str, value: Value):
        self.event = event
        self.field = field
        self.value = value
        super().__init__(describe_nonfinite(event, field, value))


def describe_nonfinite(event: Event, field: str, value: Value) -> str:
    """One line naming where a non-finite number first appears (in an array: the first
    such element, and where it is)."""
    what = getattr(event, "node", None) or getattr(event, "param", None) or ""
    where = f"step {event.step}, epoch {event.epoch}" if event.step is not None else event.kind
    if np.ndim(value) > 0:
        bad = np.argwhere(~np.isfinite(value))
        at = tuple(int(i) for i in bad[0]) if len(bad) else ()
        number = float(np.asarray(value)[at]) if at else float("nan")
        index = ", ".join(str(i) for i in at)
        field = f"{field}[{index}] of {np.shape(value)}"
        return (
            f"non-finite value {number!r} first appears at event {event.seq} "
            f"({event.kind} {what}, {field}; {where})"
        )
    return (
        f"non-finite value {float(value)!r} first appears at event {event.seq} "
        f"({event.kind} {what}, {field}; {where})"
    )


_NUMERIC_FIELDS = ("value", "upstream", "local", "product", "before", "add", "after", "grad")


def nonfinite_field(ev: Event) -> tuple[str, Value] | None:
    """The first field of ``ev`` holding a NaN or an infinity, with its value."""
    for name in _NUMERIC_FIELDS:
        v = getattr(ev, name, None)
        if v is not None and not np.all(np.isfinite(v)):
            return name, v
    if isinstance(ev, BackwardEnd):
        for name, v in ev.grads:
            if v is not None and not np.all(np.isfinite(v)):
                return f"grads.{name}", v
    return None
