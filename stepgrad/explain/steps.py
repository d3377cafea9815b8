"""What one training step feeds, in the same words everywhere (replay's text, check's
report, the app's header): a scalar lecture's step takes one ``sample k``; a batched run's
(a DataLoader's) ``batch k``; a full-batch run's step takes all samples at once, so it is
named by its step alone (lecture7's one batch was called ``batch 0``, or ``sample 0``)."""

from __future__ import annotations


def step_unit(batch_size: int | None, n_samples: int) -> str | None:
    """``sample``, ``batch``, or None for a full-batch run (one batch of all the rows)."""
    if batch_size is None:
        return "sample"
    return "batch" if n_samples > 1 else None
