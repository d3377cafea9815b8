"""Params beside torch: each param's value and gradient, torch's number for the same point,
and whether they agree."""

from __future__ import annotations

from collections.abc import Sequence
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


def mark(row: Row, torch_state: str, progress: int = 0) -> tuple[str, str]:
    """The agree/disagree mark of a row, and its role; ``progress``: steps torch has run."""
    if row.status == WAITING:
        if torch_state == "loading":
            return ("loading…", "muted")
        return (f"torch {progress:,}/{(row.torch_step or 0) + 1:,}…", "muted")
    where = "" if row.where is None else " at " + index_text(row.where)  # an array's worst element
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


SHORT = {"✓ equal": "✓", "✗ differs": "✗", "✗ missing": "✗", NONE_YET: NOTHING, PREDICTION: NOTHING,
         "after backward": LATER}
"""A mark in one cell, where the long one would leave no room for torch's number."""


def short(text: str) -> str:
    """The one-cell form of a mark (``≈ 3e-14`` → ``≈``, ``at #41`` → ``…``, ``none yet`` →
    ``-``); other marks as they are."""
    if text in SHORT:
        return SHORT[text]
    if text.startswith("at #"):
        return LATER
    return "≈" if text.startswith("≈") else "✗" if text.startswith("✗ ") else text


def table(
    rows: Sequence[Row],
    torch_state: str,
    width: int,
    max_lines: int = 1000,
    keep: frozenset[str] = frozenset(),
    progress: int = 0,
) -> list[Line]:
    """The panel's lines for ``width`` cells and at most ``max_lines`` lines.

    When stepgrad's and torch's numbers fit side by side, both are shown; otherwise
    torch's number is written under stepgrad's, except where the two are the same bits
    (the mark says ``✓ equal``, which is the whole story). When not every param fits,
    the loss and the params in ``keep`` are listed first and the rest counted.

    Args:
        rows: the compared quantities: a value row and a gradient row per param, then the loss.
        torch_state: ``loading``, ``running``, ``done``, or an error message.
        width: cells available.
        max_lines: lines available.
        keep: params to show first (the current event's).
        progress: steps torch has run so far.
    """
    label_w = max(len(r.label) for r in rows) + 2
    ours = ["None" if cleared(r) else cell(r.ours) for r in rows]
    theirs = [torch_cell(r) for r in rows]
    arrays = any(is_array(r.ours) or is_array(r.theirs) for r in rows)
    if arrays:
        longest = max(len(mark(r, torch_state, progress)[0]) for r in rows)
        ours, theirs = array_cells(rows, ours, theirs, width - label_w - longest, width - 2)
    num_w = max(len("stepgrad"), *(len(s) for s in ours)) + 2
    their_w = max(len("torch"), *(len(s) for s in theirs)) + 2
    marks = [mark(r, torch_state, progress) for r in rows]
    mark_w = max(len(m[0]) for m in marks) + (9 if any(r.status == PENDING for r in rows) else 0)
    unavailable = torch_state not in ("loading", "running", "done")
    # A torch column holding no number of torch's (a tensor lecture's arrays that agree: the
    # mark says so) would be a column of blanks: the marks alone then.
    numbers = not arrays or any(t not in PLACEHOLDERS for t in theirs)
    wide = numbers and not unavailable and label_w + num_w + their_w + mark_w <= width
    if not wide and not unavailable:
        # Torch's number beside stepgrad's matters more than the mark's words (✓ is "same
        # bits", as the help says): shorten the marks if that makes room for its column.
        # A row whose torch cell says why it holds no number (… later, None, -) needs no mark.
        brief = [
            ("", role) if r.status == PENDING or none_yet(r) else (short(t), role)
            for r, (t, role) in zip(rows, marks, strict=True)
        ]
        brief_w = max(len(m[0]) for m in brief)
        if numbers and brief_w <= 2 and label_w + num_w + their_w + brief_w <= width:
            marks, mark_w, wide = brief, brief_w, True
    head = " " * label_w + "stepgrad".ljust(num_w)
    if not unavailable:
        if wide:
            head += "torch".ljust(their_w)
        else:
            # Torch's number has no column of its own (the mark says whether it agrees): a
            # "torch" over the marks would read as its number, and flip with their widths.
            head = " " * label_w + "stepgrad · torch"

    def row_lines(r: Row, o: str, th: str, m: str, mr: str) -> list[Line]:
        line: list[tuple[str, str]] = [
            (r.label.ljust(label_w), "text"),
            (o.ljust(num_w), "muted" if r.ours is None else "strong"),
        ]
        if unavailable:
            return [line]
        if wide:
            shown = "compared " + m if r.status == PENDING and m.startswith("at #") else m
            return [[*line, (th.ljust(their_w), "text"), (shown, mr)]]
        out: list[Line] = []
        if label_w + len(o) > width:
            # Not even the number fits beside its label: give it a line of its own.
            out.append([line[0]])
            line = [("  ", ""), (o, line[1][1])]
            if 2 + len(o) + 1 + len(m) <= width:
                out.append([*line, (" ", ""), (m, mr)])
            else:
                out += [line, [("  ", ""), (m, mr)]]
        elif label_w + num_w + len(m) > width:
            out.append(line)
            out.append([(" " * label_w, ""), (m, mr)])
        else:
            out.append([*line, (m, mr)])
        if r.status not in ("equal", WAITING, PENDING) and th not in PLACEHOLDERS:
            role = "error" if r.status in ("differs", "missing") else "text"
            if label_w + len(th) <= width:
                out.append([("torch".rjust(label_w - 2).ljust(label_w), "muted"), (th, role)])
            else:
                out += [[("  torch", "muted")], [("  ", ""), (th, role)]]
        return out

    per_row = [
        row_lines(*args, *m) for args, m in zip(zip(rows, ours, theirs, strict=True), marks, strict=True)
    ]
    # Each param owns two rows (value, gradient); the loss row comes last.
    owner = [rows[k - k % 2].label if k < len(rows) - 1 else None for k in range(len(rows))]
    tail: list[Line] = [[(f"torch: {torch_state}", "muted")]] if unavailable else []
    shown = set(range(len(rows)))
    if 1 + sum(len(p) for p in per_row) + len(tail) > max_lines:
        # Two rows a param do not all fit (lecture7's six params at 120x40): one line a
        # param, where that fits the width (a tensor lecture's: a scalar lecture's numbers
        # are written exact, too wide for it).
        one = one_line_table(rows, torch_state, width, max_lines, keep, progress) if arrays else None
        if one is not None:
            return one
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
    return lines + tail


