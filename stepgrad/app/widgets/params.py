"""Params beside torch: each param's value and gradient, torch's number for the same point,
and whether they agree.

The panel's layout (which form, each cell's width, a matrix's digits and first entries, the
marks in words or in one cell) is picked once per run and panel size, from what the run can
show (its params' shapes, the longest number a scalar can be written with, every mark a row
can get), never from the numbers of the current event: stepping changes the numbers in their
cells, never where a row or a column is. A number longer than its cell (rare: a scalar over
``EXACT_W`` cells) ends in ``…``, never cut silently; the inspector and ``c`` give it whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import prod
from typing import Any

from stepgrad.app.arrays import PREVIEW_ENTRIES, box_text, dims, index_text, is_array, preview
from stepgrad.app.comparison import PENDING, WAITING, Row
from stepgrad.app.widgets.graph_sizing import compact
from stepgrad.app.widgets.text_lines import Line, TextLines
from stepgrad.explain import finite, fmt

MARK = {
    "equal": ("✓ equal", "ok"),
    "close": ("≈", "ok"),
    "differs": ("✗ differs", "error"),
    "missing": ("✗ missing", "error"),
    PENDING: ("after backward", "muted"),
}
"""Text and role of each comparison status."""

NOTHING = "-"
"""The one-cell mark where there is nothing to compare: no loss after training."""
PREDICTION = "- prediction"
"""The mark of the loss after training: a prediction computes no loss."""
NONE_YET = "none yet"
"""The mark of a gradient neither side has yet: before the first backward pass stepgrad
shows ``·`` and torch's ``.grad`` is ``None``."""
LATER = "…"
"""A one-cell mark (and torch's cell) for a number that comes later: torch still running,
or a gradient the backward pass is still adding up (the long mark says until when)."""
RUNNING = "torch running…"
"""The mark of a row whose step torch has not run yet (the c table's word too)."""
LOADING = "loading…"
"""The mark of every row while torch is still being imported."""

EXACT_W = 20
"""Cells a number written exactly is given (``-0.09269886997481017``: 17 significant digits
and a sign): the panel's layout counts on it for every scalar, whatever the event shows; a
longer one (an exponent) ends in ``…`` before its exponent (the inspector and c give it whole)."""
BIGGEST_EVENT = 999_999
"""The largest event number a mark ``at #N`` is given room for."""


def mark(row: Row, torch_state: str, progress: int = 0) -> tuple[str, str]:
    """The agree/disagree mark of a row, and its role; ``progress``: steps torch has run."""
    if row.status == WAITING:
        if torch_state == "loading":
            return (LOADING, "muted")
        return (RUNNING, "muted")
    where = "" if row.where is None or _single(row) else " at " + index_text(row.where)
    if row.status == "close":
        return (f"≈ {row.diff:.0e}{where}", "ok")
    if row.status == "differs" and where:
        return (f"✗ differs{where}", "error")
    if row.status == PENDING:
        # Torch's w.grad is known once the whole backward pass has run; the loss once the
        # forward pass has computed it. A blank here read as a lost number.
        if row.at is not None:
            return (f"at #{row.at}", "muted")
        return ("after backward" if row.ours is not None else PREDICTION, "muted")
    if row.status == "equal" and row.ours is None:
        return MARK["equal"] if cleared(row) else (NONE_YET, "muted")
    if row.status == "equal" and not finite(row.ours):
        # The same bits, but not a green tick: both runs have broken down alike.
        return (f"= both {fmt(row.ours)}", "warn")
    return MARK[row.status]


def _single(row: Row) -> bool:
    """An array of one entry: where it differs goes without saying."""
    v = row.ours if row.ours is not None else row.theirs
    return is_array(v) and v.size == 1


SHORT = {"✓ equal": "✓", "✗ differs": "✗", "✗ missing": "✗", NONE_YET: NOTHING, PREDICTION: NOTHING,
         "after backward": LATER, RUNNING: LATER, LOADING: LATER}
"""A mark in one cell, where the long one would leave no room for torch's number."""


