"""Rendering a ``stepgrad check`` report: the text tables and summary, and the JSON object."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from stepgrad.check.report import (
    FD_H,
    FD_TOLERANCES,
    Miss,
    Report,
    Row,
    Tally,
    index_text,
    place,
)
from stepgrad.compare import ARRAY_ATOL, Verdict, tolerance
from stepgrad.engine.events import Predict, json_number
from stepgrad.explain import fmt
from stepgrad.explain.steps import step_unit
from stepgrad.manual import (
    ManualCheck,
)
from stepgrad.symbolic import NOT_COMPARABLE

# ----- output ------------------------------------------------------------------------


def _num(v: float | None) -> str:
    return fmt(v)


def _diff(v: Verdict) -> str:
    if v.status == "equal":
        return "0"
    if math.isnan(v.diff):
        return "·"
    return f"{v.diff:.3g}"


#: How an array row's verdict reads: ✓ equal, ≈ close, ✗ differs (as the params panel marks them).
MARKS = {"equal": "✓", "close": "≈", "differs": "✗", "missing": "✗"}


def _element_text(r: Row, other: str) -> str:
    """An array row's verdict in words: ``≈ largest difference 2.2e-16 at [2, 3]``."""
    v = r.verdict
    mark = MARKS.get(v.status, "·")
    pair = f"(stepgrad {_num(r.ours)}, {other} {_num(r.theirs)})"
    where = "" if not r.at else f" at {index_text(r.at)}"
    largest = "largest difference" if r.shape else "difference"
    if v.status == "equal":
        text = f"{mark} equal" + (f" ({_num(r.ours)})" if r.shape == () and r.ours is not None else "")
    elif v.status == "close":
        text = f"{mark} close, {largest} {_diff(v)}{where}" + (f" {pair}" if not r.shape else "")
    elif v.status == "differs" and r.at is not None:
        text = f"{mark} differs, {largest} {_diff(v)}{where} {pair}"
    else:
        text = f"{mark} {v.status}"
    if r.note and r.kind != Predict.kind:
        text += f" ({r.note})"
    return text


def _array_table(rows: list[Row], other: str) -> list[str]:
    """One line per compared array: ``#40  backward_end  W1.grad (8, 6): ≈ close, largest
    difference 2.2e-16 at [2, 3]``."""
    head = ("seq", "event", "compared")
    body = [
        (
            "" if r.seq is None else f"#{r.seq}",
            r.kind if not r.note or r.kind != Predict.kind else f"predict {r.note}",
            f"{r.label}: {_element_text(r, other)}",
        )
        for r in rows
    ]
    widths = [max(len(c[i]) for c in (head, *body)) for i in range(len(head) - 1)]
    return [
        ("  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False))
         + "  " + cells[-1]).rstrip()
        for cells in (head, *body)
    ]


