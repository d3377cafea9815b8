"""Every computed step compared with torch: loss, each gradient, each updated param."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import DataTable, Static

from stepgrad.app.comparison import Row, step_row_seqs, step_rows
from stepgrad.app.screens.dialog import Dialog
from stepgrad.app.trace import START, Trace
from stepgrad.app.widgets.params import mark
from stepgrad.explain import fmt

WINDOW = 200
"""At most this many steps are listed, centred on the current one."""


class CompareScreen(Dialog[int | None]):
    """A table of stepgrad against torch for the steps torch has run, up to the position:
    a number stepgrad has not computed yet at the position is shown ``·``, with the event
    that computes it. Enter on a row dismisses with that event (the app goes there).

    Args:
        trace: the run.
        torch: the torch steps computed so far.
        torch_state: ``loading``, ``running``, ``done`` or an error.
        current: the step being viewed.
        pos: the position (START or an event seq).
    """

    DEFAULT_CSS = """
    #compare-box { width: 100; height: 90%; }
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
    ]

    def __init__(self, trace: Trace, torch: Sequence[Any], torch_state: str, current: int, pos: int):
        super().__init__()
        self.trace = trace
        self.torch = list(torch)
        self.torch_state = torch_state
        self.current = current
        self.pos = pos
        self._seqs: list[int] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="compare-box", classes="dialog-box") as box:
            box.border_title = "stepgrad against torch"
            yield Static(id="compare-summary", markup=False)
            table: DataTable[Any] = DataTable(id="compare-table", cursor_type="row", zebra_stripes=True)
            yield table

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        trace = self.trace
        # Steps after the position's are not listed: their numbers are not known yet there.
        inside = trace.step_of(self.pos) is not None or self.pos == START
        n = min(len(self.torch), self.current + 1) if inside else len(self.torch)
        lo = max(0, min(self.current - WINDOW // 2, n - WINDOW))
        hi = min(n, lo + WINDOW)
        rows: list[tuple[int, Row, int]] = []
        for k in range(lo, hi):
            rows.extend(
                (k, r, at)
                for r, at in zip(step_rows(trace, k, self.torch[k]), step_row_seqs(trace, k), strict=True)
            )
        for label, width in (
            ("step", None),
            ("quantity", None),
            ("stepgrad", None),
            ("torch", None),
            ("agree", 12),
        ):
            table.add_column(label, width=width)
        counts: dict[str, int] = {}
        for k, r, at in rows:
            if inside and (self.pos == START or self.pos < at):
                ours = theirs = "·"
                text, style = f"at #{at}", "$text-muted"
            else:
                text, role = mark(r, self.torch_state)
                style = {"ok": "$success", "error": "bold $error"}.get(role, "$text-muted")
                counts[r.status] = counts.get(r.status, 0) + 1
                ours, theirs = fmt(r.ours), fmt(r.theirs)
            self._seqs.append(at)
            table.add_row(str(k), r.label, ours, theirs, Content.styled(text, style), key=f"{k}:{r.label}")
        total = trace.timeline.n_steps
        if n == 0:
            head = f"torch: {self.torch_state}; nothing to compare yet"
        else:
            head = f"steps {lo} to {hi - 1} of {total} ({len(self.torch)} run by torch so far): "
            head += ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "nothing computed yet here"
            if inside and self.current < total - 1:
                head += "; later steps once you step there · Enter: go to a row's event"
            else:
                head += " · Enter: go to a row's event"
        self.query_one("#compare-summary", Static).update(head)
        cur_rows = [i for i, (k, _, _) in enumerate(rows) if k == self.current]
        if cur_rows:
            # The whole current step in view (its last row first), then the cursor on its first.
            table.move_cursor(row=cur_rows[-1], animate=False)
            table.move_cursor(row=cur_rows[0], animate=False)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(self._seqs[event.cursor_row])

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
