"""Sums computed together (reduce.torch_sums, shapes.unbroadcast_all) give each sum the
very bits of its own (reduce.torch_sum, shapes.unbroadcast), and a step that sums its
bias gradients together at the end of its backward pass records the same numbers as one
that sums each on its chain event."""

import itertools

import numpy as np
import pytest
from array_draws import bits, numbers

from stepgrad.engine import Timeline, reduce
from stepgrad.engine.shapes import unbroadcast, unbroadcast_all
from stepgrad.scenario import load


def _axes_of(rng, shape):
    nd = len(shape)
    every = [None, *(c for k in range(1, nd + 1) for c in itertools.combinations(range(nd), k))]
    return every[int(rng.integers(0, len(every)))]


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("seed", range(40))
def test_sums_together_are_each_sum_alone(dt, seed):
    rng = np.random.default_rng(seed)
    lectures = [(759, 6), (759, 4), (759, 1), (32, 6), (32, 4), (32, 1), (23, 6), (60, 3)]
    xs, axes = [], []
    with np.errstate(all="ignore"):
        for _ in range(int(rng.integers(1, 5))):
            if seed < 10:
                shape = lectures[int(rng.integers(0, len(lectures)))]
            else:
                shape = tuple(int(s) for s in rng.integers(1, 40, size=int(rng.integers(1, 4))))
            xs.append(numbers(rng, shape, dt, seed % 3))
            axes.append(_axes_of(rng, shape))
        for keep in (False, True):
            got = reduce.torch_sums(xs, axes, keep)
            for g, x, a in zip(got, xs, axes, strict=True):
                want = reduce.torch_sum(x, a, keep)
                assert type(g) is type(want) and np.shape(g) == np.shape(want)
                assert np.asarray(g).dtype == dt
                assert np.array_equal(bits(g), bits(want)), (x.shape, a, keep)


def test_sums_of_two_dtypes_are_summed_one_by_one():
    xs = [np.ones((5, 3), np.float32), np.ones((5, 3), np.float64)]
    got = reduce.torch_sums(xs, [(0,), (0,)], True)
    assert [g.dtype for g in got] == [np.float32, np.float64]
    assert isinstance(reduce._PLANS[("many", True, *((x.shape, x.dtype, (0,)) for x in xs))], reduce._Each)


def test_unbroadcast_all_is_unbroadcast():
    rng = np.random.default_rng(7)
    cases = [((759, 6), (6,)), ((759, 1), (1,)), ((32, 4), (1, 4)), ((4, 3), (4, 3))]
    cases += [((3,), ()), ((2, 1), (2, 1))]
    grads = [numbers(rng, g, np.float32, 0) for g, _ in cases]
    shapes = [s for _, s in cases]
    for got, g, s in zip(unbroadcast_all(grads, shapes), grads, shapes, strict=True):
        want = unbroadcast(g, s)
        assert type(got) is type(want) and np.shape(got) == s
        assert np.array_equal(bits(got), bits(want))


@pytest.mark.parametrize("name", ["lecture7", "lecture8", "lecture9", "xor", "adam", "lecture5"])
def test_biases_summed_at_the_end_record_what_each_chain_sums(name):
    program = load(name).program
    together, alone = Timeline(program), Timeline(program)
    alone._runner._sum_later = frozenset()
    steps = min(program.n_steps, 30)
    for a, b in zip(together.steps_numbers(0, steps), alone.steps_numbers(0, steps), strict=True):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert np.shape(x) == np.shape(y) and np.array_equal(bits(x), bits(y))


@pytest.mark.parametrize("name", ["lecture7", "lecture9", "adam"])
def test_a_whole_batch_in_order_is_the_data_itself(name):
    """A step that takes every row in order takes the data, read-only: the numbers of
    taking its rows one by one."""
    program = load(name).program
    whole, taken = Timeline(program), Timeline(program)
    assert whole._runner._whole is not None
    taken._runner._whole = None
    x = whole._runner.leaf_values(0, whole._runner.initial_params())[whole.graph.by_name["x"]]
    assert not x.flags.writeable
    for a, b in zip(whole.steps_numbers(0, 5), taken.steps_numbers(0, 5), strict=True):
        for u, v in zip(a, b, strict=True):
            assert np.shape(u) == np.shape(v) and np.array_equal(bits(u), bits(v))


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("seed", range(20))
def test_gradients_all_summed_share_one_plan(dt, seed):
    """Every gradient summed (a step's biases): one plan, each result unbroadcast's."""
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(1, 800))
    shapes = [(int(rng.integers(1, 9)),) for _ in range(int(rng.integers(1, 4)))]
    if seed % 4 == 0:
        shapes.append(())  # a number's gradient over the batch
    if seed % 4 == 1:
        shapes.append((1, 3))
    with np.errstate(all="ignore"):
        grads = [numbers(rng, (rows, *(s[-1:] or (2,))), dt, seed % 3) for s in shapes]
        got = unbroadcast_all(grads, shapes)
        for g, x, s in zip(got, grads, shapes, strict=True):
            want = unbroadcast(x, s)
            assert type(g) is type(want) and np.shape(g) == np.shape(want) == s
            assert np.array_equal(bits(g), bits(want)), (x.shape, s)