def _table(rows: list[Row], other: str) -> list[str]:
    if any(r.shape is not None for r in rows):
        return _array_table(rows, other)
    head = ("seq", "event", "node", "stepgrad", other, "diff", "verdict")
    body = [
        (
            "" if r.seq is None else f"#{r.seq}",
            r.kind if not r.note or r.kind != Predict.kind else f"predict {r.note}",
            r.node,
            _num(r.ours),
            _num(r.theirs),
            _diff(r.verdict),
            r.verdict.status + (f"  ({r.note})" if r.note and r.kind != Predict.kind else ""),
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
    if c.get("states"):
        parts.append(_plural(c["states"], "optimizer state"))
    if c["predictions"]:
        parts.append(_plural(c["predictions"], "prediction"))
    what = ", ".join(parts[:-1]) + " and " + parts[-1]
    steps = _plural(report.steps_compared, "step")
    if report.steps_compared < report.n_steps:
        steps += f" of {_n(report.n_steps)}"
    s = report.statuses
    total = sum(s.values())
    numbers = _plural(total, "number")
    if report.arrays:
        numbers = f"{_plural(total, 'array')} of {_plural(report.numbers, 'number')}"
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
    return f"{steps}, {what} compared with torch ({numbers}): {how}"


def first_failure(report: Report) -> str | None:
    """One line naming the first disagreement (torch, finite differences or expect)."""
    r = report.first_bad
    if r is not None:
        if r.step is not None:
            sc = report.scenario.program
            epoch = r.step // sc.n_samples
            where = f"step {r.step}, epoch {epoch}"
            if sc.data and _unit(report) is not None:
                where += f", {_unit(report)} {r.step % sc.n_samples}"
        else:
            where = f"prediction {r.note}"
        node = r.node if not r.at else f"{r.label} at {index_text(r.at)}"
        return (f"first disagreement with torch: event #{r.seq} ({where}) {r.kind} {node}: "
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
                        f"{pr.closed_form} at {place(m)}: closed form {_num(m.value)}, "
                        f"chain rule {_num(m.stepgrad)} (diff {_miss_diff(m)})")
    wrong = [m.first for m in report.manual if m.first is not None]
    if wrong:
        # The earliest step; at one step, the param declared first.
        return min(wrong, key=lambda d: d.step).message()
    return None


def _unit(report: Report) -> str | None:
    """What a step takes from the data: a sample, a batch of rows, or None: all the rows
    (a full-batch step is named by its step alone, ``explain.steps``)."""
    p = report.scenario.program
    return step_unit(p.batch_size, p.n_samples)


def _d(report: Report, param: str) -> str:
    g = report.scenario.program.graph
    return f"∂{g.nodes[g.loss].name}/∂{param}"


def _miss_diff(m: Miss) -> str:
    return "·" if math.isnan(m.diff) else f"{m.diff:.3g}"


def _span(n: int, total: int) -> str:
    if n == total == 1:
        return "at the only step"
    if n == total:
        return f"at all {_n(n)} steps"
    return f"at all {_n(n)} steps compared (of {_n(total)})"


def _tally_line(tally: Tally, total: int, road: str, other: str) -> str:
    """``closed form = chain rule at all 30 steps (all equal bit for bit)``, ``≈`` where some
    were only close, or the first miss."""
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
        # ≈ where some step was only close: "=" beside "0 equal bit for bit" read as a contradiction.
        rel = "=" if st["close"] == 0 else "≈"
        return f"{road} {rel} {other} {_span(tally.steps, total)} ({how})"
    m = tally.first
    at = "" if not m.at else f"{index_text(m.at)}"
    return (f"{road} ≠ {other} at {_n(tally.disagreeing)} of {_plural(tally.steps, 'step')}; "
            f"first at {place(m)}: {road}{at} {_num(m.value)}, {other}{at} {_num(m.stepgrad)} "
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
             "w.grad (torch)" if not report.scenario.program.arrays else
             # An array model has no closed form at all: the heading names the two roads it lists
             # (a scalar one too large for sympy keeps three, its note saying why one is missing).
             "two roads to each gradient: chain rule (stepgrad), w.grad (torch)"]
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


#: How torch runs a training, said under the header: why a figure is that step's alone.
RESYNC_NOTE = (
    "torch starts each step from stepgrad's params and optimizer state: "
    "a difference is that step's own arithmetic"
)


def render_text(report: Report) -> str:
    """The report as the readable text ``stepgrad check`` prints."""
    sc = report.scenario
    p = sc.program
    rtol, atol = tolerance(p.dtype)
    lines = [f"{sc.name}  ({sc.path})",
             f"{p.dtype}, {_plural(report.n_steps, 'step')}; tolerance for 'close': "
             f"|a-b| <= {atol:g} + {rtol:g}·max(|a|,|b|)"
             + (f" (an array's {atol:g} at most {ARRAY_ATOL:g}·its largest entry)" if p.arrays else "")]
    if p.training and report.n_steps > 1:
        lines.append(RESYNC_NOTE)
    lines.append("")
    for tab in report.tables:
        where = f"step {tab.step} (epoch {tab.epoch}"
        unit = _unit(report)
        where += f", {unit} {tab.sample})" if tab.sample is not None and unit is not None else ")"
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
        n = sum(1 for r in report.finite_diffs if r.verdict.ok)
        skipped = len(report.finite_diffs) - n
        said = f"finite differences: {_plural(n, 'gradient')} {'agrees' if n == 1 else 'agree'}"
        if skipped:
            said += f", {skipped} skipped (see the table)"
        lines.append(said)
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
    checked = [m for m in report.manual if m.steps or m.error is not None]
    if checked and report.manual_ok:
        # Only the formulas evaluated: an array model's are listed above as not checked.
        n = len(checked)
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
        **({"numbers": report.numbers} if report.arrays else {}),
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
