"""The one comparator of two numbers, and its verdicts.

``compare`` is how ``stepgrad check`` and the app's torch panel weigh stepgrad against
torch: a relative and an absolute tolerance per dtype. ``agree`` is how the roads weigh a
formula against the chain rule: the same verdicts, with a relative tolerance per dtype and
an absolute part from the formula's rounding-error bound.

Pure: no torch, no Textual. Numbers may be Python floats or NumPy scalars; they are
widened to Python floats exactly before comparing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from stepgrad.lazy import LazyModule

# NumPy is imported by the first ``agree``: the app's first frame compares nothing yet.
np: Any = LazyModule("numpy", globals(), "np")

#: (relative, absolute) tolerance per dtype. A difference within it is rounding noise
#: (ops evaluated in another order, a different but equally valid formula for a local
#: gradient, a few ulps compounded over a training run); a wrong rule or a wrong
#: number is off by far more. float64 allows about 4.5 million ulps of relative error,
#: float32 about 840: loose enough for long runs, orders of magnitude below a bug.
TOLERANCES: dict[str, tuple[float, float]] = {
    "float64": (1e-9, 1e-12),
    "float32": (1e-4, 1e-5),
}

#: An array's absolute tolerance is at most this fraction of its largest entry (``compare_elements``).
ARRAY_ATOL = 1e-2

#: Relative tolerance of ``agree`` per dtype.
RTOL: dict[str, float] = {"float64": 1e-12, "float32": 1e-5}
#: How many machine epsilons of the rounding-error bound two correct values may differ by.
ERR_ULPS = 8.0

STATUSES = ("equal", "close", "differs", "missing")

#: ``Verdict.status`` where a formula and the chain rule cannot be compared at a point:
#: the dtype cannot hold the value (both agree once evaluated wider), or the closed form
#: is undefined there (``0*log(0)``) where torch's rule gives a number. Not a disagreement.
NOT_COMPARABLE = "not_comparable"


@dataclass(frozen=True, slots=True)
class Verdict:
    """How two numbers compare.

    Attributes:
        status: ``equal`` (the same number; -0.0 equals 0.0), ``close`` (within tolerance), ``differs``
            (outside it), ``missing`` (one side has no number) or, from the roads,
            ``not_comparable`` (``NOT_COMPARABLE``).
        diff: ``|a - b|``; 0.0 when equal, NaN when missing.
        tol: the tolerance the difference was held to (0.0 when it was not needed).
        note: why, when the verdict needed more than the dtype's arithmetic (a formula
            evaluated wider, or not comparable); None otherwise.
    """

    status: str
    diff: float
    tol: float = 0.0
    note: str | None = None

    @property
    def ok(self) -> bool:
        """True for ``equal``, ``close`` and ``not_comparable``: nothing says they differ."""
        return self.status in ("equal", "close", NOT_COMPARABLE)


#: The roads' name for a verdict: how two values of one gradient agree.
Agreement = Verdict


def tolerance(dtype: str) -> tuple[float, float]:
    """The (relative, absolute) tolerance for ``dtype`` (``float64`` or ``float32``)."""
    return TOLERANCES.get(dtype, TOLERANCES["float64"])


def _equal(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    # IEEE equality: -0.0 == 0.0, as torch.equal and torch's == count them. The sign of a
    # zero is an accident of the order of operations (torch's zero_() then += -0.0 leaves
    # +0.0 where a plain product gives -0.0), never a disagreement about a gradient.
    return a == b


def compare(a: Any, b: Any, dtype: str, *, rtol: float | None = None, atol: float | None = None) -> Verdict:
    """Compare two numbers of a scenario's dtype.

    ``equal`` means the same number by IEEE equality, as torch compares: 0.0 and -0.0
    are ``equal`` (and two NaNs count as equal). ``close`` means
    ``|a - b| <= atol + rtol * max(|a|, |b|)`` with, by default, ``rtol = 1e-9,
    atol = 1e-12`` for float64 and ``rtol = 1e-4, atol = 1e-5`` for float32.
    Infinities agree only with the same infinity. None on exactly one side is
    ``missing``; None on both sides is ``equal`` (neither holds a number).

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
    if _equal(fa, fb):
        return Verdict("equal", 0.0)
    if math.isnan(fa) or math.isnan(fb) or math.isinf(fa) or math.isinf(fb):
        return Verdict("differs", math.nan if math.isnan(fa - fb) else abs(fa - fb))
    diff = abs(fa - fb)
    r, t = tolerance(dtype)
    r = r if rtol is None else rtol
    t = t if atol is None else atol
    tol = t + r * max(abs(fa), abs(fb))
    return Verdict("close" if diff <= tol else "differs", diff, tol)


