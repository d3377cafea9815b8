"""How a number is written in the lecture's text: exactly as stored, negatives in
parentheses inside a product, a function's parentheses enough for a negative argument."""

from __future__ import annotations

import math
import re
from typing import Any

Value = Any

Piece = tuple[str, str]
"""A run of text and its role: ``formula``, ``num``, ``bad``, ``dim``, ``note`` or ``""``
(the inspector maps roles to styles; plain text ignores them)."""

Row = tuple[Piece, ...]


def fmt(v: Value | None) -> str:
    """A number exactly as stored: the shortest text that reads back to the same float.

    float32 values are widened to Python floats, as torch's ``.item()`` prints them.
    ``None`` (not yet known) is ``·``.
    """
    if v is None:
        return "·"
    if type(v) in _SCALARS:  # the common case first: the app formats thousands of them
        return repr(float(v))
    if getattr(v, "ndim", 0) > 0:  # an array (NumPy scalars have ndim 0)
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    if not hasattr(v, "__len__"):  # a scalar type (a 0-d array's type may hold n-d ones too)
        _SCALARS.add(type(v))
    return repr(float(v))


_SCALARS: set[type] = {float}
"""Types seen to be scalars (Python and NumPy floats): formatted without looking further."""


def finite(v: Value | None) -> bool:
    """True when every number in ``v`` is finite (None, not yet known, counts as finite)."""
    if v is None:
        return True
    if getattr(v, "ndim", 0) > 0:  # an array: NumPy is loaded already
        import numpy as np

        return bool(np.all(np.isfinite(v)))
    return math.isfinite(v)


def paren(v: Value | None) -> str:
    """``fmt`` with negative numbers in parentheses, for use inside a product."""
    s = fmt(v)
    return f"({s})" if s[0] == "-" else s


def num(v: Value | None) -> Piece:
    """A number as a piece: ``bad`` when it is not finite."""
    return (fmt(v), "num" if finite(v) else "bad")


def pnum(v: Value | None) -> Piece:
    """``num`` in parentheses when negative (inside a product)."""
    return (paren(v), "num" if finite(v) else "bad")


# A parenthesised negative number that is a function's whole argument: ``log((-1.0))``.
# Only the number's own parentheses go; ``(-1.0)^2``, ``2*(-1.0)`` and ``1/(-1.0)`` keep them.
_CALL_OF_NEGATIVE = re.compile(r"(?<=[A-Za-z_]\()\((-[^()\s]+)\)(?=\))")


def bare_calls(text: str) -> str:
    """``log((-1.0))`` -> ``log(-1.0)``: a function's parentheses are enough for a negative
    argument (``paren`` adds its own for products, powers and quotients)."""
    return _CALL_OF_NEGATIVE.sub(r"\1", text) if "((-" in text else text
