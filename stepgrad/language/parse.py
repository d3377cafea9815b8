"""Reading one expression: ``ast`` parsing with offsets into the text as written, and the
words for what a model may not write.

Split from ``stepgrad.language.expr`` (which turns the parsed tree into graph nodes): this
part knows Python's syntax and how to point into the user's text; the ops it names come
from the engine's registry (``engine.ops``).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from stepgrad.engine.ops import FUNCTIONS, OPERATORS, RULES
from stepgrad.language.syntax import student_words

MAX_CHARS = 1000
MAX_DEPTH = 64

# Python's syntax, not a list of ops: how each ``ast`` operator is written. The registry
# says which of them is an op (``OPERATORS``); the others are refused below.
PYTHON_OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.FloorDiv: "//",
    ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>", ast.BitAnd: "&",
    ast.BitOr: "|", ast.BitXor: "^",
}


def _allowed() -> str:
    """What a model may use, in words, from the registry: its operators (``+ - * / ** @``),
    ``.T`` when transposition is an op, and its functions."""
    written = " ".join(OPERATORS)
    transpose = ", x.T" if "transpose" in RULES else ""
    return f"numbers, names, {written}, unary -{transpose}, parentheses and " + ", ".join(FUNCTIONS)


ALLOWED = _allowed()
FUNCS = ", ".join(FUNCTIONS)

# Set on every parsed node: its start and end as character offsets into the text as
# written, and that text, so that a message can quote it and point into it.
_OFF = "stepgrad_off"
_END = "stepgrad_end"
_TEXT = "stepgrad_text"


class ExprError(Exception):
    """A problem inside one expression.

    Args:
        message: what is wrong, one line.
        offset: 0-based character offset into the expression text as written.
    """

    def __init__(self, message: str, offset: int = 0):
        super().__init__(message)
        self.message = message
        self.offset = offset


def off(t: ast.AST) -> int:
    return getattr(t, _OFF, 0)


def end(t: ast.AST) -> int:
    return getattr(t, _END, off(t))


def snippet(t: ast.AST, limit: int = 30) -> str:
    """The user's own text of a sub-expression, shortened for a one-line message."""
    text = " ".join(getattr(t, _TEXT, "")[off(t) : end(t)].split())
    if not text:
        text = ast.unparse(t) if _depth(t)[0] < 20 else type(t).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(node: ast.AST) -> tuple[str, int]:
    """Why a node is refused, and where to point."""
    where = off(node)
    if isinstance(node, ast.Attribute):
        dot = after(node.value, ".")
        return f"attribute access ('.{node.attr}') is not allowed; a model may use {ALLOWED}", dot
    if isinstance(node, ast.Lambda):
        return "lambdas are not allowed", where
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        return "comprehensions are not allowed", where
    if isinstance(node, ast.Subscript):
        return f"subscripts like '{snippet(node)}' are not allowed", after(node.value, "[")
    if isinstance(node, ast.Slice):
        return "slices are not allowed", where
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        return f"strings ({snippet(node)}) are not allowed in a model", where
    if isinstance(node, ast.JoinedStr):
        return f"strings ({snippet(node)}) are not allowed in a model", where
    if isinstance(node, ast.Constant) and (isinstance(node.value, bool) or node.value is None):
        return f"'{node.value}' is not a number", where
    if isinstance(node, ast.Constant) and isinstance(node.value, complex):
        return f"complex numbers ('{snippet(node)}') are not supported", where
    if isinstance(node, ast.Constant):
        return f"'{snippet(node)}' is not a number", where
    if isinstance(node, (ast.Compare, ast.BoolOp)):
        return f"comparisons and logic ('{snippet(node)}') are not allowed", where
    if isinstance(node, ast.IfExp):
        return "conditional expressions (if/else) are not allowed", where
    if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
        return f"'{snippet(node)}' is not allowed: a model works on numbers", where
    if isinstance(node, ast.NamedExpr):
        return "assignment expressions (:=) are not allowed", where
    if isinstance(node, (ast.Await, ast.Yield, ast.YieldFrom, ast.Starred)):
        return f"'{snippet(node)}' is not allowed", where
    return f"'{type(node).__name__}' is not allowed; a model may use {ALLOWED}", where


def after(t: ast.AST, token: str) -> int:
    """The offset of ``token`` after sub-expression ``t`` (skipping spaces and ``)``)."""
    text: str = getattr(t, _TEXT, "")
    i = end(t)
    while i < len(text) and (text[i].isspace() or text[i] == ")"):
        i += 1
    return i if text.startswith(token, i) else off(t)


