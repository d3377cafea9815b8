"""The YAML parser behind ``yamlloc``: PyYAML's safe loader, its node tree built into
``Loc`` values with positions, and its complaints put in the words of someone editing a
scenario.

PyYAML is imported with this module, which ``yamlloc`` imports only when a file is not in
its cache of parsed trees (``treecache``): about a twentieth of the way to the app's first
frame goes into importing PyYAML.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from stepgrad.errors import ScenarioError
from stepgrad.scenario.yamlloc import Loc, Source

# A scenario needs three levels of nesting; deeper files are refused while scanning, since
# PyYAML slows down badly on deep flow collections and composes them recursively.
MAX_DEPTH = 32
_TOO_DEEP = f"the YAML is nested too deeply (at most {MAX_DEPTH} levels)"

# No value a scenario uses can go beyond the largest float64 (about 2 ** 1024); an integer
# beyond it is refused when read, before anything formats it.
MAX_INT_BITS = 1024
_LARGEST_FLOAT = 1.7976931348623157e308

_MERGE = "tag:yaml.org,2002:merge"
_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


class _Loader(yaml.SafeLoader):
    """The safe loader, refusing deep nesting as soon as the scanner meets it."""

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        if self.flow_level >= MAX_DEPTH:
            raise yaml.scanner.ScannerError(problem=_TOO_DEEP, problem_mark=self.get_mark())
        super().fetch_flow_collection_start(TokenClass)

    def add_indent(self, column: int) -> bool:
        if len(self.indents) >= MAX_DEPTH:
            raise yaml.scanner.ScannerError(problem=_TOO_DEEP, problem_mark=self.get_mark())
        return bool(super().add_indent(column))


_OPENED = {
    "a flow mapping": "the {",
    "a flow sequence": "the [",
    "a quoted scalar": "the quote",
}
"""PyYAML's name for what a problem was found in, in the words of someone writing the file."""


def parse_located(text: str, path: str, source: Source) -> Loc:
    """Parse YAML text into a ``Loc`` tree with PyYAML's safe loader.

    Raises:
        ScenarioError: invalid YAML, duplicate or non-string keys, nesting too deep.
    """
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # checks the characters already
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError(path, "the file is empty; a scenario needs params and model", 1, 1)
        return _Builder(loader, path, source).build(node, 0)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = _one_line(e.problem or e.context or "invalid YAML")
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        misplaced = _misindented(text, problem, mark)
        if misplaced is not None:
            message, line = misplaced
            raise ScenarioError(path, message, line, _indent(text.splitlines()[line - 1]) + 1) from None
        if problem != _TOO_DEEP:
            problem = f"invalid YAML: {_plain_words(_what_was_found(problem, text, mark))}"
            ctx = e.context_mark
            if (
                e.problem_mark is not None
                and ctx is not None
                and mark is not None
                and ctx.line != mark.line
                and e.context
            ):
                # An unclosed bracket is found where the next line starts: say where it opened.
                what = _OPENED.get(e.context.removeprefix("while parsing ").removeprefix("while scanning "))
                if what is not None:
                    problem += f" ({what} opened at line {ctx.line + 1}, column {ctx.column + 1})"
        raise ScenarioError(path, problem, line, col) from None
    except yaml.reader.ReaderError as e:
        line, col = source.position(min(e.position, len(text)))
        what = f"#x{e.character:04x}" if isinstance(e.character, int) else repr(e.character)
        raise ScenarioError(
            path, f"invalid YAML: the character {what} is not allowed in a YAML file", line, col
        ) from None
    except yaml.YAMLError as e:
        raise ScenarioError(path, f"invalid YAML: {_one_line(str(e))}", 1, 1) from None
    except RecursionError:
        # PyYAML composes nested collections recursively.
        raise ScenarioError(path, _TOO_DEEP, 1, 1) from None
    finally:
        if loader is not None:
            loader.dispose()


