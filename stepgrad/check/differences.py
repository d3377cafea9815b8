"""Finite differences for ``stepgrad check``: stepgrad's first gradients against central
differences of the loss in float64, for a single-pass scenario."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from stepgrad.check.report import FD_H, FD_TOLERANCES, Row
from stepgrad.compare import Verdict, compare, compare_elements
from stepgrad.engine.events import BackwardEnd, Event
from stepgrad.engine.program import Program
from stepgrad.engine.timeline import Timeline

#: Finite differences of an array param perturb at most this many of its elements
#: (evenly spread), two runs of the model each.
FD_MAX_ELEMENTS = 64


def backward_end(events: tuple[Event, ...]) -> BackwardEnd:
    """A step's ``backward_end`` event."""
    return next(e for e in events if isinstance(e, BackwardEnd))


def _f(v: Any) -> float | None:
    return None if v is None else float(v)


def _loss64(program: Program, params: dict[str, Any]) -> float:
    p = dataclasses.replace(program, dtype="float64", params=params, lr=None, predict=None)
    tl = Timeline(p)
    tl.ensure(1)
    return float(tl.losses()[0])


def finite_differences(t: Timeline, program: Program) -> list[Row]:
    """Central differences of the loss in float64 against stepgrad's first gradients.

    At a kink (relu or abs at 0) the two one-sided differences disagree; a gradient
    equal to either of them is accepted there, as torch picks one side too.
    """
    ours = dict(backward_end(t.events_of_step(0)).grads)
    base = dict(program.params)
    if program.arrays:
        return _finite_differences_arrays(t, program, ours)
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


def _finite_differences_arrays(t: Timeline, program: Program, ours: dict[str, Any]) -> list[Row]:
    """Central differences for an array model: each param's elements (at most
    ``FD_MAX_ELEMENTS`` of them, evenly spread) perturbed one at a time, one row per param
    with the largest difference and where it is. At a kink an element equal to either
    one-sided difference is accepted, as for a scalar."""
    base = {k: np.asarray(v, dtype=np.float64) for k, v in program.params.items()}
    rows: list[Row] = []
    loss_name = t.graph.nodes[t.graph.loss].name
    with np.errstate(all="ignore"):
        l0 = _loss64(program, {k: v.tolist() for k, v in base.items()})
        rtol, atol_scale = FD_TOLERANCES.get(program.dtype, FD_TOLERANCES["float64"])
        atol = atol_scale * max(1.0, abs(l0))
        for name, w in base.items():
            label = f"∂{loss_name}/∂{name}"
            g = ours.get(name)
            grad = None if g is None else np.asarray(g, dtype=np.float64)
            n = w.size
            picked = np.unique(np.linspace(0, n - 1, min(n, FD_MAX_ELEMENTS)).round().astype(int))
            central = np.full(w.shape, np.nan)
            h_max = 0.0
            finite = math.isfinite(l0)
            for j in picked:
                h = FD_H * max(1.0, abs(float(w.flat[j])))
                h_max = max(h_max, h)
                lp, lm, wp, wm = _perturbed(program, base, name, int(j), h)
                finite = finite and math.isfinite(lp) and math.isfinite(lm)
                d = (lp - lm) / (wp - wm)
                if grad is not None and not compare(grad.flat[j], d, "float64", rtol=rtol, atol=atol).ok:
                    w0 = float(w.flat[j])
                    right, left = (lp - l0) / (wp - w0), (l0 - lm) / (w0 - wm)
                    if abs(right - left) > 1e-3 * max(1.0, abs(right), abs(left)):
                        side = min((right, left), key=lambda v: abs(v - float(grad.flat[j])))
                        if compare(grad.flat[j], side, "float64", rtol=rtol, atol=atol).ok:
                            d = side
                central.flat[j] = d
            if not finite:
                rows.append(Row(None, None, "finite_diff", label, None, None,
                                Verdict("skipped", math.nan), "loss not finite near this point",
                                w.shape, None, 0))
                continue
            note = f"h<={h_max:g}" + ("" if len(picked) == n else f", {len(picked)} of {n} elements")
            mine = None if grad is None else grad.flat[picked]
            e = compare_elements(mine, central.flat[picked], "float64", rtol=rtol, atol=atol)
            at = None if e.at is None else tuple(
                int(i) for i in np.unravel_index(int(picked[e.at[0]]), w.shape)
            )
            rows.append(Row(None, None, "finite_diff", label, e.ours, e.theirs, e.verdict, note,
                            w.shape, at, len(picked)))
    return rows


def _perturbed(
    program: Program, base: dict[str, Any], name: str, j: int, h: float
) -> tuple[float, float, float, float]:
    """The loss with element ``j`` of param ``name`` moved by +h and by -h (in float64)."""
    w = base[name]
    wp, wm = w.copy(), w.copy()
    wp.flat[j] += h
    wm.flat[j] -= h
    rest = {k: v.tolist() for k, v in base.items()}
    lp = _loss64(program, {**rest, name: wp.tolist()})
    lm = _loss64(program, {**rest, name: wm.tolist()})
    return lp, lm, float(wp.flat[j]), float(wm.flat[j])
