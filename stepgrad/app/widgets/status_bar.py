"""The header line: scenario on the left, where we are on the right, and a message."""

from __future__ import annotations

from stepgrad.app.widgets.text_lines import Line, TextLines


class StatusBar(TextLines):
    """One line: ``stepgrad · <scenario>`` (or a message) on the left, step, epoch, sample,
    phase and event on the right."""

    DEFAULT_CSS = """
    StatusBar { height: 1; width: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self._left: Line = ()
        self._right: Line = ()

    def show(self, left: Line, right: Line, phase: str) -> None:
        """Set both halves (``phase`` colours the ``phase`` role)."""
        self._left, self._right, self.phase = tuple(left), tuple(right), phase
        self._redraw()

    def _redraw(self) -> None:
        width = self.size.width or 120
        rw = sum(len(t) for t, _ in self._right)
        room = width - rw - 1
        left = list(self._left)
        text = "".join(t for t, _ in left)
        if len(text) > room:
            # Cut between words (never inside a number) and say so.
            cut = text.rfind(" ", 0, max(room - 1, 0))
            keep = max(cut, 0)
            out: list[tuple[str, str]] = []
            used = 0
            for t, role in left:
                if used >= keep:
                    break
                out.append((t[: keep - used], role))
                used += len(t[: keep - used])
            left = [*out, ("…", "muted")] if keep else []
        used = sum(len(t) for t, _ in left)
        pad = (" " * max(width - used - rw, 1), "")
        self.set_lines([[*left, pad, *self._right]])

    def on_resize(self) -> None:
        self._redraw()
