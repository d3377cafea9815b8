"""What the graph panel shows of a graph larger than itself: the spacing chosen to fit the
panel, and the scroll that keeps the current node's whole box in view.

Rows of ex4-5's layout (the same for ex4-4-wrong), used below: x, y_hat.1, y_hat.2,
y_hat.4, y_hat, s, loss on rows 0-3; w2, b, y on rows 5-8; y_hat.3 on rows 9-12; w1 on
rows 12-15; 16 rows in all. At 80x24 the graph panel shows 76 x 10 cells.
"""

from __future__ import annotations

from app_helpers import scenario

from stepgrad.app import layout as lay
from stepgrad.app.app import StepgradApp
from stepgrad.app.trace import START, Trace
from stepgrad.app.widgets import GraphView
from stepgrad.engine.timeline import Timeline


async def settle(pilot, *keys: str) -> None:  # type: ignore[no-untyped-def]
    for k in keys:
        await pilot.press(k)
    await pilot.app.settle()
    await pilot.pause()


def graph(app: StepgradApp) -> GraphView:
    return app.screen.query_one(GraphView)


def ex4_5_tight() -> tuple[lay.Layout, dict[str, lay.Box]]:
    """ex4-5 placed with the run's widths at the tightest spacing (as at 80x24)."""
    view = GraphView(Trace(Timeline(scenario("ex4-5").program)))
    spacing = lay.SPACINGS[-1]
    widths = view.layer_widths(view.run_node_widths() or {}, spacing)
    L = lay.place(view._frame, widths, spacing)
    g = view.trace.graph
    return L, {g.nodes[i].name: b for i, b in L.boxes.items()}


class TestScrollRows:
    def test_rows_of_ex4_5(self) -> None:
        """The rows the tests below rely on."""
        L, box = ex4_5_tight()
        assert L.height == 16
        assert [box[n].y for n in ("x", "w2", "b", "y_hat.3", "w1")] == [0, 5, 5, 9, 12]

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
        assert lay.scroll_y(L, (box["y_hat.3"],), (), 3) == 9
        assert lay.scroll_y(L, (box["w1"],), (), 3) == 12

    def test_a_graph_that_fits_does_not_scroll(self) -> None:
        L, box = ex4_5_tight()
        assert lay.scroll_y(L, (box["w1"],), (), 16) == 0
        assert lay.scroll_x(L, box["loss"], (), L.width) == 0


