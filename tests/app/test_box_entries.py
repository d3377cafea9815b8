"""A tensor lecture's box writes its value's first entries under the norm (issue 12,
"Tensors": "a compact summary of their values (a few entries, the norm)"): what a student
checks by hand against the scenario file, the inspector and the timeline."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from app_helpers import box_rows
from app_helpers import quiet_app as app_of

from stepgrad.app.arrays import entries_text
from stepgrad.app.widgets import GraphView
from stepgrad.app.widgets.graph_boxes import PHASES, S_PHASE, S_UNKNOWN
from stepgrad.app.widgets.graph_draw import compose_row
from stepgrad.app.widgets.graph_sizing import box_number


def inner(row: str) -> str:
    """A box row without its borders and blanks."""
    return row[1:-1].strip()


async def test_lecture5_x_reads_1_2_3() -> None:
    """lecture5's x is [[1], [2], [3]]: at 120x40 its box reads ‖3.7417‖, then 1.0 2.0 3.0
    (every entry, so no …), then its blank gradient row; y's reads 2.0 4.0 6.0. At 80x24 the
    graph has 10 rows, and needs 11 with the entries: its boxes are as before (z, the graph
    on the whole screen, shows them)."""
    app = app_of("lecture5")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        await pilot.press("n", "n")
        await app.settle()
        g = app.trace.graph
        view = app.screen.query_one(GraphView)
        x = box_rows(view, g.by_name["x"])
        assert [inner(r) for r in x[1:4]] == ["‖3.7417‖", "1.0 2.0 3.0", ""]
        assert x[-1].endswith(" 3×1 ─┘")
        assert inner(box_rows(view, g.by_name["y"])[2]) == "2.0 4.0 6.0"
    app = app_of("lecture5")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.settle()
        await pilot.press("n", "n")
        await app.settle()
        g = app.trace.graph
        view = app.screen.query_one(GraphView)
        x = box_rows(view, g.by_name["x"])
        assert [inner(r) for r in x[1:3]] == ["‖3.7417‖", ""] and len(x) == 4
        assert view.hidden_rows() == (0, 0)
        await pilot.press("z")
        await app.settle()
        x = box_rows(view, g.by_name["x"])
        assert inner(x[x.index(next(r for r in x if "‖3.7417‖" in r)) + 1]) == "1.0 2.0 3.0"


async def test_lecture7_h1_entries_are_the_timelines_first_numbers() -> None:
    """lecture7 after n (#0, h1₁ = x @ W1), at 120x40 with z (the graph on the whole
    screen): h1₁'s box reads ‖20.568‖ and under it 0.126 0.045… : the timeline's
    [[0.1264, 0.04471, -0.1827, …], …] to the digits that fit, the rest after …. Without z
    the folded graph keeps its 21 rows, whole, and its boxes their four (25 rows with the
    entries, in a panel of 22: its blank rows, which hold the labels on the edges, are not
    given up)."""
    app = app_of("lecture7")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        await pilot.press("n")
        await app.settle()
        g = app.trace.graph
        h1 = g.by_name["h1₁"]
        view = app.screen.query_one(GraphView)
        L = view._layout
        assert L is not None and L.spacing.fold and not L.spacing.entries and L.height == 21
        assert view.hidden_rows() == (0, 0) and view.hidden_layers() == (0, 0)
        await pilot.press("z")
        await app.settle()
        L = view._layout
        assert L is not None and L.spacing.fold and L.spacing.entries
        rows = box_rows(view, h1)
        assert inner(rows[1]) == "‖20.568‖"
        assert inner(rows[2]) == "0.126 0.045…"
        line = app.trace.line(0)
        assert "[[0.1264, 0.04471, -0.1827, …], …]" in line
        printed = [float(t) for t in re.search(r"\[\[([^\]]*)\]", line).group(1).split(", ")[:2]]  # type: ignore[union-attr]
        shown = inner(rows[2]).rstrip("…").split()
        for text, number in zip(shown, printed, strict=True):
            decimals = len(text.split(".")[1])
            assert float(text) == round(number, decimals)
        assert view.hidden_rows() == (0, 0) and view.hidden_layers() == (0, 0)


async def test_entries_take_the_phase_colour_of_the_value() -> None:
    """lecture7 at 200x60, #0: h1₁'s value and its entries are both in the forward colour (the event
    sets them); x's entries in the plain number look; y_hat's, not computed yet, are · in
    the unknown look; b3, one entry ([0.0382]), and the loss, a number, have a blank row of
    entries; lecture9's y (class labels, written in the value row) too."""
    app = app_of("lecture7")
    async with app.run_test(size=(200, 60)) as pilot:
        await app.settle()
        await pilot.press("n")
        await app.settle()
        g = app.trace.graph
        view = app.screen.query_one(GraphView)
        L = view._layout
        assert L is not None and L.spacing.entries
        h1 = g.by_name["h1₁"]
        forward = S_PHASE + PHASES.index("forward")
        b = L.boxes[h1]
        y = b.y + 2
        chars, styles = compose_row(
            L, y, 0, L.width, view._base_chars[y], view._base_styles[y], view._row_boxes[y], view._views, ()
        )
        cells = range(b.x + 1, b.x + b.width - 1)
        text = "".join(chars[x] for x in cells).strip()
        assert text == "0.126 0.045…"
        assert {styles[x] for x in cells if chars[x] != " "} == {forward}
        assert view._views[h1].value_style == forward
        assert view._views[g.by_name["x"]].value_style != forward
        y_hat = box_rows(view, g.by_name["y_hat"])
        assert inner(y_hat[1]) == inner(y_hat[2]) == "·"
        assert view._views[g.by_name["y_hat"]].value_style == S_UNKNOWN
        b3 = box_rows(view, g.by_name["b3"])
        assert inner(b3[1]) == "[0.0382]" and inner(b3[2]) == ""
        assert inner(box_rows(view, g.loss)[2]) == ""
    app = app_of("lecture9")
    async with app.run_test(size=(120, 40)):
        await app.settle()
        view = app.screen.query_one(GraphView)
        y9 = box_rows(view, app.trace.graph.by_name["y"])
        assert inner(y9[1]) == "[2,1,1,…]" and inner(y9[2]) == ""


