"""Closed-form gradients: the lecture's formulas, and their values at every step."""

from __future__ import annotations

import numpy as np
import pytest

from stepgrad.engine import Timeline
from stepgrad.manual import iter_step_values, roads_at
from stepgrad.scenario import load, loads
from stepgrad.symbolic import Derivation, closed_forms, compile_formula, derive

# The slides' float64 loop (seed 002): d loss/d w at the first six steps of ex4-3.
SEED_F64 = [-2.0, -7.84, -16.2288, -1.478624, -5.796206079999999, -11.998146585599997]
# The same loop in float32 (lecture4-torch), as torch prints w.grad.
SEED_F32 = [-2.0, -7.840000152587891, -16.228801727294922, -1.478623867034912]


def _derivation(name: str) -> Derivation:
    d = derive(load(name).program.graph)
    assert isinstance(d, Derivation), d
    return d


class TestTheLecturesFormulas:
    def test_lecture4_is_lecture3s_gradient(self):
        """Lecture 3 writes gradient(x, y) = 2 * x * (x * w - y); sympy writes the same."""
        d = _derivation("lecture4")
        assert d.loss == "(w*x - y)**2"
        assert d.texts == {"w": "2*x*(w*x - y)"}

    def test_ex4_3_has_the_same_formula(self):
        assert closed_forms(load("ex4-3").program.graph) == {"w": "2*x*(w*x - y)"}

    def test_ex4_2_bias(self):
        """With y_hat = x*w + b, d loss/d b is 2s = 2*(b + w*x - y) and d loss/d w has the x."""
        d = _derivation("ex4-2")
        assert d.texts == {"w": "2*x*(b + w*x - y)", "b": "2*(b + w*x - y)"}

    def test_ex4_4_quadratic(self):
        """The slides ask for d loss/d w1 = 2x·s and d loss/d w2 = 2x²·s."""
        d = _derivation("ex4-4")
        assert d.texts == {
            "w1": "2*x*(b + w1*x + w2*x**2 - y)",
            "w2": "2*x**2*(b + w1*x + w2*x**2 - y)",
            "b": "2*(b + w1*x + w2*x**2 - y)",
        }

    def test_ex4_4_values_by_hand(self):
        """At x = 2, y = 4, w1 = w2 = 1, b = 0: s = 2, so 8, 16 and 4, on all three roads."""
        sc = load("ex4-4")
        roads = {r.param: r for r in roads_at(Timeline(sc.program), sc, 0)}
        assert {p: float(r.closed_value) for p, r in roads.items()} == {"w1": 8.0, "w2": 16.0, "b": 4.0}
        assert {p: float(r.chain_value) for p, r in roads.items()} == {"w1": 8.0, "w2": 16.0, "b": 4.0}
        assert all(r.closed_ok.status == "equal" for r in roads.values())

    def test_a_half_stays_exact(self):
        """0.5 * s**2 is read as 1/2 * s**2, so its derivative loses the 2: x*(w*x - y)."""
        sc = loads(
            "inputs: {x: 1.0, y: 2.0}\nparams: {w: 1.0}\n"
            "model:\n  s: x * w - y\n  loss: 0.5 * s ** 2\n",
            "half.yaml",
        )
        assert closed_forms(sc.program.graph) == {"w": "x*(w*x - y)"}

    def test_functions_keep_their_names(self):
        """sigmoid stays sigmoid (σ' = σ(1-σ)), not 1/(1+exp(-x)) expanded."""
        sc = loads(
            "inputs: {x: 1.5, y: 0.25}\nparams: {w: 0.5}\n"
            "model:\n  y_hat: sigmoid(x * w)\n  loss: (y_hat - y) ** 2\n",
            "sig.yaml",
        )
        text = closed_forms(sc.program.graph)["w"]  # type: ignore[index]
        assert "sigmoid(w*x)" in text and "exp" not in text


