"""The headless driver: walks a timeline and prints it as text or JSON lines.

With ``roads=True`` (``stepgrad replay --roads``) every ``backward_end`` is followed by
the three roads of each param (closed form, chain rule, and the scenario's ``manual:``
formula): one indented text line, or one JSON line of kind ``roads`` that reuses the
``backward_end``'s seq. torch's road is left out: replay never imports torch. sympy is
imported only then (by ``stepgrad.symbolic``, lazily).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

from stepgrad.engine.events import BackwardEnd, Event, json_number
from stepgrad.engine.timeline import AHEAD, Timeline, nonfinite_field
from stepgrad.errors import ScenarioError
from stepgrad.explain import fmt as fmt_value
from stepgrad.replay.lines import JsonLines, StepLines, TextLines, kind_width, text_line
from stepgrad.scenario.load import Scenario
from stepgrad.scenario.nonfinite import nonfinite_error
from stepgrad.streams import visible

if TYPE_CHECKING:
    from stepgrad.manual import Road
    from stepgrad.symbolic import Agreement


_BATCH = 512
"""Lines (or whole steps) written to the stream at once: one write per line would cost as
much as the line."""

__all__ = [
    "JsonLines",
    "StepLines",
    "TextLines",
    "kind_width",
    "replay",
    "roads_json",
    "roads_lines",
    "text_line",
]


def replay(
    scenario: Scenario,
    timeline: Timeline,
    out: TextIO,
    *,
    fmt: str = "text",
    until: int | None = None,
    roads: bool = False,
) -> ScenarioError | None:
    """Print events 0..until (all when None).

    Args:
        scenario: the scenario (for error locations and its ``manual:`` formulas).
        timeline: its timeline.
        out: where to print.
        fmt: ``text`` or ``jsonl``.
        until: the last event to print (inclusive).
        roads: after each ``backward_end``, print the three roads of every param.

    Returns:
        The error for the first non-finite number met (after printing its event), or None.
    """
    stop = len(timeline) if until is None else min(until + 1, len(timeline))
    steps = _road_steps(scenario, timeline) if roads else None
    lines = JsonLines() if fmt == "jsonl" else TextLines(timeline)
    write_line = lines.event_line
    # A whole step (roads aside) is written at once from its numbers, without its events.
    whole = StepLines(timeline, lines) if steps is None else None
    plan = timeline.plan
    pending: list[str] = []
    keep = pending.append
    seq = 0
    ahead: list[list[Any]] = []  # the numbers of the steps to come, the next one last
    try:
        while seq < stop:
            step = plan.locate(seq)
            if step is None:  # the predictions before or after training
                end = min(plan.pre if seq < plan.pre else len(timeline), stop)
                events: Iterable[Event] = timeline.iter_events(seq, end)
            else:
                end = min(plan.step_range(step).stop, stop)
                if whole is not None and end == plan.step_range(step).stop:
                    if not ahead:  # the numbers of the next whole steps, a batch at a time
                        last = plan.locate(stop - 1)
                        if last is None or plan.step_range(last).stop > stop:
                            last = (last if last is not None else plan.n_steps) - 1
                        ahead = timeline.steps_numbers(step, min(AHEAD, last - step + 1))[::-1]
                    numbers = ahead.pop()
                    text = whole.write(step, numbers)
                    if text is not None:
                        keep(text)
                        seq = end
                        if len(pending) >= _BATCH:
                            _flush(pending, out)
                        continue
                    events = timeline.step_events(step, numbers)  # a NaN, say: event by event
                else:
                    events = timeline.iter_events(seq, end)
            for ev in events:
                text, suspect = write_line(ev)
                keep(text)
                if suspect:
                    bad = nonfinite_field(ev)
                    if bad is not None:
                        return nonfinite_error(scenario, ev, *_first_entry(*bad))
                if steps is not None and isinstance(ev, BackwardEnd):
                    sv, step_roads = next(steps)
                    assert sv.seq == ev.seq, (sv.seq, ev.seq)
                    if fmt == "jsonl":
                        pending += (
                            visible(json.dumps(roads_json(ev, r), ensure_ascii=False)) + "\n"
                            for r in step_roads
                        )
                    else:
                        pending += (visible(line) + "\n" for line in roads_lines(timeline, step_roads))
            seq = end
            if len(pending) >= _BATCH:
                _flush(pending, out)
    finally:
        # Everything up to the event that stopped the run is printed before its error.
        _flush(pending, out)
    return None


def _first_entry(field: str, value: Any) -> tuple[str, Any]:
    """For an array, its first non-finite entry and where it is (``value[0, 0]``): the
    error names one number, as for a scalar."""
    if getattr(value, "ndim", 0) == 0:
        return field, value
    import numpy as np

    where = tuple(int(k) for k in np.argwhere(~np.isfinite(value))[0])
    return f"{field}[{', '.join(map(str, where))}]", value[where]


def _flush(pending: list[str], out: TextIO) -> None:
    if pending:
        chunk = "".join(pending)
        pending.clear()  # before writing: a failed write is not written again
        out.write(chunk)


def _road_steps(scenario: Scenario, timeline: Timeline) -> Iterator[tuple[Any, list[Road]]]:
    # Imported here: plain replay stays free of the symbolic machinery.
    from stepgrad.manual import iter_roads

    return iter_roads(timeline, scenario)


def _mark(a: Agreement | None) -> str:
    # The same marks as the app and ``check``'s statuses: a "close" agreement (rounding
    # apart) must not read as the same bits.
    if a is None:
        return ""
    return {"equal": " ✓", "close": " ≈", "not_comparable": " (not comparable)"}.get(a.status, " ✗")


def roads_lines(timeline: Timeline, roads: list[Road]) -> list[str]:
    """One indented line per param, e.g.
    ``  ∂loss/∂w  closed 2*x*(w*x - y) = -7.84 ✓ · chain -7.84 · manual -3.92 ✗``.

    The closed form and the hand derivation are marked against the chain rule: ✓ the
    same bits, ≈ within rounding (``check``'s "close"), ✗ they differ. Without
    zero_grad, where ``w.grad`` (the sum of every pass so far) is not this pass's
    gradient, it is shown too.
    """
    g = timeline.graph
    loss = g.nodes[g.loss].name
    heads = [f"∂{loss}/∂{r.param}" for r in roads]
    width = max(map(len, heads), default=0)
    lines = []
    for head, r in zip(heads, roads, strict=True):
        if r.closed_form is not None and r.closed_value is not None:
            closed = f"closed {r.closed_form} = {fmt_value(r.closed_value)}{_mark(r.closed_ok)}"
        else:
            closed = f"closed: {r.note or 'not derived'}"
        parts = [closed, f"chain {fmt_value(r.chain_value)}"]
        if r.grad_value is not None and r.chain_value is not None and r.grad_value != r.chain_value:
            parts.append(f"{r.param}.grad {fmt_value(r.grad_value)}")
        if r.manual is not None:
            parts.append(f"manual {fmt_value(r.manual_value)}{_mark(r.manual_ok)}")
        lines.append(f"  {head:<{width}}  " + " · ".join(parts))
    return lines


def roads_json(ev: Event, r: Road) -> dict[str, Any]:
    """One param's roads after the ``backward_end`` ``ev``, as a JSON line of kind ``roads``.

    It has no seq of its own: ``seq`` is the ``backward_end``'s.
    """
    return {
        "seq": ev.seq,
        "kind": "roads",
        "step": ev.step,
        "epoch": ev.epoch,
        "sample": ev.sample,
        "param": r.param,
        "closed_form": r.closed_form,
        "closed": json_number(r.closed_value),
        "closed_ok": None if r.closed_ok is None else r.closed_ok.ok,
        "chain": json_number(r.chain_value),
        "manual": r.manual,
        "manual_value": json_number(r.manual_value),
        "manual_ok": None if r.manual_ok is None else r.manual_ok.ok,
        "note": r.note,
    }
