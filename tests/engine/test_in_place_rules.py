"""The rules that write into arrays they made (sigmoid, bce on float32 arrays, step
12's speed) give the very bits of the plain formulas they stand for, written here as
they were: NaN, infinities, ±0, 0 and 1 in bce's logs, the 1e-12 floor."""

import numpy as np
import pytest

from stepgrad.engine import array_rules, rules
from stepgrad.engine.array_rules import BCE_EPSILON, BCE_LOG_FLOOR, _reduce
from stepgrad.engine.rules import dtype_of, one_like, wide

SPECIAL = np.array(
    [0, -0.0, 1, np.nan, np.inf, -np.inf, -1, 2, 1e-45, 1 - 2**-24, 0.5, 88.7, -104], np.float32
)


def bits(a):
    a = np.asarray(a)
    return a.view({4: np.uint32, 8: np.uint64}[a.itemsize])


def same(a, b):
    return type(a) is type(b) and np.shape(a) == np.shape(b) and np.array_equal(bits(a), bits(b))


def draw(rng, shape, dt, trial, low=None):
    x = rng.random(shape) if low == 0 else rng.standard_normal(shape) * 10 ** rng.uniform(-3, 2)
    x = x.astype(dt)
    if trial % 2:
        n = min(x.size, SPECIAL.size)
        x.ravel()[:n] = SPECIAL[:n]
    return x


SHAPES = [(759, 6), (759, 1), (32, 4), (7,), (3, 2), ()]


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_sigmoid_is_its_formula(dt):
    rng = np.random.default_rng(0)
    with np.errstate(all="ignore"):
        for trial in range(120):
            shape = SHAPES[trial % len(SHAPES)]
            a = draw(rng, shape, dt, trial)
            if shape == ():
                a = a[()] if trial % 4 == 1 else np.asarray(a)
            one = dtype_of(a)(1)
            out = rules.sigmoid_forward(a)
            assert same(out, one / (one + wide(np.exp, -a)))
            assert same(rules.sigmoid_local(0, (a,), out, dt), out * (one_like(dt, out) - out))
            up = draw(rng, shape, dt, trial + 1)
            if shape == ():
                up = up[()]
            want = up * (dtype_of(up)(1) - out) * out
            assert same(rules.sigmoid_vjp(0, (a,), out, up), want)


@pytest.mark.parametrize("mean", [True, False])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_bce_is_its_formula(dt, mean):
    forward, local, vjp = array_rules.bce_rules(mean)
    rng = np.random.default_rng(1)
    with np.errstate(all="ignore"):
        for trial in range(120):
            shape = [(759, 1), (32, 1), (7,), (3, 2)][trial % 4]
            x = draw(rng, shape, dt, trial, low=0)
            y = (rng.random(shape) < 0.5).astype(dt)
            if trial % 5 == 0:
                y.ravel()[::3] = rng.random(y.ravel()[::3].shape)
            floor = dt(BCE_LOG_FLOOR)
            miss, hit = np.maximum(wide(np.log1p, -x), floor), np.maximum(wide(np.log, x), floor)
            want = _reduce((y - dt(1)) * miss - y * hit, mean)
            out = forward(x, y)
            assert same(out, want)
            for up in (dt(1), dt(rng.standard_normal())):
                grad = up * (x - y) / np.maximum((dt(1) - x) * x, dt(BCE_EPSILON))
                grad = grad / dt(np.size(x)) if mean else grad
                assert same(vjp(0, (x, y), out, up), grad)
            assert same(local(0, (x, y), out, dt), vjp(0, (x, y), out, dt(1)))
