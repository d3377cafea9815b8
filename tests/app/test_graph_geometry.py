"""What the graph panel shows of a graph larger than itself: the spacing chosen to fit the
panel, and the scroll that keeps the current node's whole box in view.

Rows of ex4-5's layout (the same for ex4-4-wrong), used below: x, y_hat₁, y_hat₂,
y_hat₄, y_hat, s, loss on rows 0-3; w2, b, y on rows 5-8; y_hat₃ on rows 9-12; w1 on
rows 12-15; 16 rows in all. At 80x24 the graph panel shows 76 x 10 cells.
"""

from __future__ import annotations

from app_helpers import scenario

from stepgrad.app import layout as lay
from stepgrad.app.app import StepgradApp
from stepgrad.app.trace import START, Trace
from stepgrad.app.widgets import GraphView
from stepgrad.app.widgets.graph_sizing import CAP_MIN, WIDE
from stepgrad.engine.timeline import Timeline


async def settle(pilot, *keys: str) -> None:  # type: ignore[no-untyped-def]
    for k in keys:
        await pilot.press(k)
    await pilot.app.settle()
    await pilot.pause()


def graph(app: StepgradApp) -> GraphView:
    return app.screen.query_one(GraphView)


def ex4_5_tight() -> tuple[lay.Layout, dict[str, lay.Box]]:
    """ex4-5 placed with the run's widths at the tightest spacing, numbers in 6 cells (as at 80x24)."""
    view = GraphView(Trace(Timeline(scenario("ex4-5").program)))
    spacing = lay.SPACINGS[-1]
    widths = view.layer_widths(view._capped(view.run_node_widths() or {}, CAP_MIN), spacing)
    L = lay.place(view._frame, widths, spacing)
    g = view.trace.graph
    return L, {g.nodes[i].name: b for i, b in L.boxes.items()}


class TestScrollRows:
    def test_rows_of_ex4_5(self) -> None:
        """The rows the tests below rely on."""
        L, box = ex4_5_tight()
        assert L.height == 16
        assert [box[n].y for n in ("x", "w2", "b", "y_hat₃", "w1")] == [0, 5, 5, 9, 12]

    def test_a_box_low_down_is_whole(self) -> None:
        """w1 (rows 12-15) in 10 rows: only a view from row 6 shows it whole."""
        L, box = ex4_5_tight()
        assert lay.scroll_y(L, (box["w1"],), (), 10) == 6

    def test_no_title_cut_when_a_choice_exists(self) -> None:
        """w2 (rows 5-8) is whole from any first row 0-5; 1-3 would cut the titles of the
        seven boxes on rows 0-3 off; 0, 4 and 5 cut no title, and each cuts one box at the
        bottom; 0 and 4 are nearest w2's centring (2): 0 comes first."""
        L, box = ex4_5_tight()
        top, bottom = lay.cut_counts(L, 10)
        assert top[:6] == [0, 7, 7, 7, 0, 0]
        assert bottom[0] == bottom[4] == bottom[5] == 1
        assert lay.scroll_y(L, (box["w2"],), (), 10) == 0

    def test_several_lit_boxes(self) -> None:
        """End of the backward pass lights w1, w2, b. In 10 rows w1 (12-15) and w2 (5-8)
        cannot both be whole: from row 5, w2 and b are whole and w1 shows its title and
        numbers (rows 12-14); from row 6 w1 would be whole but w2 and b headless."""
        L, box = ex4_5_tight()
        assert lay.scroll_y(L, (box["w1"], box["w2"], box["b"]), (), 10) == 5
        # With room for all three, all three are whole.
        assert lay.scroll_y(L, (box["w1"], box["w2"], box["b"]), (), 14) == 2

    def test_a_box_taller_than_the_view_shows_its_top(self) -> None:
        """In 3 rows no box fits: the view starts at the box's title row."""
        L, box = ex4_5_tight()
        assert lay.scroll_y(L, (box["y_hat₃"],), (), 3) == 9
        assert lay.scroll_y(L, (box["w1"],), (), 3) == 12

    def test_a_graph_that_fits_does_not_scroll(self) -> None:
        L, box = ex4_5_tight()
        assert lay.scroll_y(L, (box["w1"],), (), 16) == 0
        assert lay.scroll_x(L, box["loss"], (), L.width) == 0


