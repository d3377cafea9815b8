"""The inspector: the current event (or a clicked node) explained, with numbers."""

from __future__ import annotations

import re
from collections.abc import Sequence

from textual.content import Content
from textual.widgets import Static

from stepgrad.app.explainer import Line

ROLE_STYLE = {
    "title": "bold $text",
    "phase": "bold $phase",
    "formula": "$text",
    "num": "bold $text",
    "bad": "bold $error",
    "dim": "$text-muted",
    "origin": "$text-muted italic",
    "note": "$text-muted",
    "key": "bold $accent",
    "": "",
}
"""How each role of the explainer's text is drawn; ``$phase`` is the current phase's colour."""

_TOKEN = re.compile(r"\s*\S+\s*")


def wrap(lines: Sequence[Line], width: int) -> list[Line]:
    """Fold lines longer than ``width`` between words, never inside a number.

    A continued line is indented under the text after its first ``=`` (so a long
    equation keeps its shape); prose continues at the left edge.
    """
    if width <= 8:
        return list(lines)
    out: list[Line] = []
    for line in lines:
        if sum(len(t) for t, _ in line) <= width:
            out.append(line)
            continue
        indent, col = 0, 0
        for text, _ in line:
            if text.strip() == "=" and col <= width // 2:
                indent = col + len(text)
                break
            col += len(text)
        cur: Line = []
        used = 0
        for text, role in line:
            for tok in _TOKEN.findall(text) or [text]:
                if used + len(tok) > width and used > max(indent, 0) and cur:
                    out.append(cur)
                    tok = tok.lstrip()
                    cur, used = [(" " * indent, "")], indent
                cur.append((tok, role))
                used += len(tok)
        out.append(cur)
    return out


def to_content(lines: Sequence[Line], phase_color: str) -> Content:
    """The explainer's lines as one Content (never parsed as markup)."""
    parts: list[str | tuple[str, str]] = []
    for k, line in enumerate(lines):
        if k:
            parts.append("\n")
        for text, role in line:
            style = ROLE_STYLE.get(role, "").replace("$phase", phase_color)
            parts.append((text, style) if style else text)
    return Content.assemble(*parts)


class Inspector(Static):
    """Shows what the screen hands it: see ``stepgrad.app.explainer``."""

    def __init__(self, *, id: str | None = None, classes: str | None = None, markup: bool = False):
        super().__init__(id=id, classes=classes, markup=markup)
        self._lines: Sequence[Line] = ()
        self._color = "$text"
        self.plain = ""
        """The text shown, without styles (for tests)."""

    def show(self, lines: Sequence[Line], phase_color: str) -> None:
        """Replace the text.

        Args:
            lines: the explainer's lines.
            phase_color: theme variable for the current phase, e.g. ``$secondary``.
        """
        self._lines, self._color = lines, phase_color
        self.plain = "\n".join("".join(t for t, _ in line) for line in lines)
        self._redraw()

    def _redraw(self) -> None:
        width = self.content_region.width or 200
        self.update(to_content(wrap(self._lines, width), self._color))

    def on_resize(self) -> None:
        self._redraw()
