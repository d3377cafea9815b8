"""How a number is written in the lecture's text: exactly as stored (or to the significant
digits of ``--digits`` and the app's digits key), negatives in parentheses inside a
product, a function's parentheses enough for a negative argument."""

from __future__ import annotations

import math
import re
from typing import Any

from stepgrad.explain.arrays import SMALL, compact, shape_text

Value = Any

Piece = tuple[str, str]
"""A run of text and its role: ``formula``, ``num``, ``bad``, ``dim``, ``note`` or ``""``
(the inspector maps roles to styles; plain text ignores them)."""

Row = tuple[Piece, ...]


DIGITS_CHOICES: tuple[int | None, ...] = (None, 6, 3)
"""What the app's digits key cycles through: exact, 6 and 3 significant digits."""

_digits: int | None = None
"""Significant digits every number is shown with, or None: exact (``set_digits``)."""


def set_digits(n: int | None) -> None:
    """Show every number ``fmt`` writes to ``n`` significant digits from now on (None:
    exactly as stored). One setting for the process: the app's panels and ``replay``'s
    text all write their numbers through ``fmt``; JSON lines never do.

    Raises:
        ValueError: ``n`` is not between 1 and 17.
    """
    global _digits
    if n is not None and not 1 <= n <= 17:
        raise ValueError(f"digits must be between 1 and 17, not {n}")
    _digits = n


def digits() -> int | None:
    """The significant digits numbers are shown with (None: exact)."""
    return _digits


def rounded(v: float, n: int) -> str:
    """``v`` to ``n`` significant digits, still reading as a float: ``3.84`` for
    3.8415999999999997, ``1e-09`` for 1e-09 (never ``0.000``: a nonzero number keeps a
    digit, in an exponent if it must), ``-0.0`` and ``-1e-09`` keep their sign, ``2.0``
    not ``2``; nan and inf as they are."""
    s = f"{v:.{n}g}"
    if "e" in s or "n" in s or "." in s:  # an exponent, nan or inf, or a point already
        return s
    return s + ".0"


def fmt(v: Value | None) -> str:
    """A number exactly as stored: the shortest text that reads back to the same float;
    to the significant digits of ``set_digits`` when set. An array: whole when small
    (``[[0.5], [-0.25]]``), else its shape, first entries and norm on one line
    (``(759, 6) [[0.5243, 0.4921, 0.5102, …], …] ‖·‖ 13.6``, ``explain.arrays``).

    float32 values are widened to Python floats, as torch's ``.item()`` prints them.
    ``None`` (not yet known) is ``·``.
    """
    if v is None:
        return "·"
    if type(v) in _SCALARS:  # the common case first: the app formats thousands of them
        return repr(float(v)) if _digits is None else rounded(float(v), _digits)
    if getattr(v, "ndim", 0) > 0:  # an array (NumPy scalars have ndim 0): never a dump
        return compact(v, fmt, rounded, _digits)
    if not hasattr(v, "__len__"):  # a scalar type (a 0-d array's type may hold n-d ones too)
        _SCALARS.add(type(v))
    return repr(float(v)) if _digits is None else rounded(float(v), _digits)


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


def operand(v: Value | None, parens: bool = True) -> str:
    """A value as an equation's middle term writes it, where the operands are
    substituted: a number as ``paren`` (``fmt`` when not ``parens``), a small array whole,
    a larger one by its shape alone (``(759, 8) @ (8, 6)``)."""
    if v is not None and getattr(v, "ndim", 0) > 0 and v.size > SMALL:
        return shape_text(v.shape)
    return paren(v) if parens else fmt(v)


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
