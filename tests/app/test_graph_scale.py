"""The graph on a large terminal, and after zero_grad (issue 11)."""

from __future__ import annotations

from app_helpers import scenario

from stepgrad.app.app import make_app
from stepgrad.app.widgets import GraphView
from stepgrad.app.widgets.graph_boxes import S_NUM, S_STALE


def fill(view: GraphView) -> tuple[float, float]:
    """The drawn graph's bounding box (its layout's columns and rows) over the panel's
    content area, across and down."""
    L = view._layout
    assert L is not None
    vw, vh = view.scrollable_content_region.size
    return L.width / vw, L.height / vh


async def test_lecture_hall_200x60() -> None:
    """lecture4 at 200x60: 4 boxes in a 124x33 panel grow to at least 60% of it both ways
    (wider gaps that hold the labels, taller boxes, more rows between them); at 120x40 it
    had 59x9 cells of a 66x18 panel before it grew."""
    app = make_app(scenario("lecture4"), oracle=lambda program: iter(()))
    async with app.run_test(size=(200, 60)) as pilot:
        await app.settle()
        await pilot.pause()
        view = app.screen.query_one(GraphView)
        across, down = fill(view)
        assert view.scrollable_content_region.size == (124, 33)
        assert across >= 0.6 and down >= 0.6, (across, down)
        L = view._layout
        assert L is not None and L.spacing.pad_rows == 1 and L.spacing.gap >= 20
        assert all(b.height == 6 for b in L.boxes.values())
        assert view.hidden_layers() == (0, 0) and view.hidden_rows() == (0, 0)
        # The boxes grow too, not only the room between them: 12 columns at 80x24 and
        # 120x40, 13-14 here (a blank column more each side of a number).
        assert min(b.width for b in L.boxes.values()) > 12, [b.width for b in L.boxes.values()]


async def test_stale_gradients_after_zero_grad() -> None:
    """lecture4: at #11 (update) y_hat's and s's ∂ -2.0 are this pass's; at #12 w.grad is
    zeroed and theirs are the last pass's: cleared to · (dim), never shown as current,
    with or without strikethrough. w's 0.0 is current."""
    app = make_app(scenario("lecture4"), oracle=lambda program: iter(()))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        view = app.screen.query_one(GraphView)
        g = app.trace.graph
        app.position = 11
        await pilot.pause()
        assert view._views[g.by_name["y_hat"]].grad_style == S_NUM
        app.position = 12
        await pilot.pause()
        for name in ("y_hat", "s", "loss"):
            v = view._views[g.by_name[name]]
            assert v.grad_style == S_STALE and v.grad == "·", name
        assert view._views[g.by_name["w"]].grad == "0.0"
        assert view._views[g.by_name["w"]].grad_style != S_STALE
        text = "\n".join(view.text_rows())
        assert "-2.0" not in text, text