def short(text: str) -> str:
    """The one-cell form of a mark (``≈ 3e-14`` → ``≈``, ``at #41`` → ``…``, ``none yet`` →
    ``-``, ``= both nan`` → ``=``)."""
    if text in SHORT:
        return SHORT[text]
    if text.startswith("at #"):
        return LATER
    if text.startswith("= both"):
        return "="
    return "≈" if text.startswith("≈") else "✗" if text.startswith("✗ ") else text


COLUMNS, MARKS, ONE_LINE, PLAIN = "columns", "marks", "one-line", "plain"
"""The panel's forms: torch's number in a column of its own; a mark per row (torch's number
under a row that differs); a tensor lecture's param on one line, value and ``.grad`` side by
side; no torch at all (it failed)."""


@dataclass(frozen=True, slots=True)
class Layout:
    """How the panel writes a run at one size, picked once (``layout``).

    Attributes:
        form: ``COLUMNS``, ``MARKS``, ``ONE_LINE`` or ``PLAIN``.
        label_w: the labels' cells, gap included.
        num_w: stepgrad's cells (one-line: the value's).
        their_w: torch's cells (columns), or the ``.grad``'s (one-line).
        marks: ``full`` (words, and where a matrix differs most), ``words`` (no place), ``short``
            (one cell).
        entries: a matrix's first entries written after its norm.
        digits: cells each of a matrix's numbers is cut to.
        shapes: a param's value says its shape first.
        compared: a pending row reads ``compared at #N``, not ``at #N``.
    """

    form: str
    label_w: int
    num_w: int
    their_w: int = 0
    marks: str = "short"
    entries: int = 0
    digits: int = 7
    shapes: bool = True
    compared: bool = False


Shapes = tuple[tuple[int, ...] | None, ...]
"""Each row's array shape (None: a number), in the rows' order."""


def shapes_of(rows: Sequence[Row]) -> Shapes:
    """What the run can show, row by row: a param's shape (its value's, for its ``.grad`` too)
    or None for a number; the same at every event of the run."""
    out: list[tuple[int, ...] | None] = []
    for k, r in enumerate(rows):
        src = rows[k - k % 2] if k < len(rows) - 1 else r
        v = src.ours if src.ours is not None else src.theirs
        out.append(tuple(v.shape) if is_array(v) else None)
    return tuple(out)


def _number_w(shape: tuple[int, ...] | None, entries: int, digits: int, with_shape: bool) -> int:
    """The most cells a row's number can take: a scalar ``EXACT_W``; a matrix its norm (or
    its one entry) in ``digits`` cells, ``entries`` first entries and ``…``, its shape first."""
    if shape is None:
        return EXACT_W
    size = prod(shape)
    w = digits + 2
    if size > 1 and entries:
        w += min(entries, size) * (1 + digits) + (2 if size > entries else 0)
    if with_shape:
        w += len(dims(shape)) + 1
    return w


def _marks_w(shapes: Shapes, level: str, compared: bool, loss_only: bool = False) -> int:
    """The widest mark a row can get at ``level`` (``short``: one cell)."""
    if level == "short":
        return 1
    at = 0
    if level == "full" and not loss_only:
        places = [index_text([n - 1 for n in s]) for s in shapes if s and prod(s) > 1]
        at = max((len(" at " + p) for p in places), default=0)
    pending = ("compared " if compared else "") + f"at #{BIGGEST_EVENT}"
    words = ("✗ missing", NONE_YET, PREDICTION, RUNNING, LOADING, "= both -inf", "after backward")
    return max(len("≈ 1e-10") + at, len("✗ differs") + at, len(pending), *(len(w) for w in words))


def _marks_level(shapes: Shapes, room: int) -> tuple[str, bool]:
    """The longest marks every row's fits in ``room`` cells: with where a matrix differs most
    and ``compared at #N``, then without ``compared``, without the place, else one cell."""
    for level, compared in (("full", True), ("full", False), ("words", False)):
        if _marks_w(shapes, level, compared) <= room:
            return level, compared
    return "short", False