def _too_large(what: str) -> str:
    return f"{what}: integer too large (beyond {_LARGEST_FLOAT:.2g}, the largest float64)"


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _one_line(text: str) -> str:
    return " ".join(text.split())


# PyYAML's most common complaints, in the words of someone editing a scenario.
_PLAIN_WORDS = (
    ("expected <block end>", "this line is not indented like the lines above it"),
    ("but found another document", "a scenario is one YAML document; remove the second '---'"),
    ("mapping values are not allowed here", "unexpected ':' (quote a value that contains ': ')"),
    ("found character '\\t' that cannot start any token", "tabs cannot indent YAML; use spaces"),
    ("could not determine a constructor for the tag", "YAML tags like '!!name' are not allowed here"),
    # `loss: |y_hat - y|`: YAML reads '|' as the start of a block of text.
    (
        "expected chomping or indentation indicators",
        "a value starting with '|' is a YAML block of text; for an absolute value write abs(...)",
    ),
)


def _what_was_found(problem: str, text: str, mark: Any) -> str:
    """PyYAML's token names (``'<scalar>'``, ``'<stream end>'``) replaced by what the file
    holds there."""
    if "'<stream end>'" in problem:
        return problem.replace("'<stream end>'", "the end of the file")
    if "'<scalar>'" in problem and mark is not None:
        lines = text.splitlines()
        rest = lines[mark.line][mark.column :] if mark.line < len(lines) else ""
        word = re.match(r"[^\s,:{}\[\]#]*", rest)
        if word is not None and word.group():
            return problem.replace("'<scalar>'", f"'{_short(word.group(), 20)}'")
    return problem


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _spaces(n: int) -> str:
    return "1 space" if n == 1 else f"{n} spaces"


