"""The headless driver: walks a timeline and prints it as text or JSON lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO

from stepgrad.engine.events import Event, to_json
from stepgrad.engine.timeline import Timeline, describe_nonfinite, nonfinite_field
from stepgrad.errors import ScenarioError
from stepgrad.explain import describe
from stepgrad.scenario.load import Scenario


def nonfinite_error(scenario: Scenario, ev: Event, field: str, value: Any) -> ScenarioError:
    """A one-line error pointing at the model line (or lr) where a non-finite number appears."""
    name = getattr(ev, "node", None) or getattr(ev, "param", None)
    line: int | None = None
    col: int | None = None
    hint = ""
    lr_at = scenario.where.get("lr")
    if ev.kind == "update" and lr_at is not None:
        line, col = lr_at
        hint = "; the learning rate may be too large"
    elif name in scenario.where:
        line, col = scenario.where[name]
        if lr_at is not None and ev.step:
            # A forward overflow after some good steps: the updates diverged, lr is the cause.
            hint = f"; training diverged: lr (line {lr_at[0]}) may be too large"
    return ScenarioError(scenario.path, describe_nonfinite(ev, field, value) + hint, line, col)


def text_line(timeline: Timeline, ev: Event, forward_args: dict[str, tuple[Any, Any]]) -> str:
    """One aligned line: seq, where in training, kind, and the event in the lecture's words."""
    if ev.kind == "forward":
        forward_args[ev.node] = (ev.args, ev.value)  # type: ignore[union-attr]
    args, out = forward_args.get(getattr(ev, "node", ""), (None, None))
    where = "" if ev.step is None else f"step {ev.step:<3} epoch {ev.epoch:<3}"
    if ev.sample is not None:
        where += f" sample {ev.sample}"
    body = describe(timeline.graph, ev, args if ev.kind == "local_grad" else None, out)
    return f"#{ev.seq:<5} {where:<28} {ev.kind:<14} {body}".rstrip()


def replay(
    scenario: Scenario,
    timeline: Timeline,
    out: TextIO,
    *,
    fmt: str = "text",
    until: int | None = None,
) -> ScenarioError | None:
    """Print events 0..until (all when None).

    Returns:
        The error for the first non-finite number met (after printing its event), or None.
    """
    stop = None if until is None else until + 1
    forward_args: dict[str, tuple[Any, Any]] = {}
    for ev in _events(timeline, stop):
        if fmt == "jsonl":
            out.write(json.dumps(to_json(ev), ensure_ascii=False) + "\n")
        else:
            out.write(text_line(timeline, ev, forward_args) + "\n")
        bad = nonfinite_field(ev)
        if bad is not None:
            return nonfinite_error(scenario, ev, *bad)
    return None


def _events(timeline: Timeline, stop: int | None) -> Iterator[Event]:
    return timeline.iter_events(0, stop)
