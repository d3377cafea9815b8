"""A function of constants is folded to one constant, by the op registry's rule.

``sqrt(2)``, ``log(0.5)``, ``exp(1)``: the value is computed in double, as the lecture's
PyTorch code computes ``math.sqrt(2)`` (``torch.sqrt(2.0)`` refuses a Python number), and
rounded to the scenario's dtype once when the engine (or torch, meeting a Python number)
uses it. In float64 that is ``torch.sqrt(torch.tensor(2.0, dtype=torch.float64))``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from stepgrad.engine.graph import Const
from stepgrad.errors import ScenarioError
from stepgrad.scenario import loads

MODEL = "dtype: {dtype}\nparams: {{w: 1.5}}\nmodel:\n  loss: w * {expr}\n"


def _const(expr: str, dtype: str = "float64") -> Const:
    graph = loads(MODEL.format(dtype=dtype, expr=expr), "fold.yaml").program.graph
    (loss,) = [n for n in graph.nodes if n.name == "loss"]
    assert loss.op == "mul"
    c = loss.args[1]
    assert isinstance(c, Const)
    return c


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("sqrt(2)", math.sqrt(2)),
        ("log(0.5)", math.log(0.5)),
        ("exp(1)", math.exp(1)),
        ("sigmoid(0)", 0.5),
        ("relu(-3)", 0.0),
        ("abs(-2.5)", 2.5),
        ("softplus(0)", math.log(2)),
        ("log1p(1e-20)", 1e-20),
        ("(sqrt(2) * 2)", 2 * math.sqrt(2)),
        ("exp(-sqrt(4))", math.exp(-2)),
    ],
)
def test_function_of_constants_is_folded(expr, value):
    c = _const(expr)
    assert c.value == value
    assert c.text == (expr[1:-1] if expr.startswith("(") else expr)


@pytest.mark.parametrize(
    ("expr", "fn"),
    [("sqrt(2)", "sqrt"), ("log(0.5)", "log"), ("exp(1)", "exp"), ("sin(1)", "sin"), ("exp(0.3)", "exp")],
)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_folded_constant_is_what_the_lectures_torch_code_uses(expr, fn, dtype):
    """The engine's constant is the dtype's rounding of the double value: what torch makes of
    ``w * math.sqrt(2)``, bit for bit. (The double value is the registry's forward rule,
    the engine's own: where NumPy's double tanh and the C library's differ in the last bit,
    tanh(0.7), the constant is the engine's, as a tanh node would compute it.)"""
    torch = pytest.importorskip("torch")
    tdt = torch.float64 if dtype == "float64" else torch.float32
    arg = float(expr[len(fn) + 1 : -1])
    w = torch.tensor(1.5, dtype=tdt)
    theirs = (w * getattr(math, fn)(arg)).item()
    ours = np.dtype(dtype).type(1.5) * np.dtype(dtype).type(_const(expr, dtype).value)
    assert float(ours) == theirs


@pytest.mark.parametrize("expr", ["log(0)", "sqrt(-1)", "exp(1000)", "log(-2)"])
def test_function_of_constants_without_a_finite_value_is_refused(expr):
    with pytest.raises(ScenarioError) as e:
        loads(MODEL.format(dtype="float64", expr=expr), "fold.yaml")
    assert str(e.value).endswith(f"'{expr}' has no finite value")


def test_folded_constant_must_fit_the_dtype():
    with pytest.raises(ScenarioError) as e:
        loads(MODEL.format(dtype="float32", expr="exp(100)"), "fold.yaml")
    assert "does not fit in float32" in str(e.value)
