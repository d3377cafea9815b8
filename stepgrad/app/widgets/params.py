"""Params beside torch: each param's value and gradient, torch's number for the same point,
and whether they agree."""

from __future__ import annotations

from collections.abc import Sequence

from stepgrad.app.comparison import PENDING, WAITING, Row
from stepgrad.app.widgets.text_lines import Line, TextLines
from stepgrad.explain import fmt

MARK = {
    "equal": ("✓ equal", "ok"),
    "close": ("≈", "ok"),
    "differs": ("✗ differs", "error"),
    "missing": ("✗ missing", "error"),
    PENDING: ("after backward", "muted"),
}
"""Text and role of each comparison status."""


def mark(row: Row, torch_state: str, progress: int = 0) -> tuple[str, str]:
    """The agree/disagree mark of a row, and its role; ``progress``: steps torch has run."""
    if row.status == WAITING:
        if torch_state == "loading":
            return ("loading…", "muted")
        return (f"torch {progress:,}/{(row.torch_step or 0) + 1:,}…", "muted")
    if row.status == "close":
        return (f"≈ {row.diff:.0e}", "ok")
    if row.status == PENDING:
        # Torch's w.grad is known once the whole backward pass has run.
        at = f"at #{row.at}" if row.at is not None else "after backward"
        return (at if row.ours is not None else "", "muted")
    if row.status == "equal" and row.ours is None:
        return ("", "")
    return MARK[row.status]


def pick(rows: Sequence[Row], max_lines: int, keep: set[str]) -> tuple[list[Row], int]:
    """The rows that fit in ``max_lines`` (header included), and how many params were left out.

    Rows come in pairs per param (value, gradient) and end with the loss. The loss and
    the params in ``keep`` (those of the current event) are shown first.
    """
    groups: list[list[Row]] = [list(rows[k : k + 2]) for k in range(0, len(rows) - 1, 2)]
    loss = [rows[-1]]
    if 1 + 2 * len(groups) + 1 <= max_lines:
        return list(rows), 0
    budget = max(max_lines - 3, 2)  # header, loss, "more" line
    chosen: set[int] = set()
    for want_kept in (True, False):
        for i, grp in enumerate(groups):
            if i in chosen or (grp[0].label in keep) != want_kept:
                continue
            if len(chosen) * 2 + 2 <= budget:
                chosen.add(i)
    shown = [r for i, grp in enumerate(groups) if i in chosen for r in grp]
    return shown + loss, len(groups) - len(chosen)


def table(
    rows: Sequence[Row],
    torch_state: str,
    width: int,
    max_lines: int = 1000,
    keep: frozenset[str] = frozenset(),
    progress: int = 0,
) -> list[Line]:
    """The panel's lines for ``width`` cells.

    When stepgrad's and torch's numbers fit side by side, both are shown; otherwise
    torch's number is written under stepgrad's, except where the two are the same bits
    (the mark says ``✓ equal``, which is the whole story).

    Args:
        rows: the compared quantities.
        torch_state: ``loading``, ``running``, ``done``, or an error message.
        width: cells available.
        max_lines: lines available; params beyond them are counted on a last line.
        keep: params to show first (the current event's).
        progress: steps torch has run so far.
    """
    rows, left_out = pick(rows, max_lines, set(keep))
    label_w = max(len(r.label) for r in rows) + 2
    ours = [fmt(r.ours) for r in rows]
    theirs = [
        fmt(r.theirs) if r.status not in (WAITING, PENDING) and r.ours is not None else "" for r in rows
    ]
    num_w = max(len("stepgrad"), *(len(s) for s in ours)) + 2
    their_w = max(len("torch"), *(len(s) for s in theirs)) + 2
    marks = [mark(r, torch_state, progress) for r in rows]
    mark_w = max(len(m[0]) for m in marks) + (9 if any(r.status == PENDING for r in rows) else 0)
    unavailable = torch_state not in ("loading", "running", "done")
    wide = not unavailable and label_w + num_w + their_w + mark_w <= width
    head = " " * label_w + "stepgrad".ljust(num_w)
    if not unavailable:
        if wide:
            head += "torch".ljust(their_w)
        elif label_w + num_w + mark_w <= width:
            head += "torch"
        else:
            head = " " * label_w + "stepgrad · torch"
    lines: list[Line] = [[(head.rstrip(), "muted")]]
    for r, o, th, (m, mr) in zip(rows, ours, theirs, marks, strict=True):
        line: list[tuple[str, str]] = [
            (r.label.ljust(label_w), "text"),
            (o.ljust(num_w), "muted" if r.ours is None else "strong"),
        ]
        if unavailable:
            lines.append(line)
            continue
        if wide:
            shown = "compared " + m if r.status == PENDING and m.startswith("at #") else m
            lines.append([*line, (th.ljust(their_w), "text"), (shown, mr)])
            continue
        if label_w + num_w + len(m) > width:
            lines.append(line)
            line = [(" " * label_w, "")]
        lines.append([*line, (m, mr)])
        if th and r.status != "equal":
            lines.append(
                [
                    ("torch".rjust(label_w - 2).ljust(label_w), "muted"),
                    (th, "error" if r.status in ("differs", "missing") else "text"),
                ]
            )
    if left_out:
        lines.append([(f"+ {left_out} more (c: all)", "muted")])
    if unavailable:
        lines.append([(f"torch: {torch_state}", "muted")])
    return lines


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
