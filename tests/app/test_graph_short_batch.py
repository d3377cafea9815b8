"""lecture8's last batch of an epoch is short (759 rows in batches of 32: step 23 takes 23):
its boxes say its own shapes (newcomer's round 2, item 3: they said 32 rows while the
inspector said 23)."""

from __future__ import annotations

from typing import Any

from app_helpers import scenario

from stepgrad.app.app import make_app
from stepgrad.app.arrays import batch_rows, step_shapes
from stepgrad.app.widgets import GraphView


def test_step_shapes_of_the_short_batch() -> None:
    program = scenario("lecture8").program
    by = program.graph.by_name
    assert [batch_rows(program, s) for s in (0, 22, 23, 24)] == [32, 32, 759 - 23 * 32, 32]
    short = step_shapes(program, 23)
    assert short[by["x"]] == (23, 8)
    assert short[by["h1"]] == (23, 6)
    assert by["W1"] not in short and by["loss"] not in short
    assert step_shapes(program, 0) == {} and step_shapes(program, 24) == {}
    assert step_shapes(scenario("lecture7").program, 0) == {}


def _bottom(view: GraphView, node: int) -> str:
    L = view._layout
    assert L is not None
    b = L.boxes[node]
    return view.text_rows()[b.y + b.height - 1][b.x : b.x + b.width]


async def test_the_boxes_say_the_short_batch_rows() -> None:
    app: Any = make_app(scenario("lecture8"), oracle=lambda program: iter(()))
    async with app.run_test(size=(200, 60)) as pilot:
        await app.settle()
        g = app.trace.graph
        view = app.screen.query_one(GraphView)
        assert "32×6" in _bottom(view, g.by_name["h1"])
        for key in ["g", *"1260", "enter"]:  # event #1260 is in step 23's forward pass
            await pilot.press(key)
        await app.settle()
        assert "23×6" in _bottom(view, g.by_name["h1"])
        assert "23×8" in _bottom(view, g.by_name["x"])
        assert "8×6" in _bottom(view, g.by_name["W1"])
        await pilot.press("home")
        await app.settle()
        assert "32×6" in _bottom(view, g.by_name["h1"])
