"""How two values of one gradient compare: ``agree`` and its verdicts.

Used by the three roads (closed form, hand derivation, chain rule) and by ``check``
against torch. The tolerance has a relative part per dtype and a part for cancellation,
from the rounding-error bound ``Formula.evaluate`` returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

Value = Any  # a NumPy scalar of the scenario's dtype

#: Relative tolerance of ``agree`` per dtype.
RTOL: dict[str, float] = {"float64": 1e-12, "float32": 1e-5}
#: How many machine epsilons of the rounding-error bound two correct values may differ by.
ERR_ULPS = 8.0

#: ``Agreement.status`` where a formula and the chain rule cannot be compared at a point:
#: the dtype cannot hold the value (both agree once evaluated wider), or the closed form
#: is undefined there (``0*log(0)``) where torch's rule gives a number. Not a disagreement.
NOT_COMPARABLE = "not_comparable"


@dataclass(frozen=True, slots=True)
class Agreement:
    """How two values of one gradient compare.

    Attributes:
        status: ``equal`` (the same bits), ``close`` (within tolerance), ``differs``,
            ``missing`` (one side has no number) or ``not_comparable`` (``NOT_COMPARABLE``).
        diff: ``|a - b|`` (NaN when missing or not comparable).
        tol: the tolerance used.
        note: why, when the verdict needed more than the dtype's arithmetic (a formula
            evaluated wider, or not comparable); None otherwise.
    """

    status: str
    diff: float
    tol: float
    note: str | None = None

    @property
    def ok(self) -> bool:
        """True for ``equal``, ``close`` and ``not_comparable``: nothing says they differ."""
        return self.status in ("equal", "close", NOT_COMPARABLE)


def agree(a: Value | None, b: Value | None, dtype: str, err: float = 0.0) -> Agreement:
    """Do two values of the same gradient agree, in ``dtype``?

    They agree when ``|a - b| <= RTOL[dtype] * max(|a|, |b|) + ERR_ULPS * eps * err``:
    a relative part (float64 ``1e-12``, float32 ``1e-5``) and a part for cancellation,
    from ``err``, the first-order rounding-error bound ``Formula.evaluate`` returns
    (when ``y_hat - y`` cancels, both sides lose the same absolute accuracy, which no
    relative tolerance on the small result covers). Two NaNs agree; an infinity agrees
    only with the same infinity; None on one side only is ``missing``.

    Args:
        a: one value (e.g. the chain rule's).
        b: the other (e.g. the closed form's).
        dtype: ``float64`` or ``float32``.
        err: the larger of the two sides' error bounds (0 when unknown).
    """
    if a is None or b is None:
        if a is None and b is None:
            return Agreement("equal", 0.0, 0.0)
        return Agreement("missing", math.nan, 0.0)
    fa, fb = float(a), float(b)
    if math.isnan(fa) or math.isnan(fb):
        return Agreement("equal" if math.isnan(fa) and math.isnan(fb) else "differs", math.nan, 0.0)
    if fa == fb and math.copysign(1.0, fa) == math.copysign(1.0, fb):
        return Agreement("equal", 0.0, 0.0)
    if math.isinf(fa) or math.isinf(fb):
        return Agreement("differs", math.inf, 0.0)
    rtol = RTOL.get(str(np.dtype(dtype)), RTOL["float64"])
    eps = float(np.finfo(np.dtype(dtype)).eps)
    tol = rtol * max(abs(fa), abs(fb))
    if math.isfinite(err):
        tol += ERR_ULPS * eps * err
    diff = abs(fa - fb)
    return Agreement("close" if diff <= tol else "differs", diff, tol)
