"""``stepgrad check``: the engine against PyTorch, event by event, plus ``expect``.

The engine's timeline and the torch oracle run in lock-step, one training step at a
time. Per step this compares every forward value, every gradient-carrying node's
gradient once the backward pass has delivered it (the loss, each intermediate, each
param's ``w.grad`` at ``backward_end``) and every param after its update; then the
predictions before and after training. Single-step scenarios are also checked against
central finite differences in float64. Finally the scenario's ``expect`` is asserted.

Then the three roads to each param's gradient (scalar models): the closed form that
sympy derives (``symbolic.derive``, bounded by ``timeout_s``), evaluated at every step and compared with the
chain rule; torch's ``w.grad`` against stepgrad's at every step; and the scenario's own
hand derivations (``manual:``) against the chain rule at every step.

The torch comparison stops at the first disagreement: everything after it depends on it.
Exit codes: 0 all agree and ``expect`` holds, 1 a disagreement (with torch, finite
differences, between the closed form and the chain rule, or of a ``manual:`` formula)
or a failed expectation (named), 2 bad input (raised as ``ScenarioError``). A model too
large for symbolic work only says so: that is no failure.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from stepgrad.compare import Verdict, compare, tolerance
from stepgrad.engine.events import Event, json_number
from stepgrad.engine.graph import Graph
from stepgrad.engine.program import Program
from stepgrad.engine.timeline import Timeline
from stepgrad.errors import ScenarioError
from stepgrad.explain import fmt
from stepgrad.manual import (
    SCALAR_ONLY,
    Disagreement,
    ManualCheck,
    iter_roads,
    manual_problems,
)
from stepgrad.oracle import TorchStep, torch_available, torch_predictions, torch_steps
from stepgrad.replay import nonfinite_error
from stepgrad.scenario.load import Scenario, load
from stepgrad.streams import visible
from stepgrad.symbolic import NOT_COMPARABLE, TIMEOUT_S, Derivation, TooLarge, derive

#: Finite differences: the step is FD_H·max(1, |w|); stepgrad's gradient g agrees with the
#: central difference d when |g − d| ≤ rtol·max(|g|, |d|) + atol·max(1, |loss|).
FD_H = 1e-6
FD_TOLERANCES: dict[str, tuple[float, float]] = {
    "float64": (1e-5, 1e-7),
    # A float32 gradient is compared with a float64 difference: float32 rounding dominates.
    "float32": (1e-3, 1e-4),
}

StepsFn = Callable[[Program], Iterable[TorchStep]]
PredictFn = Callable[..., dict[str, float]]


@dataclass(frozen=True, slots=True)
class Row:
    """One compared number.

    Attributes:
        seq: the engine event it belongs to (None for finite differences and expect).
        step: the training step (None outside the run).
        kind: the event kind (``forward``, ``chain``, ``accumulate``, ``backward_start``,
            ``backward_end``, ``update``, ``predict``), or ``finite_diff`` / ``expect``.
        node: what is compared, as text: ``y_hat``, ``∂loss/∂s``, ``w.grad``, ``w``.
        ours: stepgrad's number (None: it has none).
        theirs: torch's number, the finite difference, or the expected value.
        verdict: how they compare (finite differences may also be ``skipped``).
        note: extra words for the reader (e.g. ``before`` for a prediction).
    """

    seq: int | None
    step: int | None
    kind: str
    node: str
    ours: float | None
    theirs: float | None
    verdict: Verdict
    note: str = ""

    def to_json(self, other: str = "torch") -> dict[str, Any]:
        """The row as JSON (numbers widened exactly; non-finite as strings).

        Args:
            other: the key for the other side's number (``torch``, ``finite_diff``, ``expected``).
        """
        out: dict[str, Any] = {
            "seq": self.seq,
            "step": self.step,
            "kind": self.kind,
            "node": self.node,
            "stepgrad": json_number(self.ours),
            other: json_number(self.theirs),
            "diff": json_number(self.verdict.diff),
            "verdict": self.verdict.status,
        }
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class StepTable:
    """The rows of one step, shown in full for the first step and a disagreeing one."""

    step: int
    epoch: int
    sample: int | None
    rows: list[Row]


@dataclass(frozen=True, slots=True)
class Miss:
    """Where a road to a gradient first parts from stepgrad's.

    Attributes:
        step: the training step; ``epoch`` and ``sample`` locate it.
        epoch: the step's epoch.
        sample: the step's data sample (None without data).
        seq: the step's ``backward_end`` event.
        value: the road's value (the closed form's, or torch's ``w.grad``).
        stepgrad: what it is compared with (the chain rule's gradient, or stepgrad's ``w.grad``).
        status: ``differs`` or ``missing``.
        diff: ``|value - stepgrad|`` (NaN when not comparable).
    """

    step: int
    epoch: int
    sample: int | None
    seq: int
    value: float | None
    stepgrad: float | None
    status: str
    diff: float

    def to_json(self, road: str, other: str) -> dict[str, Any]:
        """The miss as JSON, the two values under ``road`` and ``other``."""
        return {
            "step": self.step, "epoch": self.epoch, "sample": self.sample, "seq": self.seq,
            road: json_number(self.value), other: json_number(self.stepgrad),
            "diff": json_number(self.diff), "verdict": self.status,
        }


@dataclass
class Tally:
    """How one road compared with stepgrad's gradient over the run.

    Attributes:
        steps: how many steps were compared.
        statuses: steps per status (``equal``, ``close``, ``differs``, ``missing``).
        first: the first step that did not agree, or None.
        note: where and why a step first needed more than the dtype: the closed form
            evaluated wider, or ``not_comparable`` (the dtype cannot hold the value, or the
            closed form is undefined there); None when none did.
    """

    steps: int = 0
    statuses: dict[str, int] = field(
        default_factory=lambda: {"equal": 0, "close": 0, "differs": 0, "missing": 0}
    )
    first: Miss | None = None
    note: str | None = None

    @property
    def ok(self) -> bool:
        """True when every compared step agrees."""
        return self.first is None

    @property
    def disagreeing(self) -> int:
        """Steps that did not agree."""
        return self.statuses["differs"] + self.statuses["missing"]

    def add(self, status: str) -> bool:
        """Count one step; True when it is the first that does not agree (record it)."""
        self.steps += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        return status not in ("equal", "close", NOT_COMPARABLE) and self.first is None

    def to_json(self, road: str, other: str) -> dict[str, Any]:
        """The tally as JSON; the first miss's values under ``road`` and ``other``."""
        out = {
            "steps": self.steps, **self.statuses, "ok": self.ok,
            "first_disagreement": None if self.first is None else self.first.to_json(road, other),
        }
        if self.note is not None:
            out["note"] = self.note
        return out


