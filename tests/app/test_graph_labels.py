"""The labels on the graph's edges (issue 11): the local gradient waits on its edge from
its local_grad event until the chain event multiplies it in; at that chain event the edge
carries the product; where no form fits, a mark on the edge and a legend under the graph."""

from __future__ import annotations

from app_helpers import scenario

from stepgrad.app import layout as lay
from stepgrad.app.app import make_app
from stepgrad.app.trace import Trace
from stepgrad.app.widgets import GraphView
from stepgrad.app.widgets.graph_labels import EdgeLabel, blocked_cells, labels_at, place_labels
from stepgrad.engine.timeline import Timeline
from stepgrad.explain import edge_label, fmt


def lecture4_labels(pos: int) -> dict[str, tuple[str, ...]]:
    t = Timeline(scenario("lecture4").program)
    g = t.graph
    out = labels_at(g, t.events_of_step(0), pos, fmt)
    return {f"{g.nodes[b.edge[0]].name}.{b.edge[1]}{' chain' if b.chain else ''}": b.forms for b in out}


def test_which_edges_carry_a_label() -> None:
    """lecture4: #3-#5 the three local gradients; #7 multiplies s → loss in (its product on
    the edge), #8 y_hat → s, #9 w → y_hat; from #10 on, none."""
    assert lecture4_labels(2) == {}
    assert lecture4_labels(3) == {"loss.0": ("local ∂loss/∂s = 2*s = -2.0", "2*s = -2.0", "-2.0")}
    assert set(lecture4_labels(5)) == {"loss.0", "s.0", "y_hat.1"}
    assert lecture4_labels(5)["s.0"] == ("local ∂s/∂y_hat = 1", "1")
    assert lecture4_labels(5)["y_hat.1"] == ("local ∂y_hat/∂w = x = 1.0", "x = 1.0", "1.0")
    assert lecture4_labels(7) == {
        "loss.0 chain": ("1.0 × (-2.0) = -2.0", "-2.0"),
        "s.0": ("local ∂s/∂y_hat = 1", "1"),
        "y_hat.1": ("local ∂y_hat/∂w = x = 1.0", "x = 1.0", "1.0"),
    }
    assert set(lecture4_labels(8)) == {"s.0 chain", "y_hat.1"}
    assert lecture4_labels(9) == {"y_hat.1 chain": ("(-2.0) × 1.0 = -2.0", "-2.0")}
    assert lecture4_labels(10) == {}


def test_edge_label_texts() -> None:
    """The texts come from explain (the one renderer), numbers as the boxes round them."""
    t = Timeline(scenario("lecture4").program)
    ev = t.events_of_step(0)[3]
    assert edge_label(ev) == ("local ∂loss/∂s = 2*s = -2.0", "2*s = -2.0", "-2.0")
    assert edge_label(ev, lambda v: "-2")[-1] == "-2"


def test_a_label_that_does_not_fit_becomes_a_mark() -> None:
    """lecture4 placed at the tightest spacing: the s → loss gap is 2 columns; the label
    cannot fit in any form: ① on the wire, and the legend says what it stands for."""
    view = GraphView(Trace(Timeline(scenario("lecture4").program)))
    spacing = lay.SPACINGS[-1]
    L = lay.place(view._frame, view.layer_widths(view.run_node_widths() or {}, spacing), spacing)
    g = view.trace.graph
    label = EdgeLabel((g.by_name["loss"], 0), ("∂loss/∂s = 2*s = -2.0", "2*s = -2.0", "-2.0"), chain=False)
    cells, legend = place_labels(L, blocked_cells(L), (label,))
    assert legend == ["① ∂loss/∂s = 2*s = -2.0"]
    [(cell, (ch, chain))] = cells.items()
    wire = L.wires[label.edge]
    assert ch == "①" and not chain and cell in {(x, y) for x, y, _ in wire.cells}
    # Never on the arrow into loss (the gap is two cells: the mark takes the stub out of s).
    assert cell != wire.arrow and cell == wire.cells[0][:2]


async def test_labels_in_the_app_at_three_sizes() -> None:
    """lecture4 #5 (the three local gradients): at 200x60 each written in full on its edge;
    at 120x40 and 80x24 shorter: a number after a mark where it fits (①1), the legend
    under the graph giving the whole text, marks in the order of the local gradients; the
    number alone where even that does not."""
    for size, want, legend in (
        # At 200x60 the 25-column gaps hold the shorter local gradients in full; the loss
        # node's (marked local, 27 cells) and the bent wire's keep a mark and the legend.
        (
            (200, 60),
            ["local ∂s/∂y_hat = 1", "①2*s = -2.0", "②x = 1.0"],
            ["① local ∂loss/∂s = 2*s = -2.0", "② local ∂y_hat/∂w = x = 1.0"],
        ),
        ((120, 40), [" ①1 ", " -2.0 ", "┃1.0 "], ["① local ∂s/∂y_hat = 1"]),
        (
            (80, 24),
            [" ①-2.0 ", " ②1 ", " ③1.0 "],
            ["① local ∂loss/∂s = 2*s = -2.0", "② local ∂s/∂y_hat = 1", "③ local ∂y_hat/∂w = x = 1.0"],
        ),
    ):
        app = make_app(scenario("lecture4"), oracle=lambda program: iter(()))
        async with app.run_test(size=size) as pilot:
            await app.settle()
            app.position = 5
            await pilot.pause()
            view = app.screen.query_one(GraphView)
            text = "\n".join(view.text_rows())
            for w in want:
                assert w in text, (size, w)
            assert view.legend == legend, size
            assert (view.border_subtitle or "") == " · ".join(legend), size
