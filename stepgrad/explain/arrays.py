"""How an array is written in the lecture's text: never a 759×6 dump.

A small array (``SMALL`` entries or fewer, 8) is written whole, each entry as ``fmt`` writes
a number (exact, or to ``--digits``): ``[[0.5], [-0.25]]``, so that a small run can be
checked by hand. A larger one is its shape, its first few entries and its size:
``(759, 6) [[0.5243, 0.4921, 0.5102, …], …] ‖·‖ 13.6`` (the entries and the norm to
``PREVIEW_DIGITS`` significant digits, or fewer with ``--digits``): one line whatever
its size. One whose entries are all equal says so: ``(759, 6) all 1.0``.

Inside an equation's middle terms, where the operands are substituted, a large array is
written by its shape alone (``(759, 8) @ (8, 6)``): the result, last, has the compact form.
"""

from __future__ import annotations

from typing import Any

from stepgrad.lazy import LazyModule

np: Any = LazyModule("numpy", globals(), "np")

Value = Any

SMALL = 8
"""Arrays of at most this many entries are written whole: a bias of 6, a 2 × 3 weight,
XOR's four points of 2 (a hand-checkable run stays hand-checkable)."""

PREVIEW = 3
"""Entries a larger array's compact form shows (the first ones, row by row)."""

PREVIEW_DIGITS = 4
"""Significant digits of a large array's shown entries and norm (fewer with ``--digits``)."""

NORM = "‖·‖"
"""What marks a large array's (Frobenius) norm in its compact form."""


def is_array(v: Value) -> bool:
    """True for an array of one axis or more (NumPy scalars and 0-d arrays are numbers)."""
    return getattr(v, "ndim", 0) > 0


def shape_of(v: Value) -> tuple[int, ...]:
    """``v``'s shape, ``()`` for a number."""
    return tuple(getattr(v, "shape", ()))


def shape_text(shape: tuple[int, ...]) -> str:
    """A shape as Python and NumPy write it: ``(759, 6)``, ``(6,)``, ``()``."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(map(str, shape)) + ")"


def whole(v: Value, number: Any) -> str:
    """Every entry of the array ``v``, nested as its axes are: ``[[1.0, 2.0], [3.0, 4.0]]``."""
    if v.ndim == 1:
        return "[" + ", ".join([number(x) for x in v]) + "]"
    return "[" + ", ".join([whole(row, number) for row in v]) + "]"


def _preview(v: Value, budget: int, number: Any) -> tuple[str, int]:
    """The first ``budget`` entries of ``v`` row by row (the first row cut short if it must,
    then only whole rows), ``…`` for the rest; and how many it shows."""
    items: list[str] = []
    used = 0
    if v.ndim == 1:
        used = min(len(v), budget)
        items = [number(x) for x in v[:used]]
        if used < len(v):
            items.append("…")
        return "[" + ", ".join(items) + "]", used
    for k in range(len(v)):
        if used >= budget or (k and v[k].size > budget - used):  # whole rows after the first
            items.append("…")
            break
        text, n = _preview(v[k], budget - used, number)
        items.append(text)
        used += n
    return "[" + ", ".join(items) + "]", used


def norm(v: Value) -> float:
    """The array's Frobenius norm (the square root of the sum of its squares), in double."""
    return float(np.linalg.norm(np.asarray(v, dtype=np.float64).ravel()))


def compact(v: Value, number: Any, rounded: Any, digits: int | None) -> str:
    """The array ``v`` on one line (see the module).

    Args:
        v: an array (``ndim`` ≥ 1).
        number: how a number is written whole (``fmt``).
        rounded: ``numbers.rounded`` (a float to ``n`` significant digits).
        digits: ``--digits``, or None (exact).
    """
    if v.size <= SMALL:
        return whole(v, number) if v.size else f"{shape_text(v.shape)} []"
    n = PREVIEW_DIGITS if digits is None else min(digits, PREVIEW_DIGITS)

    def short(x: Value) -> str:
        return rounded(float(x), n)

    first = v.flat[0]
    if bool(np.all(v == first)):  # ones, a constant 1/n: one number says it
        return f"{shape_text(v.shape)} all {number(first)}"
    with np.errstate(all="ignore"):
        size = short(norm(v))
    return f"{shape_text(v.shape)} {_preview(v, PREVIEW, short)[0]} {NORM} {size}"


def summed_axes(before: tuple[int, ...], after: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of ``before`` that summing back to ``after`` adds up (broadcasting undone,
    as ``engine.broadcast.unbroadcast`` does): the leading ones ``after`` lacks, and those
    where ``after`` has 1 and ``before`` more."""
    lead = len(before) - len(after)
    if lead < 0:
        return ()
    return tuple(range(lead)) + tuple(
        lead + k for k, n in enumerate(after) if n == 1 and before[lead + k] != 1
    )


def axes_text(axes: tuple[int, ...]) -> str:
    """``summed over axis 0: broadcasting undone``, or ``axes 0 and 1``."""
    if len(axes) == 1:
        where = f"axis {axes[0]}"
    else:
        where = "axes " + ", ".join(map(str, axes[:-1])) + f" and {axes[-1]}"
    return f"summed over {where}: broadcasting undone"


__all__ = [
    "NORM",
    "PREVIEW",
    "PREVIEW_DIGITS",
    "SMALL",
    "axes_text",
    "compact",
    "is_array",
    "norm",
    "shape_of",
    "shape_text",
    "summed_axes",
    "whole",
]
