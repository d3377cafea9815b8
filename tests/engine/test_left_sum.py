"""An array step's finite check (StepRunner._left_sum) says what the sum of each array's
sum says: 0.0 only where that sum is surely finite, the sums themselves otherwise."""

import math

import numpy as np
import pytest

from stepgrad.engine import Timeline
from stepgrad.scenario import load


def old_sum(left):
    check = 0.0
    for v in left:
        check += float(np.add.reduce(v, axis=None))
    return check


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_the_check_agrees_with_the_sums(dt):
    runner = Timeline(load("lecture7").program)._runner
    runner._sum_bound = float(np.finfo(dt).max) / 4  # as for a run of this dtype
    big = float(np.finfo(dt).max)
    rng = np.random.default_rng(0)
    with np.errstate(all="ignore"):
        for case in range(200):
            left = [dt(rng.standard_normal())] + [
                (rng.standard_normal(s) * 10 ** rng.uniform(-3, 3)).astype(dt) for s in [(8, 6), (6,), (4, 1)]
            ]
            if case % 4 == 1:  # near the largest number: a sum may overflow
                left[1] = np.full((8, 6), big / rng.uniform(1, 60), dtype=dt)
            if case % 4 == 2:
                left[2][rng.integers(0, 6)] = rng.choice([np.inf, -np.inf, np.nan])
            got = runner._left_sum(left)
            assert math.isfinite(got) == math.isfinite(old_sum(left)), case
            if got != 0.0:
                assert got == old_sum(left) or (math.isnan(got) and math.isnan(old_sum(left)))


def test_finite_numbers_whose_sum_overflows_are_summed():
    runner = Timeline(load("lecture7").program)._runner  # float32
    top = np.finfo(np.float32).max
    left = [np.float32(1.0), np.full((4,), top / 2, dtype=np.float32)]  # 2·top: inf in float32
    with np.errstate(over="ignore"):
        assert runner._left_sum(left) == math.inf
    assert runner._left_sum([np.float32(1.0), np.ones((4,), np.float32)]) == 0.0
