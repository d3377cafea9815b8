"""check(): lock-step comparison with torch, finite differences and expect, in process."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest

from stepgrad import check as check_mod
from stepgrad.check import check, first_failure, render_json, render_text, run_check, summary
from stepgrad.check.run import ARRAYS_NOT_COMPARABLE
from stepgrad.engine import ops
from stepgrad.errors import ScenarioError
from stepgrad.oracle import torch_available, torch_steps
from stepgrad.scenario import bundled, load, loads

pytestmark = pytest.mark.skipif(not torch_available(), reason="torch is not installed")

ALL_OPS = """
name: every op
dtype: {dtype}
params: {{w: 0.7, v: -0.3}}
data:
  x: [1.0, 2.0, 0.5, -1.0]
  y: [2.0, 1.0, 3.0, 0.1]
model:
  a: sigmoid(x * w) + tanh(v)
  b: exp(w) / (1 + w*w) - log(w + 2) + sqrt(w + 3)
  c: relu(w - 0.5) * sin(v) + cos(w) * abs(v - 2) + (-w)
  d: w ** 3 + 2 ** v + a / b + x / 3 + w ** 0.5
  e: d
  loss: (a + b + c + e - y) ** 2
train:
  epochs: 5
  lr: 0.01
predict: {{x: 4.0}}
"""


# Wrong on purpose: its manual formula for w2 is caught (tests/cli/test_roads.py).
WRONG_ON_PURPOSE = {"ex4-4-wrong"}


@pytest.mark.parametrize("name", [n for n in bundled() if n not in WRONG_ON_PURPOSE])
def test_every_bundled_scenario_checks_green(name):
    report = check(load(name))
    assert report.exit_code == 0, first_failure(report)
    assert report.steps_compared == report.n_steps
    assert report.roads is not None
    if report.arrays:
        # Lectures 5 to 9: no closed form to compare, said once; torch's w.grad at every step.
        assert report.roads.note == ARRAYS_NOT_COMPARABLE
        assert all(pr.closed is None and pr.torch.steps == report.n_steps
                   for pr in report.roads.params.values())
        return
    assert report.roads.note is None
    assert all(pr.closed is not None and pr.closed.steps == report.n_steps
               for pr in report.roads.params.values())


def test_ex4_4_wrong_agrees_with_torch_but_not_by_hand():
    """torch, the chain rule and the closed forms agree everywhere; only the hand
    derivation of w2 is wrong, so the check fails on it, and only on it."""
    report = check(load("ex4-4-wrong"))
    assert report.torch_ok and report.fd_ok and report.expect_ok and report.roads_ok
    assert not report.manual_ok and report.exit_code == 1
    assert [(m.param, m.ok) for m in report.manual] == [("w1", True), ("w2", False)]
    line = first_failure(report)
    assert line is not None and line.startswith("manual ∂loss/∂w2 = ")


@pytest.mark.parametrize("name", ["lecture4-torch", "ex4-3", "no-zero-grad", "ex4-5"])
def test_bundled_training_agrees_bit_for_bit(name):
    report = check(load(name))
    assert report.statuses["close"] == report.statuses["differs"] == 0
    assert report.statuses["missing"] == 0
    assert summary(report).endswith("all equal bit for bit")


def test_counts_for_ex4_3():
    """30 steps x (3 values; grads of loss, s, y_hat, w; 1 update) + 2 predictions."""
    report = check(load("ex4-3"))
    assert report.counts == {"values": 90, "grads": 120, "updates": 30, "predictions": 2}
    assert summary(report) == (
        "30 steps, 90 values, 120 grads, 30 updates and 2 predictions compared with torch "
        "(242 numbers): all equal bit for bit"
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_every_op_agrees_within_tolerance(dtype):
    """sigmoid, div, pow... are computed in other orders by torch: close, never differs.
    Its ∂loss/∂w is too long to show (169 operations): check says so and still passes."""
    report = check(loads(ALL_OPS.format(dtype=dtype), "all.yaml"))
    assert report.exit_code == 0, first_failure(report)
    assert report.statuses["equal"] > 0
    assert report.statuses["differs"] == report.statuses["missing"] == 0
    assert report.roads is not None
    assert report.roads.note == (
        "too large to show symbolically: ∂loss/∂w has 169 operations (at most 120)"
    )
    assert [pr.torch.steps for pr in report.roads.params.values()] == [20, 20]


def _broken(step: int, node: str, delta: float = 0.5):
    """A torch oracle that is wrong about one gradient at one step."""

    def steps(program, starts=None):
        for ts in torch_steps(program, starts=starts):
            if ts.step == step:
                grads = dict(ts.grads)
                grads[node] += delta
                ts = dataclasses.replace(ts, grads=grads)
            yield ts

    return steps


def test_wrong_param_grad_names_the_backward_end_event():
    scenario = load("ex4-3")
    report = check(scenario, steps=_broken(5, "w"))
    assert report.exit_code == 1
    bad = report.first_bad
    assert bad is not None
    assert (bad.step, bad.kind, bad.node, bad.verdict.status) == (5, "backward_end", "w.grad", "differs")
    assert bad.ours == -11.998146585599997 and bad.theirs == -11.498146585599997
    # Step 5 starts at event 1 + 13 * 5 (one prediction first, 13 events per step).
    assert bad.seq == 1 + 13 * 5 + 10
    assert report.steps_compared == 6  # stops at the first disagreement
    line = first_failure(report)
    assert line is not None
    assert line.startswith(f"first disagreement with torch: event #{bad.seq} (step 5, epoch 1, sample 2)")
    assert "stepgrad -11.998146585599997, torch -11.498146585599997" in line
    text = render_text(report)
    assert "stepgrad vs torch, step 5 (epoch 1, sample 2)" in text  # the failing step's table


def test_wrong_intermediate_grad_names_the_chain_event():
    report = check(load("ex4-3"), steps=_broken(0, "s"))
    bad = report.first_bad
    assert bad is not None
    assert (bad.seq, bad.kind, bad.node) == (8, "chain", "∂loss/∂s")


def test_oracle_that_stops_early_is_missing():
    def short(program, starts=None):
        yield from list(torch_steps(program, starts=starts))[:2]

    report = check(load("ex4-3"), steps=short)
    assert report.exit_code == 1
    assert report.first_bad is not None
    assert (report.first_bad.step, report.first_bad.verdict.status) == (2, "missing")


def test_wrong_prediction():
    def wrong(program, when, params=None):
        return {"y_hat": 7.8} if when == "after" else {"y_hat": 4.0}

    report = check(load("ex4-3"), predictions=wrong)
    assert report.exit_code == 1
    assert report.first_bad is not None
    assert (report.first_bad.kind, report.first_bad.note) == ("predict", "after")


def test_failed_expectation_is_named():
    scenario = loads(
        "params: {w: 1.0}\ninputs: {x: 1.0, y: 2.0}\nmodel:\n  loss: (x * w - y) ** 2\n"
        "expect:\n  grad: {w: -3.0}\n  loss: 1.0\n",
        "wrong.yaml",
    )
    report = check(scenario)
    assert report.torch_ok and report.fd_ok and not report.expect_ok
    assert report.exit_code == 1
    assert first_failure(report) == "expectation failed: grad w: stepgrad -2.0, expected -3.0 (diff 1)"


def test_float32_expectation_accepts_the_decimal():
    """-7.84 as written by a person is close to float32's -7.840000152587891."""
    scenario = loads(
        "dtype: float32\nparams: {w: 1.0}\ndata: {x: [1.0, 2.0], y: [2.0, 4.0]}\n"
        "model:\n  loss: (x * w - y) ** 2\ntrain: {epochs: 1, lr: 0.01}\n"
        "expect:\n  params: {w: 1.0983999967575073}\n",
        "f32.yaml",
    )
    report = check(scenario)
    assert report.exit_code == 0
    assert [r.verdict.status for r in report.expect] == ["equal"]


