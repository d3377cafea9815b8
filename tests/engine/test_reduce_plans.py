"""torch_sum's plans (torch's order worked out once per shape) give the very bits of the
same order computed on the numbers (``reduce._direct``, which test_array_ops.py compares
with torch), and NumPy sums a matrix's rows in order, which the plans rely on."""

import itertools

import numpy as np
import pytest
from array_draws import bits, numbers

from stepgrad.engine import reduce

DTYPES = [np.float32, np.float64]


# The lectures' sums (biases over a batch of 759 or 32 and the last one of 23, the loss),
# then random shapes.
LECTURE_SHAPES = [(759, 6), (759, 4), (759, 1), (32, 6), (32, 4), (32, 1), (23, 6), (759, 8), (60, 3)]


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("seed", range(30))
def test_a_plan_sums_as_the_numbers_do(dt, seed):
    rng = np.random.default_rng(seed)
    if seed < len(LECTURE_SHAPES):
        shape = LECTURE_SHAPES[seed]
    else:
        shape = tuple(int(s) for s in rng.integers(1, 50, size=int(rng.integers(1, 4))))
    nd = len(shape)
    every = [None, *(c for k in range(1, nd + 1) for c in itertools.combinations(range(nd), k))]
    with np.errstate(invalid="ignore", over="ignore"):
        for axes, keep, kind in itertools.product(every, (False, True), range(3)):
            x = numbers(rng, shape, dt, kind)
            got, want = reduce.torch_sum(x, axes, keep), reduce._direct(x, axes, keep)
            assert type(got) is type(want)
            assert np.shape(got) == np.shape(want) and np.asarray(got).dtype == dt
            assert np.array_equal(bits(got), bits(want)), (shape, axes, keep, kind)


def test_a_plan_is_made_once_per_shape():
    x = np.arange(759 * 6, dtype=np.float32).reshape(759, 6)
    reduce.torch_sum(x, (0,), True)
    plan = reduce._PLANS[((759, 6), x.dtype, (0,), True)]
    assert isinstance(plan, reduce._Plan)
    reduce.torch_sum(x + 1, (0,), True)
    assert reduce._PLANS[((759, 6), x.dtype, (0,), True)] is plan
    # rows 0..758 of column j hold 6i + j: the sums are 6·(0 + ... + 758) + 759·j, exact
    assert reduce.torch_sum(x, (0,), True).tolist() == [[1725966.0 + 759 * j for j in range(6)]]


def test_a_sum_without_a_plan_is_summed_directly():
    # integers, and three kinds of axes (summed, kept, summed: NumPy's order)
    assert isinstance(reduce._plan((3, 4), np.dtype(np.int64), None, False), reduce._Direct)
    assert isinstance(reduce._plan((3, 4, 5), np.dtype(np.float32), (0, 2), False), reduce._Direct)
    assert reduce.torch_sum(np.arange(12).reshape(3, 4)) == 66


@pytest.mark.parametrize("dt", DTYPES)
def test_numpy_adds_a_matrixs_rows_in_order(dt):
    # np.add.reduce over axis 0 of a C-contiguous matrix of two columns or more adds row
    # after row (one column would be summed pairwise): the plans' levels rely on it.
    rng = np.random.default_rng(0)
    for rows, cols in itertools.product((2, 3, 8, 9, 16, 17, 31, 100, 300), (2, 3, 7, 16, 47, 256)):
        m = numbers(rng, (rows, cols), dt, 0)
        assert np.array_equal(bits(np.add.reduce(m, axis=0)), bits(m.cumsum(axis=0)[-1]))
