"""Go to an event number: a small modal with an input."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Static

from stepgrad.app.screens.dialog import Dialog


class GotoScreen(Dialog[int | None]):
    """Asks for an event number; dismisses with it, or None.

    Args:
        last: the last event number.
    """

    DEFAULT_CSS = """
    #goto-box { width: 40; height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel", id="goto.cancel")]

    def __init__(self, last: int):
        super().__init__()
        self.last = last

    def compose(self) -> ComposeResult:
        with Vertical(id="goto-box", classes="dialog-box") as box:
            box.border_title = "go to event"
            yield Static(f"event number, 0 to {self.last}", id="goto-hint", markup=False)
            # Any text is accepted and checked on Enter: an integer-only input would drop the
            # "." of "1.5" and silently go to 15.
            inp = Input(placeholder="#", id="goto-input")
            inp.cursor_blink = False
            yield inp

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip().lstrip("#").strip()
        hint = self.query_one("#goto-hint", Static)
        if not text:
            hint.update(f"type an event number, 0 to {self.last}")
            return
        try:
            seq = int(text)
        except ValueError:
            hint.update(f"not a whole number: {text!r}; 0 to {self.last}")
            return
        if not 0 <= seq <= self.last:
            hint.update(f"{seq} is outside 0 to {self.last}")
            return
        self.dismiss(seq)

    def action_cancel(self) -> None:
        """Close without moving."""
        self.dismiss(None)
