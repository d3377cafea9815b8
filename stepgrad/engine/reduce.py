"""Sums in torch's order, so that a sum (a loss's mean, a bias's gradient summed over the
batch) has torch's very bits, not just nearly its value.

Floating-point addition is not associative: NumPy sums a row pairwise, torch (CPU,
``cascade_sum`` in ATen's SumKernel.cpp) in vector lanes, four interleaved partial sums and
chunks of 16 summed level by level. The same numbers in another order differ in the last
bits, and a gradient summed over 759 rows drifts from torch's step after step. This module
repeats torch's order with NumPy operations (a running sum is ``cumsum``'s last row, which
NumPy computes strictly in order).

The order depends on the CPU's vector width: ``LANES`` is AVX2's (torch's default kernels
on x86-64 without AVX-512).
"""

from __future__ import annotations

from typing import Any

from stepgrad.lazy import LazyModule

np: Any = LazyModule("numpy", globals(), "np")

#: Elements per vector register by itemsize (AVX2: 256 bits; float32 8, float64 4).
LANES = {4: 8, 8: 4}
#: Partial sums torch's row_sum keeps side by side (its ``ilp_factor``).
_ILP = 4
#: Levels of the cascade (``num_levels`` in multi_row_sum).
_LEVELS = 4


def _running(x: Any) -> Any:
    """x[0] + x[1] + ... strictly in order along axis 0 (0 for an empty axis)."""
    if x.shape[0] == 0:
        return np.zeros(x.shape[1:], dtype=x.dtype)
    return x.cumsum(axis=0)[-1]


def _chunks(x: Any, step: int) -> Any:
    """The running sum of each chunk of ``step`` rows of ``x`` (whole chunks only)."""
    k = x.shape[0] // step
    return x[: k * step].reshape(k, step, *x.shape[1:]).cumsum(axis=1)[:, -1]


def _cascade(rows: Any) -> Any:
    """torch's ``multi_row_sum``: the sum over axis 0 of ``rows`` (every other axis a
    column of its own), in chunks of 16 rows, chunk sums gathered 16 at a time per level.
    Levels that hold nothing are skipped: adding their 0 changes no sum but a -0.0, which
    ``torch_sum`` makes +0.0 at the end as torch does."""
    n = rows.shape[0]
    step = 1 << max(4, (n - 1).bit_length() // _LEVELS) if n > 1 else 16
    k = n // step
    if k == 0:
        return _running(rows)
    out = _running(rows[k * step :]) if n % step else None
    level = _chunks(rows, step)
    for _ in range(_LEVELS - 2):
        groups = level.shape[0] // step
        rest = level[groups * step :]
        if rest.shape[0]:
            part = _running(rest)
            out = part if out is None else out + part
        if groups == 0:
            return out
        level = _chunks(level, step)
    part = _running(level)
    return part if out is None else out + part


def _row_sum(rows: Any) -> Any:
    """torch's ``row_sum``: the sum over axis 0 as four interleaved partial sums (rows 0, 4,
    8, ... in the first), the rows left over added to the first, then the four in order."""
    n = rows.shape[0]
    whole = n // _ILP
    if not whole:
        return _running(rows)
    partial = _cascade(rows[: whole * _ILP].reshape(whole, _ILP, *rows.shape[1:]))
    # first partial, the rows left over, then the other three partials: in that order.
    order = np.concatenate([partial[:1], rows[whole * _ILP :], partial[1:]])
    return _running(order)


def _inner(x: Any) -> Any:
    """Sum of each row of the 2-D ``x`` (its last, contiguous axis), as torch reduces it."""
    rows, n = x.shape
    lanes = LANES.get(x.dtype.itemsize, 1)
    if n < lanes:
        return _row_sum(x.T)
    whole = n // lanes
    vectors = x[:, : whole * lanes].reshape(rows, whole, lanes).transpose(1, 0, 2)
    partials = _row_sum(vectors)  # (rows, lanes)
    # 0, then the elements past the last whole vector, then the lanes: in that order.
    order = np.concatenate([x[:, whole * lanes :], partials], axis=1)
    return _running(order.T)


def _outer(x: Any) -> Any:
    """Sum over axis 0 of the 2-D ``x`` (rows summed, each column on its own), as torch
    reduces it: columns in blocks of 4 vectors (or of 4, for fewer columns than a vector
    holds) by the cascade, the others by row_sum."""
    cols = x.shape[1]
    lanes = LANES.get(x.dtype.itemsize, 1)
    block = 4 * lanes if cols >= lanes else 4
    split = cols // block * block
    if split == cols:
        return _cascade(x)
    if split == 0:
        return _row_sum(x)
    return np.concatenate([_cascade(x[:, :split]), _row_sum(x[:, split:])])


def torch_sum(x: Any, axes: tuple[int, ...] | int | None = None, keepdims: bool = False) -> Any:
    """``x.sum(axes, keepdim=keepdims)`` with torch's bits (CPU): the whole array for None.

    Axes of size 1 are dropped and neighbouring axes of one kind merged, as torch's
    iterator does; a reduction that is neither a whole sum, rows nor columns (axes of
    three kinds or more) falls back to NumPy's order.
    """
    x = np.asarray(x)
    nd = x.ndim
    if axes is None:
        axes = tuple(range(nd))
    elif isinstance(axes, int):
        axes = (axes,)
    axes = tuple(sorted(a % nd for a in axes)) if nd else ()
    out_shape = tuple(1 if i in axes else s for i, s in enumerate(x.shape)) if keepdims else tuple(
        s for i, s in enumerate(x.shape) if i not in axes
    )
    # The kinds of the axes torch's iterator sees: size-1 axes dropped, neighbours merged.
    kinds: list[tuple[bool, int]] = []
    for i, s in enumerate(x.shape):
        if s == 1:
            continue
        reduced = i in axes
        if kinds and kinds[-1][0] == reduced:
            kinds[-1] = (reduced, kinds[-1][1] * s)
        else:
            kinds.append((reduced, s))
    c = np.ascontiguousarray(x)
    if not any(r for r, _ in kinds):  # nothing summed: a copy
        out = c.reshape(out_shape)
    elif len(kinds) == 1:  # the whole array
        out = _inner(c.reshape(1, -1))[0]
    elif len(kinds) == 2 and not kinds[0][0]:  # rows
        out = _inner(c.reshape(kinds[0][1], kinds[1][1]))
    elif len(kinds) == 2:  # columns
        out = _outer(c.reshape(kinds[0][1], kinds[1][1]))
    else:
        out = np.sum(c, axis=axes)
    out = np.zeros((), dtype=x.dtype) + np.reshape(out, out_shape)  # torch's output starts at 0
    return out[()] if out_shape == () else out
