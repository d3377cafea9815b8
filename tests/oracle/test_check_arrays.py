"""stepgrad check on array models: element-wise verdicts (the largest difference and where
it is), one line per compared array, the optimizer's state, and no closed form."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from small_model import small_model

from stepgrad.check import check, first_failure, render_json, render_text, summary
from stepgrad.check.run import ARRAYS_NOT_COMPARABLE
from stepgrad.compare import compare_elements
from stepgrad.oracle import TorchStep, torch_available, torch_steps
from stepgrad.scenario import loads

needs_torch = pytest.mark.skipif(not torch_available(), reason="torch is not installed")

SMALL = small_model("float64")


def scenario(train: str = "{epochs: 2, lr: 0.1, batch_size: 2, shuffle: {seed: 3}}"):
    return loads(SMALL + (f"train: {train}\n" if train else ""), "small.yaml")


# ----- the element-wise comparator (no torch) -------------------------------------------


def test_equal_arrays_count_minus_zero_as_zero():
    e = compare_elements(np.array([[0.0, 1.5]]), np.array([[-0.0, 1.5]]), "float64")
    assert (e.verdict.status, e.verdict.diff, e.shape, e.at) == ("equal", 0.0, (1, 2), None)


def test_close_names_the_largest_difference_and_where():
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b = a.copy()
    b[0, 1] += 1e-15
    b[1, 0] += 1e-12  # the largest: 1e-12 <= 1e-12 + 1e-9 * 4
    e = compare_elements(a, b, "float64")
    assert e.verdict.status == "close" and e.at == (1, 0)
    assert e.ours == 4.0 and e.theirs == b[1, 0]
    assert math.isclose(e.verdict.diff, 1e-12, rel_tol=1e-3)


def test_differs_points_at_the_element_outside_the_tolerance():
    """A larger difference within tolerance elsewhere does not hide the one that is out."""
    a = np.array([1000.0, 1e-3, 7.0], dtype=np.float32)
    b = np.array([1000.05, 2e-3, 7.0], dtype=np.float32)  # 0.05 is within 1e-5 + 1e-4·1000
    e = compare_elements(a, b, "float32")
    assert e.verdict.status == "differs" and e.at == (1,)
    assert e.ours == float(np.float32(1e-3)) and e.theirs == float(np.float32(2e-3))


def test_a_small_gradient_array_is_held_to_its_own_scale():
    """lecture7's ∂loss/∂h1₁ has no entry above 8.3e-6: float32's absolute 1e-5 alone called an
    array of zeros, and the right one times 1.5, close. At the array's own scale neither is,
    while a float32 rounding of it (one ulp of each entry) still is."""
    right = np.array([[8.3e-6, -2.1e-6], [4.0e-7, -6.6e-6]], dtype=np.float32)
    assert compare_elements(np.zeros_like(right), right, "float32").verdict.status == "differs"
    assert compare_elements(right * np.float32(1.5), right, "float32").verdict.status == "differs"
    ulp_off = np.nextafter(right, np.float32(1.0))
    assert compare_elements(ulp_off, right, "float32").verdict.status == "close"
    # A scalar keeps the dtype's absolute tolerance (a loss of 0.0 against 1e-6 is close).
    assert compare_elements(np.float32(0.0), np.float32(1e-6), "float32").verdict.status == "close"


def test_nan_and_shapes():
    assert compare_elements([np.nan, 1.0], [np.nan, 1.0], "float64").verdict.status == "equal"
    e = compare_elements([np.nan, 1.0], [0.0, 1.0], "float64")
    assert e.verdict.status == "differs" and e.at == (0,)
    e = compare_elements(np.zeros((2, 3)), np.zeros((3, 2)), "float64")
    assert e.verdict.status == "differs"
    assert e.verdict.note == "shapes differ: stepgrad (2, 3), torch (3, 2)"
    assert compare_elements(np.zeros(3), None, "float64").verdict.status == "missing"


def test_a_scalar_keeps_its_value():
    e = compare_elements(np.float32(0.5), 0.5, "float32")
    assert (e.verdict.status, e.shape, e.ours, e.theirs) == ("equal", (), 0.5, 0.5)


# ----- the check ------------------------------------------------------------------------


@needs_torch
def test_small_array_model_checks_green_with_one_line_per_array():
    report = check(scenario())
    assert report.exit_code == 0, first_failure(report)
    assert report.steps_compared == report.n_steps == 6
    text = render_text(report)
    lines = text.splitlines()
    assert "stepgrad vs torch, step 0 (epoch 0, batch 0)" in lines
    head = lines[lines.index("stepgrad vs torch, step 0 (epoch 0, batch 0)") + 1]
    assert head.split() == ["seq", "event", "compared"]
    w_grad = next(line for line in lines if "backward_end" in line and "W.grad (3, 2):" in line)
    assert w_grad.split(":", 1)[1].strip().startswith(("✓ equal", "≈ close, largest difference"))
    z1 = next(line for line in lines if " forward " in line and "z₁ (2, 2):" in line)
    assert "✓ equal" in z1 or "≈ close" in z1
    loss = next(line for line in lines if " forward " in line and " loss: " in line)
    assert "(" in loss  # a 0-d array shows its value (or the two values) beside the verdict
    # 6 steps x (4 values; grads of loss, h, z, z₁, W, b; 2 updates) = 24 + 36 + 12 arrays.
    assert report.counts == {"values": 24, "grads": 36, "updates": 12, "predictions": 0}
    # Numbers: a step of r rows has z₁, z, h (r, 2) and the loss: 6r + 1 values; grads of
    # the loss, h, z, z₁ (1 + 6r) and of W, b (8); W, b after the update (8): 12r + 18.
    # Batches of 2, 2 and 1 rows, two epochs: 12 x 10 + 18 x 6.
    assert report.numbers == 12 * 10 + 18 * 6 == 228
    assert "(72 arrays of 228 numbers)" in summary(report)
    # The closed-form road: one line, not comparable, never a failure.
    assert report.roads is not None and report.roads.note == ARRAYS_NOT_COMPARABLE
    assert f"three roads: no closed form ({ARRAYS_NOT_COMPARABLE})" in lines
    # Its heading names the two roads it lists (it promised three, then listed two).
    assert "two roads to each gradient: chain rule (stepgrad), w.grad (torch)" in lines
    assert not any(line.startswith("three roads to each gradient") for line in lines)
    assert lines[-1] == "ok: stepgrad and torch agree"


def _perturbed(name: str, step: int, at: tuple[int, ...], by: float):
    """torch's steps with one element of ``name``'s gradient moved by ``by`` at ``step``."""

    def steps(program, starts=None):
        for ts in torch_steps(program, starts=starts):
            if ts.step == step:
                g = ts.grads[name].copy()
                g[at] += by
                ts = TorchStep(ts.step, ts.loss, ts.values, {**ts.grads, name: g},
                               ts.params_after, ts.state)
            yield ts

    return steps


@needs_torch
def test_a_wrong_element_is_named_with_its_index():
    report = check(scenario(), steps=_perturbed("W", 1, (2, 1), 0.5))
    assert report.exit_code == 1
    bad = report.first_bad
    assert bad is not None and (bad.node, bad.shape, bad.at) == ("W.grad", (3, 2), (2, 1))
    assert bad.verdict.status == "differs" and math.isclose(bad.verdict.diff, 0.5, rel_tol=1e-12)
    line = first_failure(report)
    assert line is not None and line.startswith(
        "first disagreement with torch: event #"
    )
    assert "(step 1, epoch 0, batch 1) backward_end W.grad (3, 2) at [2, 1]: stepgrad " in line
    assert "(differs, diff 0.5)" in line
    row = next(ln for ln in render_text(report).splitlines() if "W.grad (3, 2): ✗" in ln)
    assert "✗ differs, largest difference 0.5 at [2, 1] (stepgrad " in row
    obj = json.loads(json.dumps(render_json(report)))
    assert obj["first_disagreement"]["shape"] == [3, 2] and obj["first_disagreement"]["at"] == [2, 1]
    # The torch road says where too.
    assert report.roads is not None
    miss = report.roads.params["W"].torch.first
    assert miss is not None and miss.at == (2, 1) and miss.unit == "batch"


@needs_torch
def test_a_tiny_difference_is_close_and_located():
    report = check(scenario(), steps=_perturbed("b", 0, (1,), 1e-14))
    assert report.exit_code == 0, first_failure(report)
    row = next(r for r in report.tables[0].rows if r.node == "b.grad")
    assert (row.verdict.status, row.at) == ("close", (1,))
    line = next(ln for ln in render_text(report).splitlines() if "b.grad (2,):" in ln)
    assert "b.grad (2,): ≈ close, largest difference " in line and line.endswith("e-15 at [1]")


@needs_torch
@pytest.mark.parametrize(
    ("optimizer", "names"),
    [("{name: sgd, momentum: 0.9}", ["velocity"]),
     ("adam", ["m", "v", "bias_correction1", "bias_correction2"])],
)
def test_optimizer_state_is_compared(optimizer, names):
    report = check(scenario(f"{{epochs: 2, lr: 0.05, batch_size: 2, optimizer: {optimizer}}}"))
    assert report.exit_code == 0, first_failure(report)
    assert report.counts["states"] == 6 * 2 * len(names)
    rows = [r.node for r in report.tables[0].rows if r.kind == "update"]
    assert rows == ["W", *(f"W {n}" for n in names), "b", *(f"b {n}" for n in names)]
    assert f"{6 * 2 * len(names)} optimizer states compared with torch" in summary(report)


@needs_torch
def test_single_pass_finite_differences_element_wise():
    """No train: one pass over the 5 rows; every element of W and b against central differences."""
    report = check(scenario(""))
    assert report.exit_code == 0, first_failure(report)
    rows = {r.node: r for r in report.finite_diffs or []}
    assert set(rows) == {"∂loss/∂W", "∂loss/∂b"}
    assert rows["∂loss/∂W"].shape == (3, 2) and rows["∂loss/∂W"].size == 6
    assert all(r.verdict.ok for r in rows.values())
    assert "finite differences: 2 gradients agree" in render_text(report)


@needs_torch
def test_an_array_models_hand_derivation_is_not_checked_nor_claimed():
    """manual: on an array model is listed as not checked, never counted as agreeing."""
    text = SMALL + "manual:\n  b: 2 * b\ntrain: {epochs: 1, lr: 0.1}\n"
    report = check(loads(text, "manual.yaml"))
    assert report.exit_code == 0, first_failure(report)
    assert [(m.param, m.steps) for m in report.manual] == [("b", 0)]
    lines = render_text(report).splitlines()
    assert f"  manual ∂loss/∂b = 2 * b: not checked ({ARRAYS_NOT_COMPARABLE})" in lines
    assert not any(line.startswith("manual: 1 hand derivation agrees") for line in lines)


@needs_torch
def test_a_gradient_torch_lacks_is_missing_and_says_whose():
    def steps(program, starts=None):
        for ts in torch_steps(program, starts=starts):
            yield TorchStep(ts.step, ts.loss, ts.values, {**ts.grads, "b": None}, ts.params_after)

    report = check(scenario(), steps=steps)
    assert report.exit_code == 1
    bad = report.first_bad
    assert bad is not None
    assert (bad.node, bad.verdict.status, bad.note) == ("b.grad", "missing", "torch has no value")
    assert "b.grad (2,): ✗ missing (torch has no value)" in render_text(report)