@dataclass
class ParamRoads:
    """One param's roads over the run.

    Attributes:
        param: the param.
        closed_form: its closed-form ∂loss/∂param (None: not derived).
        closed: the closed form against the chain rule (None: not derived).
        torch: torch's ``w.grad`` against stepgrad's, step by step.
    """

    param: str
    closed_form: str | None = None
    closed: Tally | None = None
    torch: Tally = field(default_factory=Tally)


@dataclass
class Roads:
    """The three roads for every param.

    Attributes:
        params: per param, in the graph's order.
        note: why there are no closed forms (``too large to show symbolically: …``, or
            the model is not scalar), else None.
        accumulates: gradients pile up across steps (training without zero_grad): then
            ``w.grad`` is the sum of every pass so far, the closed form this pass's.
    """

    params: dict[str, ParamRoads]
    note: str | None = None
    accumulates: bool = False

    @property
    def ok(self) -> bool:
        """True when the closed forms agree with the chain rule wherever derived."""
        return all(r.closed is None or r.closed.ok for r in self.params.values())


@dataclass
class Report:
    """Everything ``check`` found; rendered as text or JSON."""

    scenario: Scenario
    n_steps: int
    steps_compared: int = 0
    counts: dict[str, int] = field(
        default_factory=lambda: {"values": 0, "grads": 0, "updates": 0, "predictions": 0}
    )
    statuses: dict[str, int] = field(
        default_factory=lambda: {"equal": 0, "close": 0, "differs": 0, "missing": 0}
    )
    max_diff: float = 0.0
    tables: list[StepTable] = field(default_factory=list)
    first_bad: Row | None = None
    predictions: list[Row] = field(default_factory=list)
    finite_diffs: list[Row] | None = None
    expect: list[Row] = field(default_factory=list)
    roads: Roads | None = None
    manual: list[ManualCheck] = field(default_factory=list)

    @property
    def torch_ok(self) -> bool:
        """True when every number compared with torch agrees."""
        return self.first_bad is None

    @property
    def fd_ok(self) -> bool:
        """True when finite differences agree (or were not run)."""
        return all(r.verdict.ok or r.verdict.status == "skipped" for r in self.finite_diffs or ())

    @property
    def expect_ok(self) -> bool:
        """True when every expectation holds."""
        return all(r.verdict.ok for r in self.expect)

    @property
    def roads_ok(self) -> bool:
        """True when every closed form agrees with the chain rule (or none was derived)."""
        return self.roads is None or self.roads.ok

    @property
    def manual_ok(self) -> bool:
        """True when every ``manual:`` formula agrees with the chain rule at every step."""
        return all(m.ok for m in self.manual)

    @property
    def exit_code(self) -> int:
        """0 when everything agrees, 1 otherwise."""
        good = self.torch_ok and self.fd_ok and self.expect_ok and self.roads_ok and self.manual_ok
        return 0 if good else 1

    def count(self, what: str, row: Row) -> None:
        self.counts[what] += 1
        self.statuses[row.verdict.status] = self.statuses.get(row.verdict.status, 0) + 1
        d = row.verdict.diff
        if not math.isnan(d):
            self.max_diff = max(self.max_diff, d)


