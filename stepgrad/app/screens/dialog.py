"""What every dialog shares: a box over the main screen, which stays visible around it."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

ResultT = TypeVar("ResultT")


class Dialog(ModalScreen[ResultT]):
    """A modal whose box (the child with class ``dialog-box``) sits in the middle, framed in
    the accent colour; each dialog sets its box's size."""

    DEFAULT_CSS = """
    Dialog { align: center middle; background: $background 60%; }
    Dialog > .dialog-box {
        max-width: 100%; border: round $accent; padding: 0 1; background: $surface;
    }
    """