class TestValuesAtEveryStep:
    def test_ex4_3_closed_form_equals_chain_rule_bit_for_bit(self):
        """float64, and the same arithmetic: (2*x)*(w*x - y) against the engine's (2*s)*x.

        Scaling by 2 is exact, so both are 2·(x·s) rounded once: the very same bits, at
        every one of the 30 steps, and the first six are the slides' printout.
        """
        sc = load("ex4-3")
        t = Timeline(sc.program)
        got = []
        for step in range(t.n_steps):
            (road,) = roads_at(t, sc, step)
            assert road.closed_value.dtype == np.float64
            assert road.closed_value == road.chain_value, step
            assert road.closed_ok.status == "equal"
            got.append(float(road.closed_value))
        assert got[:6] == SEED_F64

    def test_lecture3_formula_as_written(self):
        """The formula exactly as lecture 3 writes it, 2 * x * (x * w - y), at every step of ex4-3."""
        t = Timeline(load("ex4-3").program)
        f = compile_formula("2 * x * (x * w - y)", {"x", "y", "w"})
        n = 0
        for sv in iter_step_values(t):
            v, _err = f.evaluate(sv.values, "float64")
            assert v == sv.pass_grads["w"], sv.step
            n += 1
        assert n == 30

    def test_float32_bit_for_bit(self):
        """lecture4-torch runs in float32: the closed form is evaluated in float32 too."""
        sc = load("lecture4-torch")
        t = Timeline(sc.program)
        got = []
        for step in range(4):
            (road,) = roads_at(t, sc, step)
            assert road.closed_value.dtype == np.float32
            assert road.closed_value == road.chain_value
            got.append(float(road.closed_value))
        assert got == SEED_F32

    def test_ex4_5_agrees_within_tolerance(self):
        """ex4-5 sums b + w1*x + w2*x**2 - y in sympy's order, the engine in the model's:
        the values may differ in the last bits, never beyond the float64 tolerance."""
        sc = load("ex4-5")
        t = Timeline(sc.program)
        statuses = set()
        for step in range(t.n_steps):
            for r in roads_at(t, sc, step):
                assert r.closed_ok.ok, (step, r)
                assert r.closed_ok.diff <= 1e-12 * abs(float(r.chain_value)) + 1e-13
                statuses.add(r.closed_ok.status)
        assert "equal" in statuses

    def test_accumulating_gradients(self):
        """no-zero-grad: the closed form is this pass's gradient; w.grad holds the running sum."""
        sc = load("no-zero-grad")
        t = Timeline(sc.program)
        (r0,) = roads_at(t, sc, 0)
        (r1,) = roads_at(t, sc, 1)
        assert float(r0.chain_value) == float(r0.grad_value) == -2.0
        assert r1.closed_value == r1.chain_value
        assert r1.grad_value == r0.grad_value + r1.chain_value

    @pytest.mark.parametrize(
        "body",
        [
            "sigmoid(x * w) * tanh(v * x) + exp(-w) / (1 + v ** 2)",
            "log(1 + abs(x * w - 1)) + sqrt(1 + v * v) * sin(w)",
            "relu(x * w - 0.2) + cos(x * v) ** 3 - v / x",
        ],
    )
    def test_every_function_agrees_with_the_chain_rule(self, body):
        """Models using every function of the language; at each step of a short training
        the closed form (with sigmoid, relu's step, sign, ...) gives the chain rule's number."""
        sc = loads(
            "params: {w: 0.3, v: 0.7}\n"
            "data: {x: [0.5, 1.5, 2.5], y: [1.0, 0.0, 2.0]}\n"
            f"model:\n  a: {body}\n  loss: (a - y) ** 2\n"
            "train: {epochs: 2, lr: 0.05}\n",
            "funcs.yaml",
        )
        d = derive(sc.program.graph)
        assert isinstance(d, Derivation), d
        t = Timeline(sc.program)
        for step in range(t.n_steps):
            for r in roads_at(t, sc, step, derivation=d):
                assert r.closed_ok.ok, (step, r.param, r.closed_form, r.closed_value, r.chain_value)

    def test_relu_at_zero_is_zero(self):
        """At relu's kink the engine and torch take the slope 0; so does the closed form."""
        sc = loads(
            "inputs: {x: 1.0, y: 3.0}\nparams: {w: 1.0}\n"
            "model:\n  h: relu(x * w - 1)\n  loss: (h + x * w - y) ** 2\n",
            "kink.yaml",
        )
        (r,) = roads_at(Timeline(sc.program), sc, 0)
        assert "Heaviside" in r.closed_form
        # s = 0 + 1 - 3 = -2; only the x*w path counts: 2*s*x = -4.
        assert float(r.chain_value) == float(r.closed_value) == -4.0
