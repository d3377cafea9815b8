"""What confused a newcomer going from lecture4 to lecture7 in the graph (issue 12): the
timeline's rows, the selection at the end of the backward pass, a prediction's shape, class
labels, the local gradients' labels in a folded graph."""

from __future__ import annotations

from app_helpers import box_rows, scenario
from app_helpers import quiet_app as app_of

from stepgrad.app.arrays import fit_labels, label_text
from stepgrad.app.widgets import GraphView, TimelineList
from stepgrad.app.widgets.graph_boxes import S_SELECT


async def test_t_gives_the_rows_under_the_graph_to_the_timeline() -> None:
    """lecture6 and lecture7 at 120x40 (the graph on top, the whole width): t shows the
    timeline right under the graph, no blank row between them, and lecture7's folded graph
    stays whole (its 21 rows and its border; it was cut under W3's title by a screen split in
    halves, lecture6's 9 rows left 8 blank ones; 11 with the row of entries its boxes have
    room for). lecture7 keeps the inspector between them (issue 12, item 8: the event's
    explanation and the timeline at once; the params give way)."""
    for name, rows in (("lecture6", 11), ("lecture7", 21)):
        app = app_of(name)
        async with app.run_test(size=(120, 40)) as pilot:
            await app.settle()
            await pilot.press("t")
            await pilot.pause()
            view = app.screen.query_one(GraphView)
            timeline = app.screen.query_one(TimelineList)
            assert view.region.height == rows + 2, name
            if name == "lecture7":
                inspector = app.screen.query_one("#inspector")
                assert inspector.region.y == view.region.bottom
                assert timeline.region.y == inspector.region.bottom
            else:
                assert timeline.region.y == view.region.bottom, name
            # The timeline takes every row down to the key line.
            assert timeline.region.bottom == 39, name


async def test_the_selected_param_stays_double_at_the_end_of_the_backward_pass() -> None:
    """lecture5 at the end of the backward pass (b) lights both params (heavy borders);
    Tab Tab selects w: its box is drawn in double lines in the selection's colour, b's
    stays heavy."""
    app = app_of("lecture5")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        await pilot.press("b")
        await app.settle()
        await pilot.press("tab", "tab")
        await pilot.pause()
        g = app.trace.graph
        w, b = g.by_name["w"], g.by_name["b"]
        assert app.selected == w
        view = app.screen.query_one(GraphView)
        assert box_rows(view, w)[0].startswith("╔ w param ═")
        assert box_rows(view, b)[0].startswith("┏ b param ━")
        assert view._views[w].border == S_SELECT and not view._views[w].heavy
        assert view._views[b].heavy


async def test_a_prediction_box_says_its_own_shape() -> None:
    """lecture5 after End (the prediction for x = [[4.0]]): x's box, y_hat₁'s and y_hat's
    say 1×1 in their bottom border, not the batch's 3×1; y (not predicted) keeps 3×1;
    Home (training's first step) gives x its 3×1 back."""
    app = app_of("lecture5")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        await pilot.press("end")
        await app.settle()
        g = app.trace.graph
        view = app.screen.query_one(GraphView)
        x, y_hat1, y_hat, y = (box_rows(view, g.by_name[n]) for n in ("x", "y_hat₁", "y_hat", "y"))
        assert x[1].strip("│ ") == "[4.0]"
        assert x[-1].endswith(" 1×1 ─┘")
        assert y_hat1[-1].endswith(" 1×1 ─┘")
        assert y_hat[-1].endswith(" 1×1 ━┛")  # the current event's node: heavy
        assert y[-1].endswith(" 3×1 ─┘")
        await pilot.press("home")
        await app.settle()
        assert box_rows(view, g.by_name["x"])[-1].endswith(" 3×1 ─┘")


async def test_class_labels_read_as_labels() -> None:
    """lecture9's y holds the class of each of 60 points (2, 1, 1, 0, ...): its box shows
    the first labels, not a norm, and its shape (60,) in the bottom border."""
    app = app_of("lecture9")
    async with app.run_test(size=(120, 40)):
        await app.settle()
        view = app.screen.query_one(GraphView)
        y = box_rows(view, app.trace.graph.by_name["y"])
        assert y[1].strip("│ ") == "[2,1,1,…]"
        assert "‖" not in y[1]
        assert y[-1].endswith(" (60,) ─┘")