def agree(a: Any, b: Any, dtype: str, err: float = 0.0) -> Verdict:
    """Do two values of the same gradient agree, in ``dtype``?

    They agree when ``|a - b| <= RTOL[dtype] * max(|a|, |b|) + ERR_ULPS * eps * err``:
    a relative part (float64 ``1e-12``, float32 ``1e-5``) and a part for cancellation,
    from ``err``, the first-order rounding-error bound ``Formula.evaluate`` returns
    (when ``y_hat - y`` cancels, both sides lose the same absolute accuracy, which no
    relative tolerance on the small result covers). Otherwise as ``compare``: two NaNs
    agree; an infinity agrees only with the same infinity; None on one side only is
    ``missing``.

    Args:
        a: one value (e.g. the chain rule's).
        b: the other (e.g. the closed form's).
        dtype: ``float64`` or ``float32``.
        err: the larger of the two sides' error bounds (0 when unknown).
    """
    kind = np.dtype(dtype)
    rtol = RTOL.get(str(kind), RTOL["float64"])
    atol = ERR_ULPS * float(np.finfo(kind).eps) * err if math.isfinite(err) else 0.0
    return compare(a, b, dtype, rtol=rtol, atol=atol)


@dataclass(frozen=True, slots=True)
class ElementVerdict:
    """How two arrays compare, element by element.

    Attributes:
        verdict: ``equal`` when every element is bit-equal (-0.0 equals 0.0), ``close`` when
            every element is equal or within the tolerance (``compare``'s rule, applied to
            each element), ``differs`` when some element is outside it (or the shapes do
            not match: said in ``verdict.note``), ``missing`` when one side has no array.
            ``diff`` is the largest difference (of the elements that differ, when some
            do) and ``tol`` the tolerance at that element.
        shape: the arrays' shape (``()`` for a scalar); stepgrad's when they differ.
        at: where the largest difference is (``(2, 3)``); None when all are equal.
        ours: stepgrad's element there (for a 0-d array, its value even when equal).
        theirs: the other side's element there.
    """

    verdict: Verdict
    shape: tuple[int, ...]
    at: tuple[int, ...] | None = None
    ours: float | None = None
    theirs: float | None = None


def _shape_of(v: Any) -> tuple[int, ...]:
    return tuple(np.shape(v))


def compare_elements(
    a: Any, b: Any, dtype: str, *, rtol: float | None = None, atol: float | None = None
) -> ElementVerdict:
    """Compare two arrays (or numbers) of a scenario's dtype element by element.

    Each element is judged as ``compare`` judges two numbers (same tolerance rule,
    -0.0 equals 0.0, two NaNs are equal, an infinity agrees only with itself), except that
    an array's default absolute tolerance is at most ``ARRAY_ATOL`` (1%) of its largest entry; the
    arrays are ``equal`` when every element is, ``differs`` when any element does,
    else ``close``. The verdict names the largest difference and where it is.

    Args:
        a: stepgrad's array (or number), or None.
        b: the other side's (torch's), or None.
        dtype: ``float64`` or ``float32``; picks the default tolerance.
        rtol: relative tolerance instead of the dtype's.
        atol: absolute tolerance instead of the dtype's.
    """
    if a is None or b is None:
        shape = _shape_of(b if a is None else a) if (a is not None or b is not None) else ()
        status = "equal" if a is None and b is None else "missing"
        return ElementVerdict(Verdict(status, 0.0 if status == "equal" else math.nan), shape)
    x = np.asarray(a, dtype=np.float64)  # widening is exact: float32 and float64 alike
    y = np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        note = f"shapes differ: stepgrad {x.shape}, torch {y.shape}"
        return ElementVerdict(Verdict("differs", math.nan, note=note), x.shape)
    scalar = x.ndim == 0
    same = (x == y) | (np.isnan(x) & np.isnan(y))
    if bool(same.all()):
        if scalar:
            return ElementVerdict(Verdict("equal", 0.0), (), None, float(x), float(y))
        return ElementVerdict(Verdict("equal", 0.0), x.shape)
    r, t = tolerance(dtype)
    r = r if rtol is None else rtol
    if atol is not None:
        t = atol
    elif not scalar:
        # An array's absolute tolerance is at most a hundredth of its largest entry: float32's
        # 1e-5 is rounding noise beside a loss of 0.66, but it is the whole of lecture7's
        # ∂loss/∂h1₁ (no entry above 8.3e-6), where an array of zeros, or the right one times
        # 1.5, was "close". Not rtol of it: an element made of terms that cancel carries their
        # rounding, and one random float32 Adam step's 1x1 W.grad (0.00364) was 4.4e-4 apart
        # from torch's with both right.
        with np.errstate(invalid="ignore"):
            big = np.maximum(np.abs(x), np.abs(y))
        big = big[np.isfinite(big)]
        scale = float(big.max()) if big.size else 0.0
        if scale > 0:
            t = min(t, ARRAY_ATOL * scale)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(same, 0.0, np.abs(x - y))
        tol = t + r * np.maximum(np.abs(x), np.abs(y))
        finite = np.isfinite(x) & np.isfinite(y)
        bad = ~same & (~finite | ~(diff <= tol))
    # A NaN difference (NaN against a number, inf against -inf) ranks above any number.
    rank = np.where(np.isnan(diff), np.inf, diff)
    if bool(bad.any()):
        status = "differs"
        rank = np.where(bad, rank, -1.0)
    else:
        status = "close"
    flat = int(np.argmax(rank))
    at = tuple(int(i) for i in np.unravel_index(flat, x.shape))
    d, tl = float(diff.flat[flat]), float(tol.flat[flat])
    verdict = Verdict(status, d, tl if math.isfinite(d) and math.isfinite(tl) else 0.0)
    return ElementVerdict(verdict, x.shape, at, float(x.flat[flat]), float(y.flat[flat]))
