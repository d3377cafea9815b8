"""The graph's keys (issue 11): Tab / Shift+Tab select nodes, x and Enter act on the
selection; z gives the graph the whole screen and back; h j k l (or Shift+arrows) pan."""

from __future__ import annotations

from app_helpers import scenario

from stepgrad.app.app import make_app
from stepgrad.app.widgets import GraphView, Inspector


def app_of(name: str = "lecture4"):  # type: ignore[no-untyped-def]
    return make_app(scenario(name), oracle=lambda program: iter(()))


async def test_tab_selects_nodes_then_x_and_enter() -> None:
    """At the start (no event, so no node of its own): Tab selects x, then w (reading order:
    layer by layer, top to bottom), Shift+Tab goes back; the selected box is drawn in double
    lines; x puts a breakpoint on it; Enter shows it in the inspector."""
    app = app_of()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        g = app.trace.graph
        view = app.screen.query_one(GraphView)
        await pilot.press("x")
        assert app.message.startswith("no node here: Tab selects one")
        await pilot.press("tab")
        assert app.selected == g.by_name["x"]
        await pilot.press("tab")
        assert app.selected == g.by_name["w"]
        assert "╔ w param ═╗" in "\n".join(view.text_rows())
        await pilot.press("shift+tab", "shift+tab")
        assert app.selected == g.by_name["loss"]  # before the first: the last
        await pilot.press("tab", "tab")
        assert app.selected == g.by_name["w"]
        await pilot.press("x")
        assert app.breakpoints == {g.by_name["w"]}
        assert app.message.startswith("breakpoint on w")
        await pilot.press("enter")
        await pilot.pause()
        assert app.inspecting
        assert app.screen.query_one(Inspector).plain.startswith("node w")


async def test_selecting_a_node_out_of_view_pans_to_it() -> None:
    """ex4-5 at 80x24 is wider than its panel and starts panned left: Shift+Tab selects
    loss (the last node), and the graph pans so that its double-lined box is in view."""
    app = app_of("ex4-5")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.settle()
        await pilot.pause()
        g = app.trace.graph
        view = app.screen.query_one(GraphView)
        assert view.hidden_layers()[1] > 0  # the last layers are out of view on the right
        await pilot.press("shift+tab")
        await pilot.pause()
        assert app.selected == g.by_name["loss"]
        box = view.box_region(g.by_name["loss"])
        assert box is not None
        vw, vh = view.scrollable_content_region.size
        assert box.x >= 0 and box.right <= vw and box.y >= 0 and box.bottom <= vh, (box, vw, vh)
        await pilot.press("n")
        await pilot.pause()
        assert view.hidden_layers()[0] == 0  # the event (the first forward) is back in view


async def test_z_gives_the_graph_the_whole_screen() -> None:
    """lecture4 at 120x40: the graph panel is 70 columns beside the inspector; z: 120
    columns and every row but the status and key lines, the other panels hidden; z again
    gives them back."""
    app = app_of()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        view = app.screen.query_one(GraphView)
        inspector = app.screen.query_one(Inspector)
        assert view.region.width == 70 and inspector.display
        await pilot.press("z")
        await pilot.pause()
        assert (view.region.width, view.region.height) == (120, 38)
        assert not inspector.region.area
        await pilot.press("z")
        await pilot.pause()
        assert view.region.width == 70 and inspector.region.area


async def test_pan_moves_a_graph_larger_than_its_view() -> None:
    """ex4-5 at 80x24 (98 columns in a 76-column view): l scrolls right by a quarter of the
    view (19 columns, to the end: 22 at most), h back; j and k do nothing across. In
    lecture4, whole in its view, panning does nothing."""
    app = app_of("ex4-5")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.settle()
        view = app.screen.query_one(GraphView)
        assert view.scroll_offset == (0, 0)
        await pilot.press("l")
        assert view.scroll_offset.x == 19
        await pilot.press("shift+right")
        assert view.scroll_offset.x == 22
        assert view.hidden_layers()[0] > 0
        await pilot.press("h", "h")
        assert view.scroll_offset.x == 0
        await pilot.press("j")
        assert view.scroll_offset.y == 5
        await pilot.press("shift+up")
        assert view.scroll_offset.y == 0
    app = app_of()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        view = app.screen.query_one(GraphView)
        await pilot.press("l", "j")
        assert view.scroll_offset == (0, 0)
