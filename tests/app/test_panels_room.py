"""Issue 12, item 8: a graph too wide to sit beside the inspector (lecture7, lecture6 at
120x40) is given the whole width on top; the rows under it go to the inspector and params
AND the timeline when both fit, so a lecturer sees the graph, the event's explanation and
the timeline at once."""

from __future__ import annotations

from typing import Any

from app_helpers import scenario

from stepgrad.app.app import make_app
from stepgrad.app.widgets import GraphView, Inspector, ParamsPanel, TimelineList


def app_of(name: str) -> Any:
    return make_app(scenario(name), oracle=lambda program: iter(()))


async def shown(name: str, size: tuple[int, int], keys: tuple[str, ...] = ()) -> dict[str, Any]:
    app = app_of(name)
    async with app.run_test(size=size) as pilot:
        await app.settle()
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        s = app.screen
        widgets = {
            "graph": s.query_one(GraphView),
            "inspector": s.query_one(Inspector),
            "params": s.query_one(ParamsPanel),
            "timeline": s.query_one(TimelineList),
        }
        out = {k: (w.region if w.display and w.parent.display else None) for k, w in widgets.items()}
        out["graph_rows"] = widgets["graph"].virtual_size.height + 2
        return out


async def test_lecture7_at_200x60_shows_graph_inspector_and_timeline() -> None:
    """lecture7 at 200x60 (22 rows of graph with its nine local gradients' legend at #23):
    the graph whole, the inspector and params under it (at least 12 rows: six params, the
    header and loss, the border and the loss plot), and the timeline under them with at
    least 8 rows, down to the key line (row 58). Before, the timeline was hidden and the
    inspector had ~30 blank rows."""
    r = await shown("lecture7", (200, 60), ("g", "2", "3", "enter"))
    graph, inspector, params, timeline = r["graph"], r["inspector"], r["params"], r["timeline"]
    assert graph is not None and inspector is not None and params is not None
    assert timeline is not None, "the timeline is hidden"
    assert graph.height == r["graph_rows"]
    assert inspector.y == graph.bottom and inspector.height >= 12
    assert timeline.y == inspector.bottom
    assert timeline.height >= 8 and timeline.bottom == 59


async def test_lecture6_at_120x40_shows_the_timeline_too() -> None:
    """lecture6 at 120x40: its 9-row graph is too wide to sit beside the inspector; the 27
    rows under it hold the inspector and params and a timeline of at least 8 rows."""
    r = await shown("lecture6", (120, 40))
    assert r["inspector"] is not None and r["params"] is not None
    assert r["timeline"] is not None and r["timeline"].height >= 8
    assert r["timeline"].y == r["inspector"].bottom and r["timeline"].bottom == 39


async def test_lecture7_at_120x40_t_keeps_the_inspector() -> None:
    """lecture7 at 120x40: the folded graph (25 rows) leaves 13; no timeline at first (the
    inspector and params need them), and t shows it under the inspector, the params giving
    way, so the explanation and the timeline are seen together."""
    r = await shown("lecture7", (120, 40))
    assert r["timeline"] is None and r["params"] is not None
    r = await shown("lecture7", (120, 40), ("t",))
    graph, inspector, timeline = r["graph"], r["inspector"], r["timeline"]
    assert r["params"] is None
    assert inspector is not None and timeline is not None
    assert graph.height == min(r["graph_rows"], 24)
    assert inspector.y == graph.bottom and inspector.height >= 5
    assert timeline.y == inspector.bottom and timeline.height >= 5 and timeline.bottom == 39


async def test_wide_screens_keep_their_arrangement() -> None:
    """lecture5 at 120x40 sits side by side: the timeline below, under the inspector, as before."""
    r = await shown("lecture5", (120, 40))
    assert r["graph"].x == 0 and r["inspector"].x > 0
    assert r["timeline"] is not None and r["timeline"].width == 120
