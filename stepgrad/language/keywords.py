"""Keyword arguments of a call (``mean(h, axis=0)``, ``mse(y_hat, y, reduction="sum")``),
checked against the op's record (``OpRule.keywords``: the names it takes and the values
each may have).

A keyword chooses the op's rule and never carries a gradient, so its value is written out:
a whole number (``axis=-1``) or a text in quotes (``reduction="sum"``), the only place a
model may write a string.
"""

from __future__ import annotations

import ast

from stepgrad.engine.ops import OpRule
from stepgrad.language.parse import ExprError, off, snippet
from stepgrad.language.suggest import closest

#: A node's keyword arguments, sorted by name: ``(("axis", 0),)``.
Attrs = tuple[tuple[str, int | str], ...]


def keyword_attrs(fname: str, rule: OpRule, keywords: list[ast.keyword]) -> Attrs:
    """The keyword arguments of a call to ``fname``, checked, sorted by name.

    Raises:
        ExprError: a keyword the op does not take, or a value it cannot have, pointing at
            the keyword (or its value).
    """
    if not keywords:
        return ()
    allowed = dict(rule.keywords or {})
    out: dict[str, int | str] = {}
    for kw in keywords:
        if kw.arg is None:
            raise ExprError(f"'**{snippet(kw.value)}' is not allowed; write each keyword out", off(kw))
        if not allowed:
            raise ExprError(f"{fname}() takes no keyword arguments ('{kw.arg}=')", off(kw))
        if kw.arg not in allowed:
            close = closest(kw.arg, allowed)
            guess = f"; did you mean '{close}'?" if close else ""
            raise ExprError(
                f"{fname}() has no keyword '{kw.arg}'{guess} (it takes {', '.join(allowed)})", off(kw)
            )
        if kw.arg in out:
            # Python's parser lets a repeated keyword through (its compiler refuses it).
            raise ExprError(f"{fname}(): '{kw.arg}=' is given twice", off(kw))
        out[kw.arg] = _value(fname, kw.arg, kw.value, allowed[kw.arg])
    return tuple(sorted(out.items()))


def _value(fname: str, name: str, t: ast.expr, values: tuple[int | str, ...]) -> int | str:
    """The value of keyword ``name``: a whole number or a quoted text among ``values``."""
    texts = [v for v in values if isinstance(v, str)]
    shown = ", ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in values)
    may = f" (it may be {shown})" if values else ""
    value: object = None
    if isinstance(t, ast.Constant):
        value = t.value
    elif (
        isinstance(t, ast.UnaryOp) and isinstance(t.op, ast.USub) and isinstance(t.operand, ast.Constant)
        and type(t.operand.value) is int
    ):
        value = -t.operand.value
    elif isinstance(t, ast.Name) and t.id in texts:
        raise ExprError(f'write "{t.id}" in quotes: {name}="{t.id}"', off(t))
    if isinstance(value, str):
        if values and value not in values:
            close = closest(value, texts)
            guess = f'; did you mean "{close}"?' if close else ""
            raise ExprError(f'{fname}(): {name}="{value}" is not allowed{guess}{may}', off(t))
        return value
    if type(value) is int:
        assert isinstance(value, int)
        if values and value not in values:
            raise ExprError(f"{fname}(): {name}={value} is not allowed{may}", off(t))
        return value
    what = "a text in quotes" if texts else "a whole number written out"
    raise ExprError(f"{fname}(): {name} must be {what}, not '{snippet(t)}'{may}", off(t))