# ----- running the comparison ----------------------------------------------------------


def check(
    scenario: Scenario,
    *,
    steps: StepsFn | None = None,
    predictions: PredictFn | None = None,
    roads: bool = True,
    derivation: Derivation | TooLarge | None = None,
    timeout_s: float = TIMEOUT_S,
) -> Report:
    """Compare the engine with torch, finite differences, ``expect``, the closed forms
    and the ``manual:`` formulas.

    Args:
        scenario: a loaded scenario.
        steps: the torch oracle (``torch_steps``); a test double may stand in.
        predictions: the torch predictions (``torch_predictions``); likewise.
        roads: also compare the three roads and the ``manual:`` formulas.
        derivation: the closed forms (``symbolic.derive``'s answer) when the caller has
            them, or a stand-in; derived here (bounded by ``timeout_s``) when None.
        timeout_s: seconds of sympy work allowed.

    Returns:
        The report.

    Raises:
        ScenarioError: when the run produces a NaN or an infinity (naming the event), or
            a ``manual:`` formula cannot be evaluated.
    """
    steps = steps or torch_steps
    predictions = predictions or torch_predictions
    program = scenario.program
    problems = manual_problems(scenario) if roads else []
    if problems:
        raise ScenarioError(scenario.path, problems[0])
    t = Timeline(program)
    bad = t.first_nonfinite()
    if bad is not None:
        raise nonfinite_error(scenario, *bad)

    report = Report(scenario, t.n_steps)
    if roads:
        names = [t.graph.nodes[p].name for p in t.graph.params]
        report.roads = Roads(
            {p: ParamRoads(p) for p in names}, accumulates=program.training and not program.zero_grad
        )
    dtype = program.dtype
    last: TorchStep | None = None
    oracle: Iterator[TorchStep] = iter(steps(program))
    for step in range(t.n_steps):
        ts = next(oracle, None)
        events = t.events_of_step(step)
        rows = _step_rows(t, events, ts, dtype)
        report.steps_compared += 1
        for what, row in rows:
            report.count(what, row)
            if report.first_bad is None and not row.verdict.ok:
                report.first_bad = row
        if report.roads is not None:
            _tally_torch(report.roads, t, step, rows)
        keep = step == 0 or (report.first_bad is not None and report.first_bad.step == step)
        if keep:
            report.tables.append(
                StepTable(step, t.epoch_of(step), t.sample_of(step), [r for _, r in rows])
            )
        last = ts
        if report.first_bad is not None:
            break
    close = getattr(oracle, "close", None)
    if close is not None:
        close()

    if report.first_bad is None and program.predict:
        _compare_predictions(report, t, program, predictions, last)
    if t.n_steps == 1:
        report.finite_diffs = _finite_differences(t, program)
    if scenario.expect is not None:
        report.expect = _expectations(scenario, t)
    if report.roads is not None:
        # After torch, not beside it in a thread: both imports hold the GIL, and
        # overlapping them measured slower than one after the other.
        d = derivation if derivation is not None else _derive(program.graph, timeout_s)
        _walk_roads(report, report.roads, t, scenario, d)
    return report


def _derive(graph: Graph, timeout_s: float) -> Derivation | TooLarge:
    try:
        return derive(graph, timeout_s=timeout_s)
    except Exception as e:  # a closed form is extra: never let it sink the check
        return TooLarge(f"sympy failed ({type(e).__name__})")


def _tally_torch(roads: Roads, t: Timeline, step: int, rows: list[tuple[str, Row]]) -> None:
    """Count torch's ``w.grad`` against stepgrad's for this step (the ``backward_end`` rows)."""
    for _, row in rows:
        if row.kind != "backward_end" or not row.node.endswith(".grad"):
            continue
        pr = roads.params.get(row.node[: -len(".grad")])
        if pr is None:
            continue
        v = row.verdict
        if pr.torch.add(v.status):
            pr.torch.first = Miss(
                step, t.epoch_of(step), t.sample_of(step), row.seq or 0, row.theirs, row.ours,
                v.status, v.diff,
            )


