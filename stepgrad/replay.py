"""The headless driver: walks a timeline and prints it as text or JSON lines.

With ``roads=True`` (``stepgrad replay --roads``) every ``backward_end`` is followed by
the three roads of each param (closed form, chain rule, and the scenario's ``manual:``
formula): one indented text line, or one JSON line of kind ``roads`` that reuses the
``backward_end``'s seq. torch's road is left out: replay never imports torch. sympy is
imported only then (by ``stepgrad.symbolic``, lazily).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, TextIO

from stepgrad.engine.events import (
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
)
from stepgrad.engine.timeline import Timeline, nonfinite_field
from stepgrad.errors import ScenarioError
from stepgrad.explain import Describer, describe
from stepgrad.explain import fmt as fmt_value
from stepgrad.scenario.load import Scenario
from stepgrad.scenario.nonfinite import nonfinite_error
from stepgrad.streams import visible

if TYPE_CHECKING:
    from stepgrad.manual import Road
    from stepgrad.symbolic import Agreement


def text_line(timeline: Timeline, ev: Event, forward_args: dict[str, tuple[Any, Any]]) -> str:
    """One aligned line: seq, where in training, kind, and the event in the lecture's words."""
    if isinstance(ev, Forward):
        forward_args[ev.node] = (ev.args, ev.value)
    args, out = forward_args.get(getattr(ev, "node", ""), (None, None))
    where = "" if ev.step is None else f"step {ev.step:<3} epoch {ev.epoch:<3}"
    if ev.sample is not None:
        where += f" sample {ev.sample}"
    body = describe(timeline.graph, ev, args if isinstance(ev, LocalGrad) else None, out)
    return f"#{ev.seq:<5} {where:<28} {ev.kind.ljust(kind_width(timeline))} {body}".rstrip()


def kind_width(timeline: Timeline) -> int:
    """The kind column's width: 14, or 15 in a run that has ``accumulate_grad`` events
    (params carried across steps), so that its lines stay aligned with the others
    while every other run's text stays as it always was."""
    plan = timeline.plan
    return 15 if plan.n_steps > 1 and plan.holding(1) else 14


_BATCH = 512
"""Lines written to the stream at once: one write per line would cost as much as the line."""


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
    steps = _road_steps(scenario, timeline) if roads else None
    write_line = JsonLines().event_line if fmt == "jsonl" else TextLines(timeline).event_line
    pending: list[str] = []
    keep = pending.append
    try:
        for ev in _events(timeline, stop):
            text, suspect = write_line(ev)
            keep(text)
            if suspect:
                bad = nonfinite_field(ev)
                if bad is not None:
                    return nonfinite_error(scenario, ev, *bad)
            if steps is not None and isinstance(ev, BackwardEnd):
                sv, step_roads = next(steps)
                assert sv.seq == ev.seq, (sv.seq, ev.seq)
                if fmt == "jsonl":
                    pending += (
                        visible(json.dumps(roads_json(ev, r), ensure_ascii=False)) + "\n" for r in step_roads
                    )
                else:
                    pending += (visible(line) + "\n" for line in roads_lines(timeline, step_roads))
            if len(pending) >= _BATCH:
                chunk = "".join(pending)
                pending.clear()  # before writing: a failed write is not written again
                out.write(chunk)
    finally:
        # Everything up to the event that stopped the run is printed before its error.
        if pending:
            chunk = "".join(pending)
            pending.clear()
            out.write(chunk)
    return None


class TextLines(Describer):
    """``text_line`` made fast, for ``replay``'s text: the same lines, ``visible``.

    The names are written once per event shape (``explain.Describer``, with the kind's
    column) and made visible then; the numbers, written per event, are ASCII and need no
    escaping.

    Args:
        timeline: the run.
    """

    def __init__(self, timeline: Timeline):
        self._kind_width = kind_width(timeline)
        super().__init__(timeline.graph, track_forward=True, frame=self._frame)
        self.timeline = timeline
        self._step: int | None = None
        self._where = f" {'':<28} "  # no step: a prediction

    def _frame(self, ev: Event, head: str) -> str:
        return visible(f"{ev.kind.ljust(self._kind_width)} {head}")

    def event_line(self, ev: Event) -> tuple[str, bool]:
        """The event's line (ending in a newline), and True when it may hold a NaN or an infinity."""
        try:
            # Describer.line without its call: this runs once per event of the run.
            shown, numbers, suspect = self._by_class[type(ev)](ev, None, None, self._repr)
        except TypeError:
            shown, numbers, suspect = self.line(ev)
        if not numbers:  # the line ends in names: stripped as text_line strips it
            return visible(text_line(self.timeline, ev, self.forwarded)) + "\n", suspect
        where = self._where if ev.step == self._step else self._at(ev)
        # str.ljust, not a format spec: a third of the time, once per event.
        return f"#{str(ev.seq).ljust(5)}{where}{shown}{numbers}\n", suspect

    def _at(self, ev: Event) -> str:
        """Where in training, padded (a step's epoch and sample are the step's own)."""
        if ev.step != self._step:
            where = "" if ev.step is None else f"step {ev.step:<3} epoch {ev.epoch:<3}"
            if ev.sample is not None:
                where += f" sample {ev.sample}"
            self._step, self._where = ev.step, f" {where:<28} "
        return self._where


