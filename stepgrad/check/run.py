"""Running ``stepgrad check``: the engine and torch in lock-step, finite differences,
``expect``, and the roads to each gradient."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from stepgrad.check.report import (
    FD_H,
    FD_TOLERANCES,
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
from stepgrad.compare import Verdict, compare
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
from stepgrad.oracle import TorchStep, torch_predictions, torch_steps
from stepgrad.scenario.load import Scenario
from stepgrad.scenario.nonfinite import nonfinite_error
from stepgrad.symbolic import TIMEOUT_S, Derivation, TooLarge, derive

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
        start = t.scratch(step)  # before the step's events: no step is run twice
        events = t.events_of_step(step)
        rows = _step_rows(t, start, events, ts, dtype)
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
        if row.kind != BackwardEnd.kind or not row.node.endswith(".grad"):
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
    t: Timeline, start: Scratch, events: tuple[Event, ...], ts: TorchStep | None, dtype: str
) -> list[tuple[str, Row]]:
    """One step's comparisons, in event order, each tagged values/grads/updates.

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
    out: list[tuple[str, Row]] = []
    fold = t.fold
    s = start

    def row(ev: Event, label: str, ours: Any, theirs: Any) -> Row:
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
            case Update(param=param, after=value):
                out.append(("updates", row(ev, param, value, after.get(param))))
    if ts is None and events:
        # The oracle stopped early: name the first event of the step it did not reach.
        ev = events[0]
        out.insert(0, ("values", Row(ev.seq, ev.step, "step", f"step {ev.step}", None, None,
                                     Verdict("missing", math.nan), "torch produced no step")))
    return out


def _backward_end(events: tuple[Event, ...]) -> BackwardEnd:
    """A step's ``backward_end`` event."""
    return next(e for e in events if isinstance(e, BackwardEnd))


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
        verdict = compare(ev.value, tv, program.dtype)
        r = Row(ev.seq, None, ev.kind, ev.node, _f(ev.value), tv, verdict, ev.when)
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
    ours = dict(_backward_end(t.events_of_step(0)).grads)
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
        grads = dict(_backward_end(events0).grads)
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
