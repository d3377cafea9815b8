"""check starts torch's every step from stepgrad's own numbers (params, carried ``.grad``,
optimizer state), so float32 runs that drift apart step by step still check green, and a
wrong gradient still fails."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest
from small_model import small_model

from stepgrad.check import check, first_failure, render_text, run_check
from stepgrad.check.render import RESYNC_NOTE
from stepgrad.engine.events import Update
from stepgrad.engine.ops import RULES
from stepgrad.engine.timeline import Timeline
from stepgrad.oracle import TORCH_STATE_KEYS, StepStart, torch_available, torch_steps
from stepgrad.scenario import load, loads

pytestmark = pytest.mark.skipif(not torch_available(), reason="torch is not installed")


# ----- random small float32 models, as an outsider's breaker writes them ----------------


def _nested(a: np.ndarray) -> str:
    return "[" + ", ".join(_nested(x) if isinstance(x, np.ndarray) else repr(float(x)) for x in a) + "]"


def random_model(seed: int, train: str = "{epochs: 10, lr: 0.3, optimizer: sgd}") -> str:
    """A float32 scenario: 2 to 4 params, x @ W (+ b) through sigmoid or tanh, mse, the
    whole data set per step (4 to 11 rows of 1 to 3 columns, inputs of scale 1, 3 or 10),
    plain SGD at lr 0.3 for 10 steps."""
    r = np.random.default_rng(seed)
    n, d, k, h = int(r.integers(4, 12)), int(r.integers(1, 4)), int(r.integers(1, 3)), int(r.integers(2, 5))
    n_params = int(r.integers(2, 5))
    scale = float(r.choice([1.0, 3.0, 10.0]))
    x = r.normal(0, scale, (n, d)).astype(np.float32)
    y = r.normal(0, scale, (n, k)).astype(np.float32)

    def act() -> str:
        return str(r.choice(["sigmoid", "tanh"]))

    if n_params == 2:
        params = {"W": r.normal(0, 1, (d, k)), "b": r.normal(0, 1, (k,))}
        lines = [f"y_hat: {act()}(x @ W + b)"]
    elif n_params == 3:
        params = {"W1": r.normal(0, 1, (d, h)), "b1": r.normal(0, 1, (h,)), "W2": r.normal(0, 1, (h, k))}
        lines = [f"h: {act()}(x @ W1 + b1)", "y_hat: h @ W2"]
    else:
        params = {"W1": r.normal(0, 1, (d, h)), "b1": r.normal(0, 1, (h,)),
                  "W2": r.normal(0, 1, (h, k)), "b2": r.normal(0, 1, (k,))}
        lines = [f"h: {act()}(x @ W1 + b1)", f"y_hat: {act()}(h @ W2 + b2)"]
    ps = "\n".join(f"  {name}: {_nested(v.astype(np.float32))}" for name, v in params.items())
    ms = "\n".join(f"  {line}" for line in lines)
    return (f"name: random {seed}\ndtype: float32\nparams:\n{ps}\n"
            f"data:\n  x: {_nested(x)}\n  y: {_nested(y)}\n"
            f"model:\n{ms}\n  loss: mse(y_hat, y)\ntrain: {train}\n")


#: Seeds whose models failed check when torch ran on its own from step 0 (8 of seeds 0-99,
#: first at step 3 to 9, each on a value that is a small difference of large terms).
DRIFTING = (17, 40, 48, 52, 68, 76, 78, 84)


def _on_its_own(program, starts=None):
    """torch's run from step 0 on its own numbers, as check compared before."""
    return torch_steps(program)


@pytest.mark.parametrize("seed", DRIFTING)
def test_random_float32_models_check_green(seed):
    report = check(loads(random_model(seed), f"random{seed}.yaml"), roads=False)
    assert report.exit_code == 0, first_failure(report)
    assert report.steps_compared == 10


