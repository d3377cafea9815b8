"""Hand derivations (``manual:``): checked at every step, a wrong one caught where it first differs."""

from __future__ import annotations

import pytest

from stepgrad.engine import Timeline
from stepgrad.manual import check_manual, first_manual_disagreement, manual_problems, roads_at
from stepgrad.scenario import load, loads
from stepgrad.symbolic import agree, compile_formula

EX4_3 = """
params: {{w: 1.0}}
data:
  x: [1.0, 2.0, 3.0]
  y: [2.0, 4.0, 6.0]
model:
  y_hat: x * w
  s: y_hat - y
  loss: s ** 2
train: {{epochs: 10, lr: 0.01}}
manual: {{w: "{formula}"}}
"""


def _with_manual(formula: str):
    sc = loads(EX4_3.format(formula=formula), "manual.yaml")
    return Timeline(sc.program), sc


class TestCorrectDerivations:
    def test_lecture3_formula_agrees_at_every_step(self):
        t, sc = _with_manual("2 * x * (x * w - y)")
        (c,) = check_manual(t, sc)
        assert c.ok and c.steps == 30 and c.first is None
        assert c.closed_form == "2*x*(w*x - y)"
        assert first_manual_disagreement(t, sc) is None

    def test_lecture4_words_may_be_used(self):
        """The chain rule written with the graph's own names, 2*s*x: the engine's bits exactly."""
        t, sc = _with_manual("2 * s * x")
        for step in range(t.n_steps):
            (r,) = roads_at(t, sc, step)
            assert r.manual_value == r.chain_value
            assert r.manual_ok.status == "equal"

    def test_expanded_form_survives_cancellation(self):
        """2*x*x*w - 2*x*y is right but cancels: where y_hat is almost y it loses digits the
        factored form keeps (about 5e-8 relative here, y_hat - y being 1e-9 of y). The
        rounding-error bound keeps it from being called wrong."""
        sc = loads(
            "inputs: {x: 1.1, y: 0.77000000077}\nparams: {w: 0.7}\n"
            'model:\n  s: x * w - y\n  loss: s ** 2\nmanual: {w: "2 * x * x * w - 2 * x * y"}\n',
            "cancel.yaml",
        )
        t = Timeline(sc.program)
        (r,) = roads_at(t, sc, 0)
        assert r.manual_value != r.chain_value  # the last digits differ ...
        assert r.manual_ok.ok  # ... within what the arithmetic can promise
        # A relative tolerance alone (1e-12) would have flagged it.
        assert not agree(r.chain_value, r.manual_value, "float64").ok
        assert check_manual(t, sc)[0].ok


