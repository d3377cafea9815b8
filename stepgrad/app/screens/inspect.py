"""The inspector in full: every line of the current explanation, scrollable, for a
terminal too small to show it all in the panel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll

from stepgrad.app.screens.dialog import Dialog
from stepgrad.app.widgets.inspector import wrap
from stepgrad.app.widgets.palette import Palette
from stepgrad.app.widgets.text_lines import Line, TextLines


class AllLines(TextLines):
    """The explainer's lines folded to the width, none left out (the box scrolls)."""

    def __init__(self, lines: Sequence[Line], phase: str, folded: bool = True):
        super().__init__(id="inspect-text")
        self._source = lines
        self.phase = phase
        self._folded = folded

    def _redraw(self) -> None:
        self.set_lines(wrap(self._source, self.size.width or 200) if self._folded else list(self._source))

    def on_resize(self) -> None:
        self._redraw()


class InspectScreen(Dialog[None]):
    """The inspector's lines in a scrollable box over the main screen.

    Args:
        lines: the explainer's lines, as the inspector has them.
        phase: the current phase (the colour of the ``phase`` role).
        title: the box's title.
    """

    DEFAULT_CSS = """
    #inspect-box { width: 100; height: auto; max-height: 100%; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,i", "close", "close", id="inspect.close"),
    ]

    def __init__(self, lines: Sequence[Line], phase: str, title: str, *, wrap: bool = True):
        super().__init__()
        self._lines = lines
        self._phase = phase
        self._title = title
        self._wrap = wrap
        """False for lines laid out already (a matrix's columns): never folded."""
        self._toggle = "i" if wrap else "m"
        """The key that opened the box closes it too (m opened a matrix and did not close it)."""

    def compose(self) -> ComposeResult:
        yield Palette()
        with VerticalScroll(id="inspect-box", classes="dialog-box") as box:
            box.border_title = self._title
            box.border_subtitle = f"↑↓ scroll · Esc, q or {self._toggle} closes"
            yield AllLines(self._lines, self._phase, self._wrap)

    def on_mount(self) -> None:
        lines = wrap(self._lines, max(self.app.size.width - 6, 20)) if self._wrap else list(self._lines)
        self.query_one(AllLines).set_lines(lines)
        self.query_one(VerticalScroll).focus()

    def on_key(self, event: events.Key) -> None:
        if event.key == self._toggle:
            event.stop()
            self.dismiss(None)

    def action_close(self) -> None:
        """Back to the main screen."""
        self.dismiss(None)
