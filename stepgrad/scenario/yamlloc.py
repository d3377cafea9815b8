"""YAML loading that remembers where every value came from, using PyYAML's safe loader.

``yaml.safe_load`` returns plain values without positions; a scenario error must name
the line and column, so we compose the node tree with the safe loader and build the
values ourselves, keeping each node's start mark (``yamlparse``). A scalar also keeps its
span in the source, so that an error inside a model expression can point at the offending
token whether the expression was written plain, quoted or as a block (``|``, ``>``).
A file parsed before is read back from ``treecache`` instead, without PyYAML.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Characters YAML may fold or strip inside a scalar: they never carry meaning in an
# expression, so positions are matched on everything else.
_WS = frozenset(" \t\r\n\x85\u2028\u2029\ufeff")
_ESCAPE_LEN = {"x": 2, "u": 4, "U": 8}
_ESCAPES = {
    "0": "\0",
    "a": "\a",
    "b": "\b",
    "t": "\t",
    "\t": "\t",
    "n": "\n",
    "v": "\v",
    "f": "\f",
    "r": "\r",
    "e": "\x1b",
    " ": " ",
    '"': '"',
    "/": "/",
    "\\": "\\",
    "N": "\x85",
    "_": "\xa0",
    "L": "\u2028",
    "P": "\u2029",
}


class Source:
    """The text of a YAML file, to turn character indexes into 1-based line and column.

    Args:
        text: the whole file as parsed.
    """

    def __init__(self, text: str):
        self.text = text
        self._starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self._starts.append(i + 1)

    def position(self, index: int) -> tuple[int, int]:
        """1-based (line, column) of the character at ``index``."""
        line = bisect.bisect_right(self._starts, index) - 1
        return line + 1, index - self._starts[line] + 1


@dataclass(slots=True)
class Loc:
    """A YAML value with its 1-based position.

    Attributes:
        value: a str/int/float/bool/None, a ``dict[str, Loc]`` or a ``list[Loc]``.
        line: 1-based line of the value.
        col: 1-based column of the value.
        keys: for mappings, the position of each key.
        style: the scalar's YAML style (None plain, ``'`` or ``"`` quoted, ``|``/``>`` block).
        span: for scalars, the start and end index of the scalar in ``source``.
        source: the file the value came from.
    """

    value: Any
    line: int
    col: int
    keys: dict[str, tuple[int, int]] = field(default_factory=dict)
    style: str | None = None
    span: tuple[int, int] | None = None
    source: Source | None = None

    def plain(self) -> Any:
        """The value with positions stripped."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value

    def locate(self, offset: int) -> tuple[int, int]:
        """The file position of character ``offset`` of this scalar's text (``str(value)``).

        An offset on whitespace (or past the end) moves to the next character that is not
        whitespace (or just after the last one), since YAML may fold whitespace. When the
        text cannot be matched with the source (a number written as ``1e0``, say), this
        is the scalar's first character.
        """
        first = (self.line, self.col + (1 if self.style in ("'", '"') else 0))
        if self.span is None or self.source is None:
            return first
        text = str(self.value)
        chars = [i for i, ch in enumerate(text) if ch not in _WS]
        where = _source_chars(self.source.text, self.span, self.style)
        if not chars:
            return self.line, self.col
        if where is None or len(where) != len(chars):
            return first
        k = bisect.bisect_left(chars, max(offset, 0))
        if k < len(chars):
            return self.source.position(where[k])
        line, col = self.source.position(where[-1])
        return line, col + 1


def _source_chars(text: str, span: tuple[int, int], style: str | None) -> list[int] | None:
    """Source index of each character of a scalar's value that is not whitespace, in order."""
    start, end = span
    if style in ("|", ">"):
        # Skip the header line (indicator, indentation/chomping hints, comment).
        nl = text.find("\n", start, end)
        if nl < 0:
            return []
        return [i for i in range(nl + 1, end) if text[i] not in _WS]
    if style is None:
        return [i for i in range(start, end) if text[i] not in _WS]
    out: list[int] = []
    i, stop = start + 1, end - 1
    while i < stop:
        ch = text[i]
        if style == "'" and ch == "'" and i + 1 < stop and text[i + 1] == "'":
            out.append(i)
            i += 2
            continue
        if style == '"' and ch == "\\" and i + 1 < stop:
            nxt = text[i + 1]
            if nxt in "\r\n":  # an escaped line break joins the lines
                i += 2
                continue
            decoded = "?" if nxt in _ESCAPE_LEN else _ESCAPES.get(nxt, "?")
            if decoded not in _WS:
                out.append(i)
            i += 2 + _ESCAPE_LEN.get(nxt, 0)
            continue
        if ch not in _WS:
            out.append(i)
        i += 1
    return out


def load_located(text: str, path: str, cached: Path | None = None) -> Loc:
    """Parse YAML text into a ``Loc`` tree.

    Args:
        text: the YAML.
        path: the file's name in errors.
        cached: the file read, to look for its tree in the cache of parsed files (and
            to keep it there once parsed); None: parse, keep nothing.

    Raises:
        ScenarioError: invalid YAML, duplicate or non-string keys, nesting too deep.
    """
    from stepgrad.scenario import treecache

    source = Source(text)
    if cached is not None:
        root = treecache.get(cached, text, source)
        if root is not None:
            return root
    from stepgrad.scenario.yamlparse import parse_located

    root = parse_located(text, path, source)
    if cached is not None:
        treecache.put(cached, text, root)
    return root
