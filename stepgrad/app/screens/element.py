"""Pick one element of a matrix by its index: a small modal with an input (the ``o`` key)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Static

from stepgrad.app.drill import parse_index
from stepgrad.app.screens.dialog import Dialog


class ElementScreen(Dialog[tuple[int, ...] | None]):
    """Asks for an index into a matrix (``2, 3``); dismisses with it, or None.

    Args:
        what: the matrix (``∂loss/∂W1``).
        shape: its shape.
    """

    DEFAULT_CSS = """
    #element-box { width: 52; height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel", id="element.cancel")]

    def __init__(self, what: str, shape: tuple[int, ...]):
        super().__init__()
        self.what = what
        self.shape = shape

    def _ranges(self) -> str:
        return ", ".join(f"0–{n - 1}" for n in self.shape)

    def compose(self) -> ComposeResult:
        with Vertical(id="element-box", classes="dialog-box") as box:
            box.border_title = "one element"
            hint = f"{self.what} {self.shape}: index [{self._ranges()}]"
            yield Static(hint, id="element-hint", markup=False)
            inp = Input(placeholder=", ".join("0" for _ in self.shape), id="element-input")
            inp.cursor_blink = False
            yield inp

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        got = parse_index(event.value, self.shape)
        if isinstance(got, str):
            self.query_one("#element-hint", Static).update(got)
            return
        self.dismiss(got)

    def action_cancel(self) -> None:
        """Close without picking."""
        self.dismiss(None)