def _walk_roads(
    report: Report, roads: Roads, t: Timeline, scenario: Scenario, d: Derivation | TooLarge
) -> None:
    """Walk the run once: closed form and hand derivations against the chain rule."""
    if isinstance(d, TooLarge):
        roads.note = str(d)
    else:
        for p, pr in roads.params.items():
            pr.closed_form = d.texts.get(p)
            pr.closed = Tally()
    manual = [p for p in roads.params if p in scenario.manual]
    if isinstance(d, TooLarge) and not manual:
        return
    zero = t.dtype.type(0)
    first: dict[str, Disagreement] = {}
    checked: dict[str, int] = dict.fromkeys(manual, 0)
    for sv, step_roads in iter_roads(t, scenario, derivation=d):
        if any(r.note == SCALAR_ONLY for r in step_roads):
            roads.note = SCALAR_ONLY
            for pr in roads.params.values():
                pr.closed = None
            break
        for r in step_roads:
            pr = roads.params[r.param]
            chain = zero if r.chain_value is None else r.chain_value
            if pr.closed is not None and r.closed_ok is not None:
                a = r.closed_ok
                if pr.closed.add(a.status):
                    pr.closed.first = Miss(
                        sv.step, sv.epoch, sv.sample, sv.seq, _f(r.closed_value), _f(chain),
                        a.status, a.diff,
                    )
                if a.note is not None and pr.closed.note is None:
                    at = Miss(sv.step, sv.epoch, sv.sample, sv.seq, None, None, a.status, a.diff)
                    pr.closed.note = f"first at {_where(at)}: {a.note}"
            if r.manual is not None and r.manual_ok is not None and r.param not in first:
                checked[r.param] += 1
                if not r.manual_ok.ok:
                    first[r.param] = Disagreement(
                        r.param, sv.step, sv.epoch, sv.sample, sv.seq, r.manual, r.manual_value,
                        chain, r.manual_ok.diff, r.closed_form, r.closed_value,
                    )
    report.manual = [
        ManualCheck(p, scenario.manual[p], roads.params[p].closed_form, checked[p], first.get(p), None)
        for p in manual
    ]


def _step_rows(
    t: Timeline, events: tuple[Event, ...], ts: TorchStep | None, dtype: str
) -> list[tuple[str, Row]]:
    """One step's comparisons, in event order, each tagged values/grads/updates."""
    g = t.graph
    loss = g.nodes[g.loss].name
    params = {g.nodes[p].name for p in g.params}
    values = ts.values if ts is not None else {}
    grads = ts.grads if ts is not None else {}
    after = ts.params_after if ts is not None else {}
    out: list[tuple[str, Row]] = []
    # The event that delivers each intermediate's final gradient in this pass.
    final: dict[str, tuple[Event, Any]] = {}

    def row(ev: Event, label: str, ours: Any, theirs: Any) -> Row:
        return Row(ev.seq, ev.step, ev.kind, label, _f(ours), theirs, compare(ours, theirs, dtype))

    for ev in events:
        k = ev.kind
        if k == "forward":
            out.append(("values", row(ev, ev.node, ev.value, values.get(ev.node))))  # type: ignore[union-attr]
        elif k == "backward_start":
            final[ev.node] = (ev, ev.value)  # type: ignore[union-attr]
        elif k == "chain":
            if ev.wrt not in params and ev.wrt not in final:  # type: ignore[union-attr]
                final[ev.wrt] = (ev, ev.product)  # type: ignore[union-attr]
        elif k == "accumulate":
            if ev.node not in params:  # type: ignore[union-attr]
                final[ev.node] = (ev, ev.after)  # type: ignore[union-attr]
        elif k == "backward_end":
            inter = sorted(final.items(), key=lambda kv: kv[1][0].seq)
            for name, (src, v) in inter:
                out.append(("grads", row(src, f"∂{loss}/∂{name}", v, grads.get(name))))
            # Gradient-carrying nodes torch knows of but the engine never reached.
            for name, tv in grads.items():
                if name not in params and name not in final and tv is not None:
                    out.append(("grads", row(ev, f"∂{loss}/∂{name}", None, tv)))
            for name, v in ev.grads:  # type: ignore[union-attr]
                out.append(("grads", row(ev, f"{name}.grad", v, grads.get(name))))
        elif k == "update":
            out.append(("updates", row(ev, ev.param, ev.after, after.get(ev.param))))  # type: ignore[union-attr]
    if ts is None and events:
        # The oracle stopped early: name the first event of the step it did not reach.
        ev = events[0]
        out.insert(0, ("values", Row(ev.seq, ev.step, "step", f"step {ev.step}", None, None,
                                     Verdict("missing", math.nan), "torch produced no step")))
    return out


def _f(v: Any) -> float | None:
    return None if v is None else float(v)


def _compare_predictions(
    report: Report, t: Timeline, program: Program, predictions: PredictFn, last: TorchStep | None
) -> None:
    pre = [t[i] for i in _predict_seqs(t)]
    theirs: dict[str, dict[str, float]] = {"before": predictions(program, "before")}
    params_after = last.params_after if last is not None and program.training else None
    theirs["after"] = predictions(program, "after", params_after)
    for ev in pre:
        tv = theirs[ev.when].get(ev.node)  # type: ignore[union-attr]
        r = Row(ev.seq, None, "predict", ev.node, _f(ev.value), tv,  # type: ignore[union-attr]
                compare(ev.value, tv, program.dtype), ev.when)  # type: ignore[union-attr]
        report.predictions.append(r)
        report.count("predictions", r)
        if report.first_bad is None and not r.verdict.ok:
            report.first_bad = r


