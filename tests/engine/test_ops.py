"""Each op's local gradient: the formula text a lecture would write, and its value."""

from __future__ import annotations

import math

import pytest

MODEL = """
inputs: {{x: {x}}}
params: {{w: {w}}}
model:
  loss: {expr}
"""

# (expression, w, x, formula of d loss/d w as the event shows it, value by hand)
CASES = [
    ("x * w", 3.0, 2.0, "x", 2.0),
    ("w * x", 3.0, 2.0, "x", 2.0),
    ("w + x", 3.0, 2.0, "1", 1.0),
    ("x - w", 3.0, 2.0, "-1", -1.0),
    ("w / x", 3.0, 2.0, "1/x", 0.5),
    ("x / w", 2.0, 3.0, "-x/w**2", -0.75),
    ("w ** 2", 3.0, 0.0, "2*w", 6.0),
    ("w ** 3", 2.0, 0.0, "3*w**2", 12.0),
    ("-w", 2.0, 0.0, "-1", -1.0),
    ("exp(w)", 0.0, 0.0, "loss", 1.0),
    ("log(w)", 4.0, 0.0, "1/w", 0.25),
    ("sqrt(w)", 4.0, 0.0, "1/(2*loss)", 0.25),
    ("sigmoid(w)", 0.0, 0.0, "loss*(1-loss)", 0.25),
    ("tanh(w)", 0.0, 0.0, "1-loss**2", 1.0),
    ("relu(w)", 2.0, 0.0, "(w > 0)", 1.0),
    ("relu(w)", -2.0, 0.0, "(w > 0)", 0.0),
    ("sin(w)", 0.0, 0.0, "cos(w)", 1.0),
    ("cos(w)", 0.0, 0.0, "-sin(w)", -0.0),
    ("abs(w)", -3.0, 0.0, "sign(w)", -1.0),
    ("x ** w", 3.0, 2.0, "log(x)*loss", math.log(2.0) * 8.0),
]


@pytest.mark.parametrize(("expr", "w", "x", "formula", "value"), CASES)
def test_local_gradient(model_timeline, expr, w, x, formula, value):
    t = model_timeline(MODEL.format(x=x, w=w, expr=expr))
    (local,) = [e for e in t if e.kind == "local_grad"]
    assert local.formula == formula
    assert float(local.value) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize(("expr", "w", "x", "formula", "value"), CASES)
def test_local_gradient_agrees_with_central_difference(model_timeline, expr, w, x, formula, value):
    if expr == "relu(w)" or expr == "abs(w)":
        pytest.skip("kinks")
    h = 1e-6

    def loss_at(wv: float) -> float:
        t = model_timeline(MODEL.format(x=x, w=wv, expr=expr))
        return float(next(e for e in t if e.kind == "forward" and e.node == "loss").value)

    numeric = (loss_at(w + h) - loss_at(w - h)) / (2 * h)
    assert numeric == pytest.approx(value, rel=1e-6, abs=1e-8)