class TestWrongDerivations:
    def test_missing_x_caught_at_the_first_step_it_differs(self):
        """2 * (x * w - y) forgets the x. At step 0, x = 1 hides the mistake; step 1
        (x = 2, w = 1.02 after one update) shows it: 2s = -3.92 against 2s·x = -7.84."""
        t, sc = _with_manual("2 * (x * w - y)")
        d = first_manual_disagreement(t, sc)
        assert d is not None
        assert (d.param, d.step, d.epoch, d.sample) == ("w", 1, 0, 1)
        assert float(d.chain_value) == -7.84  # the slides' second gradient
        assert float(d.manual_value) == pytest.approx(-3.92, rel=1e-15)
        assert d.diff == pytest.approx(3.92, rel=1e-15)
        assert d.closed_form == "2*x*(w*x - y)"
        assert float(d.closed_value) == -7.84
        assert t[d.seq].kind == "backward_end" and t[d.seq].step == 1
        msg = d.message()
        assert msg.startswith("manual ∂loss/∂w = 2 * (x * w - y) disagrees at step 1 (epoch 0, sample 1)")
        assert "it gives -3.92" in msg and "the chain rule -7.84" in msg
        assert msg.endswith("the closed form is 2*x*(w*x - y)")

    def test_roads_mark_the_disagreement(self):
        t, sc = _with_manual("2 * (x * w - y)")
        (r0,) = roads_at(t, sc, 0)
        (r1,) = roads_at(t, sc, 1)
        assert r0.manual_ok.ok and float(r0.manual_value) == -2.0
        assert not r1.manual_ok.ok and r1.manual_ok.status == "differs"
        assert r1.closed_ok.ok

    def test_bundled_ex4_4_wrong(self):
        """The bundled scenario: w1's formula is right, w2's forgets x² → x, caught at step 1
        (x = 2) with half the chain rule's gradient; step 0 (x = 1) cannot tell them apart."""
        sc = load("ex4-4-wrong")
        t = Timeline(sc.program)
        w1, w2 = check_manual(t, sc)
        assert (w1.param, w1.ok, w1.steps) == ("w1", True, t.n_steps)
        assert w1.closed_form == "2*x*(b + w1*x + w2*x**2 - y)"
        assert w2.param == "w2" and not w2.ok
        d = w2.first
        assert d is not None and d.step == 1
        assert float(d.manual_value) * 2 == float(d.chain_value)
        assert d.closed_form == "2*x**2*(b + w1*x + w2*x**2 - y)"
        assert first_manual_disagreement(t, sc) == d
        step0 = {r.param: r for r in roads_at(t, sc, 0)}
        assert step0["w2"].manual_ok.status == "equal" and float(step0["w2"].manual_value) == 2.0
        assert step0["b"].manual is None and step0["b"].manual_ok is None

    def test_sign_error_caught_at_step_0(self):
        t, sc = _with_manual("2 * x * (y - x * w)")
        d = first_manual_disagreement(t, sc)
        assert d is not None and d.step == 0
        assert (float(d.manual_value), float(d.chain_value)) == (2.0, -2.0)


class TestFormulasThatCannotBeEvaluated:
    def test_unknown_name_is_refused_when_the_scenario_loads(self):
        from stepgrad.errors import ScenarioError

        with pytest.raises(ScenarioError) as e:
            _with_manual("2 * x * (x * w - yy)")
        assert str(e.value).endswith(": unknown name 'yy'; did you mean 'y'?")
        assert e.value.line is not None and e.value.col is not None

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("2 * x * foo(w)", "only these functions may be called"),
            ("2 * x // w", "only + - * / ** are allowed"),
            ("x.real", "'Attribute' is not allowed"),
            ("2 * x *", "the expression ends with '*'"),
        ],
    )
    def test_not_allowed(self, text, message):
        from stepgrad.symbolic import FormulaError

        with pytest.raises(FormulaError) as e:
            compile_formula(text, {"x", "w"})
        assert e.value.message.startswith(message)

    def test_no_manual_no_checks(self):
        sc = load("ex4-3")
        assert check_manual(Timeline(sc.program), sc) == []
        assert manual_problems(sc) == []


class TestTorchRoad:
    def test_torch_grads_are_compared_with_w_grad(self):
        """The third road: torch's w.grad for Exercise 4-4's numbers, computed here in torch."""
        torch = pytest.importorskip("torch")
        x, y = torch.tensor(2.0, dtype=torch.float64), torch.tensor(4.0, dtype=torch.float64)
        w1, w2, b = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (1.0, 1.0, 0.0))
        loss = (x**2 * w2 + x * w1 + b - y) ** 2
        loss.backward()
        grads = {"w1": w1.grad.item(), "w2": w2.grad.item(), "b": b.grad.item()}
        sc = load("ex4-4")
        roads = roads_at(Timeline(sc.program), sc, 0, torch_grads=grads)
        assert [(r.param, r.torch_value, r.torch_ok.status) for r in roads] == [
            ("w1", 8.0, "equal"),
            ("w2", 16.0, "equal"),
            ("b", 4.0, "equal"),
        ]

    def test_a_torch_disagreement_is_marked(self):
        sc = load("ex4-4")
        roads = roads_at(Timeline(sc.program), sc, 0, torch_grads={"w1": 8.0, "w2": 15.0, "b": None})
        assert [r.torch_ok.status for r in roads] == ["equal", "differs", "missing"]
        assert roads_at(Timeline(sc.program), sc, 0)[0].torch_ok is None