def _loss64(program: Program, params: dict[str, float]) -> float:
    p = dataclasses.replace(program, dtype="float64", params=params, lr=None, predict=None)
    tl = Timeline(p)
    tl.ensure(1)
    return float(tl.losses()[0])


def _finite_differences(t: Timeline, program: Program) -> list[Row]:
    """Central differences of the loss in float64 against stepgrad's first gradients.

    At a kink (relu or abs at 0) the two one-sided differences disagree; a gradient
    equal to either of them is accepted there, as torch picks one side too.
    """
    end = next(e for e in t.events_of_step(0) if e.kind == "backward_end")
    ours = dict(end.grads)  # type: ignore[union-attr]
    base = dict(program.params)
    with np.errstate(all="ignore"):
        l0 = _loss64(program, base)
        rtol, atol_scale = FD_TOLERANCES.get(program.dtype, FD_TOLERANCES["float64"])
        atol = atol_scale * max(1.0, abs(l0))
        rows: list[Row] = []
        for name, w in base.items():
            h = FD_H * max(1.0, abs(w))
            wp, wm = w + h, w - h
            lp = _loss64(program, {**base, name: wp})
            lm = _loss64(program, {**base, name: wm})
            label = f"∂{t.graph.nodes[t.graph.loss].name}/∂{name}"
            g = _f(ours.get(name))
            if not all(math.isfinite(x) for x in (l0, lp, lm)):
                rows.append(Row(None, None, "finite_diff", label, g, None,
                                Verdict("skipped", math.nan), "loss not finite near this point"))
                continue
            central = (lp - lm) / (wp - wm)
            v = compare(g, central, "float64", rtol=rtol, atol=atol)
            note = f"h={h:g}"
            if not v.ok:
                right = (lp - l0) / (wp - w)
                left = (l0 - lm) / (w - wm)
                if abs(right - left) > 1e-3 * max(1.0, abs(right), abs(left)):
                    side, val = min(
                        (("right", right), ("left", left)),
                        key=lambda sv: abs(sv[1] - (g if g is not None else math.inf)),
                    )
                    vs = compare(g, val, "float64", rtol=rtol, atol=atol)
                    if vs.ok:
                        v, central, note = vs, val, f"h={h:g}, kink: {side}-sided difference"
            rows.append(Row(None, None, "finite_diff", label, g, central, v, note))
    return rows


def _expectations(scenario: Scenario, t: Timeline) -> list[Row]:
    exp = scenario.expect
    assert exp is not None
    dtype = scenario.program.dtype
    g = t.graph
    rows: list[Row] = []

    def add(label: str, ours: Any, want: float) -> None:
        rows.append(Row(None, None, "expect", label, _f(ours), want, compare(ours, want, dtype)))

    events0 = t.events_of_step(0)
    if exp.grad:
        end = next(e for e in events0 if e.kind == "backward_end")
        grads = dict(end.grads)  # type: ignore[union-attr]
        for name, want in exp.grad.items():
            add(f"grad {name}", grads.get(name), want)
    if exp.loss is not None:
        t.ensure(1)
        add(f"loss ({g.nodes[g.loss].name})", t.losses()[0], exp.loss)
    if exp.params:
        after = t.param_values(t.n_steps if scenario.program.training else 0)
        for name, want in exp.params.items():
            add(f"param {name}", after.get(name), want)
    if exp.predict:
        after = [t[i] for i in _predict_seqs(t) if t[i].when == "after"]  # type: ignore[union-attr]
        preds = {e.node: e.value for e in after}  # type: ignore[union-attr]
        for name, want in exp.predict.items():
            add(f"predict {name}", preds.get(name), want)
    return rows


def _predict_seqs(t: Timeline) -> list[int]:
    """Seqs of the prediction events: before the first step and after the last."""
    end = t.step_range(t.n_steps - 1).stop
    return [*range(t.step_start(0)), *range(end, len(t))]


# ----- output ------------------------------------------------------------------------


def _num(v: float | None) -> str:
    return fmt(v)


def _diff(v: Verdict) -> str:
    if v.status == "equal":
        return "0"
    if math.isnan(v.diff):
        return "·"
    return f"{v.diff:.3g}"


