"""torch's SGD step for every param at once (optimizers.fused_steps) gives each param the
very bits of its own step (optimizers.fused_step, which test_array_ops.py compares with torch's add_)."""

import numpy as np

from stepgrad.engine.optimizers import fused_step, fused_steps


def draw(rng, shape):
    """float32 numbers of one random magnitude from 1e-3 to 1e38 (the largest overflow to ∞)."""
    return (rng.standard_normal(shape) * 10 ** rng.uniform(-3, 38)).astype(np.float32)


def test_every_param_at_once_is_each_param_alone():
    rng = np.random.default_rng(0)
    shapes = [(8, 6), (6,), (6, 4), (4,), (4, 1), (1,)]
    with np.errstate(all="ignore"):
        for case in range(100):
            befores = [draw(rng, s) for s in shapes]
            grads = [draw(rng, s) for s in shapes]
            grads[case % 6].ravel()[0] = [-0.0, np.nan, np.inf, -np.inf, 0.0, 1e-45][case % 6]
            lr = np.float32(10 ** rng.uniform(-4, 0))
            for got, b, g in zip(fused_steps(befores, grads, lr), befores, grads, strict=True):
                want = fused_step(b, g, lr)
                assert got.shape == want.shape and got.dtype == want.dtype == np.float32
                assert np.array_equal(got.view(np.uint32), want.view(np.uint32))
