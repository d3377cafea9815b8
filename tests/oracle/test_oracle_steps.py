"""The torch oracle: the slides' numbers, and the engine's numbers bit for bit."""

from __future__ import annotations

import subprocess
import sys

import pytest

from stepgrad.engine.timeline import Timeline
from stepgrad.oracle import TorchStep, torch_available, torch_predictions, torch_steps
from stepgrad.scenario import load, loads

pytestmark = pytest.mark.skipif(not torch_available(), reason="torch is not installed")

# The first gradients the slides print (float64 by NumPy, float32 by the PyTorch loop).
SLIDES_FLOAT64 = [-2.0, -7.84, -16.2288, -1.478624, -5.796206079999999, -11.998146585599997]
SLIDES_FLOAT32 = [-2.0, -7.840000152587891, -16.228801727294922, -1.478623867034912]


def engine_steps(name_or_program):
    """Per step: (loss, grads by node, params after) from the engine's events."""
    program = load(name_or_program).program if isinstance(name_or_program, str) else name_or_program
    t = Timeline(program)
    out = []
    for step in range(t.n_steps):
        events = t.events_of_step(step)
        end = next(e for e in events if e.kind == "backward_end")
        state = t.state_at(end.seq)
        grads = {
            t.graph.nodes[i].name: (None if g is None else float(g))
            for i, g in enumerate(state.grads)
            if t.graph.requires_grad[i]
        }
        t.ensure(step + 1)
        loss = float(t.losses()[step])
        after = {k: float(v) for k, v in t.param_values(step + 1 if t.training else 0).items()}
        out.append((loss, grads, after))
    return out


def test_lecture4_single_step_by_hand():
    """x = 1, y = 2, w = 1: y_hat = 1, s = -1, loss = 1; every gradient -2; w becomes 1.02."""
    (ts,) = list(torch_steps(load("lecture4").program))
    assert ts == TorchStep(
        step=0,
        loss=1.0,
        values={"y_hat": 1.0, "s": -1.0, "loss": 1.0},
        grads={"w": -2.0, "y_hat": -2.0, "s": -2.0, "loss": 1.0},
        params_after={"w": 1.02},
    )


def test_ex4_3_float64_slides_numbers():
    grads = [ts.grads["w"] for ts in torch_steps(load("ex4-3").program)]
    assert len(grads) == 30
    assert grads[: len(SLIDES_FLOAT64)] == SLIDES_FLOAT64


def test_lecture4_torch_float32_slides_numbers():
    steps = list(torch_steps(load("lecture4-torch").program))
    assert [ts.grads["w"] for ts in steps[: len(SLIDES_FLOAT32)]] == SLIDES_FLOAT32
    assert steps[2].loss == 7.315943717956543  # end of epoch 0, as the slides print
    assert steps[0].params_after == {"w": 1.0199999809265137}  # float32(1.02)


@pytest.mark.parametrize("name", ["ex4-3", "lecture4-torch", "no-zero-grad", "ex4-5"])
def test_torch_equals_engine_bit_for_bit(name):
    """Every step's loss, every node's gradient and every param after the update."""
    program = load(name).program
    ours = engine_steps(program)
    theirs = list(torch_steps(program))
    assert len(theirs) == len(ours) == program.n_steps
    for (loss, grads, after), ts in zip(ours, theirs, strict=True):
        assert (loss, grads, after) == (ts.loss, ts.grads, ts.params_after), f"step {ts.step}"


def test_no_zero_grad_accumulates_like_torch():
    """Without zero_grad, w.grad after step 1 is -2 + -7.84 in float32."""
    steps = torch_steps(load("no-zero-grad").program)
    first, second = next(steps), next(steps)
    assert first.grads["w"] == -2.0
    assert second.grads["w"] == -9.84000015258789
    assert second.grads["s"] == -3.9200000762939453  # intermediates start afresh each pass


