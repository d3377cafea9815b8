"""Comparing two numbers the way ``stepgrad check`` and the app's torch panel do.

Pure: no torch, no Textual. Numbers may be Python floats or NumPy scalars; they are
widened to Python floats exactly before comparing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

#: (relative, absolute) tolerance per dtype. A difference within it is rounding noise
#: (ops evaluated in another order, a different but equally valid formula for a local
#: gradient, a few ulps compounded over a training run); a wrong rule or a wrong
#: number is off by far more. float64 allows about 4.5 million ulps of relative error,
#: float32 about 840: loose enough for long runs, orders of magnitude below a bug.
TOLERANCES: dict[str, tuple[float, float]] = {
    "float64": (1e-9, 1e-12),
    "float32": (1e-4, 1e-5),
}

STATUSES = ("equal", "close", "differs", "missing")


@dataclass(frozen=True, slots=True)
class Verdict:
    """How two numbers compare.

    Attributes:
        status: ``equal`` (the same bits), ``close`` (within the dtype's tolerance),
            ``differs`` (outside it) or ``missing`` (one side has no number).
        diff: ``|a - b|``; 0.0 when equal, NaN when missing.
    """

    status: str
    diff: float

    @property
    def ok(self) -> bool:
        """True for ``equal`` and ``close``: the two sides agree."""
        return self.status in ("equal", "close")


def tolerance(dtype: str) -> tuple[float, float]:
    """The (relative, absolute) tolerance for ``dtype`` (``float64`` or ``float32``)."""
    return TOLERANCES.get(dtype, TOLERANCES["float64"])


def _same_bits(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    # 0.0 and -0.0 compare equal but are not the same bits.
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def compare(a: Any, b: Any, dtype: str, *, rtol: float | None = None, atol: float | None = None) -> Verdict:
    """Compare two numbers of a scenario's dtype.

    ``equal`` means the same bits (two NaNs count as equal; 0.0 and -0.0 do not, they
    are ``close``). ``close`` means ``|a - b| <= atol + rtol * max(|a|, |b|)`` with, by
    default, ``rtol = 1e-9, atol = 1e-12`` for float64 and ``rtol = 1e-4, atol = 1e-5``
    for float32. Infinities agree only with the same infinity. None on exactly one side
    is ``missing``; None on both sides is ``equal`` (neither holds a number).

    Args:
        a: one number (e.g. stepgrad's), or None.
        b: the other (e.g. torch's), or None.
        dtype: ``float64`` or ``float32``; picks the default tolerance.
        rtol: relative tolerance instead of the dtype's.
        atol: absolute tolerance instead of the dtype's.

    Returns:
        The verdict and the absolute difference.
    """
    if a is None or b is None:
        if a is None and b is None:
            return Verdict("equal", 0.0)
        return Verdict("missing", math.nan)
    fa, fb = float(a), float(b)
    if _same_bits(fa, fb):
        return Verdict("equal", 0.0)
    if math.isnan(fa) or math.isnan(fb) or math.isinf(fa) or math.isinf(fb):
        return Verdict("differs", math.nan if math.isnan(fa - fb) else abs(fa - fb))
    diff = abs(fa - fb)
    r, t = tolerance(dtype)
    r = r if rtol is None else rtol
    t = t if atol is None else atol
    if diff <= t + r * max(abs(fa), abs(fb)):
        return Verdict("close", diff)
    return Verdict("differs", diff)
