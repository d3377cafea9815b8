"""Broadcasting undone on the way back.

When ``b`` of shape ``(6,)`` is added to ``z`` of shape ``(759, 6)``, NumPy and torch use
the same ``b`` in every row; on the way back each row's gradient flows into that one
``b``, so the product is summed over the axes broadcasting made (torch's ``sum_to_size``).
"""

from __future__ import annotations

from typing import Any

from stepgrad.lazy import LazyModule

np: Any = LazyModule("numpy", globals(), "np")

Value = Any


def unbroadcast(product: Value, shape: tuple[int, ...]) -> Value:
    """``product`` summed back to ``shape``: over the leading axes ``shape`` lacks, then over
    every axis where ``shape`` has 1 and the product more (kept, as size 1)."""
    have = np.shape(product)
    if have == shape:
        return product
    lead = len(have) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + k for k, n in enumerate(shape) if n == 1 and have[lead + k] != 1
    )
    out = np.sum(product, axis=axes, keepdims=True) if axes else product
    return np.reshape(out, shape) if np.shape(out) != shape else out


__all__ = ["unbroadcast"]