def operator_at(t: ast.BinOp) -> int:
    """The offset of a binary operator's symbol."""
    text: str = getattr(t, _TEXT, "")
    i = end(t.left)
    while i < off(t.right) and (text[i].isspace() or text[i] == ")"):
        i += 1
    return i if i < off(t.right) else off(t)


def parse_expression(text: str) -> ast.expr:
    """Parse one model expression and check its size.

    The text may span several lines (a YAML block scalar): line breaks count as spaces.
    Every node of the returned tree knows its offsets in ``text`` (see ``ExprError``).

    Raises:
        ExprError: a syntax error, or an expression too long or too deep.
    """
    depth, at = _paren_depth(text)
    if depth > MAX_DEPTH:
        raise ExprError(
            f"expression is nested too deeply (more than {MAX_DEPTH} parentheses inside each other)",
            at,
        )
    if len(text) > MAX_CHARS:
        raise ExprError(
            f"expression is too long ({len(text)} characters; at most {MAX_CHARS}); "
            "split it into named steps"
        )
    if not text.strip():
        raise ExprError("the expression is empty")
    hash_at = text.find("#")
    if hash_at >= 0:
        raise ExprError(
            "'#' is not allowed in an expression (a YAML comment needs a space before it)", hash_at
        )
    for i, ch in enumerate(text):
        # ast.parse cannot encode one, and would call it a NUL byte.
        if "\ud800" <= ch <= "\udfff":
            raise ExprError(
                f"the expression contains a lone surrogate U+{ord(ch):04X} "
                "(half of a UTF-16 pair, not a character)",
                i,
            )
    # Same length, so every offset still points into the text as written.
    flat = "".join(" " if ch in "\r\n\x0b\x0c" else ch for ch in text)
    lead = len(flat) - len(flat.lstrip())
    body = flat.strip()
    try:
        tree = ast.parse(body, mode="eval")
    except SyntaxError as e:
        msg = e.msg
        if "too many nested parentheses" in msg:
            msg = f"expression is nested too deeply (at most {MAX_DEPTH} levels)"
        elif "null bytes" in msg:
            raise ExprError("the expression contains a NUL character", text.find("\0")) from None
        else:
            msg, at = student_words(body, msg, (e.offset or 1) - 1, ALLOWED)
            raise ExprError(msg, lead + at) from None
        raise ExprError(msg, lead + max((e.offset or 1) - 1, 0)) from None
    except ValueError:  # NUL bytes on some Python versions
        raise ExprError("the expression contains a NUL character", max(text.find("\0"), 0)) from None
    except (RecursionError, MemoryError):
        raise ExprError(f"expression is nested too deeply (at most {MAX_DEPTH} levels)", lead) from None
    chars = _char_offsets(body)
    for n in ast.walk(tree):
        if isinstance(n, (ast.expr, ast.keyword, ast.arg)):
            setattr(n, _OFF, lead + chars(n.col_offset))
            setattr(n, _END, lead + chars(n.end_col_offset or n.col_offset))
            setattr(n, _TEXT, text)
    depth, past = _depth(tree.body)
    if depth > MAX_DEPTH:
        raise ExprError(
            f"expression is too deep ({depth} operations inside each other; at most {MAX_DEPTH}); "
            "split it into named steps",
            off(past),
        )
    return tree.body


def _paren_depth(text: str) -> tuple[int, int]:
    """The deepest bracket nesting, and where it first goes past ``MAX_DEPTH``."""
    depth = best = at = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
            if depth > best:
                best = depth
                if depth == MAX_DEPTH + 1:
                    at = i
        elif ch in ")]}":
            depth -= 1
    return best, at


def _char_offsets(line: str) -> Callable[[int], int]:
    """A function from UTF-8 byte offsets (as ``ast`` gives them) to character offsets."""
    if line.isascii():
        return lambda b: b
    data = line.encode("utf-8")
    return lambda b: len(data[:b].decode("utf-8", errors="ignore"))


def _depth(root: ast.AST) -> tuple[int, ast.AST]:
    """How many expressions sit inside each other at most, and on that deepest path, the
    one that goes past ``MAX_DEPTH`` (the root when none does)."""
    best, past = 0, root
    stack: list[tuple[ast.AST, int, ast.AST]] = [(root, 1, root)]
    while stack:
        node, d, mark = stack.pop()
        if d == MAX_DEPTH + 1:
            mark = node
        if d > best:
            best, past = d, mark
        stack.extend((c, d + 1, mark) for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr))
    return best, past

