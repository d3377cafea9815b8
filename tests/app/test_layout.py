"""The graph layout: plain-text golden pictures, and properties any layout must have."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from app_helpers import scenario

from stepgrad.app import layout as lay
from stepgrad.engine.graph import Graph

GOLDEN = Path(__file__).parent / "golden"
CASES = ["lecture4", "ex4-5", "reuse", "mlp60"]


def picture(graph: Graph) -> str:
    """Boxes titled with node names, op names inside, at a fixed box width."""
    L = lay.layout(graph, box_width=12)
    contents = {n.id: (n.name, (n.op, "")) for n in graph.nodes}
    return "\n".join(lay.render_text(L, contents)) + "\n"


@pytest.mark.parametrize("name", CASES)
def test_golden_picture(name: str) -> None:
    """The picture matches the reviewed one in tests/app/golden (regenerate by deleting it)."""
    got = picture(scenario(name).program.graph)
    path = GOLDEN / f"{name}.txt"
    if not path.exists():  # pragma: no cover - first run writes it for review
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8")


def test_lecture4_reads_like_the_video() -> None:
    """x and w feed y_hat, y_hat and y feed s, s feeds loss: the op chain on the top row,
    each leaf just left of the op that reads it."""
    g = scenario("lecture4").program.graph
    r = lay.rank(g)
    names = [[g.nodes[i].name for i in layer if isinstance(i, int)] for layer in r.layers]
    assert names == [["x", "w"], ["y_hat", "y"], ["s"], ["loss"]]
    L = lay.layout(g)
    tops = {g.nodes[i].name: b.y for i, b in L.boxes.items()}
    assert tops["y_hat"] == tops["s"] == tops["loss"] == tops["x"] == 0
    assert r.crossings == 0


@pytest.mark.parametrize("name", CASES)
def test_layout_is_deterministic(name: str) -> None:
    """The same graph always gives the same layout (snapshots depend on it)."""
    g = scenario(name).program.graph
    assert lay.layout(g) == lay.layout(g)


@pytest.mark.parametrize("spacing", lay.SPACINGS)
@pytest.mark.parametrize("name", CASES)
def test_boxes_do_not_overlap_and_wires_avoid_boxes(name: str, spacing: lay.Spacing) -> None:
    """No two boxes share a cell, and no wire runs through a box, at every spacing."""
    frame = lay.arrange(lay.rank(scenario(name).program.graph))
    L = lay.place(frame, tuple(12 for _ in frame.ranking.layers), spacing)
    cells: set[tuple[int, int]] = set()
    for b in L.boxes.values():
        mine = {(b.x + dx, b.y + dy) for dx in range(b.width) for dy in range(b.height)}
        assert not (mine & cells)
        cells |= mine
    for wire in L.wires.values():
        for x, y, _ in wire.cells:
            assert (x, y) not in cells, (wire.edge, x, y)


@pytest.mark.parametrize("spacing", lay.SPACINGS)
@pytest.mark.parametrize("name", CASES)
def test_every_edge_ends_in_an_arrow_at_its_argument_row(name: str, spacing: lay.Spacing) -> None:
    """Argument k of a node enters its box on row 1 + k, from the cell left of the border,
    at every spacing."""
    g = scenario(name).program.graph
    frame = lay.arrange(lay.rank(g))
    L = lay.place(frame, tuple(12 for _ in frame.ranking.layers), spacing)
    for (node, arg), wire in L.wires.items():
        box = L.boxes[node]
        assert wire.arrow == (box.x - 1, box.y + 1 + arg)
        src = L.boxes[wire.source]
        assert wire.cells[0][:2] == (src.x + src.width, src.y + 1)
    assert len(L.wires) == sum(1 for n in g.nodes for a in n.args if isinstance(a, int))


def test_reused_node_gets_two_wires() -> None:
    """b = a + a draws two wires from a into b, one per argument."""
    g = scenario("reuse").program.graph
    L = lay.layout(g)
    b = g.by_name["b"]
    assert {k for (n, k) in L.wires if n == b} == {0, 1}
    assert all(L.wires[(b, k)].source == g.by_name["a"] for k in (0, 1))


def test_widths_move_columns_not_rows() -> None:
    """Wider boxes (longer numbers) shift layers right; rows stay where they were."""
    g = scenario("ex4-5").program.graph
    frame = lay.arrange(lay.rank(g))
    narrow = lay.place(frame, tuple(11 for _ in frame.ranking.layers))
    wide = lay.place(frame, tuple(25 for _ in frame.ranking.layers))
    assert {i: b.y for i, b in narrow.boxes.items()} == {i: b.y for i, b in wide.boxes.items()}
    assert wide.width > narrow.width
    assert wide.box_at(wide.boxes[0].x, wide.boxes[0].y) == 0


def test_tight_spacing_in_pictures() -> None:
    """lecture4 at the tightest spacing: two columns between layers where no wire turns
    (``─▶``), three where one does (stub, track, arrow); 50 columns instead of 60."""
    g = scenario("lecture4").program.graph
    frame = lay.arrange(lay.rank(g))
    assert frame.n_tracks == (1, 1, 0)
    tight = lay.SPACINGS[-1]
    assert [lay.gap_width(frame, i, tight) for i in range(3)] == [3, 3, 2]
    assert [lay.gap_width(frame, i) for i in range(3)] == [4, 4, 4]
    L = lay.place(frame, (12, 12, 12, 12), tight)
    assert L.width == lay.total_width(frame, (12, 12, 12, 12), tight) == 48 + 8
    assert lay.place(frame, (12, 12, 12, 12)).width == 48 + 12
    rows = lay.render_text(L, {n.id: (n.name, (n.op, "")) for n in g.nodes})
    assert rows[1] == "│input     │──▶│mul       │──▶│sub       │─▶│pow       │"
    assert rows[2] == "│          │ ┌▶│          │ ┌▶│          │  │          │"
    assert rows[6] == "│param     │─┘ │input     │─┘"


def test_spacings_go_from_roomy_to_tight() -> None:
    """Each spacing in SPACINGS is no wider than the one before it, anywhere."""
    for a, b in pairwise(lay.SPACINGS):
        assert b.gap <= a.gap and b.turn <= a.turn
        assert b.pad_left <= a.pad_left and b.pad_right <= a.pad_right
        assert b != a
    assert lay.SPACINGS[0] == lay.ROOMY == lay.Spacing()


def test_sixty_nodes_lay_out_quickly() -> None:
    """The 60-node network lays out in well under a frame's time budget when cached."""
    import time

    g = scenario("mlp60").program.graph
    t0 = time.perf_counter()
    frame = lay.arrange(lay.rank(g))
    t1 = time.perf_counter()
    lay.place(frame, tuple(20 for _ in frame.ranking.layers))
    t2 = time.perf_counter()
    assert len(g.nodes) >= 55
    assert t1 - t0 < 0.5
    assert t2 - t1 < 0.05