def test_label_text_fits_its_cells() -> None:
    """The first three labels, then fewer or without spaces as the cells get fewer."""
    import numpy as np

    labels = np.array([2.0, 1.0, 1.0, 0.0])
    assert label_text(labels) == "[2, 1, 1, …]"
    assert label_text(np.array([0.0, 2.0])) == "[0, 2]"
    assert fit_labels("[2, 1, 1, …]", 12) == "[2, 1, 1, …]"
    assert fit_labels("[2, 1, 1, …]", 9) == "[2,1,1,…]"
    assert fit_labels("[2, 1, 1, …]", 7) == "[2,1,…]"
    assert fit_labels("[0, 2]", 5) == "[0,2]"


async def test_labels_on_a_folded_graph_sit_on_their_own_wire() -> None:
    """lecture7 at 120x40 folds in two rows of layers; the wire from h2₂ (end of the first)
    runs back along the row between them and down into h2. At #20 h2's local gradient
    waits on it: on the row under that run, beside the wire going down into h2 (it was
    placed under W1's box, at the run's far end). At #32 the product arrives at h2₂: on
    the row above the run, at its right end, beside the wire going up into h2₂."""
    app = app_of("lecture7")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        view = app.screen.query_one(GraphView)
        app.go(20)
        await app.settle()
        await pilot.pause()
        rows = view.text_rows()
        fold = next(i for i, r in enumerate(rows) if r.startswith("┌───") and r.rstrip().endswith("┘"))
        assert rows[fold + 1].startswith("│ local ∂h2/∂h2₂ = h2*(1-h2)")
        assert "∂h2/∂h2₂" not in "".join(rows[:fold])
        app.go(32)
        await app.settle()
        await pilot.pause()
        rows = view.text_rows()
        assert rows[fold].startswith("┏━━━")  # the lit wire
        above = rows[fold - 1].rstrip()
        assert above.endswith("‖·‖ 0.002113 ┃"), above
        # Named: what arrives, not a bare array (a student's walk).
        assert above.lstrip().startswith("∂loss/∂h2₂ = (759, 4) [[")


def test_predict_shapes_follow_the_prediction_inputs() -> None:
    """lecture6 predicts at x = [[1.0], [7.0]] (2 hours as 2 rows): x, y_hat₁, y_hat₂ and
    y_hat are 2×1 there (4×1 in training), w and b their own; y and loss are not part of
    the prediction."""
    from stepgrad.app.arrays import predict_shapes

    program = scenario("lecture6").program
    g = program.graph
    got = {g.nodes[i].name: s for i, s in predict_shapes(program, "y_hat").items()}
    assert got == {"x": (2, 1), "w": (1, 1), "b": (1,), "y_hat₁": (2, 1), "y_hat₂": (2, 1), "y_hat": (2, 1)}
    assert predict_shapes(scenario("lecture4").program, "y_hat") == {}


def test_the_selection_is_double_lined_at_every_event_kind() -> None:
    """lecture5, w selected, at every event of the first step and both predictions
    (forward, local ∂, chain rule, backward end, update, zero_grad, predict): w's box is
    double-lined in the selection's colour, never heavy, whether the event lights it or
    not; an unselected box the event is about is heavy."""
    from stepgrad.app.trace import Trace
    from stepgrad.app.widgets.graph_boxes import S_PHASE, box_view

    program = scenario("lecture5").program
    trace = Trace(program)
    g = trace.graph
    w = g.by_name["w"]
    t = trace.timeline
    kinds = set()
    heavy_seen = 0
    for pos in [*range(0, 20), len(t) - 1]:
        state = trace.state(pos)
        focus = trace.focus(pos)
        kinds.add(type(state.event).__name__)
        for i in range(len(g.nodes)):
            v = box_view(
                g, i, state, focus, S_PHASE, {}, w, state.event,
                predict_inputs={}, requires_grad=g.requires_grad, text=str,
            )  # fmt: skip
            if i == w:
                assert v.double and not v.heavy and v.border == S_SELECT, (pos, state.event)
            elif focus.nodes and i == focus.nodes[0]:
                assert v.heavy and not v.double, (pos, i)
                heavy_seen += 1
    assert {"Forward", "LocalGrad", "Chain", "BackwardEnd", "Update", "ZeroGrad", "Predict"} <= kinds, kinds
    assert heavy_seen > 10