def _table(rows: list[Row], other: str) -> list[str]:
    head = ("seq", "event", "node", "stepgrad", other, "diff", "verdict")
    body = [
        (
            "" if r.seq is None else f"#{r.seq}",
            r.kind if not r.note or r.kind != "predict" else f"predict {r.note}",
            r.node,
            _num(r.ours),
            _num(r.theirs),
            _diff(r.verdict),
            r.verdict.status + (f"  ({r.note})" if r.note and r.kind != "predict" else ""),
        )
        for r in rows
    ]
    widths = [max(len(c[i]) for c in (head, *body)) for i in range(len(head) - 1)]
    lines = []
    for cells in (head, *body):
        line = "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False))
        lines.append(("  " + line + "  " + cells[-1]).rstrip())
    return lines


def _n(x: int) -> str:
    return f"{x:,}"


def _plural(n: int, word: str) -> str:
    return f"{_n(n)} {word}" + ("" if n == 1 else "s")


def summary(report: Report) -> str:
    """One line: what was compared with torch and how it came out."""
    c = report.counts
    parts = [_plural(c["values"], "value"), _plural(c["grads"], "grad")]
    if report.scenario.program.training:
        parts.append(_plural(c["updates"], "update"))
    if c["predictions"]:
        parts.append(_plural(c["predictions"], "prediction"))
    what = ", ".join(parts[:-1]) + " and " + parts[-1]
    steps = _plural(report.steps_compared, "step")
    if report.steps_compared < report.n_steps:
        steps += f" of {_n(report.n_steps)}"
    s = report.statuses
    total = sum(s.values())
    if report.first_bad is None:
        if s["close"] == 0:
            how = "all equal bit for bit"
        else:
            how = (f"{_n(s['equal'])} equal bit for bit, {_n(s['close'])} close "
                   f"(largest difference {report.max_diff:.3g}; within the "
                   f"{report.scenario.program.dtype} tolerance)")
    else:
        how = (f"{_n(s['equal'])} equal, {_n(s['close'])} close, "
               f"{_n(s['differs'] + s['missing'])} disagree")
    return f"{steps}, {what} compared with torch ({_n(total)} numbers): {how}"


def first_failure(report: Report) -> str | None:
    """One line naming the first disagreement (torch, finite differences or expect)."""
    r = report.first_bad
    if r is not None:
        if r.step is not None:
            sc = report.scenario.program
            epoch = r.step // sc.n_samples
            where = f"step {r.step}, epoch {epoch}"
            if sc.data:
                where += f", sample {r.step % sc.n_samples}"
        else:
            where = f"prediction {r.note}"
        return (f"first disagreement with torch: event #{r.seq} ({where}) {r.kind} {r.node}: "
                f"stepgrad {_num(r.ours)}, torch {_num(r.theirs)} "
                f"({r.verdict.status}, diff {_diff(r.verdict)})")
    for r in report.finite_diffs or ():
        if not (r.verdict.ok or r.verdict.status == "skipped"):
            return (f"finite differences disagree on {r.node}: stepgrad {_num(r.ours)}, "
                    f"central difference {_num(r.theirs)} (diff {_diff(r.verdict)}, {r.note})")
    for r in report.expect:
        if not r.verdict.ok:
            return (f"expectation failed: {r.node}: stepgrad {_num(r.ours)}, "
                    f"expected {_num(r.theirs)} (diff {_diff(r.verdict)})")
    if report.roads is not None:
        for pr in report.roads.params.values():
            m = pr.closed.first if pr.closed is not None else None
            if m is not None:
                return (f"the closed form disagrees with the chain rule: {_d(report, pr.param)} = "
                        f"{pr.closed_form} at {_where(m)}: closed form {_num(m.value)}, "
                        f"chain rule {_num(m.stepgrad)} (diff {_miss_diff(m)})")
    wrong = [m.first for m in report.manual if m.first is not None]
    if wrong:
        # The earliest step; at one step, the param declared first.
        return min(wrong, key=lambda d: d.step).message()
    return None


def _d(report: Report, param: str) -> str:
    g = report.scenario.program.graph
    return f"∂{g.nodes[g.loss].name}/∂{param}"


def _where(m: Miss) -> str:
    where = f"step {m.step} (epoch {m.epoch}"
    if m.sample is not None:
        where += f", sample {m.sample}"
    return where + f", event #{m.seq})"


def _miss_diff(m: Miss) -> str:
    return "·" if math.isnan(m.diff) else f"{m.diff:.3g}"


def _span(n: int, total: int) -> str:
    if n == total == 1:
        return "at the only step"
    if n == total:
        return f"at all {_n(n)} steps"
    return f"at all {_n(n)} steps compared (of {_n(total)})"