def test_those_models_drift_apart_when_torch_runs_on_its_own():
    """The same models, torch on its own from step 0: steps 0 and 1 agree, later steps do
    not (an ulp's difference in the params grows step by step). At least half of them,
    so that another torch's kernels may round a few otherwise."""
    failed = []
    for seed in DRIFTING:
        report = check(loads(random_model(seed), f"random{seed}.yaml"), roads=False, steps=_on_its_own)
        if report.exit_code:
            assert report.first_bad is not None and report.first_bad.step is not None
            assert report.first_bad.step >= 2, first_failure(report)
            failed.append(seed)
    assert len(failed) >= len(DRIFTING) // 2, failed


def test_many_random_float32_models_check_green():
    """Seeds 100-139, plain SGD, and seeds 0-19 with Adam (lr 0.05): all green."""
    for seed in range(100, 140):
        report = check(loads(random_model(seed), f"random{seed}.yaml"), roads=False)
        assert report.exit_code == 0, (seed, first_failure(report))
    for seed in range(20):
        text = random_model(seed, "{epochs: 10, lr: 0.05, optimizer: adam}")
        report = check(loads(text, f"adam{seed}.yaml"), roads=False)
        assert report.exit_code == 0, (seed, first_failure(report))


# ----- a wrong gradient still fails ----------------------------------------------------


def _scaled_vjp(monkeypatch, op: str, factor: float) -> None:
    """The engine's ``op`` with its vjp (upstream · ∂out/∂arg) off by ``factor``; torch's
    form of the op is untouched."""
    rule = RULES[op]

    def vjp(k, args, out, up):
        got = rule.backward(k, args, out, up)
        return got * np.asarray(factor, dtype=np.asarray(got).dtype)

    monkeypatch.setitem(RULES, op, dataclasses.replace(rule, vjp=vjp))


@pytest.mark.parametrize(
    ("spec", "op", "kind"),
    [(84, "tanh", "chain"), (48, "sigmoid", "chain"), (68, "matmul", "backward_end"),
     ("xor", "sigmoid", "chain")],
)
def test_a_gradient_off_by_a_thousandth_fails(monkeypatch, tmp_path, spec, op, kind):
    """One op's backward × 1.001 (tanh, sigmoid, @): check exits 1 at step 0, on the event
    that used it (float32 allows 1e-4 relative, float64 1e-9): starting each step from
    stepgrad's numbers hides no wrong gradient."""
    if isinstance(spec, int):
        text = random_model(spec)
        assert f"{op}(" in text or op == "matmul"
        path = tmp_path / "model.yaml"
        path.write_text(text)
        spec = str(path)
    assert check(load(spec), roads=False).exit_code == 0  # green before
    _scaled_vjp(monkeypatch, op, 1.001)
    report = check(load(spec), roads=False)
    assert report.exit_code == 1
    bad = report.first_bad
    assert bad is not None and (bad.step, bad.kind, bad.verdict.status) == (0, kind, "differs")
    out = io.StringIO()
    assert run_check(spec, out=out) == 1
    assert out.getvalue().splitlines()[-1].startswith("FAILED: first disagreement with torch: event #")


# ----- what torch starts from ----------------------------------------------------------

EX = """
params: {w: 1.0}
data: {x: [1.0, 2.0, 3.0], y: [2.0, 4.0, 6.0]}
model:
  y_hat: x * w
  loss: (y_hat - y) ** 2
train: {epochs: 1, lr: 0.01}
"""


def test_each_step_starts_from_the_params_given():
    """w = 3 at the start of every step: step k sees x = k + 1, y = 2x, so y_hat = 3x,
    loss = x², w.grad = 2x·(3x − 2x) = 2x², w after = 3 − 0.01·2x²."""
    steps = list(torch_steps(loads(EX, "ex.yaml").program, starts=lambda k: StepStart({"w": 3.0})))
    for k, ts in enumerate(steps):
        x = k + 1.0
        assert ts.values["y_hat"] == 3 * x and ts.loss == x * x
        assert ts.grads["w"] == 2 * x * x
        assert ts.params_after["w"] == 3.0 - 0.01 * (2 * x * x)


