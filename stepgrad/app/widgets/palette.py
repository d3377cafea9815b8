"""One place for the styles the Line API widgets draw with.

The graph, the timeline and the text panels draw their own strips and need Rich styles
for roles (a number, a phase, a muted note). The styles live in ``stepgrad.tcss`` as
component classes of this one invisible widget, so the stylesheet computes them once
rather than once per panel (start-up time), and every panel asks it.
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from textual.widget import Widget

PHASES = ("start", "forward", "local", "backward", "update", "predict")

ROLES = (
    # text
    "text", "strong", "muted", "title", "formula", "num", "bad", "dim", "origin", "note",
    "key", "ok", "error", "warn", "accent",
    # graph
    "border", "wire", "name", "label", "unknown", "selected", "breakpoint", "stale",
    # timeline
    "current",
    *(f"phase-{p}" for p in PHASES),
)  # fmt: skip
"""Every role; each is the component class ``palette--<role>``."""


class Palette(Widget):
    """Holds the role styles; never displayed."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"palette--{r}" for r in ROLES}

    DEFAULT_CSS = """
    Palette { display: none; }
    """

    def __init__(self) -> None:
        super().__init__(id="palette")
        self._cache: dict[str, Style] = {}

    def style(self, role: str) -> Style:
        """The (partial) Rich style of a role; an empty style for ""."""
        got = self._cache.get(role)
        if got is None:
            got = self.get_component_rich_style(f"palette--{role}", partial=True) if role else Style()
            self._cache[role] = got
        return got

    def clear(self) -> None:
        """Forget resolved styles (after a theme change)."""
        self._cache.clear()
