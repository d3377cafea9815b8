"""A closed form float32 cannot evaluate is never blamed: evaluated wider, or not comparable.

The two reproducers of issue 9 (item 4) are float32 runs that torch and the engine agree
on bit for bit, where the closed form used to be reported as disagreeing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stepgrad.engine.timeline import Timeline
from stepgrad.manual import check_manual, roads_at
from stepgrad.oracle import torch_available
from stepgrad.scenario import load, loads
from stepgrad.symbolic import NOT_COMPARABLE

HERE = Path(__file__).parent / "scenarios"
UNDERFLOW = HERE / "underflow-f32.yaml"
TINY = HERE / "tiny-constant-f32.yaml"

needs_torch = pytest.mark.skipif(not torch_available(), reason="torch is not installed")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stepgrad", *args], capture_output=True, text=True, timeout=180
    )


@needs_torch
def test_underflow_check_passes_and_says_not_comparable():
    r = run("check", str(UNDERFLOW))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all equal bit for bit" in r.stdout  # torch and the engine
    assert ("closed form and chain rule not comparable at all 9 steps (first at step 0 (epoch 0, "
            "sample 0, event #10): float32 cannot hold this gradient") in r.stdout
    assert "closed form disagrees" not in r.stdout
    assert "ok: stepgrad and torch agree" in r.stdout


@needs_torch
def test_underflow_check_json_counts_steps_not_comparable():
    r = run("check", "--json", str(UNDERFLOW))
    assert r.returncode == 0, r.stdout + r.stderr
    (param,) = json.loads(r.stdout)["roads"]["params"]
    closed = param["closed"]
    assert closed["ok"] is True and closed["first_disagreement"] is None
    assert closed[NOT_COMPARABLE] == 9 and closed["differs"] == 0
    assert "float32 cannot hold this gradient" in closed["note"]


@needs_torch
def test_tiny_constant_check_passes_with_the_closed_form_evaluated_wider():
    r = run("check", str(TINY))
    assert r.returncode == 0, r.stdout + r.stderr
    assert ("closed form ≈ chain rule at all 9 steps (0 equal bit for bit, 9 close; first at step 0"
            in r.stdout)
    assert "in float32 the formula's own arithmetic overflows or underflows" in r.stdout
    assert "ok: stepgrad and torch agree" in r.stdout


def test_underflow_road_by_hand():
    """Step 0: x = 1, w = 0.5, so ∂loss/∂w = 7·w⁶·x⁷·1e-42 = 7/64·1e-42 = 1.09375e-43;
    float32 holds 1.0930128e-43 (a subnormal, 78 steps of 2**-149)."""
    t = Timeline(load(str(UNDERFLOW)).program)
    (road,) = roads_at(t, None, 0)
    assert float(road.chain_value) == pytest.approx(1.0930128021733573e-43, rel=0, abs=0)
    assert road.closed_ok.status == NOT_COMPARABLE and road.closed_ok.ok
    assert "1.09375e-43" in road.closed_ok.note or "1.0937499999999999e-43" in road.closed_ok.note


def test_tiny_constant_road_by_hand():
    """Step 0: y_hat = 0.5, x = 1, y = 0: ∂loss/∂w = 2·(1 + 1e-39)·x·(y_hat·x − y) = 1.0."""
    t = Timeline(load(str(TINY)).program)
    (road,) = roads_at(t, None, 0)
    assert float(road.chain_value) == 1.0
    assert road.closed_ok.status == "close"
    assert float(road.closed_value) == pytest.approx(1.0, rel=1e-12)  # huge constants, rounded once


HAND = """
dtype: float32
params: {{w: 0.5}}
data: {{x: [1.0, 2.0, -1.5], y: [0.0, 1.0, -2.0]}}
model:
  loss: (w * x * 0.000001) ** 7
manual: {{w: "{manual}"}}
train: {{epochs: 2, lr: 0.1}}
"""


def test_a_right_hand_derivation_is_not_blamed_for_float32_underflow():
    sc = loads(HAND.format(manual="7 * w**6 * x**7 * 1e-42"), "hand.yaml")
    (mc,) = check_manual(Timeline(sc.program), sc)
    assert mc.ok and mc.steps == 6


@pytest.mark.parametrize("manual", ["7 * w**6 * x**7 * 1e-41", "6 * w**6 * x**7 * 1e-42", "log(-1) * w"])
def test_a_wrong_hand_derivation_still_fails_below_float32_range(manual):
    """Off by 10x, by 1/7, or NaN everywhere: evaluated wider it still disagrees."""
    sc = loads(HAND.format(manual=manual), "hand.yaml")
    (mc,) = check_manual(Timeline(sc.program), sc)
    assert not mc.ok and mc.first is not None and mc.first.step == 0
