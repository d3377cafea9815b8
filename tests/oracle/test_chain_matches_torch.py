"""The chain rule's products are torch's to the bit where torch's backward is not a plain
upstream × local: a quotient's gradient is grad / b and -grad * ((a / b) / b), relu's is
+0.0 where it is masked (an outsider's torch loop found these one ulp and one sign apart)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")


def _events(tmp_path: Path, text: str) -> list[dict]:
    f = tmp_path / "s.yaml"
    f.write_text(text)
    out = subprocess.run(
        [sys.executable, "-m", "stepgrad", "replay", str(f), "--format", "jsonl"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    return [json.loads(line) for line in out.splitlines()]


def _grads(tmp_path: Path, text: str) -> list[float]:
    return [ev["grads"]["w"] for ev in _events(tmp_path, text) if ev["kind"] == "backward_end"]


@pytest.mark.parametrize(
    ("model", "w0", "x0", "y0"),
    [
        ("(w / x) * y", 1.0, 0.1, 1.4),  # torch 13.999999999999998, upstream × (1/x) gave 14.0
        ("x / w", 0.8, 1.5, 0.0),  # torch -2.34375, -(x/w**2) × upstream gave -2.3437499999999996
        ("(w / w) * x", 0.1, 1.4, 0.0),  # torch -1.7763568394002505e-15, was 3.552713678800501e-15
        ("log(w * x) * y", 0.7, 0.3, 1.9),
        ("relu(w - x) * y", 0.1, 0.5, -2.0),  # masked: +0.0 though the upstream is negative
    ],
)
def test_chain_products_are_torchs(tmp_path: Path, model: str, w0: float, x0: float, y0: float) -> None:
    text = f'params: {{w: {w0}}}\ninputs: {{x: {x0}, y: {y0}}}\nmodel: {{loss: "{model}"}}\n'
    (ours,) = _grads(tmp_path, text)
    w = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    x = torch.tensor(x0, dtype=torch.float64)
    y = torch.tensor(y0, dtype=torch.float64)
    env = {"w": w, "x": x, "y": y, "log": torch.log, "relu": torch.relu}
    eval(model, {"__builtins__": {}}, env).backward()  # the test's own torch loop, trusted text
    theirs = w.grad.item()
    assert (ours, str(ours)) == (theirs, str(theirs))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("w0", [6.0, 3.0, -2.5, 1.1, 0.3])
def test_tanh_gradient_is_one_minus_square_rounded_once(tmp_path: Path, dtype: str, w0: float) -> None:
    """torch's tanh_backward is a fused multiply-add: tanh(6.0)'s gradient is
    2.4576547405302974e-05, where 1 - y*y rounded twice gave 2.4576547405286142e-05."""
    (ours,) = _grads(tmp_path, f"dtype: {dtype}\nparams: {{w: {w0}}}\nmodel: {{loss: tanh(w)}}\n")
    w = torch.tensor(w0, dtype=getattr(torch, dtype), requires_grad=True)
    torch.tanh(w).backward()
    assert ours == w.grad.item()


@pytest.mark.parametrize(
    ("fn", "w0"),
    [("exp", 0.3), ("log1p", 0.6), ("tanh", 9.2375)],
)
def test_float32_functions_are_torchs(tmp_path: Path, fn: str, w0: float) -> None:
    """NumPy's own float32 exp(0.3) is 1.3498587608337402, torch's 1.3498588800430298 (and
    tanh(9.2375) 0.99999994 against 1.0): computed in float64 and rounded once, as torch."""
    events = _events(tmp_path, f"dtype: float32\nparams: {{w: {w0}}}\nmodel: {{loss: {fn}(w)}}\n")
    value = next(ev["value"] for ev in events if ev["kind"] == "forward")
    grad = next(ev["grads"]["w"] for ev in events if ev["kind"] == "backward_end")
    w = torch.tensor(w0, dtype=torch.float32, requires_grad=True)
    y = getattr(torch, fn)(w)
    y.backward()
    assert (value, grad) == (y.item(), w.grad.item())