def one_line_table(
    rows: Sequence[Row],
    torch_state: str,
    width: int,
    max_lines: int,
    keep: frozenset[str] = frozenset(),
    progress: int = 0,
) -> list[Line] | None:
    """Each param on one line, its value and its ``.grad`` side by side, each followed by
    its one-cell mark (``W1  8×6 ‖1.34863‖ ✓  ‖0.0013‖ ✓``), the loss last; torch's number
    on a line under a row that differs. When even these lines do not all fit, the current
    event's params, then the loss, then the others in order, and ``+ N more (c: all)``.
    None where the lines are too wide for ``width`` (the caller keeps two rows a param).

    A matrix is its norm (its first entries are in the two-row form, the m key shows it
    whole), a number (the loss) exact.
    """
    if len(rows) < 3 or len(rows) % 2 == 0:
        return None  # not (value, gradient) pairs and the loss
    unavailable = torch_state not in ("loading", "running", "done")
    pairs = [(rows[k], rows[k + 1]) for k in range(0, len(rows) - 1, 2)]
    loss = rows[-1]

    def brief(r: Row) -> tuple[str, str]:
        if unavailable or none_yet(r):
            return ("", "")
        text, role = mark(r, torch_state, progress)
        return (LATER if r.status == WAITING else short(text), role)

    marks = [(brief(v), brief(g)) for v, g in pairs]
    loss_mark = brief(loss)
    mark_w = max(len(m[0]) for pair in [*marks, (loss_mark, loss_mark)] for m in pair)
    if mark_w > 2:
        return None  # a mark with no one-cell form (= both nan)
    label_w = max(len(r.label) for r in (*(v for v, _ in pairs), loss)) + 2
    for shapes, digits in ((True, 7), (False, 7), (False, 5)):
        vals = [one_cell(v.ours, shapes, digits) for v, _ in pairs]
        # A gradient neither side has yet says so in its cell (torch's .grad is None).
        grads = [
            NONE_YET if none_yet(g) else "None" if cleared(g) else one_cell(g.ours, False, digits)
            for _, g in pairs
        ]
        loss_text = one_cell(loss.ours, False, digits)
        val_w = max(len(t) for t in vals) + 1 + mark_w + 2
        grad_w = max(len(t) + (1 + mark_w if m[0] else 0) for t, (_, m) in zip(grads, marks, strict=True))
        need = label_w + val_w + grad_w
        if max(need, label_w + len(loss_text) + 1 + mark_w) <= width:
            break
    else:
        return None
    heads = ("value · torch", ".grad · torch") if not unavailable else ("value", ".grad")
    if label_w + max(val_w, len(heads[0]) + 2) + len(heads[1]) > width:
        heads = ("value", ".grad")
    val_w = max(val_w, len(heads[0]) + 2)
    head: Line = [(" " * label_w + heads[0].ljust(val_w) + heads[1], "muted")]

    def num(text: str, r: Row) -> tuple[str, str]:
        return (text, "muted" if r.ours is None else "strong")

    def under(r: Row) -> list[Line]:
        """Torch's number where the two differ (≈ is within rounding: the mark is enough)."""
        if unavailable or r.status not in ("differs", "missing"):
            return []
        theirs = fmt(r.theirs_el) if r.where is not None else one_cell(r.theirs, False, digits)
        at = index_text(r.where) + " " if r.where is not None else ""
        text = f"{r.label} {at}{theirs}"
        if label_w + len(text) > width:
            text = f"{at}{theirs}"
        return [[("torch".rjust(label_w - 2).ljust(label_w), "muted"), (text, "error")]]

    blocks: list[list[Line]] = []
    for (v, g), text, grad, (vm, gm) in zip(pairs, vals, grads, marks, strict=True):
        line: Line = [
            (v.label.ljust(label_w), "text"),
            num(text, v),
            (" ", ""),
            (vm[0], vm[1]),
            (" " * (val_w - len(text) - 1 - len(vm[0])), ""),
            num(grad, g),
            (" ", ""),
            (gm[0], gm[1]),
        ]
        blocks.append([line, *under(v), *under(g)])
    # The loss has the line to itself: its mark in words where they fit (at #9, torch 3/10…).
    long = ("", "") if unavailable else mark(loss, torch_state, progress)
    if long[0] and label_w + len(loss_text) + 2 + len(long[0]) <= width:
        loss_mark = long
    loss_line: Line = [(loss.label.ljust(label_w), "text"), num(loss_text, loss), (" ", ""), loss_mark]
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
    elif not unavailable and any(r.status == WAITING for r in rows) and len(out) < max_lines:
        # The … of a row torch has not reached, in words.
        doing = "torch is loading" if torch_state == "loading" else f"torch has run {progress:,} steps"
        out.append([(f"{LATER} {doing}", "muted")])
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