class TestScrollColumns:
    def test_columns_of_ex4_5(self) -> None:
        """Tight, numbers in 6 cells: boxes 10 to 13 wide, gaps 3, 4, 3, 3, 3, 2: 98 columns."""
        L, _box = ex4_5_tight()
        assert L.layer_width == (11, 13, 12, 12, 11, 10, 11)
        assert L.layer_x == (0, 14, 31, 46, 61, 75, 87)
        assert L.width == 98

    def test_the_box_is_whole_at_the_right_with_its_inputs_left(self) -> None:
        """y_hat (columns 61-71) in 50 columns: views from layer starts 31, 46 and 61 show
        it whole; the leftmost (31) also shows y_hat₄ (46-57), which feeds it."""
        L, box = ex4_5_tight()
        assert lay.scroll_x(L, box["y_hat"], (), 50) == 31

    def test_other_boxes_of_the_event_pull_the_view(self) -> None:
        """y_hat₃ (columns 31-42) is whole in 30 columns from 14 or 31; with y_hat₄ (46-57)
        to show too, only 31 shows both."""
        L, box = ex4_5_tight()
        assert lay.scroll_x(L, box["y_hat₃"], (), 30) == 14
        assert lay.scroll_x(L, box["y_hat₃"], (box["y_hat₄"],), 30) == 31

    def test_the_last_layer_is_pulled_back_to_the_right_end(self) -> None:
        """loss (87-97) in 50 columns: the view cannot start past 98 - 50 = 48."""
        L, box = ex4_5_tight()
        assert lay.scroll_x(L, box["loss"], (), 50) == 48


def lit_box_problems(view: GraphView) -> list[str]:
    """Lit boxes in view across that are headless, and a lone lit box not whole."""
    L = view._layout
    assert L is not None
    vw, vh = view.scrollable_content_region.size
    sx, sy = view.focus_scroll()
    sx = min(sx, max(L.width - vw, 0))
    out = []
    for k, i in enumerate(view._focus_lit):
        b = L.boxes[i]
        across = sx <= b.x and b.x + b.width <= sx + vw
        whole = across and sy <= b.y and b.y + b.height <= sy + vh
        if k == 0 and len(view._focus_lit) == 1 and not whole:
            out.append(f"{i} not whole at {(sx, sy)}")
        if across and b.y < sy < b.y + b.height:
            out.append(f"{i} headless at {(sx, sy)}")
    return out


