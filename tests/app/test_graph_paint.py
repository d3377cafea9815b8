"""The graph panel repaints what a key changed and no more (issue 11's bound: a key's new
screen in under 16 ms at p99 on lecture4, ``benchmarks/bench_app.py``). A legend of
another height does not lay the whole screen out again; a legend that changes while the
graph stays where it is repaints its own rows, not the panel; a paint reads the panel's
geometry once, not per row. And after every key the panel shows what a whole repaint
would draw (no row left stale)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from app_helpers import scenario
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from stepgrad.app.app import make_app
from stepgrad.app.widgets import GraphView


async def test_a_legend_of_another_height_repaints_only_what_moved() -> None:
    """ex4-5 at 200x60, n through step 0: the legend under the graph has 0 to 4 lines (its
    height changes on several keys), yet the graph panel never asks Textual to lay the
    screen out (each did: about a third of a key's time), the graph stays where it is (it
    moved up a row where a legend appeared: lecture4 at 120x40, issue 11's newcomer; the
    legend has the rows under it, the entries left over are in the inspector), and the
    panel never repaints itself whole: a legend of another height repaints its rows."""
    app = make_app(scenario("ex4-5"), oracle=lambda program: iter(()))
    async with app.run_test(size=(200, 60)) as pilot:
        await app.settle()
        view = app.screen.query_one(GraphView)
        calls: list[tuple[tuple[Region, ...], dict[str, Any]]] = []
        refresh = view.refresh

        def counted(*regions: Region, **kw: Any) -> Any:
            calls.append((regions, kw))
            return refresh(*regions, **kw)

        view.refresh = counted  # type: ignore[method-assign]
        heights = [len(view.legend_rows())]
        margins = [view.margins()]
        whole = []
        for _ in range(len(app.trace.timeline.events_of_step(0))):
            calls.clear()
            await pilot.press("n")
            await pilot.pause()
            heights.append(len(view.legend_rows()))
            margins.append(view.margins())
            assert not [kw for _, kw in calls if kw.get("layout")], heights
            whole.append(any(not regions for regions, _ in calls))
        assert len(set(heights)) >= 3, heights
        changed = [a != b for a, b in itertools.pairwise(heights)]
        assert sum(changed) > 2
        assert set(margins) == {margins[0]} and margins[0][1] > 0
        assert not any(whole)


async def test_a_paint_reads_the_panels_geometry_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Painting lecture4's whole panel (18 rows at 120x40) asks Textual for the panel's
    region a few times (it asked 73 times, four times a row: most of a row's time)."""
    app = make_app(scenario("lecture4"), oracle=lambda program: iter(()))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        await pilot.pause()
        view = app.screen.query_one(GraphView)
        width, height = view.size
        assert height == 18
        region = Widget.scrollable_content_region
        reads = []

        def counted(self: Widget) -> Region:
            if self is view:
                reads.append(1)
            return region.fget(self)  # type: ignore[attr-defined,no-any-return]

        monkeypatch.setattr(Widget, "scrollable_content_region", property(counted))
        view._styles_cache.clear()
        lines = view.render_lines(Region(0, 0, width + 2, height + 2))
        assert len(lines) == height + 2
        assert len(reads) <= 6


def recorded(render_line: Callable[[int], Strip], shown: dict[int, str]) -> Callable[[int], Strip]:
    """``render_line`` that keeps each row's text as Textual last painted it."""

    def painted(y: int) -> Strip:
        strip = render_line(y)
        shown[y] = strip.text
        return strip

    return painted


async def test_what_is_shown_after_each_key_is_a_whole_repaint() -> None:
    """lecture4 and ex4-5 at 120x40 and 80x24, n through step 0 then p back: every row of
    the graph panel as last painted equals the row drawn afresh."""
    for name in ("lecture4", "ex4-5"):
        for size in ((120, 40), (80, 24)):
            app = make_app(scenario(name), oracle=lambda program: iter(()))
            async with app.run_test(size=size) as pilot:
                await app.settle()
                view = app.screen.query_one(GraphView)
                shown: dict[int, str] = {}
                render_line = view.render_line
                view.render_line = recorded(render_line, shown)  # type: ignore[method-assign]
                view.refresh()
                await pilot.pause()
                n = len(app.trace.timeline.events_of_step(0))
                for key in ["n"] * n + ["p"] * n:
                    await pilot.press(key)
                    await pilot.pause()
                    fresh = [render_line(y).text for y in range(view.size.height)]
                    assert [shown[y] for y in range(view.size.height)] == fresh, (name, size, key)
