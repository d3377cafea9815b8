"""Every key that acts answers in the status line, and its answer replaces the last key's
(issue 11, a newcomer's findings): Tab after x, z, and h j k l where the graph fits."""

from __future__ import annotations

from app_helpers import scenario

from stepgrad.app.app import StepgradApp, make_app
from stepgrad.app.status_model import pan_message
from stepgrad.app.widgets import GraphView, StatusBar


def app_of(name: str = "lecture4") -> StepgradApp:
    return make_app(scenario(name), oracle=lambda program: iter(()))


def status(app: StepgradApp) -> str:
    """The status line as drawn."""
    return app.screen.query_one(StatusBar).render_line(0).text


async def test_tab_replaces_the_message_of_x() -> None:
    """A fresh stepgrad at 120x40: x says no node here; Tab selects x (double lines) and the
    header says so and what x and Enter do, no longer 'no node here' (it stayed until Enter);
    Shift+Tab names the node it selects; Enter inspects it and clears the message."""
    app = app_of()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        await pilot.press("x")
        await pilot.pause()
        assert "no node here" in status(app)
        await pilot.press("tab")
        await pilot.pause()
        assert app.selected == app.trace.graph.by_name["x"]
        assert "no node here" not in status(app)
        assert "x selected: x toggles its breakpoint, Enter inspects it" in status(app)
        await pilot.press("shift+tab")
        await pilot.pause()
        assert "loss selected: x toggles" in status(app)
        await pilot.press("enter")
        await pilot.pause()
        assert app.inspecting and app.message == ""
        assert "selected" not in status(app)


async def test_enter_with_nothing_selected_says_how() -> None:
    """Enter before any node is selected did nothing: it says Tab selects one."""
    app = app_of()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        await pilot.press("enter")
        await pilot.pause()
        assert "Enter inspects the selected node: Tab selects one" in status(app)
        assert not app.inspecting


async def test_pan_keys_say_the_graph_fits() -> None:
    """lecture4 at 120x40 is whole in its panel: h j k l and Shift+arrows said nothing; now
    'the graph fits: nothing to pan'. A move clears it."""
    app = app_of()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        view = app.screen.query_one(GraphView)
        for key in ("h", "j", "k", "l", "shift+right"):
            app.message = ""
            await pilot.press(key)
            await pilot.pause()
            assert view.scroll_offset == (0, 0)
            assert "the graph fits: nothing to pan" in status(app), key
        await pilot.press("n")
        await pilot.pause()
        assert "nothing to pan" not in status(app)


async def test_pan_keys_in_a_graph_wider_than_its_view() -> None:
    """ex4-5 at 80x24 (wider and taller than its view): l pans and says nothing (a stale message
    goes); at the right edge, l says so; j k pan; h at the left edge says so."""
    app = app_of("ex4-5")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.settle()
        view = app.screen.query_one(GraphView)
        await pilot.press("x")  # an answer to clear: no node at the start
        await pilot.press("l")
        await pilot.pause()
        assert view.scroll_offset.x == 19 and app.message == ""
        await pilot.press("l", "l")
        await pilot.pause()
        assert view.scroll_offset.x == 22
        assert "at the graph's right edge: nothing more that way" in status(app)
        await pilot.press("h", "h")
        assert view.scroll_offset.x == 0 and app.message == ""
        await pilot.press("h")
        await pilot.pause()
        assert "left edge" in status(app)


def test_pan_message_says_which_way_fits() -> None:
    """Fitting one way only: the keys of the other way are named."""
    assert pan_message(1, 0, True, (0, 0)) == ""
    assert pan_message(1, 0, False, (0, 0)) == "the graph fits: nothing to pan"
    assert pan_message(-1, 0, False, (0, 5)).startswith("the graph fits from left to right")
    assert pan_message(0, 1, False, (9, 0)).endswith("(h l pan left and right)")
    assert pan_message(0, -1, False, (9, 5)) == "at the graph's top: nothing more that way"


async def test_z_says_what_it_did_and_how_back() -> None:
    """z replaces the last key's message with what it did and how to undo it; z again clears."""
    app = app_of()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        await pilot.press("x")
        await pilot.press("z")
        await pilot.pause()
        assert "the graph on the whole screen: z gives the panels back" in status(app)
        await pilot.press("z")
        await pilot.pause()
        assert app.message == ""
        assert "whole screen" not in status(app)


async def test_space_clears_the_last_message() -> None:
    """Play starts: the last key's answer (x's 'no node here') goes at once, not one tick later."""
    app = app_of()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        await pilot.press("x", "space")
        await pilot.pause()
        assert "no node here" not in status(app)
        await pilot.press("space")