def test_finite_differences_in_single_pass():
    report = check(load("ex4-4"))
    assert report.finite_diffs is not None
    fd = {r.node: r for r in report.finite_diffs}
    assert set(fd) == {"∂loss/∂w1", "∂loss/∂w2", "∂loss/∂b"}
    assert all(r.verdict.ok for r in fd.values())
    assert abs(fd["∂loss/∂w2"].theirs - 16.0) < 1e-6
    assert check(load("ex4-3")).finite_diffs is None  # training: no finite differences


def test_finite_differences_at_a_kink_accept_one_side():
    """relu at 0: torch and stepgrad say 0 (the left side); the central difference says 0.5."""
    report = check(loads("params: {w: 0.0}\nmodel:\n  loss: relu(w)\n", "kink.yaml"))
    assert report.exit_code == 0, first_failure(report)
    (row,) = report.finite_diffs or []
    assert row.ours == 0.0 and row.theirs == 0.0
    assert "left-sided" in row.note


SATURATED = """
dtype: float32
params:
  w: [[20.0]]
data:
  x: [[1.0]]
  y: [[0.0]]
model:
  p: sigmoid(x @ w)
  loss: bce(p, y)
train: {epochs: 1, lr: 0.1}
"""


def test_finite_differences_yield_to_torch_where_float32_saturates():
    """sigmoid(20) is exactly 1.0 in float32 and bce's log is clamped at -100: loss 100 and
    ∂loss/∂w 0.0 in torch and stepgrad alike. The float64 central difference sees
    sigmoid(20) = 1 - 2e-9 and a slope near 1; torch's semantics win, so the row is skipped
    with its reason, not a failure (an outsider's model exited 1 on it)."""
    report = check(loads(SATURATED, "saturated.yaml"))
    assert report.exit_code == 0, first_failure(report)
    (row,) = report.finite_diffs or []
    assert row.ours == 0.0 and abs(row.theirs - 1.0) < 1e-2
    assert row.verdict.status == "skipped" and row.note.startswith("torch agrees with stepgrad")