async def test_a_scalar_lecture_keeps_its_four_row_boxes() -> None:
    """lecture4's boxes are as before: title, value, gradient, bottom border (and at
    120x40 a blank row above the value and one under the gradient)."""
    app = app_of("lecture4")
    async with app.run_test(size=(120, 40)):
        await app.settle()
        view = app.screen.query_one(GraphView)
        L = view._layout
        assert L is not None
        assert {b.height - 2 * L.spacing.pad_rows for b in L.boxes.values()} == {4}
        assert all(v.entries == "" for v in view._views.values())


def test_entries_text_fits_its_cells() -> None:
    """As many entries as fit, each in at most 6 cells (5 when that shows more), a blank
    between two, … when more follow; only the first few are read."""

    def number(v: Any, cells: int) -> str:
        return box_number(v, True, cells)

    one_two_three = np.array([[1.0], [2.0], [3.0]], dtype=np.float32)
    assert entries_text(one_two_three, number, 12) == "1.0 2.0 3.0"
    assert entries_text(one_two_three, number, 10) == "1.0 2.0…"
    h1 = np.array([[0.12644234, 0.04471, -0.1827, 0.3]], dtype=np.float32)
    assert entries_text(h1, number, 12) == "0.126 0.045…"
    assert entries_text(h1, number, 10) == "0.1264…"
    assert entries_text(h1, number, 20) == "0.126 0.045 -0.18…"
    big = np.zeros((2000, 2000))
    big[0, :3] = (0.5, -0.25, 2.0)
    assert entries_text(big, number, 16) == "0.5 -0.25 2.0…"
