"""Every computed step compared with torch: loss, each gradient, each updated param.

The table follows the app's cursor (``n``/``p`` and the other stepping keys work while it
is open) and fills in as torch catches up, without being opened again: the app hands it
its state on every redraw (``CompareScreen.follow``) and the table changes only the cells
that changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import DataTable, Static

from stepgrad.app.arrays import index_text, is_array
from stepgrad.app.comparison import WAITING, Row, grad_label, step_row_seqs, step_rows
from stepgrad.app.screens.dialog import Dialog
from stepgrad.app.trace import START, Trace
from stepgrad.app.widgets.params import cell, mark
from stepgrad.explain import fmt

WINDOW_ROWS = 300
"""About this many rows at most are listed around the current step: a DataTable of 300 rows
is filled in about 13 ms, and one of the 200 steps the table used to hold (600 rows and
more) in 27 ms or more, too slow to follow a key."""

COLUMNS = ("step", "quantity", "stepgrad", "torch", "agree")
"""The table's columns (also their keys)."""

NUMBER_WIDTH = len("-1.2345678901234567e-05")
"""The most cells a number written exactly takes (17 significant digits, a sign, an exponent)."""

MARKS = ("✓ equal", "✗ differs", "✗ missing", "≈ 1e-10", "torch running…", "loading…", "no torch",
         "= both -inf")
"""Every word the agree column can hold but ``at #N`` and a matrix's place."""

PADDING = 2
"""Cells DataTable adds to each column (one each side)."""

Cell = tuple[str, str]
"""A cell's text and style."""


@dataclass(frozen=True, slots=True)
class TableRow:
    """One row of the table.

    Attributes:
        key: the row's key (``3:∂loss/∂w``).
        step: its training step.
        seq: the event from which stepgrad's number is known (Enter goes there).
        cells: the five cells, as (text, style).
    """

    key: str
    step: int
    seq: int
    cells: tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class TableView:
    """What the table shows at one position.

    Attributes:
        lo: the first step listed.
        hi: one past the last step listed.
        current: the step being viewed (its step number is highlighted).
        rows: the rows, step by step.
        summary: the line above the table.
    """

    lo: int
    hi: int
    current: int
    rows: tuple[TableRow, ...]
    summary: str