class TestInTheApp:
    async def test_jumps_at_80x24_show_the_whole_box(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """End, g 30 and b on ex4-5 at 80x24: the current box is whole in the 76x10 view."""
        app = app_of("ex4-5")
        async with app.run_test(size=(80, 24)) as pilot:
            view = graph(app)
            for keys in (("end",), ("g", "3", "0", "enter"), ("home", "b"), ("b",)):
                await settle(pilot, *keys)
                assert view.scrollable_content_region.size == (76, 10)
                region = view.box_region(view._focus_lit[0])
                assert region is not None
                if len(view._focus_lit) == 1:
                    assert region.x >= 0 and region.right <= 76, keys
                    assert region.y >= 0 and region.bottom <= 10, keys
                assert not lit_box_problems(view), keys

    async def test_b_at_80x24_shows_w2_with_its_title(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """b on ex4-5 goes to #25 (end of the backward pass), which lights w1, w2 and b: w2
        (rows 5-8) and b are whole from row 5 and w1 (rows 12-15) shows its title and both
        numbers; no lit box is shown without its title."""
        app = app_of("ex4-5")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, "b")
            assert app.position == 25
            view = graph(app)
            g = app.trace.graph
            assert int(view.scroll_y) == 5
            w2 = view.box_region(g.by_name["w2"])
            assert w2 is not None and (w2.x, w2.y, w2.right, w2.bottom) == (14, 0, 27, 4)
            w1 = view.box_region(g.by_name["w1"])
            assert w1 is not None and (w1.x, w1.y) == (14, 7)
            assert "┃∂       2.0┃" in view.render_line(9).text

    async def test_every_event_of_ex4_5_at_80x24(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """All 932 positions: a lone lit box is whole, and no lit box is headless."""
        app = app_of("ex4-5")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            view = graph(app)
            trace = app.trace
            bad = []
            for pos in (START, *range(trace.length)):
                view.show(pos, trace.state(pos), trace.focus(pos))
                if view._focus_lit:
                    bad += [f"#{pos}: {p}" for p in lit_box_problems(view)]
            assert bad == []

    async def test_every_event_of_ex4_4_wrong_at_80x24(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """The same for ex4-4-wrong at 80x24 (a 76x10 view), where the graph scrolls both ways."""
        app = app_of("ex4-4-wrong")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            view = graph(app)
            assert view.scrollable_content_region.size == (76, 10)
            trace = app.trace
            bad = []
            for pos in range(trace.length):
                view.show(pos, trace.state(pos), trace.focus(pos))
                bad += [f"#{pos}: {p}" for p in lit_box_problems(view)]
            assert bad == []

    async def test_a_headless_box_is_blanked(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """ex4-4-wrong #2 at 80x24 (y_hat₃ = x × w1, rows 9-12, lit with w1, rows 12-15): the
        view starts at row 6, so w2's box (rows 5-8, columns 14-26) has its title above the
        view: its rows in view are drawn blank, not as border lines without a title."""
        app = app_of("ex4-4-wrong")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, "g", "2", "enter")
            view = graph(app)
            assert app.position == 2 and int(view.scroll_y) == 6
            w2 = view.box_region(app.trace.graph.by_name["w2"])
            assert w2 is not None and (w2.x, w2.y, w2.right, w2.bottom) == (14, -1, 27, 3)
            for row in range(w2.bottom):
                assert view.render_line(row).text[w2.x : w2.right] == " " * 13, row
            text = "\n".join(view.text_rows())
            assert "┌ w2 param ─┐" in text  # drawn in full where the view shows its title


class TestFit:
    async def test_no_zero_grad_fits_at_120x40(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """no-zero-grad, numbers in 8 cells, needs 68 columns roomy, 65 at the next spacing;
        the panel has 66: that one is chosen, nothing scrolls, the title has no "more"."""
        app = app_of("no-zero-grad")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot, "g", "5", "5", "enter")
            view = graph(app)
            L = view._layout
            assert L is not None
            assert view.scrollable_content_region.width == 66
            assert L.spacing == lay.SPACINGS[1]
            assert L.layer_width == (14, 14, 14, 14)
            assert L.width == 65
            assert int(view.scroll_x) == 0 and view.hidden_layers() == (0, 0)
            assert view.border_title == "graph"
            # w's gradient at step 4, -26.957825..., rounded to 8 cells.
            assert "│ ∂ -26.9578 │" in "\n".join(view.text_rows())

    async def test_roomy_when_there_is_room(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """lecture4 (59 columns roomy) keeps the roomy spacing at 120x40, and grows into the
        rest of the 66 columns; no-zero-grad gets it back when the terminal grows to 200x60
        (a 124-column panel)."""
        app = app_of("lecture4")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot, "n")
            L = graph(app)._layout
            # Roomy, and grown into the panel's 66 columns and spare rows: first the gaps
            # where a chain event writes its product on a straight wire (y_hat → s,
            # s → loss: ``= -2.0`` and a blank column each side, 8 columns).
            assert L is not None and L.width == 66 and L.spacing.pad_rows == 1
            gaps = [L.layer_x[i + 1] - L.layer_x[i] - L.layer_width[i] for i in range(3)]
            assert gaps[1] >= 8 and gaps[2] >= 8 and gaps[0] >= lay.ROOMY.gap
        app = app_of("no-zero-grad")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot, "n")
            view = graph(app)
            assert view._layout is not None and view._layout.width == 65
            await pilot.resize_terminal(200, 60)
            await settle(pilot)
            L = view._layout
            assert L is not None and L.spacing.gap >= lay.ROOMY.gap and L.width >= 68

    def test_widths_at_each_spacing(self) -> None:
        """no-zero-grad runs 30 steps: its boxes are sized without computing them. x and y
        are fed 1.0 to 4.0 (3 cells); every other number may be anything (``WIDE``), and is
        given 8 cells: a box is 4 wider than ``∂ -26.9578`` roomy; each padding column given
        up takes one off."""
        view = GraphView(Trace(Timeline(scenario("no-zero-grad").program)))
        per = view.run_node_widths()
        assert per is not None
        g = view.trace.graph
        widths = {g.nodes[i].name: w for i, w in per.items()}
        assert widths["x"] == (3, 1) and widths["w"] == (WIDE, WIDE)
        got = [view.layer_widths(view._capped(per, 8), s) for s in lay.SPACINGS]
        assert got == [
            (14, 14, 14, 14),
            (14, 14, 14, 14),
            (13, 13, 13, 13),
            (13, 13, 13, 13),
            (12, 12, 12, 12),
        ]
        totals = [lay.total_width(view._frame, w, s) for w, s in zip(got, lay.SPACINGS, strict=True)]
        assert totals == [68, 65, 61, 60, 56]

    async def test_the_first_frame_has_the_fitted_spacing(self, app_of, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        """The first show() comes before the panel has a size; the first row ever drawn is
        already at the spacing that fits (no-zero-grad at 120x40: the second)."""
        drawn: list[lay.Spacing] = []
        original = GraphView.render_line

        def render_line(view: GraphView, y: int):  # type: ignore[no-untyped-def]
            if view._layout is not None:
                drawn.append(view._layout.spacing)
            return original(view, y)

        monkeypatch.setattr(GraphView, "render_line", render_line)
        app = app_of("no-zero-grad")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
        assert drawn and set(drawn) == {lay.SPACINGS[1]}


async def test_boxes_cut_below_are_counted_under_the_panel() -> None:
    """ex4-4-wrong at 80x24 opens on x, y_hat₁, y_hat₂ and the boxes under them; y_hat₃'s
    and w1's boxes (rows 9-12 and 12-15) do not fit the graph's 10 rows: the panel says so."""
    app = StepgradApp(scenario("ex4-4-wrong"), oracle=lambda program: iter(()))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = graph(app)
        assert view.hidden_rows() == (0, 2)
        assert view.border_subtitle == "▾ 2 more below"


async def test_a_graph_wider_than_its_panel_cuts_its_numbers_before_it_scrolls() -> None:
    """ex4-5 at 200x60 (the whole width: beside the inspector it would not fit): numbers
    in at most 8 cells, and nothing is out of view."""
    app = StepgradApp(scenario("ex4-5"), oracle=lambda program: iter(()))
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot, "b")
        view = graph(app)
        assert view.hidden_layers() == (0, 0) and view.border_title == "graph"
        assert view._cap <= 8


async def test_a_small_graph_sits_in_the_middle_of_its_panel() -> None:
    """lecture4 at 200x60: grown as far as it goes (boxes 13-14 wide, gaps 23, 6-row boxes
    8 rows apart), the graph is 124 x 20 cells in a 124 x 33 panel, so no blank column on
    its left and 6 blank rows above it; a click still finds the box under it."""
    app = StepgradApp(scenario("lecture4"), oracle=lambda program: iter(()))
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot)
        view = graph(app)
        assert view.scrollable_content_region.size == (124, 33)
        assert (view._layout.width, view._layout.height) == (124, 20)  # type: ignore[union-attr]
        assert view.margins() == (0, 6)
        assert view.render_line(5).text.strip() == ""
        assert view.render_line(8).text.startswith("│       1.0  │───")
        w = app.trace.graph.by_name["w"]
        box = view.box_region(w)
        assert box is not None and (box.x, box.y) == (0, 6 + 14)  # w's box: row 14 of the graph
        off = view.content_region.offset - view.region.offset
        await pilot.click(GraphView, offset=(off.x + box.x + 2, off.y + box.y + 1))
        await settle(pilot)
        assert app.selected == w
