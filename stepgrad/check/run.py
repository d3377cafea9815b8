"""Running ``stepgrad check``: the engine and torch in lock-step, finite differences,
``expect``, and the roads to each gradient."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from stepgrad.check.differences import backward_end, finite_differences
from stepgrad.check.report import (
    Miss,
    ParamRoads,
    PredictFn,
    Report,
    Roads,
    Row,
    StepsFn,
    StepTable,
    Tally,
    place,
)
from stepgrad.compare import Verdict, compare, compare_elements
from stepgrad.engine.events import BackwardEnd, Event, Forward, Predict, Update
from stepgrad.engine.fold import Scratch
from stepgrad.engine.graph import Graph
from stepgrad.engine.program import Program
from stepgrad.engine.timeline import Timeline
from stepgrad.errors import ScenarioError
from stepgrad.manual import (
    SCALAR_ONLY,
    Disagreement,
    ManualCheck,
    iter_roads,
    manual_problems,
)
from stepgrad.oracle import (
    Kept,
    StepStart,
    TorchStep,
    keep_state,
    stepgrad_start,
    torch_predictions,
    torch_steps,
)
from stepgrad.scenario.load import Scenario
from stepgrad.scenario.nonfinite import nonfinite_error
from stepgrad.symbolic import TIMEOUT_S, Derivation, TooLarge, derive

#: Why an array model has no closed form and no hand derivation to compare: one line.
ARRAYS_NOT_COMPARABLE = "an array model; closed forms and hand derivations are for the scalar lectures"

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
    arrays = program.arrays
    last: TorchStep | None = None
    # Torch starts each step from stepgrad's numbers at its start (asked for by the oracle
    # when it reaches the step): a difference is that step's arithmetic, never a drift
    # carried from earlier steps, which float32 runs each on their own show after a few steps.
    begins: dict[int, StepStart] = {}
    kept: Kept = {}
    oracle: Iterator[TorchStep] = iter(steps(program, starts=begins.get))
    for step in range(t.n_steps):
        start = t.scratch(step)  # before the step's events: no step is run twice
        begins.clear()
        if program.training:
            begins[step] = stepgrad_start(t, start, kept)
        ts = next(oracle, None)
        events = t.events_of_step(step)
        rows = _step_rows(t, start, events, ts, dtype, arrays)
        keep_state(kept, events)
        report.steps_compared += 1
        for what, row in rows:
            report.count(what, row)
            if report.first_bad is None and not row.verdict.ok:
                report.first_bad = row
        if report.roads is not None:
            _tally_torch(report.roads, t, step, rows, "batch" if program.batch_size else "sample")
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
        report.finite_diffs = finite_differences(t, program)
        if report.first_bad is None and report.steps_compared:
            report.finite_diffs = [_torch_wins(r) for r in report.finite_diffs]
    if scenario.expect is not None:
        report.expect = _expectations(scenario, t)
    if report.roads is not None:
        if arrays:
            _arrays_not_comparable(report, report.roads, scenario)
        else:
            # After torch, not beside it in a thread: both imports hold the GIL, and
            # overlapping them measured slower than one after the other.
            d = derivation if derivation is not None else _derive(program.graph, timeout_s)
            _walk_roads(report, report.roads, t, scenario, d)
    return report


TORCH_WINS = (
    "torch agrees with stepgrad: the float64 difference sees another function here "
    "(a float32 sigmoid saturated to 1, a log clamped at -100)"
)


def _torch_wins(row: Row) -> Row:
    """A finite difference that disagrees where torch agrees with stepgrad: not a failure.

    The differences are taken in float64, so they see the function unrounded; stepgrad and
    torch compute it in the scenario's dtype, where it can differ (a float32 sigmoid is
    exactly 1.0 from 17 on, and bce's log is clamped at -100: the gradient there is 0.0 in
    both, its float64 neighbour's about 1). Torch's semantics are the reference.
    """
    if row.verdict.ok or row.verdict.status == "skipped":
        return row
    return dataclasses.replace(row, verdict=Verdict("skipped", math.nan), note=TORCH_WINS)


def _arrays_not_comparable(report: Report, roads: Roads, scenario: Scenario) -> None:
    """An array model: no closed form to derive, no hand derivation to evaluate; said once."""
    roads.note = ARRAYS_NOT_COMPARABLE
    report.manual = [
        ManualCheck(p, scenario.manual[p], None, 0, None, None) for p in roads.params if p in scenario.manual
    ]


def array_row(
    seq: int | None,
    step: int | None,
    kind: str,
    node: str,
    ours: Any,
    theirs: Any,
    dtype: str,
    note: str = "",
    *,
    rtol: float | None = None,
    atol: float | None = None,
    other: str = "torch",
) -> Row:
    """A row comparing two arrays element by element: the largest difference and where."""
    e = compare_elements(ours, theirs, dtype, rtol=rtol, atol=atol)
    present = ours if ours is not None else theirs
    size = 1 if present is None else int(np.size(present))
    if e.verdict.status == "missing":
        note = note or f"{'stepgrad' if ours is None else other} has no value"
    return Row(seq, step, kind, node, e.ours, e.theirs, e.verdict, note or (e.verdict.note or ""),
               e.shape, e.at, size)


def _derive(graph: Graph, timeout_s: float) -> Derivation | TooLarge:
    try:
        return derive(graph, timeout_s=timeout_s)
    except Exception as e:  # a closed form is extra: never let it sink the check
        return TooLarge(f"sympy failed ({type(e).__name__})")


def _tally_torch(roads: Roads, t: Timeline, step: int, rows: list[tuple[str, Row]], unit: str) -> None:
    """Count torch's ``w.grad`` against stepgrad's for this step (the ``backward_end`` rows)."""
    for _, row in rows:
        if row.kind != BackwardEnd.kind or not row.node.endswith(".grad"):
            continue
        pr = roads.params.get(row.node[: -len(".grad")])
        if pr is None:
            continue
        v = row.verdict
        if pr.torch.add(v.status):
            pr.torch.first = Miss(
                step, t.epoch_of(step), t.sample_of(step), row.seq or 0, row.theirs, row.ours,
                v.status, v.diff, row.at, unit,
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
                    pr.closed.note = f"first at {place(at)}: {a.note}"
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
    t: Timeline, start: Scratch, events: tuple[Event, ...], ts: TorchStep | None, dtype: str,
    arrays: bool = False,
) -> list[tuple[str, Row]]:
    """One step's comparisons, in event order, each tagged values/grads/updates/states
    (arrays element by element).

    The step's events are folded into ``start`` (the state at the start of the step): at
    ``backward_end`` it holds each node's gradient from this pass and the event that
    delivered it, which is what torch's retained ``.grad`` of an intermediate holds.
    """
    g = t.graph
    names = [n.name for n in g.nodes]
    loss = names[g.loss]
    params = set(g.params)
    values = ts.values if ts is not None else {}
    grads = ts.grads if ts is not None else {}
    after = ts.params_after if ts is not None else {}
    kept = ts.state if ts is not None else {}
    out: list[tuple[str, Row]] = []
    fold = t.fold
    s = start

    def row(ev: Event, label: str, ours: Any, theirs: Any) -> Row:
        if arrays:
            return array_row(ev.seq, ev.step, ev.kind, label, ours, theirs, dtype)
        return Row(ev.seq, ev.step, ev.kind, label, _f(ours), theirs, compare(ours, theirs, dtype))

    for ev in events:
        fold.apply(s, ev)
        match ev:
            case Forward(node=node, value=value):
                out.append(("values", row(ev, node, value, values.get(node))))
            case BackwardEnd():
                first = events[0].seq
                # Each intermediate's final gradient of this pass, in the order delivered.
                inter = sorted((o, i) for i, o in enumerate(s.origins) if o is not None and i not in params)
                for o, i in inter:
                    name = names[i]
                    src = events[o - first]
                    out.append(("grads", row(src, f"∂{loss}/∂{name}", s.pass_grads[i], grads.get(name))))
                # Gradient-carrying nodes torch knows of but the engine never reached.
                for name, tv in grads.items():
                    j = g.by_name.get(name)
                    reached = j is not None and (j in params or s.origins[j] is not None)
                    if not reached and tv is not None:
                        out.append(("grads", row(ev, f"∂{loss}/∂{name}", None, tv)))
                for name, v in ev.grads:
                    out.append(("grads", row(ev, f"{name}.grad", v, grads.get(name))))
            case Update(param=param, after=value, state=state):
                out.append(("updates", row(ev, param, value, after.get(param))))
                # The optimizer's state (momentum's velocity, Adam's moments) against torch's.
                theirs = kept.get(param, {})
                for name, v in state:
                    out.append(("states", row(ev, f"{param} {name}", v, theirs.get(name))))
    if ts is None and events:
        # The oracle stopped early: name the first event of the step it did not reach.
        ev = events[0]
        out.insert(0, ("values", Row(ev.seq, ev.step, "step", f"step {ev.step}", None, None,
                                     Verdict("missing", math.nan), "torch produced no step")))
    return out


def _predictions(t: Timeline) -> list[Predict]:
    """The prediction events: before the first step and after the last."""
    return [ev for i in _predict_seqs(t) if isinstance(ev := t[i], Predict)]


def _f(v: Any) -> float | None:
    return None if v is None else float(v)


def _compare_predictions(
    report: Report, t: Timeline, program: Program, predictions: PredictFn, last: TorchStep | None
) -> None:
    pre = _predictions(t)
    theirs: dict[str, dict[str, float]] = {"before": predictions(program, "before")}
    params_after = last.params_after if last is not None and program.training else None
    theirs["after"] = predictions(program, "after", params_after)
    for ev in pre:
        tv = theirs[ev.when].get(ev.node)
        if program.arrays:
            r = array_row(ev.seq, None, ev.kind, ev.node, ev.value, tv, program.dtype, ev.when)
        else:
            verdict = compare(ev.value, tv, program.dtype)
            r = Row(ev.seq, None, ev.kind, ev.node, _f(ev.value), tv, verdict, ev.when)
        report.predictions.append(r)
        report.count("predictions", r)
        if report.first_bad is None and not r.verdict.ok:
            report.first_bad = r


def _expectations(scenario: Scenario, t: Timeline) -> list[Row]:
    exp = scenario.expect
    assert exp is not None
    dtype = scenario.program.dtype
    g = t.graph
    rows: list[Row] = []

    def add(label: str, ours: Any, want: Any) -> None:
        if scenario.program.arrays:
            rows.append(array_row(None, None, "expect", label, ours, want, dtype, other="expected"))
            return
        rows.append(Row(None, None, "expect", label, _f(ours), want, compare(ours, want, dtype)))

    events0 = t.events_of_step(0)
    if exp.grad:
        grads = dict(backward_end(events0).grads)
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
        preds = {e.node: e.value for e in _predictions(t) if e.when == "after"}
        for name, want in exp.predict.items():
            add(f"predict {name}", preds.get(name), want)
    return rows


def _predict_seqs(t: Timeline) -> list[int]:
    """Seqs of the prediction events: before the first step and after the last."""
    end = t.step_range(t.n_steps - 1).stop
    return [*range(t.step_start(0)), *range(end, len(t))]