def window(prev: tuple[int, int] | None, current: int, most: int) -> tuple[int, int]:
    """The steps ``[lo, hi)`` listed with ``current`` viewed, given the last window.

    The window stays put while the current step is inside it, grows as the cursor goes on
    (rows are only added: cheap), and is made again around the current step only when
    it would hold more than ``most`` steps or the cursor went back before it. A first
    window ends at the current step: later steps are not known there yet.
    """
    if prev is None:
        return max(0, current + 1 - most), current + 1
    lo, hi = prev
    if lo <= current < hi:
        return prev
    if current >= hi:
        if current + 1 - lo <= most:
            return lo, current + 1
        return max(0, current + 1 - most // 2), current + 1
    # Back before the window: half a window before the cursor, so that stepping on back
    # is not made again at every step; the later steps seen already stay listed.
    lo = max(0, current + 1 - most // 2)
    return lo, min(hi, lo + most)


class CompareModel:
    """The table's view-model: rows per step, computed once a step (and again once torch
    has run it), shown as ``·`` where the position has not computed them yet.

    Args:
        trace: the run.
    """

    def __init__(self, trace: Trace):
        self.trace = trace
        self.span: tuple[int, int] | None = None
        """The window of the last view."""
        self._steps: dict[int, tuple[bool, list[tuple[Row, int, tuple[Cell, ...]]]]] = {}
        g = trace.graph
        per_step = 1 + len(g.params) * (1 + trace.plan.training)
        # A tensor lecture's row compares a matrix element by element (and a step not in
        # the timeline's cache is run again): a third of the rows, so that c still opens at once.
        rows = WINDOW_ROWS // 3 if trace.program.arrays else WINDOW_ROWS
        self.most = max(1, rows // per_step)
        """Steps listed at most."""

    def _rows_of(self, step: int, torch: Sequence[Any]) -> list[tuple[Row, int, tuple[Cell, ...]]]:
        ran = len(torch) > step
        got = self._steps.get(step)
        if got is None or got[0] != ran:
            rows = step_rows(self.trace, step, torch[step] if ran else None)
            seqs = step_row_seqs(self.trace, step)
            got = (ran, [(r, at, _known_cells(r)) for r, at in zip(rows, seqs, strict=True)])
            self._steps[step] = got
        return got[1]

    def view(self, torch: Sequence[Any], torch_state: str, current: int, pos: int) -> TableView:
        """The table at ``pos`` (step ``current``), with the torch steps run so far.

        Args:
            torch: the torch steps run so far (step k at index k).
            torch_state: ``loading``, ``running``, ``done`` or an error.
            current: the step being viewed.
            pos: the position (START or an event seq).
        """
        lo, hi = self.span = window(self.span, current, self.most)
        for k in [k for k in self._steps if not lo <= k < hi]:
            del self._steps[k]
        out: list[TableRow] = []
        counts: dict[str, int] = {}
        waiting = _waiting(torch_state)
        for k in range(lo, hi):
            step_cell = (str(k), "bold $accent" if k == current else "")
            for r, at, known in self._rows_of(k, torch):
                if pos == START or pos < at:
                    # Not computed yet at the position: never a number from later.
                    dot = ("·", "$text-muted")
                    cells: tuple[Cell, ...] = (dot, dot, (f"at #{at}", "$text-muted"))
                elif r.status == WAITING:
                    cells = (known[0], ("…", "$text-muted"), waiting)
                    counts[WAITING] = counts.get(WAITING, 0) + 1
                else:
                    cells = known
                    counts[r.status] = counts.get(r.status, 0) + 1
                out.append(TableRow(f"{k}:{r.label}", k, at, (step_cell, (r.label, ""), *cells)))
        return TableView(lo, hi, current, tuple(out), self._summary(lo, hi, torch, torch_state, counts))

    def _summary(
        self, lo: int, hi: int, torch: Sequence[Any], torch_state: str, counts: dict[str, int]
    ) -> str:
        total = self.trace.plan.n_steps
        steps = f"step {lo} of {total:,}" if hi - lo == 1 else f"steps {lo:,} to {hi - 1:,} of {total:,}"
        if torch_state == "loading":
            ran = "torch is loading"
        elif torch_state in ("running", "done"):
            ran = f"{len(torch):,} run by torch so far" if torch_state == "running" else "all run by torch"
        else:
            ran = f"torch {torch_state}"
        waiting = counts.pop(WAITING, 0)
        verdicts = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
        if waiting:
            verdicts += f"{', ' if verdicts else ''}{waiting} waiting for torch"
        verdicts = verdicts or "nothing computed yet at this event"
        return f"{steps} ({ran}): {verdicts}"


def _known_cells(r: Row) -> tuple[Cell, ...]:
    """stepgrad's number, torch's and the mark, once both are known."""
    text, role = mark(r, "done")
    style = {"ok": "$success", "error": "bold $error"}.get(role, "$text-muted")
    if is_array(r.ours) or is_array(r.theirs):
        # A matrix: its norm and first entry; where the two differ, both sides' entry where
        # they differ most (the mark says by how much: ≈ 2e-10 at [6, 0]), so that a row
        # sets one number beside the same element's other, never beside another element.
        ours, theirs = cell(r.ours, 1), cell(r.theirs, 1)
        if r.where is not None and r.theirs_el is not None and r.ours_el is not None:
            at = index_text(r.where)
            ours, theirs = f"{at} {fmt(r.ours_el)}", f"{at} {fmt(r.theirs_el)}"
        return ((ours, ""), (theirs, ""), (text, style))
    return ((fmt(r.ours), ""), (fmt(r.theirs), ""), (text, style))


@dataclass(frozen=True, slots=True)
class Widths:
    """The table's column widths, set once when it opens, so that every cell fits whole or
    ends in ``…`` (DataTable would cut a longer text at its column's edge without a sign).

    Attributes:
        columns: each column's width, in ``COLUMNS`` order.
        box: the box's width.
    """

    columns: tuple[int, ...]
    box: int


def widths(trace: Trace, screen_width: int) -> Widths:
    """Column widths for ``trace`` on a screen ``screen_width`` cells wide: the numbers as
    wide as the longest a row can show (an element's place, 17 digits and an exponent) where
    the screen has room (the box grows past 100 cells to hold them, up to the screen's
    width), else the room shared between stepgrad's and torch's (their text then ends in ``…``)."""
    g = trace.graph
    program = trace.program
    names = [g.nodes[p].name for p in g.params]
    labels = [g.nodes[g.loss].name, *(grad_label(trace, n) for n in names)]
    labels += [f"{n} after" for n in names]
    step_w = max(4, len(f"{trace.plan.n_steps - 1:,}"))
    quantity_w = max(len("quantity"), *(len(label) for label in labels))
    place = 0
    if program.arrays:
        shapes = [getattr(v, "shape", ()) or _list_shape(v) for v in program.params.values()]
        place = max((len(index_text([max(n - 1, 0) for n in s])) + 1 for s in shapes if s), default=0)
    agree_w = max(*(len(m) for m in MARKS), len(f"at #{trace.length - 1}"))
    agree_w = max(agree_w, len("✗ differs at ") + place - 1 if place else 0)
    number_w = NUMBER_WIDTH + place
    frame = 2 + 2 + 2  # the box's border and padding, the table's scrollbar
    fixed = step_w + quantity_w + agree_w + PADDING * len(COLUMNS) + frame
    box = min(max(100, fixed + 2 * number_w), max(screen_width - 2, 20))
    room = max((box - fixed) // 2, 8)
    number_w = min(number_w, room)
    cols = {"step": step_w, "quantity": quantity_w, "stepgrad": number_w, "torch": number_w, "agree": agree_w}
    return Widths(tuple(cols[c] for c in COLUMNS), box)


def _list_shape(v: Any) -> tuple[int, ...]:
    """The shape of a param the scenario wrote as nested lists."""
    out: list[int] = []
    while isinstance(v, list):
        out.append(len(v))
        v = v[0] if v else None
    return tuple(out)


def fit_number(text: str, cells: int, placed: bool = False) -> str:
    """A number cell in ``cells``: whole, or without its element's place where the agree
    column names it (``placed``), or cut with ``…`` (an exponent kept: ``1.2345…e-05``)."""
    if len(text) <= cells:
        return text
    if placed and text.startswith("[") and "] " in text:
        text = text[text.index("] ") + 2 :]
        if len(text) <= cells:
            return text
    if cells < 2:
        return "…"
    mantissa, e, exponent = text.partition("e")
    if e and exponent[:1] in "+-" and len(exponent) + 3 < cells:
        return mantissa[: cells - len(exponent) - 2] + "…e" + exponent
    return text[: cells - 1] + "…"


def fitted(cells: tuple[Cell, ...], widths: tuple[int, ...]) -> tuple[Cell, ...]:
    """A row's cells (``COLUMNS`` order) fitted to the column widths: each whole or ending in ``…``."""
    agree = cells[COLUMNS.index("agree")][0]
    placed = " at [" in agree
    out = []
    for name, (text, style), w in zip(COLUMNS, cells, widths, strict=True):
        if name in ("stepgrad", "torch"):
            text = fit_number(text, w, placed)
        elif len(text) > w:
            text = text[: max(w - 1, 0)] + "…"
        out.append((text, style))
    return tuple(out)


def _cell(cell: Cell) -> Content | str:
    """A cell for the DataTable: styled ``Content`` (theme colours), or a plain string
    (measured for the column's width; escaped, as DataTable reads a string as markup)."""
    text, style = cell
    return Content.styled(text, style) if style else escape(text)


def _waiting(torch_state: str) -> Cell:
    """The mark of a row whose step torch has not run yet."""
    if torch_state == "loading":
        return ("loading…", "$text-muted")
    if torch_state == "running":
        # Not torch's progress (the summary line counts it): a mark that changed at every
        # report would redraw every waiting row while torch runs.
        return ("torch running…", "$text-muted")
    return ("no torch", "$text-muted")  # torch stopped short of this step, or failed


class CompareScreen(Dialog[int | None]):
    """A table of stepgrad against torch around the current step: a number stepgrad has
    not computed yet at the position is shown ``·``, with the event that computes it; a
    step torch has not run yet shows ``…`` until it has. The stepping keys move the app's
    cursor and the table follows; Enter on a row dismisses with that row's event (the app
    goes there).

    Args:
        trace: the run.
        torch: the torch steps computed so far (the app's list: it grows).
        torch_state: ``loading``, ``running``, ``done`` or an error.
        current: the step being viewed.
        pos: the position (START or an event seq).
    """

    DEFAULT_CSS = """
    #compare-box { width: 100; height: 90%; }  /* the width: ``widths`` */
    #compare-summary { height: auto; margin-bottom: 1; }
    /* The rest of the box: at DataTable's own max-height (100%) its last rows would
       fall below the box, under the summary's lines. */
    #compare-table { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,c", "close", "close", id="compare.close"),
        # DataTable's own Home/End move across columns; here they mean the first and last step.
        Binding("home", "first_row", "first", priority=True, id="compare.first"),
        Binding("end", "last_row", "last", priority=True, id="compare.last"),
        # The app's stepping keys, so that the table can be watched while stepping (a
        # dialog's keys stop at the dialog). ← and → stay the table's, to scroll it.
        Binding("n,N", "app.next", "next", id="compare.next"),
        Binding("p,P", "app.prev", "prev", id="compare.prev"),
        Binding("f", "app.forward_end", "fwd", id="compare.forward_end"),
        Binding("b", "app.backward_end", "bwd", id="compare.backward_end"),
        Binding("u", "app.next_update", "update", id="compare.update"),
        Binding("e", "app.next_epoch", "epoch", id="compare.epoch"),
    ]

    def __init__(self, trace: Trace, torch: Sequence[Any], torch_state: str, current: int, pos: int):
        super().__init__()
        self.trace = trace
        self.model = CompareModel(trace)
        self._args = (torch, torch_state, current, pos)
        self._shown: list[str] = []
        self._cells: dict[str, tuple[Cell, ...]] = {}
        self._seqs: dict[str, int] = {}
        self._current: int | None = None
        self._ready = False
        self._widths = Widths(tuple(10 for _ in COLUMNS), 100)
        """The columns' widths (set when the table opens)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="compare-box", classes="dialog-box") as box:
            box.border_title = "stepgrad against torch"
            box.border_subtitle = "n p f b u e: step · Enter: go to a row's event · Esc closes"
            yield Static(id="compare-summary", markup=False)
            table: DataTable[Any] = DataTable(id="compare-table", cursor_type="row", zebra_stripes=True)
            yield table

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # Every column of a width set once, each cell fitted to it (``fitted``): DataTable
        # cuts a longer text at the column's edge without a sign, and a box wider than the
        # screen cut the last column (≈ 2e-10 at [6, 0 at 120x40, torch's loss at 80x24).
        self._widths = widths(self.trace, self.app.size.width)
        self.query_one("#compare-box").styles.width = self._widths.box
        for label, w in zip(COLUMNS, self._widths.columns, strict=True):
            table.add_column(label, key=label, width=w)
        self._ready = True
        self.follow(*self._args)

    def follow(self, torch: Sequence[Any], torch_state: str, current: int, pos: int) -> None:
        """Show the table at the app's position, changing only what changed.

        Args:
            torch: the torch steps computed so far.
            torch_state: ``loading``, ``running``, ``done`` or an error.
            current: the step being viewed.
            pos: the position.
        """
        if not self._ready:
            self._args = (torch, torch_state, current, pos)
            return
        view = self.model.view(torch, torch_state, current, pos)
        self.query_one("#compare-summary", Static).update(view.summary)
        table: DataTable[Any] = self.query_one(DataTable)
        keys = [r.key for r in view.rows]
        n = len(self._shown)
        cursor_key = self._cursor_key(table)
        rebuilt = keys[:n] != self._shown
        if rebuilt:
            table.clear()
            self._shown, self._cells, self._seqs = [], {}, {}
        for r in view.rows:
            old = self._cells.get(r.key)
            if old is None:
                table.add_row(*(_cell(c) for c in fitted(r.cells, self._widths.columns)), key=r.key)
                self._shown.append(r.key)
            elif old != r.cells:
                fit_old, fit_new = fitted(old, self._widths.columns), fitted(r.cells, self._widths.columns)
                for column, was, now in zip(COLUMNS, fit_old, fit_new, strict=True):
                    if was != now:
                        # Widths are fixed: a width update would measure the whole column again
                        # at the next frame (300 waiting rows took 1.6 s a report).
                        table.update_cell(r.key, column, _cell(now), update_width=False)
            self._cells[r.key] = r.cells
            self._seqs[r.key] = r.seq
        if view.current != self._current:
            self._current = view.current
            self._show_current(table, view)
        elif rebuilt and cursor_key in self._cells:
            table.move_cursor(row=table.get_row_index(cursor_key), animate=False)

    def _cursor_key(self, table: DataTable[Any]) -> str | None:
        if not self._shown or not 0 <= table.cursor_row < len(self._shown):
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def _show_current(self, table: DataTable[Any], view: TableView) -> None:
        rows = [i for i, r in enumerate(view.rows) if r.step == view.current]
        if rows:
            # The whole current step in view (its last row first), then the cursor on its first.
            table.move_cursor(row=rows[-1], animate=False)
            table.move_cursor(row=rows[0], animate=False)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(self._seqs[str(event.row_key.value)])

    def action_first_row(self) -> None:
        """To the first row."""
        self.query_one(DataTable).move_cursor(row=0)

    def action_last_row(self) -> None:
        """To the last row."""
        table = self.query_one(DataTable)
        table.move_cursor(row=table.row_count - 1)

    def action_close(self) -> None:
        """Back to the main screen."""
        self.dismiss(None)
