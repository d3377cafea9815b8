"""softplus and log1p, added to the op registry (engine/ops.py) and nowhere else: replay
computes them as torch does, ``stepgrad check`` agrees with torch, and sympy derives
their closed forms. (The app draws their nodes: tests/app/test_new_op_boxes.py.)"""

from __future__ import annotations

import io
import json
import math
from contextlib import redirect_stdout

import pytest

from stepgrad.cli import main
from stepgrad.oracle import torch_available
from stepgrad.scenario import loads
from stepgrad.symbolic import Derivation, derive

MODEL = """
name: softplus and log1p
dtype: {dtype}
params: {{w: 0.5, v: -0.3}}
data:
  x: [1.0, 2.0, -3.0, 50.0]
  y: [0.5, 1.0, 0.2, 2.0]
model:
  a: softplus(x * w)
  b: log1p(a * v * v)
  loss: (b + a * sqrt(2) * log(0.5) * exp(1) - y) ** 2
train: {{epochs: 2, lr: 0.01}}
"""


def _file(tmp_path, dtype: str = "float64"):
    path = tmp_path / f"softplus-{dtype}.yaml"
    path.write_text(MODEL.format(dtype=dtype), encoding="utf-8")
    return path


def _run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        try:
            code = main(list(args))
        except SystemExit as e:
            code = e.code
    return int(code or 0), out.getvalue()


def _bits(v: float) -> tuple[float, float]:
    return (0.0 if math.isnan(v) else v, 2.0 if math.isnan(v) else math.copysign(1.0, v))


@pytest.mark.skipif(not torch_available(), reason="torch is not installed")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_replay_values_are_torchs(tmp_path, dtype):
    """Every softplus and log1p value replay writes (x*w = 25 takes torch's threshold branch,
    softplus(x) = x above 20) is torch.nn.functional.softplus's and torch.log1p's: bit for
    bit in float64; in float32 within a few ulps, where NumPy's float32 exp and torch's
    differ in their last bits (as for exp itself)."""
    import torch

    code, out = _run("replay", str(_file(tmp_path, dtype)), "--format", "jsonl")
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    tdt = torch.float64 if dtype == "float64" else torch.float32
    fns = {"softplus": torch.nn.functional.softplus, "log1p": torch.log1p}
    seen = set()
    for ev in events:
        if ev["kind"] == "forward" and ev["op"] in fns:
            theirs = fns[ev["op"]](torch.tensor(ev["args"][0], dtype=tdt)).item()
            if dtype == "float64":
                assert _bits(ev["value"]) == _bits(theirs), ev
            else:
                assert ev["value"] == pytest.approx(theirs, rel=4e-7, abs=0), ev
            seen.add((ev["op"], ev["op"] == "softplus" and ev["args"][0] > 20))
    assert seen == {("softplus", False), ("softplus", True), ("log1p", False)}


@pytest.mark.skipif(not torch_available(), reason="torch is not installed")
def test_replay_local_gradients(tmp_path):
    """The local gradients read as the lecture writes them: sigmoid for softplus (1 above
    torch's threshold), 1/(1+x) for log1p."""
    code, out = _run("replay", str(_file(tmp_path)), "--format", "jsonl")
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    local = [e for e in events if e["kind"] == "local_grad" and e["node"] in ("a", "b")]
    assert {e["formula"] for e in local} == {"sigmoid(a₁)", "1/(1+b₂)"}
    forward = {(e["step"], e["node"]): e for e in events if e["kind"] == "forward"}
    for e in local:
        x = forward[(e["step"], e["wrt"])]["value"]
        sigmoid = 1.0 if x > 20 else math.exp(x) / (math.exp(x) + 1)
        want = sigmoid if e["node"] == "a" else 1 / (1 + x)
        assert e["value"] == pytest.approx(want, rel=1e-15)


@pytest.mark.skipif(not torch_available(), reason="torch is not installed")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_check_against_torch_exits_0(tmp_path, dtype):
    """stepgrad check: every value, gradient and update equal or close to torch's, and the
    closed forms agree with the chain rule."""
    code, out = _run("check", str(_file(tmp_path, dtype)))
    assert code == 0, out
    assert "ok: stepgrad and torch agree" in out
    assert " differs" not in out


def test_closed_form_is_derived():
    """sympy writes softplus and log1p as functions of their own, whose derivatives are
    sigmoid and 1/(1 + x); the folded constants stay exact (sqrt(2), E, log(2))."""
    graph = loads(MODEL.format(dtype="float64"), "softplus.yaml").program.graph
    d = derive(graph)
    assert isinstance(d, Derivation), d
    assert d.loss == "(-y + log1p(v**2*softplus(w*x)) - sqrt(2)*E*softplus(w*x)*log(2))**2"
    assert "sigmoid(w*x)" in d.texts["w"] and "softplus(w*x)" in d.texts["v"]
    assert "/(v**2*softplus(w*x) + 1)" in d.texts["v"]
