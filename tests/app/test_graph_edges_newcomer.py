"""lecture4's edges as issue 11 asks, at the size it names (a newcomer's findings on the
main of 08caca1): at 120x40 the chain event's product is written on its edge (it was a
mark ① with a footnote), a local gradient of 1 reads ``= 1`` (``①1`` read as 11), a
chain event lights the path from the loss (one edge was lit), a label keeps a blank cell
from its wire (``┃(-2.0) × 1.0 = -2.0``), and the graph stays still from event to event
(it jumped a row where a legend line appeared). Read from the rendered rows."""

from __future__ import annotations

import re
from typing import Any

import pytest
from app_helpers import scenario
from textual.color import Color

from stepgrad.app import layout as lay
from stepgrad.app.app import make_app
from stepgrad.app.theme import contrast
from stepgrad.app.widgets import GraphView
from stepgrad.app.widgets.graph_boxes import PHASES, S_PHASE
from stepgrad.app.widgets.graph_labels import MARKS

SIZES = [(80, 24), (120, 40), (200, 60)]
BACKWARD = S_PHASE + PHASES.index("backward")


def _app(name: str = "lecture4", **kw: Any) -> Any:
    return make_app(scenario(name), oracle=lambda program: iter(()), **kw)


async def _at(app: Any, pilot: Any, pos: int) -> GraphView:
    app.go(pos)
    await app.settle()
    await pilot.pause()
    return app.screen.query_one(GraphView)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_product_is_written_on_its_edge(size: tuple[int, int]) -> None:
    """lecture4 #7 (∂loss/∂s) and #8 (∂loss/∂y_hat): the product arriving is written on
    its own edge, between the two boxes, on the row over or under the wire (at least
    ``= -2.0``), never a mark, with no legend line; at 120x40 it was ``◀━①━━━`` and a
    footnote ``① 1.0 × (-2.0) = -2.0``."""
    app = _app()
    async with app.run_test(size=size) as pilot:
        await app.settle()
        g = app.trace.graph
        for pos, consumer, source in ((7, "loss", "s"), (8, "s", "y_hat")):
            view = await _at(app, pilot, pos)
            L = view._layout
            assert L is not None
            edge = (g.by_name[consumer], 0)
            [(x0, y, text)] = view.label_spans[edge]
            assert text in ("= -2.0", "1.0 × (-2.0) = -2.0", "(-2.0) × 1.0 = -2.0"), (pos, text)
            rows = view.text_rows()
            assert rows[y][x0 : x0 + len(text)] == text
            left, right = L.boxes[g.by_name[source]], L.boxes[g.by_name[consumer]]
            assert left.x + left.width < x0 and x0 + len(text) < right.x, (pos, x0)
            wire_row = L.wires[edge].cells[0][1]
            assert abs(y - wire_row) == 1
            assert view.legend == [] and view.overflow == [], (pos, view.legend)
            assert not any(m in "".join(rows) for m in MARKS), pos


