"""Random arrays the sum tests draw: six decades of magnitude, signed zeros, infinities
and NaN; and a float array's bits, to compare sums bit for bit."""

from __future__ import annotations

from typing import Any

import numpy as np


def bits(a: Any) -> Any:
    """The array's bits as unsigned integers (so that -0.0 and NaNs compare exactly)."""
    a = np.asarray(a)
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def numbers(rng: Any, shape: tuple[int, ...], dt: Any, kind: int) -> Any:
    """Random numbers over six decades; kind 1: mostly zeros of both signs; kind 2: with
    infinities and NaN."""
    x = (rng.standard_normal(shape) * 10 ** rng.uniform(-3, 3, shape)).astype(dt)
    if kind == 1:
        zeros = np.copysign(0.0, rng.standard_normal(shape)).astype(dt)
        x = np.where(rng.random(shape) < 0.7, zeros, x)
    if kind == 2:
        x.ravel()[rng.integers(0, x.size, 2)] = rng.choice([np.inf, -np.inf, np.nan], 2)
    return x