def _tally_line(tally: Tally, total: int, road: str, other: str) -> str:
    """``closed form = chain rule at all 30 steps (all equal bit for bit)``, or the first miss."""
    if tally.steps == 0:
        return f"{road} vs {other}: no step compared"
    st = tally.statuses
    apart = st.get(NOT_COMPARABLE, 0)
    if apart:
        # Not a disagreement: said apart from the steps that were compared.
        compared = tally.steps - apart
        head = (f"{road} and {other} not comparable {_span(apart, apart)}" if not compared else
                f"{road} and {other} not comparable at {_n(apart)} of {_plural(tally.steps, 'step')}")
        rest = dataclasses.replace(tally, steps=compared, statuses={**st, NOT_COMPARABLE: 0}, note=None)
        tail = "" if not compared else "; " + _tally_line(rest, total, road, other)
        return f"{head} ({tally.note}){tail}"
    if tally.first is None:
        how = ("all equal bit for bit" if st["close"] == 0
               else f"{_n(st['equal'])} equal bit for bit, {_n(st['close'])} close")
        if tally.note is not None:  # some steps needed a wider evaluation: say where and why
            how += f"; {tally.note}"
        return f"{road} = {other} {_span(tally.steps, total)} ({how})"
    m = tally.first
    return (f"{road} ≠ {other} at {_n(tally.disagreeing)} of {_plural(tally.steps, 'step')}; "
            f"first at {_where(m)}: {road} {_num(m.value)}, {other} {_num(m.stepgrad)} "
            f"({m.status}, diff {_miss_diff(m)})")


def _manual_line(m: ManualCheck, note: str | None) -> str:
    if m.first is not None:
        return m.first.message()
    if m.error is not None:
        return f"manual ∂loss/∂{m.param} = {m.manual}: {m.error}"
    if m.steps == 0:
        return f"manual ∂loss/∂{m.param} = {m.manual}: not checked ({note or 'no step'})"
    return f"manual ∂loss/∂{m.param} = {m.manual} agrees with the chain rule {_span(m.steps, m.steps)}"


def roads_text(report: Report) -> list[str]:
    """The three roads and the ``manual:`` verdicts as text lines (none when not run)."""
    roads = report.roads
    if roads is None:
        return []
    total = report.n_steps
    lines = ["three roads to each gradient: closed form (sympy), chain rule (stepgrad), "
             "w.grad (torch)"]
    if roads.note is not None:
        lines.append(f"  {roads.note}")
    if roads.accumulates:
        lines.append("  (no zero_grad: w.grad holds the sum of every pass so far; the closed form "
                     "and the chain rule give this pass's gradient)")
    for pr in roads.params.values():
        head = _d(report, pr.param)
        lines.append(f"  {head} = {pr.closed_form}" if pr.closed_form is not None else f"  {head}")
        if pr.closed is not None:
            lines.append("    " + _tally_line(pr.closed, total, "closed form", "chain rule"))
        lines.append("    " + _tally_line(pr.torch, total, f"torch {pr.param}.grad",
                                          f"stepgrad {pr.param}.grad"))
    lines.append("")
    if report.manual:
        lines.append("manual derivations (manual:), against the chain rule at every step")
        lines.extend("  " + _manual_line(m, roads.note) for m in report.manual)
        lines.append("")
    return lines


def _roads_json(report: Report) -> dict[str, Any] | None:
    roads = report.roads
    if roads is None:
        return None
    return {
        "note": roads.note,
        "accumulates": roads.accumulates,
        "ok": roads.ok,
        "params": [
            {
                "param": pr.param,
                "closed_form": pr.closed_form,
                "closed": None if pr.closed is None else pr.closed.to_json("closed", "chain"),
                "torch": pr.torch.to_json("torch", "stepgrad"),
            }
            for pr in roads.params.values()
        ],
    }


def _manual_json(m: ManualCheck) -> dict[str, Any]:
    d = m.first
    return {
        "param": m.param,
        "manual": m.manual,
        "closed_form": m.closed_form,
        "steps": m.steps,
        "ok": m.ok,
        "error": m.error,
        "first_disagreement": None if d is None else {
            "step": d.step, "epoch": d.epoch, "sample": d.sample, "seq": d.seq,
            "manual": json_number(d.manual_value), "chain": json_number(d.chain_value),
            "diff": json_number(d.diff), "closed": json_number(d.closed_value),
        },
        "message": None if d is None else d.message(),
    }