def test_finite_differences_catch_a_wrong_rule(monkeypatch):
    """A wrong local gradient for sin (2·cos instead of cos) fails torch and finite differences."""
    rule = ops.RULES["sin"]
    bad = dataclasses.replace(rule, local=lambda k, a, out, dt: 2 * rule.local(k, a, out, dt))
    monkeypatch.setitem(ops.RULES, "sin", bad)
    report = check(loads("params: {w: 0.5}\nmodel:\n  loss: sin(w)\n", "sin.yaml"))
    assert report.exit_code == 1
    assert report.first_bad is not None and report.first_bad.node == "w.grad"
    (row,) = report.finite_diffs or []
    assert row.verdict.status == "differs"


def test_nonfinite_run_is_bad_input():
    scenario = loads("params: {w: 1.0}\nmodel:\n  a: log(w - 2)\n  loss: a * w\n", "nan.yaml")
    with pytest.raises(ScenarioError) as e:
        check(scenario)
    assert str(e.value).startswith("nan.yaml:3:")
    assert "first appears at event 1 (forward a" in str(e.value)


def test_json_report():
    report = check(load("lecture4"))
    obj = json.loads(json.dumps(render_json(report)))
    assert obj["ok"] is True and obj["exit"] == 0
    assert obj["counts"] == {"values": 3, "grads": 4, "updates": 1, "predictions": 0}
    row = next(r for r in obj["tables"][0]["rows"] if r["node"] == "w.grad")
    assert row == {"seq": 10, "step": 0, "kind": "backward_end", "node": "w.grad",
                   "stepgrad": -2.0, "torch": -2.0, "diff": 0.0, "verdict": "equal"}
    assert [r["node"] for r in obj["expect"]] == ["grad w", "loss (loss)", "param w"]
    assert obj["finite_differences"]["rows"][0]["verdict"] == "close"


def test_run_check_uses_the_module_oracle(monkeypatch):
    """A test double substituted for stepgrad.check.torch_steps reaches run_check."""
    monkeypatch.setattr(check_mod, "torch_steps", _broken(0, "w"))
    out = io.StringIO()
    assert run_check("lecture4", out=out) == 1
    assert "first disagreement with torch: event #10 (step 0, epoch 0, sample 0)" in out.getvalue()


def test_a_run_without_train_agrees_with_torch():
    """No train: torch evaluates each sample with w = 1.0 and a fresh w.grad (issue 9, item 1)."""
    text = """
params: {w: 1.0}
data: {x: [1.0, 2.0], y: [2.0, 4.0]}
model: {y_hat: "x * w", loss: "(y_hat - y) ** 2"}
predict: {x: 3.0}
"""
    report = check(loads(text, "no-train.yaml"))
    assert report.exit_code == 0, first_failure(report)
    steps = list(torch_steps(loads(text, "no-train.yaml").program))
    assert [s.grads["w"] for s in steps] == [-2.0, -8.0]  # 2(1-2)·1, 2(2-4)·2: not summed
    assert [s.params_after["w"] for s in steps] == [1.0, 1.0]


NO_ZERO_GRAD_F32 = """
dtype: float32
params: {w: 0.1}
data: {x: [-1.8, 0.9], y: [-0.2, 1.0]}
model: {loss: "abs(w * w + w * x - y)"}
train: {epochs: 20, lr: 0.05, zero_grad: false}
"""


def test_no_zero_grad_float32_agrees_with_torch():
    """Issue 9, item 2: w used three times, gradients never zeroed. torch sums a pass's
    contributions first, then adds them to w.grad; adding each to w.grad as it came gave
    w = -0.70234460 against torch's -0.70243269 after 20 epochs."""
    report = check(loads(NO_ZERO_GRAD_F32, "nzg32.yaml"))
    assert report.exit_code == 0, first_failure(report)
    assert summary(report).endswith("all equal bit for bit")


def test_in_pass_sum_order_matches_a_torch_loop_bit_for_bit():
    """w * w + w * x uses w three times: our per-step w.grad and w equal, bit for bit in
    float32 over 20 epochs, those of a plain torch loop written here (no oracle code)."""
    import numpy as np
    import torch

    from stepgrad.engine import Timeline

    program = loads(NO_ZERO_GRAD_F32, "nzg32.yaml").program
    t = Timeline(program)
    w = torch.tensor(0.1, dtype=torch.float32, requires_grad=True)
    xs, ys = [-1.8, 0.9], [-0.2, 1.0]
    ours = {e.step: e for e in t if e.kind == "update"}
    for step in range(40):
        x = torch.tensor(xs[step % 2], dtype=torch.float32)
        y = torch.tensor(ys[step % 2], dtype=torch.float32)
        loss = torch.abs(w * w + w * x - y)
        loss.backward()
        ev = ours[step]
        assert np.float32(ev.grad) == np.float32(w.grad.item()), step
        w.data = w.data - 0.05 * w.grad.data
        assert np.float32(ev.after) == np.float32(w.item()), step
    assert w.item() == pytest.approx(-0.70243269, abs=1e-7)
