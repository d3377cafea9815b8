"""The three roads panel: closed form, chain rule and torch for one param, in the app."""

from __future__ import annotations

import subprocess
import sys
import threading

from stepgrad import symbolic
from stepgrad.app.app import StepgradApp
from stepgrad.app.widgets import RoadsPanel
from stepgrad.app.widgets.roads import DERIVING

SIZE = (120, 40)
WIDE = (200, 50)
"""ex4-4's graph needs the whole width at 120x40 (the panels fold as on a narrow screen);
from about 175 columns it sits beside the inspector with the roads under it."""


def roads(app: StepgradApp) -> str:
    return app.screen.query_one(RoadsPanel).plain


async def press(pilot, *keys: str) -> None:  # type: ignore[no-untyped-def]
    for k in keys:
        await pilot.press(k)
    await pilot.app.settle()
    await pilot.pause()


class TestRoads:
    async def test_ex4_4_all_three_agree_for_every_param(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """ex4-4 (x = 2, y = 4, w1 = w2 = 1, b = 0; by hand ∂loss/∂w1 = 8, ∂w2 16, ∂b 4):
        after b, each param's closed form, chain rule and torch give the same number."""
        app = app_of("ex4-4")
        async with app.run_test(size=WIDE) as pilot:
            await press(pilot, "b")
            want = {
                "w1": ("2*x*(b + w1*x + w2*x**2 - y)", "8.0"),
                "w2": ("2*x**2*(b + w1*x + w2*x**2 - y)", "16.0"),
                "b": ("2*(b + w1*x + w2*x**2 - y)", "4.0"),
            }
            for name, (form, value) in want.items():
                text = roads(app)
                assert f"∂loss/∂{name} = {form}" in text
                assert f"chain rule   {value}" in text
                assert f"closed form  {value}" in text and "✓ equal" in text
                assert f"torch        {value}" in text
                assert "✗" not in text
                await press(pilot, "r")
            # After the last param, r hands the choice back to the app.
            assert app.roads_pick is None

    async def test_numbers_wait_for_the_param_s_last_chain_rule_product(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """ex4-4's backward pass completes ∂loss/∂w1 at #22 (4.0 × 2.0 = 8.0), ∂loss/∂w2 at
        #23, and ends at #24. At #21 the formula is shown, the numbers are ·, and the panel
        says where they appear; at #22 w1's three roads are known and w2's still wait."""
        app = app_of("ex4-4")
        async with app.run_test(size=WIDE) as pilot:
            await press(pilot, "g", "2", "1", "enter")
            text = roads(app)
            assert "∂loss/∂w1 = 2*x*(b + w1*x + w2*x**2 - y)" in text
            assert "8.0" not in text
            assert "chain rule   ·" in text and "numbers at #22 (∂loss/∂w1 complete)" in text
            await press(pilot, "n")
            text = roads(app)
            assert "chain rule   8.0" in text and "closed form  8.0" in text and "torch        8.0" in text
            assert "w2 ·" in text
            await press(pilot, "r")
            text = roads(app)
            assert "∂loss/∂w2 =" in text and "numbers at #23 (∂loss/∂w2 complete)" in text
            await press(pilot, "n")
            assert "chain rule   16.0" in roads(app)

    async def test_lecture4_w_at_the_video_s_chain_rule_step(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """At #9 (∂loss/∂w = (-2.0) × 1.0) the three roads give -2.0, as the params panel does."""
        app = app_of("lecture4")
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "g", "8", "enter")
            assert "numbers at #9 (∂loss/∂w complete)" in roads(app)
            await press(pilot, "n")
            text = roads(app)
            assert "chain rule   -2.0" in text and "closed form  -2.0" in text and "torch        -2.0" in text

    async def test_no_zero_grad_says_what_each_mark_compares(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """no-zero-grad, step 1's backward_end (#24): this pass's ∂loss/∂w is -7.84, w.grad
        holds -2.0 + (-7.84) = -9.84; torch's ✓ stands beside -9.84 and says it is compared
        with w.grad, on a row of its own, not with the chain rule's -7.84."""
        app = app_of("no-zero-grad")
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "g", "2", "4", "enter")
            text = roads(app).splitlines()
            assert "chain rule   -7.840000152587891  this backward pass" in text
            assert "closed form  -7.840000152587891  ✓ equal  vs chain rule" in text
            assert "w.grad       -9.84000015258789  every pass so far (no zero_grad)" in text
            assert "torch        -9.84000015258789   ✓ equal  w.grad vs w.grad above" in text

    async def test_wrong_hand_formula_is_caught_at_step_1(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """ex4-4-wrong: at step 0 (x = 1) the wrong w2 formula still gives 2; at step 1 (x = 2) it
        gives 11.44 where the chain rule gives 22.88: ✗, with the correct closed form; w jumps
        there from the start."""
        app = app_of("ex4-4-wrong")
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "b")
            assert "✗" not in roads(app)
            await press(pilot, "home", "w")
            assert app.position == 55  # step 1's backward_end
            text = roads(app)
            assert "∂loss/∂w2 = 2*x**2*(b + w1*x + w2*x**2 - y)" in text
            assert "by hand      11.439999999999998  ✗ differs by 11.44" in text
            assert "chain rule   22.879999999999995" in text
            assert "goes wrong first here, at step 1" in text

    async def test_deriving_then_filled_in(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """While sympy works (a deriver held on a gate) the app steps and the panel says
        deriving…; chain rule and torch are shown meanwhile; the closed form arrives after."""
        symbolic.clear_cache()  # nothing derived before: the panel must wait for the worker
        gate = threading.Event()

        def slow(graph):  # type: ignore[no-untyped-def]
            gate.wait(10)
            return symbolic.derive(graph)

        from app_helpers import mirror, scenario

        from stepgrad.app.app import make_app

        app = make_app(scenario("ex4-4"), oracle=mirror, deriver=slow)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("n", "n", "b")
            await pilot.pause()
            assert app.position == 24
            text = roads(app)
            assert f"∂loss/∂w1 = {DERIVING}" in text
            assert "chain rule   8.0" in text
            assert "closed form  —" in text
            gate.set()
            # The roads worker only: torch's waits for the next step to be wanted.
            await app.workers.wait_for_complete([w for w in app.workers if w.group == "roads"])
            await pilot.pause()
            text = roads(app)
            assert DERIVING not in text
            assert "closed form  8.0     ✓ equal" in text

    async def test_too_large_degrades(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """A model sympy will not take: the panel says so; chain rule and torch still agree."""
        from app_helpers import mirror, scenario

        from stepgrad.app.app import make_app

        def refuse(graph):  # type: ignore[no-untyped-def]
            return symbolic.TooLarge("the model has 243 operations (at most 100)")

        app = make_app(scenario("ex4-4"), oracle=mirror, deriver=refuse)
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "b")
            text = roads(app)
            assert "too large to show symbolically" in text
            assert "chain rule   8.0" in text and "torch        8.0" in text and "✓ equal" in text

    async def test_narrow_r_shows_and_folds_the_panel(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """At 80×24 the panel is folded; r shows it (w1, w2, b in turn) and the last r folds it."""
        app = app_of("ex4-4")
        async with app.run_test(size=(80, 24)) as pilot:
            await press(pilot, "b")
            panel = app.screen.query_one(RoadsPanel)
            assert not panel.display
            for name in ("w1", "w2", "b"):
                await press(pilot, "r")
                assert panel.display and panel.region.height > 0
                assert f"∂loss/∂{name} = " in roads(app)
            await press(pilot, "r")
            assert not panel.display
            # Esc folds it at once, from any param.
            await press(pilot, "r", "r", "escape")
            assert not panel.display and app.roads_pick is None


def test_the_app_opens_and_steps_before_sympy_is_imported() -> None:
    """With the worker held back, the app draws its first frame and steps three events
    without loading sympy (or even stepgrad.symbolic)."""
    code = """
import asyncio, sys, threading
from stepgrad.scenario import load
from stepgrad.app.app import make_app
gate = threading.Event()
def held(graph):
    gate.wait(10)
    from stepgrad.symbolic import derive
    return derive(graph)
async def main():
    app = make_app(load("ex4-4"), oracle=lambda program: iter(()), deriver=held)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n", "n", "n")
        await pilot.pause()
        print(app.position, "sympy" in sys.modules, "stepgrad.symbolic" in sys.modules)
        gate.set()
asyncio.run(main())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["2", "False", "False"]
