"""Models too large for symbolic work degrade gracefully, within the bound."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from stepgrad import symbolic
from stepgrad.engine import Timeline
from stepgrad.manual import check_manual, roads_at
from stepgrad.scenario import load, loads
from stepgrad.symbolic import TOO_LARGE, Derivation, TooLarge, closed_forms, derive


def deep_model(layers: int, *, shared: bool = True, manual: str | None = None) -> str:
    """``layers`` nested tanh/sigmoid layers, each with its own weight.

    shared=True multiplies each layer by a function of the previous one (h·σ(h)), so the
    written-out loss doubles in length with every layer; shared=False is a plain chain.
    """
    params = ", ".join(f"w{k}: {0.1 + 0.01 * k}" for k in range(layers))
    lines = ["  h0: tanh(x * w0)"]
    for k in range(1, layers):
        f = "tanh" if k % 2 == 0 else "sigmoid"
        prev = f"h{k - 1}"
        body = f"{f}({prev} * w{k}) * sigmoid({prev})" if shared else f"{f}({prev} * w{k})"
        lines.append(f"  h{k}: {body}")
    lines.append(f"  loss: (h{layers - 1} - y) ** 2")
    text = f"inputs: {{x: 0.5, y: 0.25}}\nparams: {{{params}}}\nmodel:\n" + "\n".join(lines) + "\n"
    if manual:
        text += f'manual: {{w0: "{manual}"}}\n'
    return text


def _sympy_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "stepgrad-sympy" and t.is_alive()]


class TestTooLarge:
    def test_forty_layers_refused_at_once(self):
        """40 nested tanh/sigmoid layers with products: 160 operations, over the bound of
        100; refused before sympy is even asked."""
        sc = loads(deep_model(40), "deep.yaml")
        start = time.perf_counter()
        d = derive(sc.program.graph)
        elapsed = time.perf_counter() - start
        assert isinstance(d, TooLarge)
        assert d.reason == "the model has 160 operations (at most 100)"
        assert str(d).startswith("too large to show symbolically: ")
        assert elapsed < 0.05
        assert closed_forms(sc.program.graph) == d

    def test_exponential_formula_refused_at_once(self):
        """Under a generous node bound, the written-out loss (2^40 terms) is still refused."""
        sc = loads(deep_model(40), "deep.yaml")
        start = time.perf_counter()
        d = derive(sc.program.graph, max_nodes=10_000)
        assert time.perf_counter() - start < 0.05
        assert isinstance(d, TooLarge)
        assert d.reason == "written out as one formula, the loss has more than 400 operations"

    def test_roads_still_show_the_chain_rule_and_the_hand_formula(self):
        """Without a closed form, the chain rule's value and a hand derivation are still
        there, and the note says why the closed form is missing."""
        sc = loads(deep_model(40, manual="0"), "deep.yaml")
        t = Timeline(sc.program)
        roads = roads_at(t, sc, 0)
        assert len(roads) == 40
        r = roads[0]
        assert r.closed_form is None and r.closed_value is None and r.closed_ok is None
        assert r.note.startswith(TOO_LARGE)
        assert r.chain_value is not None and float(r.chain_value) != 0.0
        assert r.manual_value == 0.0 and not r.manual_ok.ok
        (c,) = check_manual(t, sc)
        assert c.first is not None and c.first.step == 0 and c.first.closed_form is None
        assert "closed form" not in c.first.message()

    def test_slow_sympy_is_stopped_at_the_bound(self, monkeypatch):
        """A derivation that would run for a minute: derive returns after the bound with
        a clear reason, remembers it, and the worker thread is stopped, not left running."""
        import sympy  # noqa: F401 - the one-time import is not part of the bound

        def forever(graph):
            end = time.perf_counter() + 60
            while time.perf_counter() < end:
                sum(range(1000))
            raise AssertionError("not stopped")

        monkeypatch.setattr(symbolic.job, "_derive_sympy", forever)
        sc = loads(
            "inputs: {q: 1.0}\nparams: {slow: 1.0}\nmodel:\n  loss: (q * slow) ** 3\n", "slow.yaml"
        )
        start = time.perf_counter()
        d = derive(sc.program.graph, timeout_s=0.3)
        elapsed = time.perf_counter() - start
        assert d == TooLarge("sympy did not finish within 0.3 s")
        assert 0.3 <= elapsed < 0.6
        deadline = time.perf_counter() + 2.0
        while _sympy_threads() and time.perf_counter() < deadline:
            time.sleep(0.01)
        assert _sympy_threads() == []
        start = time.perf_counter()
        assert derive(sc.program.graph, timeout_s=0.3) == d
        assert time.perf_counter() - start < 0.01


class TestWithinTheBound:
    def test_a_chain_of_six_layers_is_derived(self):
        """Six tanh/sigmoid layers in a chain (14 operations): derived well within the
        bound, in the lecture's terms (1 - tanh**2, sigmoid's own name), and equal to the
        chain rule for every weight."""
        sc = loads(deep_model(6, shared=False), "chain6.yaml")
        start = time.perf_counter()
        d = derive(sc.program.graph)
        assert isinstance(d, Derivation)
        assert time.perf_counter() - start < symbolic.TIMEOUT_S
        assert "(1 - tanh(w0*x)**2)" in d.texts["w0"] and "cosh" not in d.texts["w0"]
        for r in roads_at(Timeline(sc.program), sc, 0, derivation=d):
            assert r.closed_ok.ok, (r.param, r.closed_value, r.chain_value)

    def test_a_derivative_too_long_to_read_is_refused(self):
        """Eight layers: ∂loss/∂w0 would be 162 operations long; refused without printing it."""
        sc = loads(deep_model(8, shared=False), "chain8.yaml")
        start = time.perf_counter()
        d = derive(sc.program.graph)
        assert time.perf_counter() - start < 0.5
        assert d == TooLarge("∂loss/∂w0 has 162 operations (at most 120)")


def test_texts_do_not_depend_on_hash_seed():
    """Snapshots depend on the text: other PYTHONHASHSEEDs give the same formulas."""
    chain = deep_model(4, shared=False)
    code = (
        "from stepgrad.scenario import loads, load\n"
        "from stepgrad.symbolic import closed_forms\n"
        "print(closed_forms(load('ex4-4').program.graph))\n"
        f"print(closed_forms(loads({chain!r}, 'c.yaml').program.graph))\n"
    )
    here = (
        f"{closed_forms(load('ex4-4').program.graph)}\n"
        f"{closed_forms(loads(chain, 'c.yaml').program.graph)}\n"
    )
    for seed in ("1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        assert out.stdout == here


def test_importing_loads_neither_sympy_nor_torch_nor_textual():
    """sympy is imported lazily, inside the worker, only when a derivation is asked for."""
    code = (
        "import sys\n"
        "import stepgrad.symbolic, stepgrad.manual\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sympy', 'torch', 'textual', 'rich'})\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.fixture(autouse=True)
def _fresh_cache():
    symbolic.clear_cache()
    yield
    symbolic.clear_cache()


def test_roads_never_block_when_asked_not_to():
    """wait=False: before sympy has answered, the roads carry the chain rule and the hand
    formula at once and say the closed form is still being derived; afterwards it is there."""
    from stepgrad.manual import DERIVING

    sc = loads(
        'inputs: {u: 2.0, t: 1.0}\nparams: {k: 1.0}\nmodel:\n  e: u * k - t\n  loss: e ** 2\n'
        'manual: {k: "2 * e * u"}\n',
        "pending.yaml",
    )
    t = Timeline(sc.program)
    assert symbolic.cached(sc.program.graph) is None
    start = time.perf_counter()
    (r,) = roads_at(t, sc, 0, wait=False)
    assert time.perf_counter() - start < 0.05
    assert (r.closed_form, r.note) == (None, DERIVING)
    assert float(r.chain_value) == 4.0 and r.manual_ok.status == "equal"  # 2·(2·1 − 1)·2
    d = derive(sc.program.graph)
    assert symbolic.cached(sc.program.graph) is d
    (r,) = roads_at(t, sc, 0, wait=False)
    assert (r.closed_form, r.note) == ("2*u*(k*u - t)", None)