def test_single_pass_leaves_params_unchanged():
    """Exercise 4-4 by hand: dloss/dw1 = 8, dloss/dw2 = 16, dloss/db = 4; no update."""
    (ts,) = list(torch_steps(load("ex4-4").program))
    assert {k: ts.grads[k] for k in ("w1", "w2", "b")} == {"w1": 8.0, "w2": 16.0, "b": 4.0}
    assert ts.params_after == {"w1": 1.0, "w2": 1.0, "b": 0.0}
    assert ts.loss == 4.0


def test_reused_intermediate_and_id_node():
    """a feeds the square twice (its gradients add up); z = a is a node of its own."""
    program = loads(
        """
params: {w: 3.0}
inputs: {x: 2.0}
model:
  a: x * w
  z: a
  loss: z * a
""",
        "reuse.yaml",
    ).program
    (ts,) = list(torch_steps(program))
    # loss = a², a = 6: dloss/da = 2a = 12 (6 via z, 6 directly), dloss/dz = 6, dloss/dw = 24.
    assert ts.grads == {"w": 24.0, "a": 12.0, "z": 6.0, "loss": 1.0}
    ((loss, grads, _),) = engine_steps(program)
    assert (loss, grads) == (36.0, ts.grads)


def test_predictions_before_and_after():
    program = load("ex4-3").program
    assert torch_predictions(program, "before") == {"y_hat": 4.0}
    assert torch_predictions(program, "after") == {"y_hat": 7.804863933862125}
    assert torch_predictions(load("lecture4").program, "after") == {}


def test_steps_are_lazy():
    """Nothing runs until the first next(): the app can hold the generator cheaply."""
    it = torch_steps(load("ex4-3").program)
    assert next(it).step == 0
    it.close()


def test_importing_the_oracle_does_not_import_torch():
    code = (
        "import sys, stepgrad.oracle, stepgrad.compare, stepgrad.check as c\n"
        "assert stepgrad.oracle.torch_available()\n"
        "assert 'torch' not in sys.modules, 'imported too early'\n"
        "import io\n"
        "assert c.run_check('lecture4', out=io.StringIO()) == 0\n"
        "assert 'torch' in sys.modules\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


SCALAR_MOMENTUM = """
params: {w: 1.0}
data: {x: [1.0, 2.0, 3.0], y: [2.0, 4.0, 6.0]}
model:
  y_hat: x * w
  loss: (y_hat - y) ** 2
train: {epochs: 3, lr: 0.01, optimizer: {name: sgd, momentum: 0.9}}
"""


def test_scalar_model_with_torch_optimizers():
    """A scalar model may name torch's optimizers too: its state comes as Python floats.
    Step 0: w.grad = 2(1-2)·1 = -2, velocity = -2 (torch copies the first gradient),
    w = 1 - 0.01·(-2) = 1.02; step 1: grad 2(2.04-4)·2 = -7.84, velocity 0.9·(-2) - 7.84."""
    from stepgrad.check import check, first_failure, summary

    steps = list(torch_steps(loads(SCALAR_MOMENTUM, "m.yaml").program))
    assert steps[0].state == {"w": {"velocity": -2.0}} and steps[0].params_after == {"w": 1.02}
    assert steps[1].state["w"]["velocity"] == pytest.approx(0.9 * -2.0 - 7.84, abs=1e-12)
    assert isinstance(steps[1].state["w"]["velocity"], float)
    adam = loads(SCALAR_MOMENTUM.replace("{name: sgd, momentum: 0.9}", "adam"), "a.yaml")
    (first, *_) = torch_steps(adam.program)
    # Adam's first step: m = 0.1·g, v = 0.001·g², both corrections undo it: w moves by lr.
    assert first.state["w"]["bias_correction1"] == pytest.approx(0.1, abs=1e-15)
    assert first.params_after["w"] == pytest.approx(1.01, abs=1e-9)
    for scenario in (loads(SCALAR_MOMENTUM, "m.yaml"), adam):
        report = check(scenario)
        assert report.exit_code == 0, first_failure(report)
        assert "optimizer states compared with torch" in summary(report)