class JsonLines:
    """``json.dumps(to_json(ev), ensure_ascii=False)``, ``visible``, made fast for ``replay``.

    The same text to the byte (a test holds them equal on every bundled scenario): numbers
    are ``float.__repr__`` as the json module writes them, NaN and infinities the strings
    of ``json_number``; each event class writes its keys in ``to_json``'s order, with the
    keys that hold names made once per node.
    """

    def __init__(self) -> None:
        self._step: int | None = None
        self._where = '"step": null, "epoch": null, "sample": null'  # a prediction's
        self._names: dict[tuple[Any, ...], str] = {}
        self._repr: Callable[[Any], str] | None = float.__repr__
        self._misses = 0

    def _name_part(self, ev: Event, key: tuple[Any, ...]) -> str:
        """The keys between ``sample`` and the numbers: names, op, formula, argument index."""
        got = self._names[key] = visible(
            "".join(f", {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in _names_of(ev))
        )
        return got

    def event_line(self, ev: Event) -> tuple[str, bool]:
        """The event's JSON line (ending in a newline), and True when it may hold a NaN or an infinity."""
        if ev.step != self._step:  # a step's epoch and sample are the step's own
            self._step = ev.step
            self._where = ", ".join(
                f'"{k}": {"null" if v is None else v}'
                for k, v in zip(("step", "epoch", "sample"), (ev.step, ev.epoch, ev.sample), strict=True)
            )
        write = self._by_class[type(ev)]
        fast = self._repr
        if fast is not None:
            try:
                # float.__repr__ reads a float64 (a float subclass) as json does, without
                # the conversion; anything else (float32, an int, None, an array) raises.
                line, numbers = write(self, ev, fast, fast)
                if "n" not in numbers:  # nan and inf are the only reprs with an "n"
                    return line, False
            except TypeError:
                self._misses += 1
                if self._misses > 16:
                    self._repr = None
        line, numbers = write(self, ev, _jfield, _jnum)
        # "N" (NaN) or "I" (Infinity): a false alarm only costs the exact check.
        return line, "N" in numbers or "I" in numbers

    # One method per event class: the line, with ``field`` writing a number field and
    # ``number`` a number in a list or a dict (json_number's floats even when written as
    # ints); and the part of the line that holds only numbers and keys without an "n".

    def _forward(
        self, ev: Forward, field: Callable[[Any], str], number: Callable[[Any], str]
    ) -> tuple[str, str]:
        key = (Forward, ev.node)
        names = self._names.get(key) or self._name_part(ev, key)
        nums = f', "args": [{", ".join([number(a) for a in ev.args])}], "value": {field(ev.value)}}}\n'
        return f'{{"seq": {ev.seq}, "kind": "forward", {self._where}{names}{nums}', nums

    def _value(
        self,
        ev: LocalGrad | BackwardStart | Predict,
        field: Callable[[Any], str],
        number: Callable[[Any], str],
    ) -> tuple[str, str]:
        key: tuple[Any, ...]
        match ev:
            case LocalGrad():
                key = (LocalGrad, ev.node, ev.arg)
            case BackwardStart():
                key = (BackwardStart, ev.node)
            case Predict():
                key = (Predict, ev.when, ev.node)
        names = self._names.get(key) or self._name_part(ev, key)
        nums = f', "value": {field(ev.value)}}}\n'
        return f'{{"seq": {ev.seq}, "kind": "{ev.kind}", {self._where}{names}{nums}', nums

    def _chain(self, ev: Chain, field: Callable[[Any], str], number: Callable[[Any], str]) -> tuple[str, str]:
        key = (Chain, ev.node, ev.arg)
        names = self._names.get(key) or self._name_part(ev, key)
        up, local, product = field(ev.upstream), field(ev.local), field(ev.product)
        nums = f', "upstream": {up}, "local": {local}, "product": {product}}}\n'
        return f'{{"seq": {ev.seq}, "kind": "chain", {self._where}{names}{nums}', nums

    def _sum(
        self, ev: Accumulate | AccumulateGrad, field: Callable[[Any], str], number: Callable[[Any], str]
    ) -> tuple[str, str]:
        key = (Accumulate, ev.node) if isinstance(ev, Accumulate) else (AccumulateGrad, ev.param)
        names = self._names.get(key) or self._name_part(ev, key)
        nums = f', "before": {field(ev.before)}, "add": {field(ev.add)}, "after": {field(ev.after)}}}\n'
        return f'{{"seq": {ev.seq}, "kind": "{ev.kind}", {self._where}{names}{nums}', nums

    def _grads(
        self, ev: BackwardEnd, field: Callable[[Any], str], number: Callable[[Any], str]
    ) -> tuple[str, str]:
        texts = [number(g) for _, g in ev.grads]
        grads = ", ".join([f"{_jstr(p)}: {t}" for (p, _), t in zip(ev.grads, texts, strict=True)])
        line = f'{{"seq": {ev.seq}, "kind": "backward_end", {self._where}, "grads": {{{grads}}}}}\n'
        return line, "".join(texts)

    def _update(
        self, ev: Update, field: Callable[[Any], str], number: Callable[[Any], str]
    ) -> tuple[str, str]:
        key = (Update, ev.param)
        names = self._names.get(key) or self._name_part(ev, key)
        before, grad, lr, after = field(ev.before), field(ev.grad), field(ev.lr), field(ev.after)
        nums = f', "before": {before}, "grad": {grad}, "lr": {lr}, "after": {after}}}\n'
        return f'{{"seq": {ev.seq}, "kind": "update", {self._where}{names}{nums}', nums

    def _zero(
        self, ev: ZeroGrad, field: Callable[[Any], str], number: Callable[[Any], str]
    ) -> tuple[str, str]:
        key = (ZeroGrad, ev.param)
        names = self._names.get(key) or self._name_part(ev, key)
        nums = f', "before": {field(ev.before)}}}\n'
        return f'{{"seq": {ev.seq}, "kind": "zero_grad", {self._where}{names}{nums}', nums

    _by_class: ClassVar[dict[type, Callable[..., tuple[str, str]]]] = {
        Forward: _forward,
        LocalGrad: _value,
        BackwardStart: _value,
        Predict: _value,
        Chain: _chain,
        Accumulate: _sum,
        AccumulateGrad: _sum,
        BackwardEnd: _grads,
        Update: _update,
        ZeroGrad: _zero,
    }


def _names_of(ev: Event) -> list[tuple[str, Any]]:
    """The event's fields that are not numbers, in ``to_json``'s order."""
    match ev:
        case Forward():
            return [("node", ev.node), ("op", ev.op), ("inputs", list(ev.inputs))]
        case LocalGrad():
            return [("node", ev.node), ("wrt", ev.wrt), ("arg", ev.arg), ("formula", ev.formula)]
        case Chain():
            return [("node", ev.node), ("wrt", ev.wrt), ("arg", ev.arg)]
        case BackwardStart() | Accumulate():
            return [("node", ev.node)]
        case AccumulateGrad() | Update() | ZeroGrad():
            return [("param", ev.param)]
        case Predict():
            return [("when", ev.when), ("node", ev.node)]
    return []


_JSON_FLOATS: set[type] = {float}
_jstrs: dict[str, str] = {}
"""Number types written by ``float.__repr__`` (not ints or strings, which to_json keeps)."""

_NONFINITE = {"nan": '"NaN"', "inf": '"Infinity"', "-inf": '"-Infinity"'}


def _jnum(v: Any) -> str:
    """``json.dumps(json_number(v))``, fast for a scalar."""
    if type(v) in _JSON_FLOATS:
        s = repr(float(v))
        return _NONFINITE.get(s, s) if "n" in s else s
    if v is not None and not hasattr(v, "__len__") and not isinstance(v, (str, int)):
        _JSON_FLOATS.add(type(v))
    return json.dumps(json_number(v))


def _jfield(v: Any) -> str:
    """A number field as ``to_json`` writes it (ints and None as they are)."""
    if type(v) in _JSON_FLOATS:
        s = repr(float(v))
        return _NONFINITE.get(s, s) if "n" in s else s
    if isinstance(v, (str, int)) or v is None:
        return json.dumps(v, ensure_ascii=False)
    return _jnum(v)


def _jstr(s: str) -> str:
    got = _jstrs.get(s)
    if got is None:
        got = _jstrs[s] = visible(json.dumps(s, ensure_ascii=False))
    return got


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
