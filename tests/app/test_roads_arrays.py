"""Issue 12, item 13: a tensor lecture has no three roads; no panel takes rows for a note
saying so (it was a 6-row panel titled 'three roads · ∂loss/∂w · step 0' at every step),
r says why in the status line, and the help says it once."""

from __future__ import annotations

from typing import Any

from app_helpers import scenario

from stepgrad.app.app import make_app
from stepgrad.app.screens.help import help_content
from stepgrad.app.widgets import GraphView, RoadsPanel
from stepgrad.app.widgets.roads import ROADS_NONE


def app_of(name: str) -> Any:
    return make_app(scenario(name), oracle=lambda program: iter(()))


async def test_no_roads_panel_on_a_tensor_lecture() -> None:
    """lecture6 at 200x60 (side by side): no roads panel, the graph panel takes the left
    column down to the timeline; r leaves the layout alone and says why."""
    app = app_of("lecture6")
    async with app.run_test(size=(200, 60)) as pilot:
        await app.settle()
        roads = app.screen.query_one(RoadsPanel)
        graph = app.screen.query_one(GraphView)
        assert not roads.display
        assert graph.region.bottom == app.screen.query_one("#left").region.bottom
        await pilot.press("r")
        await pilot.pause()
        assert not roads.display and app.roads_pick is None
        assert app.message == ROADS_NONE
        assert len(ROADS_NONE) <= 70  # whole in an 80-column status line (72 cells left of '#0')


async def test_r_on_a_narrow_tensor_lecture_keeps_the_inspector() -> None:
    """lecture7 at 120x40: r used to replace the inspector and params with the note."""
    app = app_of("lecture7")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        await pilot.press("r")
        await pilot.pause()
        assert not app.screen.query_one(RoadsPanel).display
        assert app.screen.query_one("#inspector").display
        assert app.screen.query_one("#side").display
        assert app.message == ROADS_NONE


async def test_scalar_lectures_keep_their_roads() -> None:
    app = app_of("lecture4")
    async with app.run_test(size=(120, 40)):
        await app.settle()
        assert app.screen.query_one(RoadsPanel).display


def test_help_says_it_once_for_a_tensor_lecture() -> None:
    tensor = " ".join(help_content(88, arrays=True).plain.split())
    scalar = " ".join(help_content(88).plain.split())
    assert "roads none on a tensor lecture, and no panel for them" in tensor
    assert "none on a tensor lecture" not in scalar
    assert "∂loss/∂w three ways" in scalar