def layout(shapes: Shapes, labels: Sequence[str], width: int, max_lines: int, unavailable: bool) -> Layout:
    """The form and cell widths for a run (``shapes``, ``labels``) in ``width`` × ``max_lines``
    cells: the first of torch's column, marks beside stepgrad's number, or (a tensor lecture
    whose two rows a param do not fit) one line a param, that holds every row and every number
    the run can show; where none does, the first that holds the widths (the rest of the rows
    are counted, ``+ N more``), else a mark per row with stepgrad's numbers cut to the room.
    """
    label_w = max(len(s) for s in labels) + 2
    n = len(labels)
    arrays = any(s is not None for s in shapes)
    if unavailable:
        num_w = max(_number_w(s, 0, 7, True) for s in shapes)
        return Layout(PLAIN, label_w, min(num_w, max(width - label_w - 1, 4)))
    candidates: list[tuple[int, Layout]] = []  # (lines, layout)
    entry_choices = range(PREVIEW_ENTRIES, -1, -1) if arrays else (0,)
    # Torch's column only with the marks in words beside it (✓ equal, none yet), where a
    # matrix differs most first: else a mark per row says more. Without torch's column, the
    # most of a matrix's first entries, then the longest marks.
    tries = ((COLUMNS, ("full",)), (COLUMNS, ("words",)), (MARKS, ("full", "words")), (MARKS, ("short",)))
    found: dict[str, Layout] = {}
    for form, levels in tries:
        for gap in (2, 1):  # after the labels
            for entries in entry_choices:
                num_w = max(_number_w(s, entries, 7, k % 2 == 0) for k, s in enumerate(shapes))
                their_w = max(_number_w(s, entries, 7, False) for s in shapes) if form == COLUMNS else 0
                lw = label_w - 2 + gap
                room = width - (lw + num_w + 1 + (their_w + 1 if form == COLUMNS else 0))
                if form not in found and any(room >= _marks_w(shapes, least, False) for least in levels):
                    level, compared = _marks_level(shapes, room)
                    found[form] = Layout(form, lw, num_w, their_w, level, entries, 7, True, compared)
        if form in found and (1 + n, found[form]) not in candidates:
            candidates.append((1 + n, found[form]))
    if arrays and n >= 3 and n % 2:
        one = _one_line_layout(shapes, labels, width)
        if one is not None:
            candidates.append((1 + (n - 1) // 2 + 1, one))
    for lines, lay in candidates:
        if lines <= max_lines:
            return lay
    if candidates:
        # Not every row fits: the most rows first (one line a param), then as found.
        return min(candidates, key=lambda c: c[0])[1]
    # Not even a mark beside stepgrad's number: its numbers cut to the room (… where they are).
    return Layout(MARKS, label_w - 1, max(width - label_w - 1, 4), 0, "short", 0)


def _one_line_layout(shapes: Shapes, labels: Sequence[str], width: int) -> Layout | None:
    """One line a param, ``W1  8×6 ‖1.34863‖ ✓  ‖0.0013‖ ✓``, the loss last on its own."""
    names = [labels[k] for k in range(0, len(labels) - 1, 2)] + [labels[-1]]
    label_w = max(len(s) for s in names) + 2
    values, loss = [shapes[k] for k in range(0, len(shapes) - 1, 2)], shapes[-1]
    for with_shape, digits in ((True, 7), (False, 7), (False, 5)):
        val_w = max(_number_w(s, 0, digits, with_shape) for s in values) + 2 + 2
        grad_w = max(max(_number_w(s, 0, digits, False) for s in values), len(NONE_YET)) + 2
        loss_w = _number_w(loss, 0, digits, False)
        if label_w + val_w + grad_w <= width and label_w + loss_w + 2 <= width:
            words = label_w + loss_w + 1 + _marks_w((loss,), "words", False, True) <= width
            level = "words" if words else "short"
            return Layout(ONE_LINE, label_w, val_w, grad_w, level, 0, digits, with_shape)
    return None


def fit(text: str, cells: int) -> str:
    """``text`` in at most ``cells`` cells: whole, or cut with ``…`` (visibly), before its
    exponent where it has one (``2.9112655574…e+19``)."""
    if len(text) <= cells:
        return text
    mantissa, e, exponent = text.partition("e")
    if e and exponent[:1] in "+-" and len(exponent) + 3 < cells:
        return mantissa[: cells - len(exponent) - 2] + "…e" + exponent
    return text[: max(cells - 1, 0)] + "…"


def table(
    rows: Sequence[Row],
    torch_state: str,
    width: int,
    max_lines: int = 1000,
    keep: frozenset[str] = frozenset(),
    progress: int = 0,
    lay: Layout | None = None,
) -> list[Line]:
    """The panel's lines for ``width`` cells and at most ``max_lines`` lines.

    The layout (``layout``) is the run's, whatever the event. When not every param fits,
    the loss and the params in ``keep`` are listed first and the rest counted.

    Args:
        rows: the compared quantities: a value row and a gradient row per param, then the loss.
        torch_state: ``loading``, ``running``, ``done``, or an error message.
        width: cells available.
        max_lines: lines available.
        keep: params to show first (the current event's).
        progress: steps torch has run so far.
        lay: the layout, when the caller keeps it (else made from the rows).
    """
    unavailable = torch_state not in ("loading", "running", "done")
    if lay is None:
        lay = layout(shapes_of(rows), [r.label for r in rows], width, max_lines, unavailable)
    if lay.form == ONE_LINE:
        got = one_line_table(rows, torch_state, width, max_lines, keep, progress, lay)
        if got is not None:
            return got
    label_w, num_w, their_w = lay.label_w, lay.num_w, lay.their_w

    def ours(r: Row, k: int) -> str:
        if cleared(r):
            return "None"
        with_shape = k % 2 == 0 and k < len(rows) - 1
        return fit(cell(r.ours, lay.entries, shape=with_shape, digits=lay.digits), num_w)

    def row_lines(k: int, r: Row) -> list[Line]:
        line: list[tuple[str, str]] = [
            (r.label.ljust(label_w), "text"),
            (ours(r, k).ljust(num_w + 1), "muted" if r.ours is None else "strong"),
        ]
        if lay.form == PLAIN:
            return [line]
        text, role = mark_text(r, torch_state, progress, lay)
        if lay.form == COLUMNS:
            theirs = fit(torch_cell(r, lay.entries, lay.digits), their_w)
            if lay.marks == "short" and (r.status in (PENDING, WAITING) or none_yet(r)):
                text = ""  # torch's cell says why it holds no number (…, None, -)
            return [[*line, (theirs.ljust(their_w + 1), "text"), (text, role)]]
        out: list[Line] = [[*line, (text, role)]]
        if r.status in ("differs", "missing") and r.theirs is not None:
            # Torch's number where the two differ (≈ is within rounding: the mark is enough),
            # on a line of its own under the row.
            th = fmt(r.theirs_el) if r.where is not None else torch_cell(r, lay.entries, lay.digits)
            if r.where is not None and label_w + len(index_text(r.where)) + 1 + len(th) <= width:
                th = f"{index_text(r.where)} {th}"
            who = ("torch".rjust(label_w - 2).ljust(label_w), "muted")
            out.append([who, (fit(th, width - label_w), "error")])
        return out

    if lay.form == COLUMNS:
        head = " " * label_w + "stepgrad".ljust(num_w + 1) + "torch"
    elif lay.form == MARKS:
        # Torch's number has no column of its own (the mark says whether it agrees).
        head = " " * label_w + "stepgrad · torch"
    else:
        head = " " * label_w + "stepgrad"
    per_row = [row_lines(k, r) for k, r in enumerate(rows)]
    # Each param owns two rows (value, gradient); the loss row comes last.
    owner = [rows[k - k % 2].label if k < len(rows) - 1 else None for k in range(len(rows))]
    tail: list[Line] = [[(f"torch: {torch_state}", "muted")]] if unavailable else []
    shown = set(range(len(rows)))
    if 1 + sum(len(p) for p in per_row) + len(tail) > max_lines:
        # Not all fit: the current event's params first (their gradient before their value,
        # as the gradient is what torch's w.grad checks), then the loss, then whole params
        # in order, so that what the inspector talks about is never the part left out.
        budget = max_lines - 2 - len(tail)  # the header and the "more" line
        kept = [k for k in range(len(rows) - 1) if owner[k] in keep]
        order = [k for k in kept if k % 2] + [k for k in kept if not k % 2] + [len(rows) - 1]
        shown, used = set(), 0
        for k in order:
            if used + len(per_row[k]) <= budget:
                shown.add(k)
                used += len(per_row[k])
        for k in range(0, len(rows) - 1, 2):
            size = len(per_row[k]) + len(per_row[k + 1])
            if owner[k] not in keep and used + size <= budget:
                shown |= {k, k + 1}
                used += size
    lines: list[Line] = [[(head.rstrip(), "muted")]]
    for k in sorted(shown):
        lines.extend(per_row[k])
    hidden = {owner[k] or "loss" for k in range(len(rows)) if k not in shown}
    hidden -= {owner[k] or "loss" for k in shown}
    if len(shown) < len(rows):
        more = f"+ {len(hidden)} more" if hidden else "+ more"
        lines.append([(f"{more} (c: all)", "muted")])
    elif lay.marks == "short" and not unavailable and len(lines) < max_lines:
        lines += waiting_line(rows, torch_state, progress)
    return lines + tail


def waiting_line(rows: Sequence[Row], torch_state: str, progress: int) -> list[Line]:
    """The ``…`` of a row torch has not reached, in words, where the marks are one cell."""
    if not any(r.status == WAITING for r in rows):
        return []
    doing = "torch is loading" if torch_state == "loading" else f"torch has run {progress:,} steps"
    return [[(f"{LATER} {doing}", "muted")]]


def mark_text(r: Row, torch_state: str, progress: int, lay: Layout) -> tuple[str, str]:
    """A row's mark as the layout writes it: in words (``compared at #12``, with or without
    where a matrix differs most), or in one cell."""
    text, role = mark(r, torch_state, progress)
    if lay.marks == "short":
        return (short(text), role)
    if lay.marks == "words" and " at [" in text:
        text = text[: text.index(" at [")]
    if lay.compared and r.status == PENDING and text.startswith("at #"):
        text = "compared " + text
    return (text, role)


def one_line_table(
    rows: Sequence[Row],
    torch_state: str,
    width: int,
    max_lines: int,
    keep: frozenset[str] = frozenset(),
    progress: int = 0,
    lay: Layout | None = None,
) -> list[Line] | None:
    """Each param on one line, its value and its ``.grad`` side by side, each followed by
    its one-cell mark (``W1  8×6 ‖1.34863‖ ✓  ‖0.0013‖ ✓``), the loss last; torch's number
    on a line under a row that differs. When even these lines do not all fit, the current
    event's params, then the loss, then the others in order, and ``+ N more (c: all)``.
    None where the lines are too wide for ``width`` (the caller keeps two rows a param).

    A matrix is its norm (its first entries are in the two-row form, the m key shows it
    whole), a number (the loss) exact.
    """
    if lay is None:
        shapes = shapes_of(rows)
        if len(rows) < 3 or len(rows) % 2 == 0:
            return None
        lay = _one_line_layout(shapes, [r.label for r in rows], width)
        if lay is None:
            return None
    unavailable = torch_state not in ("loading", "running", "done")
    pairs = [(rows[k], rows[k + 1]) for k in range(0, len(rows) - 1, 2)]
    loss = rows[-1]
    label_w, val_w, grad_w = lay.label_w, lay.num_w, lay.their_w

    def brief(r: Row) -> tuple[str, str]:
        if unavailable or none_yet(r):
            return ("", "")
        text, role = mark(r, torch_state, progress)
        return (short(text), role)

    def num(text: str, r: Row) -> tuple[str, str]:
        return (text, "muted" if r.ours is None else "strong")

    def under(r: Row) -> list[Line]:
        """Torch's number where the two differ (≈ is within rounding: the mark is enough)."""
        if unavailable or r.status not in ("differs", "missing"):
            return []
        theirs = fmt(r.theirs_el) if r.where is not None else one_cell(r.theirs, False, lay.digits)
        at = index_text(r.where) + " " if r.where is not None else ""
        who = ("torch".rjust(label_w - 2).ljust(label_w), "muted")
        text = f"{r.label} {at}{theirs}"
        if label_w + len(text) > width:
            text = f"{at}{theirs}"
        if label_w + len(text) > width and at:
            # The place on the line, torch's number whole under it.
            under = [(" " * label_w, ""), (fit(theirs, width - label_w), "error")]
            return [[who, (at.strip(), "error")], under]
        return [[who, (fit(text, width - label_w), "error")]]

    heads = ("value · torch", ".grad · torch") if not unavailable else ("value", ".grad")
    if label_w + max(val_w, len(heads[0]) + 2) + len(heads[1]) > width:
        heads = ("value", ".grad")
    head: Line = [(" " * label_w + heads[0].ljust(val_w) + heads[1], "muted")]
    blocks: list[list[Line]] = []
    room = val_w - 4  # the value's cells: its mark and the gap after it take the rest
    for v, g in pairs:
        text = fit(one_cell(v.ours, lay.shapes, lay.digits), room)
        # A gradient neither side has yet says so in its cell (torch's .grad is None).
        grad = NONE_YET if none_yet(g) else "None" if cleared(g) else one_cell(g.ours, False, lay.digits)
        grad = fit(grad, grad_w - 2)
        vm, gm = brief(v), brief(g)
        line: Line = [
            (v.label.ljust(label_w), "text"),
            num(text.ljust(room), v),
            (" ", ""),
            (vm[0].ljust(1), vm[1]),
            ("  ", ""),
            num(grad.ljust(grad_w - 2), g),
            (" ", ""),
            (gm[0], gm[1]),
        ]
        blocks.append([line, *under(v), *under(g)])
    # The loss has the line to itself: its mark in words where they fit (at #9, torch running…).
    loss_text = fit(one_cell(loss.ours, False, lay.digits), EXACT_W)
    loss_mark = ("", "") if unavailable else mark_text(loss, torch_state, progress, lay)
    loss_num = num(loss_text.ljust(EXACT_W), loss)
    loss_line: Line = [(loss.label.ljust(label_w), "text"), loss_num, (" ", ""), loss_mark]
    blocks.append([loss_line, *under(loss)])
    tail: list[Line] = [[(f"torch: {torch_state}", "muted")]] if unavailable else []
    order = list(range(len(blocks)))
    if 1 + sum(len(b) for b in blocks) + len(tail) > max_lines:
        # The current event's params first, then the loss, then the others in order.
        last = len(blocks) - 1
        first = [k for k in range(last) if pairs[k][0].label in keep]
        order = [*first, last, *(k for k in range(last) if k not in first)]
        budget, used, kept = max_lines - 2 - len(tail), 0, []
        for k in order:
            if used + len(blocks[k]) <= budget:
                kept.append(k)
                used += len(blocks[k])
        order = sorted(kept)
    out = [head]
    for k in order:
        out.extend(blocks[k])
    if len(order) < len(blocks):
        out.append([(f"+ {len(blocks) - len(order)} more (c: all)", "muted")])
    elif not unavailable and len(out) < max_lines:
        out += waiting_line(rows, torch_state, progress)
    return out + tail


def none_yet(r: Row) -> bool:
    """A gradient row neither side has a number for (before the first backward pass)."""
    return r.status == "equal" and r.ours is None and r.theirs is None and r.torch_step is None


def cleared(r: Row) -> bool:
    """A gradient row a torch optimizer's ``zero_grad`` left None on both sides (torch's
    word for it, where stepgrad's own ``·`` would read as not yet computed)."""
    return r.status == "equal" and r.ours is None and r.theirs is None and r.torch_step is not None


def one_cell(v: Any, shape: bool, digits: int) -> str:
    """A value in ``one_line_table``: ``·`` not yet, a matrix by its norm in at most
    ``digits`` cells (``‖1.34863‖``, its one entry ``[0.19212]``; ``shape``: after its
    shape, ``8×6 ‖1.34863‖``), a number as ``fmt`` writes it."""
    if v is None:
        return "·"
    if is_array(v):
        text = box_text(v, lambda x: compact(fmt(x), digits))
        return f"{dims(v.shape)} {text}" if shape else text
    return fmt(v)


def torch_cell(r: Row, entries: int = PREVIEW_ENTRIES, digits: int = 7) -> str:
    """Torch's number for a row, written as stepgrad's is (a matrix: its norm and first
    entries, without its shape), never a blank: ``…`` where it comes later (torch still
    running, or a number compared only later in the step: the mark says when), ``-`` where
    there is none to compare (no loss after training), ``None`` for a ``.grad`` torch holds
    as None (before the first backward pass, after an optimizer's zero_grad)."""
    if r.status == WAITING:
        return LATER
    if r.status == PENDING:
        return LATER if r.at is not None or r.ours is not None else NOTHING
    if r.theirs is None:
        return "None"
    return cell(r.theirs, entries, digits=digits)


def cell(v: object, entries: int = PREVIEW_ENTRIES, *, shape: bool = False, digits: int = 7) -> str:
    """A number as the table writes it (``fmt``); a matrix in short (``arrays.preview``:
    its norm and first ``entries``, each in ``digits`` cells; ``shape``: its shape first,
    ``8×6 ‖1.34837‖ …``; the m key shows it whole)."""
    if is_array(v):
        text = preview(v, lambda x: compact(fmt(x), digits), entries)
        return f"{dims(getattr(v, 'shape', ()))} {text}" if shape else text
    return fmt(v)


class ParamsPanel(TextLines):
    """The table of ``table``; the screen passes the rows. The layout is made once per run
    and size (and torch failing), and kept while stepping."""

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self._rows: Sequence[Row] = ()
        self._torch_state = "loading"
        self._keep: frozenset[str] = frozenset()
        self._progress = 0
        self._layouts: dict[tuple[Any, ...], Layout] = {}

    def show(
        self, rows: Sequence[Row], torch_state: str, keep: frozenset[str] = frozenset(), progress: int = 0
    ) -> None:
        """Set the rows, torch's state (``loading``, ``running``, ``done`` or an error), the
        params to list first when not all fit, and how many steps torch has run."""
        self._rows, self._torch_state, self._keep, self._progress = rows, torch_state, keep, progress
        self._redraw()

    def max_lines(self) -> int:
        """Lines the table may use: its own height when the layout fixes it, else a third
        of the screen."""
        if self.styles.height is not None and self.styles.height.is_fraction:
            return max(self.size.height, 3)
        return max(self.screen.size.height // 3, 5)

    def layout_for(self, width: int, max_lines: int) -> Layout:
        """The run's layout at this size (made at the first event drawn at it, then kept)."""
        rows = self._rows
        unavailable = self._torch_state not in ("loading", "running", "done")
        labels = tuple(r.label for r in rows)
        key = (labels, width, max_lines, unavailable)
        got = self._layouts.get(key)
        if got is None:
            got = layout(shapes_of(rows), labels, width, max_lines, unavailable)
            self._layouts[key] = got
        return got

    def _redraw(self) -> None:
        if self._rows:
            width = self.size.width or 60
            max_lines = self.max_lines()
            lay = self.layout_for(width, max_lines)
            self.set_lines(
                table(self._rows, self._torch_state, width, max_lines, self._keep, self._progress, lay)
            )

    def on_resize(self) -> None:
        self._redraw()
