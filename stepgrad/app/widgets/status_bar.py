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
        left: list[tuple[str, str]] = []
        used = 0
        for text, role in self._left:
            if used + len(text) > room:
                cut = max(room - used - 1, 0)
                if cut:
                    left.append((text[:cut] + "…", role))
                    used += cut + 1
                break
            left.append((text, role))
            used += len(text)
        pad = (" " * max(width - used - rw, 1), "")
        self.set_lines([[*left, pad, *self._right]])

    def on_resize(self) -> None:
        self._redraw()