def test_crossings_are_counted_as_pairs_in_opposite_order() -> None:
    from itertools import combinations

    from stepgrad.app.layout.ranks import _inversions

    # (1,0) (0,0) (2,1) (0,1): (1,0)>(0,0), (1,0)>(0,1), (2,1)>(0,1) -> 3.
    assert _inversions([(1, 0), (0, 0), (2, 1), (0, 1)]) == 3
    seq = [((7 * i) % 11, i % 3) for i in range(40)]
    assert _inversions(seq) == sum(1 for j, k in combinations(range(40), 2) if seq[j] > seq[k])


@pytest.mark.parametrize("name", ["lecture7", "ex4-5", "mlp60"])
def test_folded_in_two_rows(name: str) -> None:
    """A graph folded in two rows of layers (``Spacing.fold``, at every split): the second
    row below the first, no box overlapping another or a wire, every wire a connected run
    of cells from its source's value row to the arrow at its argument row, and the width
    ``total_width`` counts."""
    g = scenario(name).program.graph
    frame = lay.arrange(lay.rank(g))
    widths = tuple(12 for _ in frame.ranking.layers)
    for k in range(1, len(widths)):
        spacing = lay.Spacing(gap=2, turn=2, fold=k)
        L = lay.place(frame, widths, spacing)
        assert L.width == lay.total_width(frame, widths, spacing)
        first = [b for b in L.boxes.values() if frame.ranking.layer_of[b.node] < k]
        second = [b for b in L.boxes.values() if frame.ranking.layer_of[b.node] >= k]
        assert max(b.y + b.height for b in first) < min(b.y for b in second)
        for b in L.boxes.values():
            assert b.x >= 0 and b.x + b.width <= L.width and b.y + b.height <= L.height
        cells: set[tuple[int, int]] = set()
        for b in L.boxes.values():
            mine = {(b.x + dx, b.y + dy) for dx in range(b.width) for dy in range(b.height)}
            assert not (mine & cells)
            cells |= mine
        for (node, arg), wire in L.wires.items():
            assert all((x, y) not in cells for x, y, _ in wire.cells), (k, wire.edge)
            for (x0, y0, _), (x1, y1, _) in pairwise(wire.cells):
                assert abs(x1 - x0) + abs(y1 - y0) == 1, (k, wire.edge, (x0, y0), (x1, y1))
            box = L.boxes[node]
            assert wire.arrow == (box.x - 1, box.y + 1 + arg)
            src = L.boxes[wire.source]
            assert wire.cells[0][:2] == (src.x + src.width, src.y + 1)


def test_lecture7_folds_at_120_columns() -> None:
    """lecture7's 11 layers of 12-column boxes need 172 columns in one row (10 gaps of 4),
    more than a 120x40 terminal's 116-column graph panel; folded after h2₂ (the sixth
    layer) the first row is 6 boxes, 5 gaps of 4 and the wire's stub and track down (94
    columns), the second 3 columns for the wire coming in (its track down, a stub, the
    arrow), 5 boxes and 4 gaps (79), and the two rows with the wire's row between them are
    9 + 3 + 9 = 21 rows, within the panel's 22."""
    g = scenario("lecture7").program.graph
    frame = lay.arrange(lay.rank(g))
    widths = (12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12)
    assert lay.total_width(frame, widths) == 172
    L = lay.place(frame, widths, lay.Spacing(fold=6))
    assert (L.width, L.height) == (94, 21)
    assert max(b.x + b.width for b in L.boxes.values() if b.y > 9) == 79
    assert L.boxes[g.by_name["h2"]].x < L.boxes[g.by_name["h2₂"]].x
