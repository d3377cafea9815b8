"""Every bundled scenario's graph whole on the screen (issue 11): at 120x40 every one, at
80x24 lecture4, ex4-1, ex4-2 and ex4-3, at every event of step 0, some later steps and
the end. "Whole": every node's box lies inside the graph panel's view, nothing is counted
out of view in the panel's title or under it.
"""

from __future__ import annotations

import pytest
from app_helpers import scenario

from stepgrad.app.app import StepgradApp, make_app
from stepgrad.app.trace import START
from stepgrad.app.widgets import GraphView
from stepgrad.app.widgets.graph_sizing import compact
from stepgrad.scenario.bundled import bundled


def hidden_nodes(view: GraphView) -> list[str]:
    """Names of the nodes whose box is not wholly inside the view."""
    vw, vh = view.scrollable_content_region.size
    g = view.trace.graph
    out = []
    for n in g.nodes:
        r = view.box_region(n.id)
        if r is None or r.x < 0 or r.y < 0 or r.right > vw or r.bottom > vh:
            out.append(n.name)
    return out


def positions(app: StepgradApp) -> list[int]:
    """Start, every event of step 0, the first event of a few later steps, the end."""
    trace = app.trace
    plan = trace.plan
    out = [START, *plan.step_range(0)]
    n = plan.n_steps
    for step in sorted({1, n // 2, n - 1} - {0}):
        if 0 < step < n:
            r = plan.step_range(step)
            out += [r[0], r[len(r) // 2], r[-1]]
    out.append(trace.length - 1)
    return out


async def check_whole(name: str, size: tuple[int, int]) -> list[str]:
    app = make_app(scenario(name), oracle=lambda program: iter(()))
    bad: list[str] = []
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await app.settle()
        await pilot.pause()
        view = app.screen.query_one(GraphView)
        for pos in positions(app):
            app.position = pos
            await pilot.pause()
            hidden = hidden_nodes(view)
            if hidden or view.hidden_layers() != (0, 0) or view.hidden_rows() != (0, 0):
                bad.append(f"#{pos}: {hidden} {view.hidden_layers()} {view.hidden_rows()}")
            # The subtitle may hold the legend of the edge labels, never "more".
            if "more" in str(view.border_title) or "more" in str(view.border_subtitle):
                bad.append(f"#{pos}: {view.border_title} / {view.border_subtitle}")
    return bad


@pytest.mark.parametrize("name", sorted(bundled()))
async def test_whole_at_120x40(name: str) -> None:
    assert await check_whole(name, (120, 40)) == []


@pytest.mark.parametrize("name", ["lecture4", "ex4-1", "ex4-2", "ex4-3"])
async def test_whole_at_80x24(name: str) -> None:
    assert await check_whole(name, (80, 24)) == []


def test_compact_numbers() -> None:
    """Rounded to the digits that fit; a number that fits, and nan, stay as they are."""
    assert compact("0.2806168405841364", 6) == "0.2806"
    assert compact("-5.796206079999999", 6) == "-5.796"
    assert compact("-5.796206079999999", 8) == "-5.79621"
    assert compact("3.8415999999999997", 7) == "3.8416"
    assert compact("22.879999999999995", 6) == "22.88"
    assert compact("-0.0000001", 6) == "-1e-07"
    assert compact("1.0", 6) == "1.0"
    assert compact("-26.957825", 8) == "-26.9578"
    assert compact("2.4576547405302974e-05", 8) == "2.46e-05"
    assert compact("123456789.125", 8) == "1.23e+08"
    assert compact("nan", 2) == "nan"
    assert compact("·", 1) == "·"
