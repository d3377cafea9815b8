"""The headless driver: walks a timeline and prints it as text or JSON lines.

With ``roads=True`` (``stepgrad replay --roads``) every ``backward_end`` is followed by
the three roads of each param (closed form, chain rule, and the scenario's ``manual:``
formula): one indented text line, or one JSON line of kind ``roads`` that reuses the
``backward_end``'s seq. torch's road is left out: replay never imports torch. sympy is
imported only then (by ``stepgrad.symbolic``, lazily).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

from stepgrad.engine.events import Event, json_number, to_json
from stepgrad.engine.timeline import Timeline, describe_nonfinite, nonfinite_field
from stepgrad.errors import ScenarioError
from stepgrad.explain import describe
from stepgrad.explain import fmt as fmt_value
from stepgrad.scenario.load import Scenario
from stepgrad.streams import visible

if TYPE_CHECKING:
    from stepgrad.manual import Road
    from stepgrad.symbolic import Agreement


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
    stop = None if until is None else until + 1
    forward_args: dict[str, tuple[Any, Any]] = {}
    steps = _road_steps(scenario, timeline) if roads else None
    for ev in _events(timeline, stop):
        if fmt == "jsonl":
            out.write(visible(json.dumps(to_json(ev), ensure_ascii=False)) + "\n")
        else:
            # Names come from the scenario: nothing in them may act on the terminal.
            out.write(visible(text_line(timeline, ev, forward_args)) + "\n")
        bad = nonfinite_field(ev)
        if bad is not None:
            return nonfinite_error(scenario, ev, *bad)
        if steps is not None and ev.kind == "backward_end":
            sv, step_roads = next(steps)
            assert sv.seq == ev.seq, (sv.seq, ev.seq)
            if fmt == "jsonl":
                for r in step_roads:
                    out.write(visible(json.dumps(roads_json(ev, r), ensure_ascii=False)) + "\n")
            else:
                out.writelines(visible(line) + "\n" for line in roads_lines(timeline, step_roads))
    return None


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


def _events(timeline: Timeline, stop: int | None) -> Iterator[Event]:
    return timeline.iter_events(0, stop)
