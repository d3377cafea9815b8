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