def _misindented(text: str, problem: str, mark: Any) -> tuple[str, int] | None:
    """A ``key: value`` line indented unlike the lines of its block, in those words:
    ``model: line 'loss: s ** 2' is indented by 4 spaces, 'y_hat: x * w' above it by 2``,
    and its 1-based line; None for any other problem.

    PyYAML reports a line indented deeper than the one above as ``mapping values are not
    allowed here`` (it reads the line as the value above continued, until its ':'), and
    one indented less as ``expected <block end>``.
    """
    if mark is None or not ("mapping values are not allowed" in problem or "expected <block end>" in problem):
        return None
    lines = text.splitlines()
    if mark.line >= len(lines):
        return None
    bad = lines[mark.line]
    if "\t" in bad[: len(bad) - len(bad.lstrip())] or not _KEY_LINE.match(bad.strip()):
        return None
    depth = _indent(bad)
    above = [
        (i, line)
        for i, line in enumerate(lines[: mark.line])
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not above:
        return None
    if _indent(above[-1][1]) < depth:  # deeper than the line above, a key with its value
        sibling = above[-1]
        if not _KEY_LINE.match(sibling[1].strip()) or sibling[1].rstrip().endswith(":"):
            return None
    else:  # less deep than its block: the block's first line, under its parent
        block = []
        for i, line in reversed(above):
            if _indent(line) <= depth:
                break
            block.append((i, line))
        if not block or _indent(line) == depth:
            return None
        sibling = min(reversed(block), key=lambda il: _indent(il[1]))
    parent = next(
        (
            line.strip()
            for _, line in reversed(above[: above.index(sibling)])
            if _indent(line) < _indent(sibling[1])
        ),
        "",
    )
    where = f"{_short(parent, 20)} line" if parent.endswith(":") else "line"
    spaces = _indent(sibling[1])
    message = (
        f"{where} '{_short(bad.strip(), 30)}' is indented differently from "
        f"'{_short(sibling[1].strip(), 30)}' above it ({_spaces(depth)}, not {spaces}); "
        f"indent the lines of one block alike"
    )
    return message, mark.line + 1


# A `key: value` (or `key:`) line, as a student writes one under model:.
_KEY_LINE = re.compile(r"[^\s:#'\"{}\[\],&*!|>%@`-][^:#]*:(\s|$)")


def _plain_words(problem: str) -> str:
    if "constructor for the tag" in problem and problem.count("'") >= 2:
        tag = problem.split("'")[1].replace("tag:yaml.org,2002:", "!!")
        return f"YAML tags like '{_short(tag)}' are not allowed here"
    for pattern, words in _PLAIN_WORDS:
        if pattern in problem:
            return words
    return problem


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, path: str, source: Source):
        self.loader = loader
        self.path = path
        self.source = source
        # An alias is the node it refers to: build it once and share it, so that aliases
        # of aliases ("billion laughs") cost nothing.
        self.built: dict[int, Loc] = {}

    def fail(self, node: yaml.Node, message: str) -> ScenarioError:
        return ScenarioError(self.path, message, node.start_mark.line + 1, node.start_mark.column + 1)

    def construct(self, node: yaml.Node, what: str) -> Any:
        try:
            value = self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError) as e:
            if "digits" in str(e):  # Python's limit on int() of long decimal strings
                raise self.fail(node, _too_large(what)) from None
            raise self.fail(node, f"cannot read this value: {_one_line(str(e))}") from None
        if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
            # Hex, binary, octal and sexagesimal integers have no digit limit when read,
            # but str() of one beyond 4,300 decimal digits raises: no later code may see it.
            raise self.fail(node, _too_large(what))
        return value

    def build(self, node: yaml.Node, depth: int, what: str = "the value") -> Loc:
        done = self.built.get(id(node))
        if done is not None:
            return done
        if depth > MAX_DEPTH:  # a recursive alias (`a: &a [*a]`)
            raise self.fail(node, _TOO_DEEP)
        loc = self._build(node, depth, what)
        self.built[id(node)] = loc
        return loc

    def _build(self, node: yaml.Node, depth: int, what: str) -> Loc:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _COLLECTION_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise self.fail(node, f"YAML tags like '{_short(tag)}' are not allowed here")
        if isinstance(node, yaml.MappingNode):
            written = sum(1 for k, _ in node.value if k.tag != _MERGE)
            # The merged pairs (`<<: *p`) come first, then the keys written here.
            self.loader.flatten_mapping(node)
            merged = len(node.value) - written
            chosen: dict[str, tuple[tuple[int, int], yaml.Node]] = {}
            explicit: dict[str, int] = {}
            for i, (knode, vnode) in enumerate(node.value):
                kline, kcol = knode.start_mark.line + 1, knode.start_mark.column + 1
                if isinstance(knode, yaml.ScalarNode):
                    key = self.construct(knode, "a key")
                    shown = repr(key)
                else:
                    key, shown = None, "a list" if isinstance(knode, yaml.SequenceNode) else "a mapping"
                if not isinstance(key, str):
                    raise ScenarioError(self.path, f"keys must be names, not {shown}", kline, kcol)
                if i < merged:
                    # YAML: a mapping merged earlier overrides one merged later.
                    chosen.setdefault(key, ((kline, kcol), vnode))
                    continue
                if key in explicit:
                    raise ScenarioError(
                        self.path, f"duplicate key '{key}' (first given on line {explicit[key]})", kline, kcol
                    )
                # YAML: a key written here overrides a merged one (keeping its place).
                explicit[key] = kline
                chosen[key] = ((kline, kcol), vnode)
            out = {k: self.build(v, depth + 1, f"'{_short(k)}'") for k, (_, v) in chosen.items()}
            return Loc(out, line, col, {k: pos for k, (pos, _) in chosen.items()})
        if isinstance(node, yaml.SequenceNode):
            items = [self.build(v, depth + 1, f"{what} item {i}") for i, v in enumerate(node.value)]
            return Loc(items, line, col)
        value = self.construct(node, what)
        return Loc(
            value,
            line,
            col,
            style=getattr(node, "style", None),
            span=(node.start_mark.index, node.end_mark.index),
            source=self.source,
        )
