"""The app's torch column (``torch_steps_from_stepgrad``) starts each training step from the
same numbers ``stepgrad check`` hands torch (``stepgrad_start``, ``keep_state``), from a
timeline of its own; where stepgrad and torch agree to the bit, the numbers are torch's own."""

from __future__ import annotations

import numpy as np
import pytest
from small_model import small_model

from stepgrad.check import check, first_failure
from stepgrad.oracle import StepStart, torch_available, torch_steps, torch_steps_from_stepgrad
from stepgrad.scenario import load, loads

pytestmark = pytest.mark.skipif(not torch_available(), reason="torch is not installed")

SMALL = small_model("float32")

MOMENTUM = "train: {epochs: 3, lr: 0.05, batch_size: 2, optimizer: {name: sgd, momentum: 0.9}}\n"
ADAM = "train: {epochs: 3, lr: 0.05, batch_size: 2, optimizer: adam}\n"


def _scenario(spec: str):  # type: ignore[no-untyped-def]
    """A bundled scenario by name, or the small model with a ``train:`` line."""
    return loads(SMALL + spec, "small.yaml") if spec.startswith("train:") else load(spec)


def _recording(seen: dict[int, StepStart]):  # type: ignore[no-untyped-def]
    """A torch oracle that notes what each step is started from, and runs it."""

    def steps(program, starts=None):  # type: ignore[no-untyped-def]
        def mine(k: int) -> StepStart | None:
            got = starts(k) if starts is not None else None
            assert got is not None, k
            seen[k] = got
            return got

        return torch_steps(program, starts=mine)

    return steps


def _same(a: object, b: object) -> bool:
    return bool(np.array_equal(np.asarray(a), np.asarray(b)))


@pytest.mark.parametrize("spec", ["no-zero-grad", MOMENTUM, ADAM])
def test_the_app_hands_torch_the_starts_check_does(spec: str) -> None:
    """Step by step the same params, carried .grad (no-zero-grad: 30 steps) and optimizer
    state (momentum's velocity, Adam's m and v: 9 steps of 2 rows) as check's, to the bit."""
    scenario = _scenario(spec)
    by_check: dict[int, StepStart] = {}
    report = check(scenario, steps=_recording(by_check), roads=False)
    assert report.exit_code == 0, first_failure(report)
    by_app: dict[int, StepStart] = {}
    got = list(torch_steps_from_stepgrad(scenario.program, _recording(by_app)))
    n = scenario.program.n_steps
    assert len(got) == n and sorted(by_app) == sorted(by_check) == list(range(n))
    for k in range(n):
        a, c = by_app[k], by_check[k]
        assert a.params.keys() == c.params.keys() and a.grads.keys() == c.grads.keys()
        assert all(_same(a.params[p], c.params[p]) for p in c.params)
        assert all(_same(a.grads[p], c.grads[p]) for p in c.grads)
        # The lecture's update keeps nothing; momentum and Adam from step 1 on, every param.
        kept = set() if k == 0 or spec == "no-zero-grad" else set(c.params)
        assert a.state.keys() == c.state.keys() == kept
        for p, st in c.state.items():
            assert st.keys() == a.state[p].keys()
            assert all(_same(a.state[p][s], v) for s, v in st.items()), (k, p)
    if spec == "no-zero-grad":
        # No .grad before the first backward (None, as torch's); into step 1, step 0's gradient.
        assert by_app[0].grads == {"w": None} and by_app[1].grads["w"] == got[0].grads["w"]


@pytest.mark.parametrize("spec", ["ex4-3", "no-zero-grad", "lecture5"])
def test_where_stepgrad_and_torch_agree_to_the_bit_the_numbers_are_torchs_own(spec: str) -> None:
    """ex4-3 and no-zero-grad (scalar, 30 steps) and lecture5 (float32 arrays, 500 steps):
    started from stepgrad's numbers or on its own, torch's every value, gradient, param
    after and loss is the same to the bit, so the app shows what it showed before."""
    program = load(spec).program
    own = list(torch_steps(program))
    fed = list(torch_steps_from_stepgrad(program))
    assert len(own) == len(fed) == program.n_steps
    for a, b in zip(own, fed, strict=True):
        assert a.loss == b.loss
        for field in ("values", "grads", "params_after"):
            x, y = getattr(a, field), getattr(b, field)
            assert x.keys() == y.keys()
            assert all(_same(x[k], y[k]) for k in x), (a.step, field)


def test_without_training_torch_runs_on_its_own() -> None:
    """ex4-1 (no train: no update to start from): torch's own step, no start asked."""
    program = load("ex4-1").program
    assert not program.training
    asked: list[int] = []

    def steps(program, starts=None):  # type: ignore[no-untyped-def]
        assert starts is None
        asked.append(1)
        return torch_steps(program)

    got = list(torch_steps_from_stepgrad(program, steps))
    assert asked == [1] and [ts.step for ts in got] == [0]
    assert got[0].loss == next(torch_steps(program)).loss
