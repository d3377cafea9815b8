"""Lines of styled text on the Line API: the base of the inspector, params and header.

Text arrives as lines of (text, role) pieces; each role's style comes from the
``Palette`` (component classes in ``stepgrad.tcss``, theme variables only). A line
becomes a ``Strip`` once and is reused while it stays the same, and only the rows whose
text changed are refreshed, so a key press repaints a few rows, not whole panels.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

from stepgrad.app.widgets.palette import Palette

Piece = tuple[str, str]
"""A run of text and its role."""
Line = Sequence[Piece]


class TextLines(Widget):
    """A few lines of styled text, redrawn row by row."""

    DEFAULT_CSS = """
    TextLines { height: auto; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self._lines: list[tuple[Piece, ...]] = []
        self._strips: dict[tuple[tuple[Piece, ...], int, str], Strip] = {}
        self._styles: dict[str, Style] = {}
        self.phase = "start"
        """The current phase; the role ``phase`` takes its colour."""
        self._made_for: Size | None = None
        self._quiet = False

    @property
    def plain(self) -> str:
        """The text shown, without styles (for tests)."""
        return "\n".join("".join(t for t, _ in line) for line in self._lines)

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._on_theme, init=False)

    def _on_theme(self) -> None:
        self.screen.query_one(Palette).clear()
        self._styles.clear()
        self._strips.clear()
        self.refresh()

    def _style(self, role: str) -> Style:
        if role == "phase":
            role = f"phase-{self.phase}"
        got = self._styles.get(role)
        if got is None:
            got = self.rich_style + self.screen.query_one(Palette).style(role)
            self._styles[role] = got
        return got

    def _redraw(self) -> None:
        """Make the lines again for the widget's size (widgets whose lines depend on it)."""

    def set_lines(self, lines: Sequence[Line]) -> None:
        """Show these lines; refresh only the rows that changed."""
        new = [tuple(line) for line in lines]
        old = self._lines
        self._lines = new
        self._made_for = self.size
        if self._quiet:
            return
        if len(new) != len(old) and self.styles.height is not None and self.styles.height.is_auto:
            self.refresh(layout=True)
            return
        width = self.size.width
        rows = [
            y for y in range(max(len(new), len(old))) if y >= len(old) or y >= len(new) or old[y] != new[y]
        ]
        if rows:
            self.refresh(*(Region(0, y, width, 1) for y in rows))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines)

    def render_line(self, y: int) -> Strip:
        if self._made_for is not None and self._made_for != self.size:
            # Laid out since the lines were made: the first frame's lines are made before any
            # widget has a size, and the Resize event would only fix them a frame later.
            self._made_for = self.size
            self._quiet = True
            try:
                self._redraw()
            finally:
                self._quiet = False
        width = self.size.width
        if y >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        line = self._lines[y]
        key = (line, width, self.phase)
        strip = self._strips.get(key)
        if strip is None:
            segs = [Segment(text, self._style(role)) for text, role in line if text]
            strip = Strip(segs).crop_extend(0, width, self.rich_style)
            if len(self._strips) > 512:
                self._strips.clear()
            self._strips[key] = strip
        return strip
