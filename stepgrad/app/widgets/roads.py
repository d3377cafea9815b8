"""Three roads to one gradient: the closed form, the chain rule and torch, side by side.

For one param (the clicked one, the one picked with ``r``, the one whose roads part, or
the current event's) the panel shows the closed-form ∂loss/∂param sympy derived, and
at the current step its value, the chain rule's (the graph's backward pass), torch's
``w.grad`` and, when the scenario states one, the hand derivation's, each marked
against the chain rule. A line at the foot gives every param's verdict at a glance.

Before the step's backward pass ends the formulas are shown and the numbers are ``·``:
the panel, like the rest of the app, never shows a number not yet computed at this
point. The panel keeps the same height at every position (lines are padded), so that
stepping never moves the graph above it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stepgrad.app.widgets.inspector import wrap
from stepgrad.app.widgets.text_lines import Line, TextLines
from stepgrad.explain import fmt

DERIVING = "deriving…"
"""Shown in place of a closed form while sympy works."""

LABELS = ("chain rule", "closed form", "torch", "by hand")
SHORT = ("chain", "closed", "torch", "hand")
"""Row labels, and the short ones for narrow panels."""

NUM_MAX = 24
"""Cells a float64 may need (``-1.2345678901234567e-100``)."""


@dataclass(frozen=True, slots=True)
class RoadsView:
    """What the panel shows at one position (the app builds it; see ``StepgradApp``).

    Attributes:
        params: every param, in the graph's order.
        loss: the loss's name.
        shown: the param shown in detail.
        step: the step the numbers belong to.
        forms: each param's closed form; None while deriving, or when there is none.
        form_note: why there is no closed form: ``DERIVING``, ``too large to show
            symbolically: …``, or the scalar-only note.
        manual: the scenario's hand derivations, as written.
        roads: each param's ``manual.Road`` at ``step``, once its gradient is final in
            this step (from the event that last adds to it); None before any is.
        at: the seq where the shown param's numbers appear: the step's ``backward_end``,
            or the event that completes its gradient.
        end: the seq of the step's ``backward_end``.
        torch: empty when torch's number is known, else what torch is doing
            (``loading…``, ``torch 3/10…``, ``unavailable …``).
        first_wrong: the first step a hand derivation disagrees (``manual.Disagreement``).
        checking: True while the run is still being checked for that step.
        accumulates: True when gradients accumulate across steps (no zero_grad), so that
            torch's ``w.grad`` may hold more than this pass's gradient.
    """

    params: tuple[str, ...]
    loss: str
    shown: str
    step: int
    forms: Mapping[str, str] | None
    form_note: str | None
    manual: Mapping[str, str] = field(default_factory=dict)
    roads: Mapping[str, Any] | None = None
    at: int | None = None
    end: int | None = None
    torch: str = ""
    first_wrong: Any = None
    checking: bool = False
    accumulates: bool = False
    absent: str = ""
    """Why there are no roads to show (a tensor lecture's); "" where there are."""


ARRAYS_ABSENT = (
    "the three roads (a closed form from sympy, a hand derivation, torch) are for the "
    "scalar lectures: a matrix's gradient has no one formula to derive here. The chain "
    "rule is in the inspector (] and [ step through one element's sum of products, o "
    "picks one), torch's .grad element by element in the params panel (c: every step)."
)
"""The panel on a tensor lecture."""

ROADS_NONE = "no three roads for matrices (no one formula): see ] [ o and c"
"""What r says on a tensor lecture, where the panel is not shown (the help says more)."""


def _mark(agreement: Any) -> tuple[str, str, str]:
    """(long text, short text, role) of an agreement (None: nothing to compare)."""
    if agreement is None:
        return ("", "", "muted")
    s = agreement.status
    if s == "equal":
        return ("✓ equal", "✓", "ok")
    if s == "close":
        return (f"≈ {agreement.diff:.0e}", "≈", "ok")
    if s == "missing":
        return ("✗ missing", "✗", "error")
    if s == "not_comparable":  # the dtype cannot hold it, or the closed form is undefined here
        return ("? not comparable", "?", "muted")
    diff = agreement.diff
    by = f" by {diff:.4g}" if isinstance(diff, float) and math.isfinite(diff) else ""
    return (f"✗ differs{by}", "✗", "error")


def verdict(road: Any) -> tuple[str, str]:
    """One mark for all of a param's roads: ✗ if any parts, ≈ if any is only close, else ✓."""
    oks = [a for a in (road.closed_ok, road.manual_ok, road.torch_ok) if a is not None]
    if any(not a.ok for a in oks):
        return ("✗", "error")
    if any(a.status == "close" for a in oks):
        return ("≈", "ok")
    if any(a.status == "not_comparable" for a in oks):
        return ("?", "muted")
    return ("✓", "ok")


def _num(v: Any, room: int) -> str:
    s = fmt(v)
    if len(s) > room and v is not None:
        size = getattr(v, "size", None)
        return f"({size} values)" if size else s[: max(room - 1, 1)] + "…"
    return s


def _formula_lines(view: RoadsView, param: str, width: int) -> list[Line]:
    head = f"∂{view.loss}/∂{param}"
    if view.forms is not None and param in view.forms:
        return wrap([[(head, "name"), (" = ", "muted"), (view.forms[param], "formula")]], width)
    note = view.form_note or "no closed form"
    if note == DERIVING:
        return [[(head, "name"), (" = ", "muted"), (DERIVING, "muted")]]
    return wrap([[(head, "name"), (": ", "muted"), (note, "muted")]], width)


def _hand_lines(view: RoadsView, param: str, width: int) -> list[Line]:
    text = view.manual.get(param)
    if text is None:
        return []
    return wrap([[("  = ", "muted"), (text, "formula")]], width)


def _grad_row(view: RoadsView, road: Any, label_w: int, room: int, width: int) -> Line:
    """The running sum's row (no zero_grad): stepgrad's ``w.grad`` after this pass."""
    p = view.shown
    label = f"{p}.grad".ljust(label_w)
    if road is None or road.grad_value is None:
        return [(label, "label"), ("·", "unknown")]
    num = _num(road.grad_value, room)
    note = "every pass so far (no zero_grad)"
    line: list[tuple[str, str]] = [(label, "label"), (num, "strong")]
    if len(label) + len(num) + 2 + len(note) <= width:
        line.append(("  " + note, "muted"))
    return line


def lines(view: RoadsView, width: int) -> list[Line]:
    """The panel's lines for ``width`` cells, always the same number for one scenario
    and width (padded), whatever the position.

    Args:
        view: what to show.
        width: cells available.
    """
    if view.absent:
        return wrap([[(view.absent, "muted")]], width)
    labels = LABELS if width >= 14 + NUM_MAX + 12 else SHORT
    label_w = max(len(s) for s in labels) + 2
    room = max(width - label_w, 4)
    p = view.shown
    road = view.roads.get(p) if view.roads is not None else None
    out: list[Line] = []

    # The closed form: as many lines as the longest param's needs, so the height stays.
    form = _formula_lines(view, p, width)
    form_h = max(len(_formula_lines(view, q, width)) for q in view.params)
    out += form + [[]] * (form_h - len(form))

    values = (
        (road.chain_value, road.closed_value, road.torch_value, road.manual_value) if road else (None,) * 4
    )
    nums = [_num(v, room) for v in values]
    pad = max(8, *(len(n) + 2 for n in nums))

    def row(k: int, mark: tuple[str, str, str], note: str = "") -> Line:
        label = labels[k].ljust(label_w)
        if road is None:
            return [(label, "label"), ("·", "unknown")]
        num = nums[k]
        if values[k] is None and k in (1, 3):
            return [(label, "label"), ("—", "muted")]
        long, short, role = mark
        width_num = pad
        if label_w + pad + len(long) <= width:
            m = long
        elif label_w + len(num) + 1 + len(short) <= width:
            m, width_num = short, len(num) + 1
        else:
            m, width_num = "", len(num)
        line: list[tuple[str, str]] = [(label, "label"), (num.ljust(width_num), "strong")]
        if m:
            line.append((m, role))
        if note and sum(len(t) for t, _ in line) + 2 + len(note) <= width:
            line.append((("  " if m else "") + note, "muted"))
        return line

    if road is None:
        first: Line = row(0, ("", "", "muted"))
        notes = (
            [
                f"numbers at #{view.at} "
                + ("(end of the backward pass)" if view.at == view.end else f"(∂{view.loss}/∂{p} complete)"),
                f"numbers at #{view.at}",
            ]
            if view.at is not None
            else ["this step has no backward pass", "no backward pass"]
        )
        for note in notes:
            if label_w + 4 + len(note) <= width:
                first = [*first, ("   " + note, "muted")]
                break
    else:
        first = row(0, ("", "", "muted"), "this backward pass")
    out.append(first)
    out.append(row(1, _mark(road.closed_ok if road else None), "vs chain rule"))
    torch_note = f"{p}.grad vs chain rule"
    if view.accumulates:
        # Without zero_grad, w.grad is the running sum of every pass, not this pass's
        # gradient: torch's w.grad is compared with stepgrad's, shown on a row of its own,
        # so that "✓ equal" never stands beside a different number unexplained.
        out.append(_grad_row(view, road, label_w, room, width))
        torch_note = f"{p}.grad vs {p}.grad above"
    if road is not None and road.torch_value is None and view.torch:
        out.append([(labels[2].ljust(label_w), "label"), (view.torch, "muted")])
    else:
        out.append(row(2, _mark(road.torch_ok if road else None), torch_note))

    if view.manual:
        hand_h = max(len(_hand_lines(view, q, width)) for q in view.params)
        text = view.manual.get(p)
        if text is None:
            out.append([(labels[3].ljust(label_w), "label"), (f"no hand derivation for {p}", "muted")])
        else:
            out.append(row(3, _mark(road.manual_ok if road else None)))
        hand = _hand_lines(view, p, width)
        out += hand + [[]] * (hand_h - len(hand))
        fw = view.first_wrong
        if fw is not None:
            role = "error" if fw.param == p else "muted"
            what = f"  hand ∂{view.loss}/∂{fw.param}"
            if road is not None and view.at == fw.seq:
                msg = f"{what} goes wrong first here, at step {fw.step}"
            else:
                msg = f"{what} first wrong at step {fw.step} (#{fw.seq}) · w: go there"
            short = f"  first wrong: step {fw.step} (#{fw.seq}) · w"
            out.append([(msg if len(msg) <= width else short, role)])
        elif view.checking:
            out.append([("  checking the hand derivation at every step…", "muted")])
        else:
            out.append([("  the hand derivation agrees at every step", "ok")])

    if len(view.params) > 1:
        summary: list[tuple[str, str]] = []
        hint = "r: next param"
        used = 0
        # Whole entries only, the shown param always among them; the rest counted.
        order = [p] + [q for q in view.params if q != p]
        fits: set[str] = set()
        for q in order:
            need = len(q) + 5
            rest = len(view.params) - len(fits) - 1
            if used + need + (len(f"+ {rest} more") if rest else 0) > width:
                break
            fits.add(q)
            used += need
        for q in view.params:
            if q not in fits:
                continue
            r = view.roads.get(q) if view.roads is not None else None
            mark, role = verdict(r) if r is not None else ("·", "unknown")
            summary += [
                ("▸" if q == p else " ", "accent"),
                (q, "selected" if q == p else "text"),
                (" ", ""),
                (mark, role),
                ("  ", ""),
            ]
        if len(fits) < len(view.params):
            summary.append((f"+ {len(view.params) - len(fits)} more", "muted"))
        used = sum(len(t) for t, _ in summary)
        if used + len(hint) <= width:
            summary.append((" " * (width - used - len(hint)), ""))
            summary.append((hint, "muted"))
        out.append(summary)
    return out


class RoadsPanel(TextLines):
    """The panel of ``lines``; the app passes a ``RoadsView`` at every position."""

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self._view: RoadsView | None = None

    @property
    def view(self) -> RoadsView | None:
        """What is shown (for tests)."""
        return self._view

    def show(self, view: RoadsView) -> None:
        """Show ``view``; the border names the param and the step."""
        self._view = view
        title = f"three roads · ∂{view.loss}/∂{view.shown} · step {view.step}"
        if self.border_title != title:
            self.border_title = title
        self._redraw()

    def _redraw(self) -> None:
        if self._view is not None:
            self.set_lines(lines(self._view, self.size.width or 60))

    def on_resize(self) -> None:
        self._redraw()
