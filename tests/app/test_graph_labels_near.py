"""Every label on the graph's edges sits on or right beside its own edge (issue 12: a
newcomer at lecture7 #24, 120x40, could not tell which edge a label was for: the label of
W2 → h2₁, 'local ∂h2₁/∂W2: h1ᵀ · upstream', ended beside its wire but started under h1's
box, four cells from b1's wire; ten of the fifteen labels waiting were not drawn at all)."""

from __future__ import annotations

from typing import Any

import pytest
from app_helpers import scenario

from stepgrad.app import layout as lay
from stepgrad.app.app import make_app
from stepgrad.app.widgets import GraphView, Inspector
from stepgrad.app.widgets.graph_labels import MARKS

Cell = tuple[int, int]


def _dist(a: Cell, cells: set[Cell]) -> int:
    return min((max(abs(a[0] - x), abs(a[1] - y)) for x, y in cells), default=10**6)


def far_labels(view: GraphView) -> list[str]:
    """What is wrong with the labels as drawn, read from the rendered rows: a label not
    drawn where it says, more than one blank cell from its own wire, another edge's wire
    as near as its own, or starting nearer another edge's wire than its own (its row and
    the rows next to it)."""
    L = view._layout
    assert L is not None
    rows = view.text_rows()
    wires: dict[Cell, set[lay.EdgeKey]] = {}
    for key, w in L.wires.items():
        for x, y, _ in w.cells:
            wires.setdefault((x, y), set()).add(key)
        wires.setdefault(w.arrow, set()).add(key)
    wrong = []
    for edge, spans in view.label_spans.items():
        own = {c for c, keys in wires.items() if edge in keys}
        other = {c for c, keys in wires.items() if edge not in keys}
        cells = set()
        for x0, y, text in spans:
            drawn = rows[y][x0 : x0 + len(text)]
            if drawn != text:
                wrong.append(f"{text!r} at ({x0}, {y}) reads {drawn!r}")
            cells |= {(x0 + k, y) for k in range(len(text))}
        d_own = min(_dist(c, own) for c in cells)
        d_other = min(_dist(c, other) for c in cells)
        name = " / ".join(t for _, _, t in spans)
        if d_own > 2:
            wrong.append(f"{name!r} is {d_own} cells from its wire")
        if d_other <= d_own:
            wrong.append(f"{name!r} is as near another wire ({d_other}) as its own ({d_own})")
        for x0, y, _ in spans:
            start = _dist((x0, y), own)
            near = {(x, yy) for x, yy in other if abs(yy - y) <= 1 and abs(x - x0) < start}
            if near:
                wrong.append(f"{name!r} starts {start} cells from its wire, nearer {sorted(near)[:2]}")
    return wrong


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", ["lecture7", "lecture9", "lecture4", "ex4-5"])
async def test_every_label_sits_by_its_own_edge(name: str, size: tuple[int, int]) -> None:
    """Every event of step 0: each label waiting on an edge, or arriving at a chain event,
    is drawn (a text or a mark) on or beside its own wire and nearer it than any other;
    a mark whose legend entry has no room under the graph is in the inspector's lines."""
    app: Any = make_app(scenario(name), oracle=lambda program: iter(()))
    async with app.run_test(size=size) as pilot:
        await app.settle()
        view = app.screen.query_one(GraphView)
        n = len(app.trace.timeline.events_of_step(0))
        for pos in range(n):
            app.go(pos)
            await app.settle()
            await pilot.pause()
            assert far_labels(view) == [], (name, size, pos)
            labels = view.edge_labels
            if len(labels) <= len(MARKS):
                missing = [lab.forms[0] for lab in labels if lab.edge not in view.label_spans]
                assert missing == [], (name, size, pos)
            inspector = app.screen.query_one(Inspector).plain.splitlines()
            assert all(entry in inspector for entry in view.overflow), (name, size, pos)


async def test_lecture7_at_24_in_120x40() -> None:
    """The newcomer's screen: lecture7 #24 (local ∂h1₁/∂W1) at 120x40. All fifteen local
    gradients waiting are on their edges: W1's and W2's rules beside their own wires, under
    their own consumers (xᵀ · upstream, h1ᵀ · upstream), never under h1's box."""
    app: Any = make_app(scenario("lecture7"), oracle=lambda program: iter(()))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        app.go(24)
        await app.settle()
        await pilot.pause()
        view = app.screen.query_one(GraphView)
        L = view._layout
        assert L is not None
        g = app.trace.graph
        assert len(view.edge_labels) == 15 and len(view.label_spans) == 15
        for consumer, param, text in (("h1₁", "W1", "xᵀ · upstream"), ("h2₁", "W2", "h1ᵀ · upstream")):
            edge = (g.by_name[consumer], 1)
            assert L.wires[edge].source == g.by_name[param]
            [(x0, y, drawn)] = view.label_spans[edge]
            assert drawn == text
            box = L.boxes[g.by_name[consumer]]
            # On the row right under it, from its wire (left of the box) to within its columns.
            assert y == box.y + box.height and box.x - 3 <= x0 and x0 + len(text) <= box.x + box.width + 1
        assert far_labels(view) == []