def render_text(report: Report) -> str:
    """The report as the readable text ``stepgrad check`` prints."""
    sc = report.scenario
    p = sc.program
    rtol, atol = tolerance(p.dtype)
    lines = [f"{sc.name}  ({sc.path})",
             f"{p.dtype}, {_plural(report.n_steps, 'step')}; tolerance for 'close': "
             f"|a-b| <= {atol:g} + {rtol:g}·max(|a|,|b|)", ""]
    for tab in report.tables:
        where = f"step {tab.step} (epoch {tab.epoch}"
        where += f", sample {tab.sample})" if tab.sample is not None else ")"
        lines.append(f"stepgrad vs torch, {where}")
        lines.extend(_table(tab.rows, "torch"))
        lines.append("")
    if report.predictions:
        lines.append("predictions")
        lines.extend(_table(report.predictions, "torch"))
        lines.append("")
    if report.finite_diffs is not None:
        fr, fa = FD_TOLERANCES.get(p.dtype, FD_TOLERANCES["float64"])
        lines.append(f"finite differences in float64 (central, h = {FD_H:g}·max(1,|w|); "
                     f"agree within {fr:g}·max(|a|,|b|) + {fa:g}·max(1,|loss|))")
        lines.extend(_table(report.finite_diffs, "finite diff"))
        lines.append("")
    if report.expect:
        lines.append("expect")
        lines.extend(_table(report.expect, "expected"))
        lines.append("")
    lines.extend(roads_text(report))
    lines.append(summary(report))
    fail = first_failure(report)
    if report.finite_diffs is not None and report.fd_ok:
        n = len(report.finite_diffs)
        lines.append(f"finite differences: {_plural(n, 'gradient')} "
                     f"{'agrees' if n == 1 else 'agree'}")
    if report.expect and report.expect_ok:
        n = len(report.expect)
        lines.append(f"expect: {_plural(n, 'value')} {'holds' if n == 1 else 'hold'}")
    roads = report.roads
    if roads is not None and roads.ok:
        derived = [pr for pr in roads.params.values() if pr.closed is not None]
        if derived:
            n = len(derived)
            apart = sum(1 for pr in derived
                        if pr.closed is not None and pr.closed.statuses.get(NOT_COMPARABLE))
            where = "at every step" if not apart else "wherever they can be compared"
            lines.append(f"three roads: {_plural(n, 'closed form')} "
                         f"{'agrees' if n == 1 else 'agree'} with the chain rule {where}")
        elif roads.note is not None:
            lines.append(f"three roads: no closed form ({roads.note})")
    if report.manual and report.manual_ok:
        n = len(report.manual)
        lines.append(f"manual: {_plural(n, 'hand derivation')} "
                     f"{'agrees' if n == 1 else 'agree'} with the chain rule at every step")
    lines.append(f"FAILED: {fail}" if fail is not None else "ok: stepgrad and torch agree")
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> dict[str, Any]:
    """The report as one JSON object (the same information as the text)."""
    sc = report.scenario
    p = sc.program
    rtol, atol = tolerance(p.dtype)
    fr, fa = FD_TOLERANCES.get(p.dtype, FD_TOLERANCES["float64"])
    return {
        "scenario": sc.path,
        "name": sc.name,
        "dtype": p.dtype,
        "steps": report.n_steps,
        "steps_compared": report.steps_compared,
        "ok": report.exit_code == 0,
        "exit": report.exit_code,
        "tolerance": {"rtol": rtol, "atol": atol},
        "counts": dict(report.counts),
        "verdicts": dict(report.statuses),
        "max_diff": json_number(report.max_diff),
        "summary": summary(report),
        "first_disagreement": None if report.first_bad is None else report.first_bad.to_json(),
        "failure": first_failure(report),
        "tables": [
            {"step": tb.step, "epoch": tb.epoch, "sample": tb.sample,
             "rows": [r.to_json() for r in tb.rows]}
            for tb in report.tables
        ],
        "predictions": [r.to_json() for r in report.predictions],
        "finite_differences": None if report.finite_diffs is None else {
            "h": FD_H, "rtol": fr, "atol_per_unit_loss": fa,
            "rows": [r.to_json("finite_diff") for r in report.finite_diffs],
        },
        "expect": [r.to_json("expected") for r in report.expect],
        "roads": _roads_json(report),
        "manual": [_manual_json(m) for m in report.manual],
    }


def run_check(spec: str, as_json: bool = False, *, out: TextIO | None = None) -> int:
    """``stepgrad check SPEC``: print the comparison and return the exit code.

    Args:
        spec: a scenario file or bundled short name.
        as_json: print one JSON object instead of the text tables.
        out: where to print (stdout by default).

    Returns:
        0 when stepgrad, torch, finite differences and ``expect`` all agree; 1 otherwise;
        2 when torch is not installed.

    Raises:
        ScenarioError: a bad scenario, or a non-finite number in the run (exit 2).
    """
    out = out or sys.stdout
    scenario = load(spec)
    if not torch_available():
        print("stepgrad check: torch is not installed (pip install torch)", file=sys.stderr)
        return 2
    report = check(scenario)
    # Names come from the scenario: nothing in them may act on the terminal (streams.visible).
    if as_json:
        out.write(visible(json.dumps(render_json(report), ensure_ascii=False)) + "\n")
    else:
        out.write(visible(render_text(report)))
    return report.exit_code


__all__ = [
    "Miss", "ParamRoads", "Report", "Roads", "Row", "ScenarioError", "Tally", "check", "render_json",
    "render_text", "roads_text", "run_check",
]
