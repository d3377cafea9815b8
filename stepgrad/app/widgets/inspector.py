"""The inspector: the current event (or a clicked node) explained, with numbers."""

from __future__ import annotations

import re
from collections.abc import Sequence

from stepgrad.app.widgets.text_lines import Line, TextLines

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
        whole = "".join(t for t, _ in line)
        # An indented line (a drill's "  k=0  1.0 × (-2.6) = -2.6") goes on two cells further
        # in, under its own text, never at the left edge where it read as a line of its own.
        lead = len(whole) - len(whole.lstrip(" "))
        indent, col = lead + 2 if lead and lead + 2 <= width // 2 else 0, 0
        for text, role in line:
            # A note's row hangs where an equation's "=" would be (its blank lead, a note).
            if (text.strip() == "=" or (role == "note" and text and not text.strip())) and col <= width // 2:
                indent = col + len(text)
                break
            col += len(text)
        cur: list[tuple[str, str]] = []
        used = 0
        for text, role in line:
            # "← #53" names one event: never split between the arrow and the number.
            for tok in ([text] if role == "origin" else _TOKEN.findall(text)) or [text]:
                if used + len(tok) > width and used > indent and cur:
                    out.append(cur)
                    tok = tok.lstrip()
                    cur, used = [(" " * indent, "")], indent
                cur.append((tok, role))
                used += len(tok)
        out.append(cur)
    return out


class Inspector(TextLines):
    """Shows the explainer's lines (``stepgrad.app.explainer``), folded to its width."""

    DEFAULT_CSS = """
    Inspector { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self._source: Sequence[Line] = ()
        self._cut = False

    @property
    def source(self) -> Sequence[Line]:
        """The explainer's lines, before folding and cutting."""
        return self._source

    @property
    def shown(self) -> str:
        """The text as folded and cut to the panel, without styles (for tests)."""
        return super().plain

    @property
    def plain(self) -> str:
        """The text shown, unfolded, without styles (for tests)."""
        return "\n".join("".join(t for t, _ in line) for line in self._source)

    def show(self, lines: Sequence[Line], phase: str) -> None:
        """Replace the text.

        Args:
            lines: the explainer's lines.
            phase: the current phase (the colour of the ``phase`` role).
        """
        self._source = lines
        self.phase = phase
        self._redraw()

    def _redraw(self) -> None:
        lines = wrap(self._source, self.size.width or 200)
        height = self.size.height
        self._cut = bool(height) and len(lines) > height
        if self._cut:
            # Say that there is more rather than cut silently (a bigger terminal shows it).
            hidden = len(lines) - height + 1
            more = f"… {hidden} more line{'s' if hidden > 1 else ''}"
            lines = [*lines[: height - 1], [(more, "dim"), (" · i or click: all", "key")]]
        self.set_lines(lines)

    def on_resize(self) -> None:
        self._redraw()

    async def on_click(self) -> None:
        if self._cut:
            # run_action is a coroutine: not awaited, the all-lines screen never opened.
            await self.app.run_action("inspect_all")
