"""``stepgrad open NAME --keys ...`` prints where the keys led in replay's words for a
step's data (explain.steps.step_unit): ``sample k`` for a scalar lecture, ``batch k`` for a
batched run (lecture8), nothing for a full-batch run whose step is all the rows (lecture7
said ``sample 0``, lecture8 ``sample 0`` for its batch 0)."""

from __future__ import annotations

from typing import Any

from app_helpers import scenario

from stepgrad.app.app import make_app
from stepgrad.app.run import where_it_ended
from stepgrad.app.widgets import StatusBar


async def _ended(name: str, pos: int) -> tuple[str, str]:
    app: Any = make_app(scenario(name), oracle=lambda program: iter(()))
    async with app.run_test(size=(200, 60)) as pilot:
        await app.settle()
        app.go(pos)
        await app.settle()
        await pilot.pause()
        header = app.screen.query_one(StatusBar).plain
        return where_it_ended(app), header


async def test_the_unit_of_a_step() -> None:
    """lecture4 #3: sample 0; lecture8 at its epoch 1 (step 24, batch 0): batch 0; lecture7
    #1: step and epoch, no unit (its one batch is the whole data set); the header agrees."""
    line, header = await _ended("lecture4", 3)
    assert line.startswith("event #3 of 13 · step 0 · sample 0 · local ∂: "), line
    assert "sample 0" in header
    p = scenario("lecture8").program
    at = 24 * (2592 // p.n_steps) + 1
    line, header = await _ended("lecture8", at)
    assert line.startswith(f"event #{at} of 2592 · step 24 · epoch 1 · batch 0 · forward: "), line
    assert "sample" not in line
    assert "batch 0" in header and "sample" not in header
    line, header = await _ended("lecture7", 1)
    assert line.startswith("event #1 of 5400 · step 0 · epoch 0 · forward: h1₂ = "), line
    assert "sample" not in line and "batch" not in line
    assert "sample" not in header and "batch" not in header
