"""`stepgrad check` on powers at base 0 and exponent 0: the engine follows torch's rules."""

from __future__ import annotations

import subprocess
import sys

import pytest

from stepgrad.oracle import torch_available

pytestmark = pytest.mark.skipif(not torch_available(), reason="torch is not installed")

CONST_POWERS = """
name: constant powers at 0
dtype: {dtype}
params: {{v: 0.0, u: 0.0}}
data: {{x: [1.0, 2.0], y: [1.0, 3.0]}}
model:
  b: 0 ** v
  c: u ** 0
  loss: (b + c + x - y) ** 2
train: {{epochs: 3, lr: 0.01}}
"""


def run_check(tmp_path, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "pow.yaml"
    path.write_text(text)
    return subprocess.run(
        [sys.executable, "-m", "stepgrad", "check", str(path), *args],
        capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_constant_powers_at_zero_check_green(tmp_path, dtype):
    """0 ** v and u ** 0 at v = u = 0 were refused as non-finite (exit 2); torch's grads are 0."""
    r = run_check(tmp_path, CONST_POWERS.format(dtype=dtype))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ok: stepgrad and torch agree" in r.stdout
    assert "all equal bit for bit" in r.stdout


NODE_POWERS = """
name: powers of a zero input and of a zero param
dtype: {dtype}
params: {{w: 1.5, t: 0.0}}
data: {{x: [0.0, 2.0, 0.0], y: [1.0, 3.0, 0.5]}}
model:
  a: x ** w
  d: t ** t
  loss: (a + d - y) ** 2
train: {{epochs: 3, lr: 0.01}}
"""


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_node_powers_at_zero_check_green(tmp_path, dtype):
    """x ** w at x = 0 and t ** t at t = 0 were refused as non-finite. torch gives 0 for
    both gradients there; the closed forms (x**w*log(x), t**t*(log(t) + 1)) are NaN or
    infinite at those points, which check says is not comparable, not a disagreement."""
    r = run_check(tmp_path, NODE_POWERS.format(dtype=dtype))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ok: stepgrad and torch agree" in r.stdout
    assert "closed form disagrees" not in r.stdout
    assert "not comparable at 6 of 9 steps" in r.stdout  # ∂loss/∂w: the 6 steps with x = 0
    assert "the closed form is undefined here (nan), where torch's rule gives" in r.stdout
    assert "closed form and chain rule not comparable at all 9 steps" in r.stdout  # ∂loss/∂t: t stays 0