def array_cells(
    rows: Sequence[Row], ours: list[str], theirs: list[str], room: int, line: int = 1000
) -> tuple[list[str], list[str]]:
    """A tensor lecture's rows: torch's column only where the two differ, and then torch's
    element where they differ most (``[2, 3] 0.1235``: the mark says how much); a
    matrix's short form with as many first entries as fit in ``room`` beside them (the
    panel's width less its labels and its longest mark). Torch's element goes without its
    index where the two would not fit in ``line`` cells (the mark names the place)."""
    ours, theirs = list(ours), list(theirs)
    for k, r in enumerate(rows):
        if not (is_array(r.ours) or is_array(r.theirs)):
            continue
        if r.where is not None and r.theirs_el is not None and theirs[k]:
            theirs[k] = f"{index_text(r.where)} {fmt(r.theirs_el)}"
            if len(theirs[k]) > line:
                theirs[k] = fmt(r.theirs_el)
        elif r.status in ("equal", "close"):
            theirs[k] = SAME
    for k, r in enumerate(rows):
        if is_array(r.ours):
            # A param's value row says its shape first (its .grad row has the same one).
            shape = "" if "." in r.label or "∂" in r.label else dims(r.ours.shape) + " "
            # Room for the mark beside it: torch's number then goes under where they differ.
            for entries in range(PREVIEW_ENTRIES, -1, -1):
                ours[k] = shape + cell(r.ours, entries)
                if len(ours[k]) + 2 <= room:
                    break
    return ours, theirs


SAME = "same"
"""Torch's cell for an array equal to stepgrad's (the mark says how close)."""
PLACEHOLDERS = frozenset({"", LATER, NOTHING, SAME, "None"})
"""Torch's cells that hold no number of torch's."""


def torch_cell(r: Row) -> str:
    """Torch's number for a row, never a blank: ``…`` where it comes later (torch still
    running, or a number compared only later in the step: the mark says when), ``-`` where
    there is none to compare (no loss after training), ``None`` for a ``.grad`` neither has
    yet (torch's own word for it; stepgrad shows ``·``)."""
    if r.status == WAITING:
        return LATER
    if r.status == PENDING:
        return LATER if r.at is not None or r.ours is not None else NOTHING
    if r.ours is None and r.theirs is None:
        return "None"
    return cell(r.theirs)


def cell(v: object, entries: int = PREVIEW_ENTRIES) -> str:
    """A number as the table writes it (``fmt``); a matrix in short (``arrays.preview``:
    its norm and first ``entries``; the m key shows it whole)."""
    if is_array(v):
        return preview(v, lambda x: compact(fmt(x), 7), entries)
    return fmt(v)


class ParamsPanel(TextLines):
    """The table of ``table``; the screen passes the rows."""

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self._rows: Sequence[Row] = ()
        self._torch_state = "loading"
        self._keep: frozenset[str] = frozenset()
        self._progress = 0

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

    def _redraw(self) -> None:
        if self._rows:
            width = self.size.width or 60
            self.set_lines(
                table(self._rows, self._torch_state, width, self.max_lines(), self._keep, self._progress)
            )

    def on_resize(self) -> None:
        self._redraw()
