"""The header line: scenario on the left, where we are on the right, and a message."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Static


class StatusBar(Horizontal):
    """One line: ``stepgrad · <scenario>`` or a message, then step, epoch, sample, phase, event."""

    DEFAULT_CSS = """
    StatusBar { height: 1; }
    StatusBar > #status-left { width: 1fr; height: 1; }
    StatusBar > #status-right { width: auto; height: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="status-left", markup=False)
        yield Static(id="status-right", markup=False)

    def show(self, left: Content, right: Content) -> None:
        """Set both halves."""
        self.query_one("#status-left", Static).update(left)
        self.query_one("#status-right", Static).update(right)
