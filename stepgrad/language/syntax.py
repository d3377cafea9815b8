"""Python's syntax errors, in the words of someone writing a model expression.

A model expression is parsed by Python's ``ast``, whose messages speak of Python
(``invalid decimal literal`` for ``2x * w``). A student wrote algebra: this module says
what to write instead (``write 2 * x``), pointing at the same place.
"""

from __future__ import annotations

import re

from stepgrad.engine.ops import FUNCTIONS

_OPERATORS = ("**", "+", "-", "*", "/", "%", "@", "^", "//")
# Characters of a number as Python scans one, letters included (``2x``, ``1e``, ``0x1g``).
_LITERAL = re.compile(r"[0-9][0-9A-Za-z_.]*|\.[0-9][0-9A-Za-z_.]*")
# A number run into a name: ``2x``, ``3.5w``, ``2.x``, ``1_000x``.
_NUMBER_NAME = re.compile(r"([0-9][0-9_]*(?:\.[0-9_]*)?)([A-Za-z_][A-Za-z0-9_]*)")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9][0-9._]*")

# Characters from mathematical notation, and what to write for each.
_NOTATION = {
    "×": "write * for a product", "⋅": "write * for a product", "·": "write * for a product",
    "∙": "write * for a product", "÷": "write / for a quotient", "∕": "write / for a quotient",
    "−": "write - (the keyboard's minus)", "–": "write - (the keyboard's minus)",
    "—": "write - (the keyboard's minus)", "²": "write ** 2 for a square", "³": "write ** 3 for a cube",
    "√": "write sqrt(...) for a square root", "≤": "comparisons are not allowed in a model",
    "≥": "comparisons are not allowed in a model", "≠": "comparisons are not allowed in a model",
    "‘": "quotes are not allowed in a model", "’": "quotes are not allowed in a model",
    "“": "quotes are not allowed in a model", "”": "quotes are not allowed in a model",
}


def student_words(body: str, msg: str, at: int, allowed: str) -> tuple[str, int]:
    """The message for Python's SyntaxError ``msg`` at 0-based offset ``at`` of ``body``, and
    where to point (an offset into ``body``).

    Args:
        body: the expression as parsed (stripped of leading and trailing space).
        msg: ``SyntaxError.msg``.
        at: its 0-based offset (``SyntaxError.offset - 1``; 0 at the end of the text).
        allowed: what a model may use, in words, for the messages that list it.
    """
    at = min(max(at, 0), len(body))
    if "literal" in msg and "string" not in msg:  # invalid decimal / hexadecimal ... literal
        return _literal(body, at)
    if msg.endswith("was never closed"):
        opener = body[at] if at < len(body) else "("
        if opener != "(":
            return f"'{opener}' is not allowed; group with ( and )", at
        return "this '(' is never closed; add a ')' where the group ends", at
    if msg.startswith("unmatched"):
        closer = body[at] if at < len(body) else ")"
        if closer != ")":
            return f"'{closer}' is not allowed; group with ( and )", at
        return "this ')' closes no '('; remove it, or add the '(' that opens its group", at
    if msg.startswith("invalid character"):
        ch = body[at] if at < len(body) else "?"
        what = _NOTATION.get(ch, f"a model may use {allowed}")
        return f"'{ch}' (U+{ord(ch):04X}) cannot be used in an expression; {what}", at
    if msg.startswith("unterminated string") or msg.startswith("unterminated triple"):
        return "quotes are not allowed in a model; write the expression without them", at
    if msg.startswith("invalid syntax"):
        return _invalid_syntax(body, at, allowed)
    return f"cannot read the expression ({msg}); a model may use {allowed}", at


def _literal(body: str, at: int) -> tuple[str, int]:
    """``2x``: a number run into a name, or a malformed number (``1e``, ``0x1g``)."""
    start = at
    # Python points inside the number (at its start, its '.', or its last digit): walk
    # back to where the number begins.
    while start > 0 and (body[start - 1].isalnum() or body[start - 1] in "._"):
        start -= 1
    found = _LITERAL.match(body, start)
    token = found.group() if found else body[start : at + 1]
    pair = _NUMBER_NAME.fullmatch(token)
    if pair is not None and pair.group(2).lower() != "e":
        number = pair.group(1).rstrip(".")
        return f"'{token}' is not a number; write {number} * {pair.group(2)} for a product", start
    if pair is not None:
        return f"'{token}' is not a number; an exponent needs its digits ({pair.group(1)}e-2)", start
    return f"'{token}' is not a number", start


def _before(body: str, at: int) -> str:
    """The last word (name or number) or symbol before offset ``at``, or ''."""
    text = body[:at].rstrip()
    if not text:
        return ""
    words = list(_WORD.finditer(text))
    if words and words[-1].end() == len(text):
        return words[-1].group()
    for op in sorted(_OPERATORS, key=len, reverse=True):
        if text.endswith(op):
            return op
    return text[-1]


def _invalid_syntax(body: str, at: int, allowed: str) -> tuple[str, int]:
    text = body.rstrip()
    if at == 0 and text:
        # Python's "invalid syntax" at the start: the text ended where more was needed.
        for op in sorted(_OPERATORS, key=len, reverse=True):
            if text.endswith(op):
                where = len(text) - len(op)
                return f"the expression ends with '{op}'; write what it applies to after it", where
        return f"the expression is incomplete; a model may use {allowed}", max(len(text) - 1, 0)
    here = body[at:]
    word = _WORD.match(here)
    prev = _before(body, at)
    if here.startswith("**=") or (here.startswith("=") and not here.startswith("==")):
        return "'=' is not allowed; write only the expression, after the name and ':'", at
    if prev and (prev[-1].isalnum() or prev[-1] in "_)") and (word is not None or here.startswith("(")):
        # Two values side by side (`x w`, `2 x`, `sin x`): algebra's product, or a call.
        nxt = word.group() if word is not None else "("
        if prev in FUNCTIONS:
            return f"write {prev}({nxt}): a function's argument goes in parentheses", at
        left = prev if prev != ")" else "(...)"
        right = nxt if nxt != "(" else "(...)"
        return (
            f"an operator is missing between '{prev}' and '{nxt}'; write {left} * {right} "
            "for a product", at,
        )
    for op in sorted(_OPERATORS, key=len, reverse=True):
        if here.startswith(op) and prev in _OPERATORS:
            return f"'{op}' follows '{prev}' with nothing between them; write a value between", at
    ch = here[:1] or "?"
    if ch == "|":  # |y_hat - y|, the absolute value as written on paper
        return "'|' is not allowed in an expression; for an absolute value write abs(...)", at
    if ch.isalnum() or ch in "_()":
        return f"cannot read the expression here; a model may use {allowed}", at
    return f"'{ch}' is not allowed in an expression; a model may use {allowed}", at

