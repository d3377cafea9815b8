"""The inspector: the current event (or a clicked node) explained, with numbers."""

from __future__ import annotations

import re
from collections.abc import Sequence

from stepgrad.app.widgets.text_lines import Line, TextLines

_TOKEN = re.compile(r"\s*\S+\s*")


def wrap(lines: Sequence[Line], width: int) -> list[Line]:
    """Fold lines longer than ``width`` between words, never inside a number.

    A continued line is indented under the text after its first ``=`` (so a long
    equation keeps its shape); prose continues at the left edge. Where a word (an array's
    entry, ``[[0.22272515296936035],``) would not fit after that indent, the equation's
    ``=`` moves to two cells in and the line goes on under the text after it; a word wider
    than the whole line ends in ``…`` (``i`` and the c table have it whole). No line is
    ever wider than ``width``: the panel would cut it without a sign.
    """
    if width <= 8:
        return list(lines)
    out: list[Line] = []
    for line in lines:
        if sum(len(t) for t, _ in line) <= width:
            out.append(line)
            continue
        line = _shifted(line, width)
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
        longest = max((len(t.rstrip()) for t, role in line for t in _tokens(t, role)), default=0)
        if indent + longest > width:
            # A word too wide to hang under the "=": the text goes on two cells in.
            indent = min(indent, 2)
        cur: list[tuple[str, str]] = []
        used = 0
        for text, role in line:
            for tok in _tokens(text, role):
                if used + len(tok) > width and used > indent and cur:
                    out.append(cur)
                    tok = tok.lstrip()
                    cur, used = [(" " * indent, "")], indent
                if used + len(tok.rstrip()) > width:
                    tok = tok[: max(width - used - 1, 0)] + "…"  # wider than the line itself
                cur.append((tok, role))
                used += len(tok)
        out.append(cur)
    return out


def _tokens(text: str, role: str) -> list[str]:
    """A piece's words with the spaces after them ("← #53" names one event: never split)."""
    return ([text] if role == "origin" else _TOKEN.findall(text)) or [text]


def _shifted(line: Line, width: int) -> Line:
    """A line that lines up its ``=`` under the one above (a blank lead, then ``=``), moved
    to two cells in where the first word after the ``=`` would not fit after it."""
    if len(line) < 3 or line[0][0].strip() or line[1][0].strip() != "=":
        return line
    first = _tokens(line[2][0], line[2][1])[0].rstrip()
    if len(line[0][0]) + len(line[1][0]) + len(first) <= width:
        return line
    return [("  ", line[0][1]), (line[1][0].lstrip(), line[1][1]), *line[2:]]


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
