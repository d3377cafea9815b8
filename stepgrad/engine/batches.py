"""Which rows of the data a step takes: one sample (the scalar lectures), or a batch.

A batch is ``batch_size`` rows stacked along a new first axis, the last one of an epoch
smaller when the rows do not divide evenly (torch's DataLoader with ``drop_last=False``).
With ``shuffle_seed`` the rows are taken in a new order every epoch. Each epoch's order
is made from the seed and the epoch alone (``default_rng([seed, epoch])``), so that any
step's batch is known at once, without drawing every earlier epoch's order first: the
timeline seeks anywhere, and the torch oracle takes the very same rows.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from stepgrad.engine.program import Program
from stepgrad.lazy import LazyModule

np: Any = LazyModule("numpy", globals(), "np")


def epoch_order(seed: int, epoch: int, n_rows: int) -> Any:
    """The order of the rows in ``epoch`` when shuffling by ``seed`` (an int64 array)."""
    return np.random.default_rng([seed, epoch]).permutation(n_rows)


@lru_cache(maxsize=4)
def _kept_order(seed: int, epoch: int, n_rows: int) -> Any:
    """``epoch_order``, drawn once for all the steps of the epoch (drawing it took 12 µs of
    every lecture8 step), read-only."""
    order = epoch_order(seed, epoch, n_rows)
    order.flags.writeable = False
    return order


def batch_rows(program: Program, step: int) -> Any:
    """The rows of ``data`` that ``step`` takes, in order (an int64 array), or the one
    sample's index as an int when steps are not batched (``batch_size`` None)."""
    per_epoch = program.n_samples
    epoch, k = divmod(step, per_epoch)
    if program.batch_size is None:
        return k
    bs = program.batch_size
    n = program.n_rows
    if program.shuffle_seed is not None:
        # A copy: the caller may keep or change its rows, never the epoch's order.
        return _kept_order(program.shuffle_seed, epoch, n)[k * bs : (k + 1) * bs].copy()
    return np.arange(k * bs, min((k + 1) * bs, n))


__all__ = ["batch_rows", "epoch_order"]