def test_no_start_goes_on_from_torchs_own_numbers():
    """A None answer: torch goes on from its own step; here step 1 only starts from w = 3."""
    steps = list(torch_steps(loads(EX, "ex.yaml").program,
                             starts=lambda k: StepStart({"w": 3.0}) if k == 1 else None))
    # Step 0 from w = 1: grad 2·1·(1 − 2) = −2, w = 1.02; step 1 from 3: 2.92; step 2 from 2.92.
    assert [ts.params_after["w"] for ts in steps[:2]] == [1.0 - 0.01 * -2.0, 3.0 - 0.01 * 8.0]
    w = 3.0 - 0.01 * 8.0
    assert steps[2].params_after["w"] == w - 0.01 * (2 * 3.0 * (3.0 * w - 6.0))


@pytest.mark.parametrize(
    ("spec", "train"),
    [("no-zero-grad", None),
     ("small", "{epochs: 3, lr: 0.05, batch_size: 2, optimizer: {name: sgd, momentum: 0.9}}"),
     ("small", "{epochs: 3, lr: 0.05, batch_size: 2, optimizer: adam}")],
)
def test_starting_from_torchs_own_numbers_changes_nothing(spec, train):
    """Fed torch's own params, carried .grad (no zero_grad), momentum buffer or Adam's
    moments after each step, the run is the same to the bit: the names map onto
    torch.optim's state, and Adam's step count is the step's index."""
    if spec == "small":
        program = loads(SMALL + f"train: {train}\n", "small.yaml").program
    else:
        program = load(spec).program
    own = list(torch_steps(program))
    names = list(own[0].params_after)
    keeps_grad = not program.zero_grad

    def starts(k: int) -> StepStart | None:
        if k == 0:
            return None
        before = own[k - 1]
        grads = {n: before.grads[n] for n in names} if keeps_grad else {}
        state = {n: {s: v for s, v in st.items() if s in TORCH_STATE_KEYS} for n, st in before.state.items()}
        return StepStart(dict(before.params_after), grads, state)

    fed = list(torch_steps(program, starts=starts))
    assert len(fed) == len(own) == program.n_steps
    for a, b in zip(own, fed, strict=True):
        for name in names:
            assert np.array_equal(a.params_after[name], b.params_after[name])
            assert np.array_equal(a.grads[name], b.grads[name])
            for s, v in a.state.get(name, {}).items():
                assert np.array_equal(v, b.state[name][s]), (a.step, name, s)
        assert a.loss == b.loss


SMALL = small_model("float32")


def test_check_hands_torch_stepgrads_start_of_every_step():
    """What check asks torch to start step k from is stepgrad's: its params at the start of
    step k and the momentum buffer its update event of step k − 1 shows."""
    text = SMALL + "train: {epochs: 2, lr: 0.05, batch_size: 2, optimizer: {name: sgd, momentum: 0.9}}\n"
    scenario = loads(text, "small.yaml")
    seen: dict[int, StepStart] = {}

    def recording(program, starts=None):
        def mine(k: int) -> StepStart | None:
            got = starts(k) if starts is not None else None
            assert got is not None
            seen[k] = got
            return got

        return torch_steps(program, starts=mine)

    report = check(scenario, steps=recording, roads=False)
    assert report.exit_code == 0, first_failure(report)
    t = Timeline(scenario.program)
    assert sorted(seen) == list(range(t.n_steps)) == list(range(6))
    for k, begin in seen.items():
        for name, value in t.param_values(k).items():
            assert np.array_equal(begin.params[name], value)
        assert begin.grads == {}  # zero_grad: every step starts from no gradient
        updates = [ev for ev in t.events_of_step(k - 1) if isinstance(ev, Update)] if k else []
        assert set(begin.state) == {ev.param for ev in updates}
        for ev in updates:
            assert np.array_equal(begin.state[ev.param]["velocity"], dict(ev.state)["velocity"])


def test_check_says_how_torch_runs_the_steps():
    text = render_text(check(load("ex4-3"), roads=False)).splitlines()
    assert text[2] == RESYNC_NOTE == (
        "torch starts each step from stepgrad's params and optimizer state: "
        "a difference is that step's own arithmetic"
    )
    one = render_text(check(load("lecture4"), roads=False)).splitlines()
    assert RESYNC_NOTE not in one  # one step, nothing trained before it