@pytest.mark.parametrize("zoom", [False, True], ids=["panel", "z"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_local_gradient_of_one_reads_as_such(size: tuple[int, int], zoom: bool) -> None:
    """lecture4 #4 (local ∂s/∂y_hat = 1): the edge y_hat → s says ``= 1`` (or the whole
    ``local ∂s/∂y_hat = 1``), never ``①1``, at every size, with z too (18 free cells
    there, and it still showed ①1)."""
    app = _app()
    async with app.run_test(size=size) as pilot:
        await app.settle()
        if zoom:
            await pilot.press("z")
            await pilot.pause()
        view = await _at(app, pilot, 4)
        edge = (app.trace.graph.by_name["s"], 0)
        [(_, _, text)] = view.label_spans[edge]
        assert text in ("= 1", "local ∂s/∂y_hat = 1"), text
        assert view.legend == []


@pytest.mark.parametrize("name", ["lecture4", "ex4-2", "ex4-5"])
async def test_no_mark_is_glued_to_a_digit(name: str) -> None:
    """Every event of step 0 at 80x24, 120x40 and 200x60: a mark on an edge is never
    followed by a digit (``①1``, ``③1``, ``②1`` in ex4-2: read as 11, 31, 21)."""
    glued = re.compile(f"[{MARKS}][0-9]")
    app = _app(name)
    for size in SIZES:
        async with app.run_test(size=size) as pilot:
            await app.settle()
            for pos in range(len(app.trace.timeline.events_of_step(0))):
                view = await _at(app, pilot, pos)
                text = "\n".join(view.text_rows())
                assert not glued.search(text), (name, size, pos)
        app = _app(name)


async def test_the_chain_event_lights_the_path() -> None:
    """lecture4 #9 (∂loss/∂w = ∂loss/∂y_hat · local ∂y_hat/∂w): loss → s and s → y_hat,
    the edges the chain rule has multiplied through, are drawn in the backward colour in
    thin lines (no ▶ on them: the gradient flows back), and w ← y_hat, the current edge,
    in heavy lines with its ◀; at #7 only its own edge; at #10 (backward_end) none."""
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        g = app.trace.graph
        by = g.by_name
        view = await _at(app, pilot, 9)
        L = view._layout
        assert L is not None
        path = ((by["loss"], 0), (by["s"], 0))
        assert view.path == path
        rows = view.text_rows()
        for key in path:
            for x, y, _ in L.wires[key].cells:
                assert view._hot[(x, y)][1] == BACKWARD, (key, x, y)
                assert rows[y][x] in "─│┌┐└┘├┤┬┴┼", (key, rows[y][x])
        current = L.wires[(by["y_hat"], 1)]
        assert all(rows[y][x] in "━┃┏┓┗┛◀" for x, y, _ in current.cells)
        # Every other wire as drawn without the event: not in the backward colour.
        others = {(x, y) for k, w in L.wires.items() if k not in (*path, current.edge) for x, y, _ in w.cells}
        shared = {(x, y) for k in (*path, current.edge) for x, y, _ in L.wires[k].cells}
        assert all(view._hot.get(c, ("", -1))[1] != BACKWARD for c in others - shared)
        view = await _at(app, pilot, 7)
        assert view.path == ()
        view = await _at(app, pilot, 10)
        assert view.path == ()


@pytest.mark.parametrize("theme", ["textual-light", "solarized-light"])
async def test_the_lit_path_reads_on_a_light_theme(theme: str) -> None:
    """The path's colour (the backward phase's) has text contrast (4.5:1) with a light
    theme's background, as the current edge's has."""
    app = _app(theme=theme)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        view = await _at(app, pilot, 9)
        assert view.path
        style = view._styles[BACKWARD]
        assert style.color is not None
        got = contrast(Color.from_rich_color(style.color), app.screen.styles.background)
        assert got >= 4.5, got


@pytest.mark.parametrize("name", ["lecture4", "ex4-5"])
async def test_a_label_keeps_a_blank_cell_from_a_wire(name: str) -> None:
    """Every event of step 0 at 80x24, 120x40 and 200x60: no label on a row touches a
    wire's cell at either end (``┃(-2.0) × 1.0 = -2.0`` at lecture4 #9 80x24,
    ``┃2.0 × 1.0 = 2.0`` at ex4-5 120x40); a label on a wire's own run is the one
    exception (it is written on it, a wire cell each side)."""
    for size in SIZES:
        app = _app(name)
        async with app.run_test(size=size) as pilot:
            await app.settle()
            for pos in range(len(app.trace.timeline.events_of_step(0))):
                view = await _at(app, pilot, pos)
                L = view._layout
                assert L is not None
                for spans in view.label_spans.values():
                    for x0, y, text in spans:
                        if len(text) == 1 or (x0, y) in L.masks:
                            continue  # a mark, or a text on a wire's run
                        for c in ((x0 - 1, y), (x0 + len(text), y)):
                            assert c not in L.masks, (name, size, pos, text, c)
        if name == "lecture4":
            async with _app().run_test(size=(80, 24)) as pilot:
                await pilot.app.settle()
                view = await _at(pilot.app, pilot, 9)
                assert "┃ = -2.0" in "\n".join(view.text_rows())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_graph_stays_still(size: tuple[int, int]) -> None:
    """lecture4, every event of step 0: each box is on the same cells of the screen (it
    moved up a row at 120x40 from #3 to #4, where a legend line appeared)."""
    app = _app()
    async with app.run_test(size=size) as pilot:
        await app.settle()
        seen = set()
        for pos in range(len(app.trace.timeline.events_of_step(0))):
            view = await _at(app, pilot, pos)
            seen.add(tuple(view.box_region(n) for n in sorted(view._layout.boxes)))  # type: ignore[union-attr]
        assert len(seen) == 1, seen


def test_label_gaps_of_lecture4() -> None:
    """The room the sizing reserves: between y_hat and s, and s and loss (straight wires
    from a node with a gradient), ``= -2.0`` and a blank column each side; none between
    x / w and y_hat (x has no gradient; w's wire turns, its label goes beside it)."""
    app = _app()
    view = GraphView(app.trace)
    per = {i: (4, 4) for i in range(len(app.trace.graph.nodes))}
    assert view.label_gaps(per) == (0, 8, 8)
    assert lay.gap_width(view._frame, 1, lay.Spacing(extra=(0, 4, 4))) == 8