class TestScrollColumns:
    def test_columns_of_ex4_5(self) -> None:
        """Tight: boxes 11 and 25 wide (loss 24), gaps 3, 4, 3, 3, 3, 2: 178 columns."""
        L, _box = ex4_5_tight()
        assert L.layer_width == (11, 25, 25, 25, 25, 25, 24)
        assert L.layer_x == (0, 14, 43, 71, 99, 127, 154)
        assert L.width == 178

    def test_the_box_is_whole_at_the_right_with_its_inputs_left(self) -> None:
        """y_hat (columns 99-123) in 76 columns: views from layer starts 71 and 99 show it
        whole; the leftmost (71) also shows y_hat.4, which feeds it."""
        L, box = ex4_5_tight()
        assert lay.scroll_x(L, box["y_hat"], (), 76) == 71

    def test_other_boxes_of_the_event_pull_the_view(self) -> None:
        """y_hat.3 (columns 43-67) is whole from 0, 14 or 43; with y_hat.4 (71-95) to
        show too, only 43 shows both."""
        L, box = ex4_5_tight()
        assert lay.scroll_x(L, box["y_hat.3"], (), 76) == 0
        assert lay.scroll_x(L, box["y_hat.3"], (box["y_hat.4"],), 76) == 43

    def test_the_last_layer_is_pulled_back_to_the_right_end(self) -> None:
        """loss (154-177): the view cannot start past 178 - 76 = 102."""
        L, box = ex4_5_tight()
        assert lay.scroll_x(L, box["loss"], (), 76) == 102


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
        (rows 5-8) is whole from row 5 and w1 (rows 12-15) shows its title and both numbers
        (b, two layers right, is out of view across); no lit box is shown without its title."""
        app = app_of("ex4-5")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, "b")
            assert app.position == 25
            view = graph(app)
            g = app.trace.graph
            assert int(view.scroll_y) == 5
            w2 = view.box_region(g.by_name["w2"])
            assert w2 is not None and (w2.x, w2.y, w2.right, w2.bottom) == (14, 0, 39, 4)
            w1 = view.box_region(g.by_name["w1"])
            assert w1 is not None and (w1.x, w1.y) == (14, 7)
            assert "┃∂                   2.0┃" in view.render_line(9).text

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

    async def test_every_event_of_ex4_4_wrong_at_120x40(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """The same at 120x40 (a 66x14 view), where the graph scrolls across."""
        app = app_of("ex4-4-wrong")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            view = graph(app)
            assert view.scrollable_content_region.size == (66, 14)
            trace = app.trace
            bad = []
            for pos in range(trace.length):
                view.show(pos, trace.state(pos), trace.focus(pos))
                bad += [f"#{pos}: {p}" for p in lit_box_problems(view)]
            assert bad == []

    async def test_a_headless_box_is_blanked(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """ex4-4-wrong #55 at 120x40: w2 (rows 5-8) and w1 (12-15) are whole from row 2, so
        x's box (rows 0-3, columns 0-10) is cut: its rows 2-3 are drawn blank, not as two
        border lines without a title. The numbers are whole at the tight spacing."""
        app = app_of("ex4-4-wrong")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot, "g", "5", "5", "enter")
            view = graph(app)
            assert int(view.scroll_y) == 2
            assert view.render_line(0).text[:11] == " " * 11
            assert view.render_line(1).text[:11] == " " * 11
            assert view.render_line(3).text.startswith(" " * 12 + "│ ┏ w2 param ━")
            text = "\n".join(view.text_rows())
            assert "┃∂  22.879999999999995┃" in text
            assert "┃∂  11.439999999999998┃" in text


class TestFit:
    async def test_no_zero_grad_fits_at_120x40(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """no-zero-grad needs 77 columns roomy, 65 at the tightest spacing; the panel has
        66: the tightest is chosen, nothing scrolls, the title has no "more"."""
        app = app_of("no-zero-grad")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot, "g", "5", "5", "enter")
            view = graph(app)
            L = view._layout
            assert L is not None
            assert view.scrollable_content_region.width == 66
            assert L.spacing == lay.SPACINGS[-1]
            assert L.layer_width == (14, 15, 15, 13)
            assert L.width == 65
            assert int(view.scroll_x) == 0 and view.hidden_layers() == (0, 0)
            assert view.border_title == "graph"
            # Whole numbers still: w's gradient at step 4 has 10 characters.
            assert "│∂ -26.957825│" in "\n".join(view.text_rows())

    async def test_roomy_when_there_is_room(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """lecture4 (59 columns roomy) keeps the roomy spacing at 120x40; no-zero-grad gets
        it back when the terminal grows to 200x60 (a 124-column panel)."""
        app = app_of("lecture4")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot, "n")
            L = graph(app)._layout
            assert L is not None and L.spacing == lay.ROOMY and L.width == 59
        app = app_of("no-zero-grad")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot, "n")
            view = graph(app)
            assert view._layout is not None and view._layout.width == 65
            await pilot.resize_terminal(200, 60)
            await settle(pilot)
            L = view._layout
            assert L is not None and L.spacing == lay.ROOMY and L.width == 77
            assert L.layer_width == (16, 17, 17, 15)

    def test_widths_at_each_spacing(self) -> None:
        """no-zero-grad's widest texts: w's gradient (10 characters), y_hat's and s's
        (11), loss's value (11). Roomy, a box is 4 wider than its widest row (``∂`` and a
        blank count); each padding column given up takes one off, down to the title's
        own width (``loss ^2`` needs 11)."""
        view = GraphView(Trace(Timeline(scenario("no-zero-grad").program)))
        per = view.run_node_widths()
        assert per is not None
        g = view.trace.graph
        assert {g.nodes[i].name: w for i, w in per.items()}["w"] == (10, 10)
        got = [view.layer_widths(per, s) for s in lay.SPACINGS]
        assert got == [
            (16, 17, 17, 15),
            (16, 17, 17, 15),
            (15, 16, 16, 14),
            (15, 16, 16, 14),
            (14, 15, 15, 13),
        ]
        totals = [lay.total_width(view._frame, w, s) for w, s in zip(got, lay.SPACINGS, strict=True)]
        assert totals == [77, 74, 70, 69, 65]

    async def test_the_first_frame_has_the_fitted_spacing(self, app_of, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        """The first show() comes before the panel has a size; the first row ever drawn is
        already at the spacing that fits (no-zero-grad at 120x40: the tightest)."""
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
        assert drawn and set(drawn) == {lay.SPACINGS[-1]}


async def test_boxes_cut_below_are_counted_under_the_panel() -> None:
    """ex4-4-wrong at 120x40 opens on x, y_hat.1, y_hat.2 and the boxes under them; w1's box
    (rows 12-15, as in ex4-5's layout) does not fit the graph's rows: the panel says so."""
    app = StepgradApp(scenario("ex4-4-wrong"), oracle=lambda program: iter(()))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view = graph(app)
        assert view.hidden_rows() == (0, 1)
        assert view.border_subtitle == "▾ 1 more below"


def test_clip_keeps_the_integer_part() -> None:
    from stepgrad.app.widgets.graph_view import clip, text_floor

    assert clip("-5.796206079999999", 7) == "-5.796…"
    assert clip("3.8415999999999997", 11) == "3.84159999…"
    assert clip("1.0", 7) == "1.0"
    # Never into the integer part: asked for 7 cells, 123456.7512 keeps 123456.7 and the mark
    # (9 cells), and 123456.75, no shorter that way, stays whole.
    assert text_floor("123456.7512") == 9 and clip("123456.7512", 7) == "123456.7…"
    assert clip("123456.75", 7) == "123456.75"
    # Exponents, nan and inf stay whole.
    assert clip("1.2345678e-05", 7) == "1.2345678e-05"
    assert clip("nan", 2) == "nan"


async def test_a_graph_wider_than_its_panel_cuts_its_numbers_before_it_scrolls() -> None:
    """ex4-5 at 200x60: whole, 7 layers of 23-cell boxes do not fit the panel; cut numbers
    do, and nothing is out of view."""
    app = StepgradApp(scenario("ex4-5"), oracle=lambda program: iter(()))
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot, "b")
        view = graph(app)
        assert view.hidden_layers() == (0, 0) and view.border_title == "graph"
        assert view._cap is not None and view._cap < 18


async def test_a_small_graph_sits_in_the_middle_of_its_panel() -> None:
    """lecture4 at 120x40: the graph is 59 x 9 cells in a 66 x 18 panel, so 3 blank columns
    on its left and 4 blank rows above it; a click still finds the box under it."""
    app = StepgradApp(scenario("lecture4"), oracle=lambda program: iter(()))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view = graph(app)
        assert view.scrollable_content_region.size == (66, 18)
        assert (view._layout.width, view._layout.height) == (59, 9)  # type: ignore[union-attr]
        assert view.margins() == (3, 4)
        assert view.render_line(3).text.strip() == ""
        assert view.render_line(5).text.startswith("   │      1.0 │───▶")
        w = app.trace.graph.by_name["w"]
        box = view.box_region(w)
        assert box is not None and (box.x, box.y) == (3, 4 + 5)  # w's box: row 5 of the graph
        off = view.content_region.offset - view.region.offset
        await pilot.click(GraphView, offset=(off.x + box.x + 2, off.y + box.y + 1))
        await settle(pilot)
        assert app.selected == w
