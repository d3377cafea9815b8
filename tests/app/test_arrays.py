"""The app on the tensor lectures (issue 12): shapes and short forms in the boxes, one
element drilled into as its sum of products, a matrix shown whole, torch compared element
by element, the roads panel saying it does not apply.

The hand-checkable numbers come from tests/app/scenarios/tiny-matmul.yaml: x = [[1, 2],
[3, 4], [5, 6]], W = [[0.5], [-1.0]], b = [0], y = [1, 2, 3], summed squared error:
y_hat = [-1.5, -2.5, -3.5], loss = 68.75, ∂loss/∂y_hat = [-5, -9, -13],
∂loss/∂W[1, 0] = 2 × (-5) + 4 × (-9) + 6 × (-13) = -124, ∂loss/∂b[0] = -27.
"""

from __future__ import annotations

import numpy as np
from app_helpers import disagreeing, mirror, scenario

from stepgrad.app import arrays
from stepgrad.app.app import make_app
from stepgrad.app.comparison import judge
from stepgrad.app.drill import Driller, parse_index, section, step_index
from stepgrad.app.explainer import plain
from stepgrad.app.matrix import matrix_lines
from stepgrad.app.trace import Trace
from stepgrad.app.widgets import Inspector, ParamsPanel, RoadsPanel
from stepgrad.app.widgets.graph_sizing import compact, graph_fmt
from stepgrad.app.widgets.params import mark


def tiny() -> Trace:
    return Trace(scenario("tiny-matmul").program)


# ----- shapes and short forms ----------------------------------------------------------


def test_shapes_as_a_box_title_writes_them() -> None:
    assert arrays.dims((759, 6)) == "759×6"
    assert arrays.dims((6,)) == "(6,)"
    assert arrays.dims(()) == ""


def test_node_shapes_known_before_anything_runs() -> None:
    """lecture7: x is the 759 × 8 table, h1 = sigmoid(x @ W1 + b1) is 759 × 6, the loss a number."""
    program = scenario("lecture7").program
    shapes = arrays.node_shapes(program)
    assert shapes is not None
    by = program.graph.by_name
    assert shapes[by["x"]] == (759, 8)
    assert shapes[by["h1"]] == (759, 6)
    assert shapes[by["W3"]] == (4, 1)
    assert shapes[by["loss"]] == ()
    # lecture8's steps take 32 rows: its boxes say the batch's shape.
    program8 = scenario("lecture8").program
    shapes8 = arrays.node_shapes(program8)
    assert shapes8 is not None and shapes8[program8.graph.by_name["h1"]] == (32, 6)
    assert arrays.node_shapes(scenario("lecture4").program) is None


def test_a_box_writes_a_matrix_as_its_norm_cut_to_its_cells() -> None:
    """‖[3, 4]‖ = 5; a norm too small for the cells keeps a digit (7e-4, never 0.0)."""
    assert graph_fmt(np.array([[3.0], [4.0]]), False) == "‖5.0‖"
    assert graph_fmt(np.array([0.25]), False) == "[0.25]"
    small = np.full((759, 6), 1e-5, dtype=np.float32)  # norm 0.00067483...
    # Two digits with an exponent, not one in fixed point (‖0.0007‖ until round 2, item 18).
    assert compact(graph_fmt(small, True), 8) == "‖6.7e-4‖"
    assert compact(graph_fmt(small, True), 6) == "‖7e-4‖"


# ----- one element drilled into ---------------------------------------------------------


def test_drill_chain_into_W_is_the_sum_of_products() -> None:
    """#11 (chain into W): ∂loss/∂W[1, 0] = Σₖ x[k, 1] × ∂loss/∂y_hat₁[k, 0]
    = 2 × (-5) + 4 × (-9) + 6 × (-13) = -124, each product with its numbers."""
    tr = tiny()
    drill = Driller(tr).at(11, tr.state(11), (1, 0))
    assert drill is not None
    assert (drill.what, drill.shape, drill.at) == ("∂loss/∂W", (2, 1), (1, 0))
    text = plain(section(drill))
    assert "∂loss/∂W[1, 0] = Σₖ x[k, 1] × ∂loss/∂y_hat₁[k, 0]   (3 terms)" in text
    assert "k=0  2.0 × (-5.0) = -10.0" in text
    assert "k=1  4.0 × (-9.0) = -36.0" in text
    assert "k=2  6.0 × (-13.0) = -78.0" in text
    assert "(3 terms)\n  = -124.0   the sum of the 3 products below\n  k=0" in text


def test_drill_bias_is_summed_over_the_rows() -> None:
    """#10 (chain into b): b was broadcast to the 3 rows, so ∂loss/∂b[0] sums them: -27."""
    tr = tiny()
    drill = Driller(tr).at(10, tr.state(10), None)
    assert drill is not None
    text = plain(section(drill))
    assert "∂loss/∂b[0] = Σᵣ ∂loss/∂y_hat[r, 0] × local ∂y_hat[r, 0]/∂b[0]   (3 terms)" in text
    assert "  = -27.0   the sum of" in text
    assert "summed over the rows" in text


def test_drill_forward_matmul_and_update() -> None:
    """#0: y_hat₁[2, 0] = 5 × 0.5 + 6 × (-1.0) = -3.5; #13: W[1, 0] ← -1.0 − 0.01 × (-124) = 0.24."""
    tr = tiny()
    d = Driller(tr)
    fwd = d.at(0, tr.state(0), (2, 0))
    assert fwd is not None
    text = plain(section(fwd))
    assert "y_hat₁[2, 0] = Σₘ x[2, m] × W[m, 0]   (2 terms)" in text
    assert "  = -3.5   the sum of" in text
    upd = d.at(13, tr.state(13), (1, 0))
    assert upd is not None
    assert "W[1, 0] ← -1.0 − 0.01 × (-124.0) = 0.24" in plain(section(upd))


def test_drill_at_the_end_of_backward_follows_the_param_to_its_chain_event() -> None:
    tr = tiny()
    drill = Driller(tr).at(12, tr.state(12), (1, 0))
    assert drill is not None
    text = plain(section(drill))
    assert "from #11:" in text and "  = -124.0   the sum of" in text


def test_element_index_typed_and_stepped() -> None:
    assert parse_index("2, 3", (8, 6)) == (2, 3)
    assert parse_index("[2,3]", (8, 6)) == (2, 3)
    assert parse_index("8, 0", (8, 6)) == "[8, 0]: index 8 on axis 0 is outside 0 to 7"
    assert parse_index("2", (8, 6)) == "[2]: a matrix of shape (8, 6) takes 2 numbers"
    assert parse_index("a", (8, 6)) == "not whole numbers: 'a'"
    assert step_index((0, 5), (8, 6), 1) == (1, 0)
    assert step_index((0, 0), (8, 6), -1) == (7, 5)


# ----- torch element by element -------------------------------------------------------


def test_torch_compared_element_by_element() -> None:
    ours = np.array([[1.0, 2.0], [3.0, 4.0]])
    theirs = ours.copy()
    theirs[1, 0] += 0.5
    status, diff, where, a, b = judge(ours, theirs, "float64")
    assert (status, diff, where, a, b) == ("differs", 0.5, (1, 0), 3.0, 3.5)
    assert judge(ours, ours.copy(), "float64")[:3] == ("equal", 0.0, None)
    # After zero_grad torch's 0.0 stands for a matrix of zeros.
    assert judge(np.zeros((2, 2)), 0.0, "float64")[0] == "equal"


# ----- the app ----------------------------------------------------------------------------


async def test_keys_pick_an_element_and_the_inspector_drills_into_it() -> None:
    """tiny-matmul at #11: ] starts at [0, 0], ] again [1, 0]; o types 0, 0; Esc forgets it."""
    app = make_app(scenario("tiny-matmul"), oracle=mirror)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        for k in ("g", "1", "1", "enter"):
            await pilot.press(k)
        await app.settle()
        inspector = app.screen.query_one(Inspector)
        assert inspector.plain.splitlines()[1] == "] [ o: one element of ∂loss/∂W (2, 1)"
        await pilot.press("right_square_bracket")
        assert app.element == (0, 0)
        await pilot.press("right_square_bracket")
        assert app.element == (1, 0)
        assert "∂loss/∂W[1, 0] = Σₖ x[k, 1] × ∂loss/∂y_hat₁[k, 0]" in inspector.plain
        await pilot.press("o")
        await pilot.pause()
        for k in ("0", "comma", "space", "0", "enter"):
            await pilot.press(k)
        await pilot.pause()
        assert app.element == (0, 0)
        assert "k=0  1.0 × (-5.0) = -5.0" in inspector.plain
        await pilot.press("escape")
        assert app.element is None


async def test_m_shows_a_matrix_whole() -> None:
    """m on W at #11: W (2, 1) and W.grad (2, 1) = [[-97.0], [-124.0]] under their indices
    (1 × (-5) + 3 × (-9) + 5 × (-13) = -97), norm √(97² + 124²) = 157.4."""
    app = make_app(scenario("tiny-matmul"), oracle=mirror)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        for k in ("g", "1", "1", "enter", "m"):
            await pilot.press(k)
        await pilot.pause()
        from stepgrad.app.screens.inspect import AllLines

        shown = app.screen.query_one(AllLines).plain
        assert app.screen.query_one("#inspect-box").border_title == "W (2, 1) · whole, at #11"
        rows = [r.split() for r in shown.splitlines()]
        assert ["W.grad", "(2,", "1)", "norm", "157.4"] in rows
        assert ["0", "-97.0"] in rows and ["1", "-124.0"] in rows
        await pilot.press("escape")


def test_matrix_lines_fold_columns_into_blocks() -> None:
    """lecture7's x is 759 × 8: at 60 cells the columns go on in blocks, every row in each."""
    tr = Trace(scenario("lecture7").program)
    got = matrix_lines(tr, tr.graph.by_name["x"], -1, tr.state(-1), width=60)
    assert got is not None
    title, lines = got
    assert title == "x (759, 8) · whole, at the start"
    text = plain(lines)
    assert "columns 0–4" in text and "columns 5–7" in text
    assert len(lines) == 1 + 2 * (1 + 1 + 759)


async def test_params_panel_marks_where_torch_differs() -> None:
    """lecture9 with torch's W.grad off by 0.5 at [0, 0]: ✗ differs at [0, 0]."""
    app = make_app(scenario("lecture9"), oracle=disagreeing(0, "W", 0.5))
    async with app.run_test(size=(200, 60)) as pilot:
        await app.settle()
        await pilot.press("b")
        await app.settle()
        await pilot.pause()
        panel = app.screen.query_one(ParamsPanel)
        rows = {r.label: r for r in panel._rows}
        row = rows["W.grad"]
        assert (row.status, row.where) == ("differs", (0, 0))
        assert mark(row, "done")[0] == "✗ differs at [0, 0]"
        assert "✗ differs at [0, 0]" in panel.plain


async def test_roads_panel_says_it_is_for_scalar_lectures() -> None:
    app = make_app(scenario("lecture7"), oracle=mirror)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        await pilot.press("r")
        await pilot.press("b")
        await app.settle()
        roads = app.screen.query_one(RoadsPanel)
        assert "are for the scalar lectures" in roads.plain
        assert app.roads_state == "done" and app.derivation is None


def test_help_says_how_matrices_are_shown_only_for_a_tensor_lecture() -> None:
    from stepgrad.app.screens.help import help_content

    tensor = " ".join(help_content(88, arrays=True).plain.split())
    scalar = " ".join(help_content(88).plain.split())
    assert "] [ a matrix: drill into its next / previous element" in tensor
    assert "m the selected node's matrix whole" in tensor
    assert "matrices a box says its shape" in tensor
    assert "drill into" not in scalar and "matrices" not in scalar


def test_compare_table_names_the_element_where_torch_differs() -> None:
    """The c table's cells for lecture9's W.grad with torch off by 0.5 at [0, 0]: both sides'
    element there (never stepgrad's norm beside torch's element), and the mark naming the place."""
    import itertools

    from stepgrad.app import comparison
    from stepgrad.app.screens.compare import _known_cells

    tr = Trace(scenario("lecture9").program)
    torch = list(itertools.islice(disagreeing(0, "W", 0.5)(tr.program), 1))
    rows = {r.label: r for r in comparison.step_rows(tr, 0, torch[0])}
    ours, theirs, agree = _known_cells(rows["∂loss/∂W"])
    ours_el = float(tr.index(0).end.grads[0][1][0, 0])
    assert theirs[0] == f"[0, 0] {ours_el + 0.5!r}"
    assert agree[0] == "✗ differs at [0, 0]"
    assert ours[0] == f"[0, 0] {ours_el!r}"


def test_inputs_named_by_their_batch() -> None:
    """lecture8 takes 32 shuffled rows a step (759 = 23 × 32 + 23: the 24th batch is 23 rows);
    lecture7 the whole table."""
    p8 = scenario("lecture8").program
    assert arrays.batch_words(p8, 0) == "input, batch 0 of 24: 32 rows of the data, shuffled"
    assert arrays.batch_words(p8, 23) == "input, batch 23 of 24: 23 rows of the data, shuffled"
    assert arrays.batch_words(scenario("lecture7").program, 5) == "input, all 759 rows of the data"


def test_end_of_backward_writes_no_product_of_matrices_along_a_path() -> None:
    """A scalar lecture writes ∂loss/∂w as the product of the local gradients along its path;
    matrices along a path are not multiplied entry by entry, so a tensor lecture does not."""
    from stepgrad.app.explainer import Explainer

    tr = tiny()
    text = plain(Explainer(tr, "tiny", "").event(12, tr.state(12)))
    assert "∂loss/∂W = " in text and " × " not in text


def test_a_matrix_norm_is_summed_once_per_array(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Every box and table row asks for its matrix's norm at every key: the entries are summed
    once per array (‖[3, 4]‖ = 5), not once per question."""
    calls = []
    real = np.linalg.norm

    def counting(a):  # type: ignore[no-untyped-def]
        calls.append(a.shape)
        return real(a)

    monkeypatch.setattr(np.linalg, "norm", counting)
    v = np.array([[3.0, 4.0]])
    assert arrays.norm(v) == 5.0 and arrays.norm(v) == 5.0 and arrays.finite_all(v)
    assert graph_fmt(v, False) == "‖5.0‖"
    assert calls == [(1, 2)]
    assert arrays.norm(v.copy()) == 5.0 and len(calls) == 2  # another array, summed again


async def test_matrix_keys_on_a_scalar_lecture_say_why_they_do_nothing() -> None:
    app = make_app(scenario("lecture4"), oracle=mirror)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        await pilot.press("n", "right_square_bracket")
        said = "] and [: for the tensor lectures' matrices; this scenario's numbers are scalars"
        assert app.message == said
        await pilot.press("m")
        assert app.message.startswith("m: this scenario's numbers are scalars")
        assert app.element is None


def test_params_panel_torch_element_fits_a_narrow_panel() -> None:
    """lecture9 with torch's W.grad off by 0.5 at [0, 0]: torch's element on a line of its
    own under the row, with its index beside it where it fits (48 cells), else on the line
    above it (28: one line a param), never cut."""
    import itertools

    from stepgrad.app import comparison
    from stepgrad.app.widgets.params import table

    tr = Trace(scenario("lecture9").program)
    end = tr.index(0).end.seq
    torch = list(itertools.islice(disagreeing(0, "W", 0.5)(tr.program), 1))
    rows = comparison.rows(tr, end, tr.state(end), torch)
    theirs = repr(float(tr.index(0).end.grads[0][1][0, 0]) + 0.5)
    lines = ["".join(t for t, _ in line).rstrip() for line in table(rows, "done", 28)]
    assert "torch [0, 0]" in lines and f"      {theirs}" in lines  # the place, then the number
    assert all(len(line) <= 28 for line in lines)
    lines = ["".join(t for t, _ in line) for line in table(rows, "done", 36)]
    assert lines[1].startswith("W       2×3 ‖1.06982‖")  # a param's value row says its shape
    lines = ["".join(t for t, _ in line) for line in table(rows, "done", 48)]
    assert f" torch  [0, 0] {theirs}" in lines and all(len(line.rstrip()) <= 48 for line in lines)


def test_drill_never_writes_a_sum_of_products_for_softmax() -> None:
    """tiny-softmax: z = [[1, 2, 3]] (x @ identity), p = softmax(z) reads the whole row: its
    entry is given alone, its local is named as the rule uses it, and its chain event says
    the rule mixes the entries; the matmul after it is a sum of products again."""
    tr = Trace(scenario("tiny-softmax").program)
    d = Driller(tr)

    def text(seq: int) -> str:
        drill = d.at(seq, tr.state(seq), (0, 2))
        assert drill is not None
        return plain(section(drill))

    # e^3 / (e^1 + e^2 + e^3) = 0.66524095577482..., given alone with its rule.
    assert "\np[0, 2] = 0.66524095577482" in text(1) and text(1).endswith("  = softmax(z)")
    assert "local ∂p/∂z[0, 2] = " in text(7) and "in the rule ∂p/∂z = " in text(7)
    assert "this rule mixes the entries of upstream" in text(14)
    assert "∂loss/∂W[0, 2] = Σₖ x[k, 0] × ∂loss/∂z[k, 2]" in text(15)


def test_compare_table_lists_fewer_steps_of_matrices() -> None:
    """lecture7's steps have 13 rows (loss, 6 gradients, 6 updated params), each a matrix
    compared element by element: the c table lists 100 // 13 = 7 steps around the cursor,
    where a scalar lecture's lists 300 rows' worth (lecture4: 300 // 3 = 100 steps)."""
    from stepgrad.app.screens.compare import CompareModel

    assert CompareModel(Trace(scenario("lecture7").program)).most == 7
    assert CompareModel(Trace(scenario("lecture4").program)).most == 100


async def test_boxes_say_their_shape_in_their_bottom_border() -> None:
    """tiny-matmul: x is 3×2, W 2×1, b (1,), y_hat 3×1; the loss, a number, says none."""
    from stepgrad.app.widgets import GraphView

    app = make_app(scenario("tiny-matmul"), oracle=mirror)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        await pilot.pause()
        rows = "\n".join(app.screen.query_one(GraphView).text_rows())
        for shape in (" 3×2 ─┘", " 2×1 ─┘", " (1,) ─┘", " 3×1 ─┘"):
            assert shape in rows
        assert "loss MSE" in rows and "‖" in rows


def test_an_adam_update_shows_what_the_optimizer_keeps() -> None:
    """The inspector writes Adam's m, v and bias corrections under the update, each row
    hanging under the equation (it showed the update alone)."""
    from stepgrad.app.explainer import Explainer
    from stepgrad.engine.events import Update
    from stepgrad.scenario import load

    tr = Trace(load("adam").program)
    pos = next(e.seq for e in tr.timeline.events_of_step(0) if isinstance(e, Update))
    text = plain(Explainer(tr, "adam", "").event(pos, tr.state(pos)))
    assert "W1 ← W1 − lr·m̂/(√v̂ + ε)" in text
    assert "   m ← β1·m + (1 − β1)·∂loss/∂W1: (8, 6)" in text
    assert "m̂ ← m/(1 − β1ᵗ), 1 − β1ᵗ: 0.09999999999999998" in text


def test_a_float32_lr_says_which_number_the_file_wrote() -> None:
    """lecture5 (float32) stores lr 0.01 as 0.009999999776482582: the inspector says so."""
    from stepgrad.app.explainer import Explainer
    from stepgrad.engine.events import Update
    from stepgrad.scenario import load

    tr = Trace(load("lecture5").program)
    pos = next(e.seq for e in tr.timeline.events_of_step(0) if isinstance(e, Update))
    text = plain(Explainer(tr, "lecture5", "").event(pos, tr.state(pos)))
    assert "lr = 0.009999999776482582  the scenario's 0.01 in float32" in text


async def test_an_element_is_not_carried_to_a_matrix_of_another_shape() -> None:
    """lecture7: ∂loss/∂W1[6, 0] picked (feature 6's weight to unit 0, W1 is 8 × 6); at the
    next step's forward h1₁ (759 × 6) the inspector does not drill into h1₁[6, 0] (sample 6,
    another meaning) but says how to pick one; back at a W1-shaped matrix [6, 0] again."""
    app = make_app(scenario("lecture7"), oracle=mirror)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        await pilot.press("b")
        await app.settle()
        await pilot.press("o")
        await pilot.pause()
        for k in ("6", "comma", "space", "0", "enter"):
            await pilot.press(k)
        await pilot.pause()
        inspector = app.screen.query_one(Inspector)
        assert app.element == (6, 0) and "[6, 0]" in inspector.plain.splitlines()[1]
        await pilot.press("e")  # the next epoch's first event: h1₁ = x @ W1, 759 × 6
        await app.settle()
        await pilot.pause()
        second = inspector.plain.splitlines()[1]
        assert second.startswith("] [ o: one element of") and "(759, 6)" in second, second
        await pilot.press("b")
        await app.settle()
        await pilot.pause()
        assert "[6, 0]" in inspector.plain.splitlines()[1]


async def test_a_one_element_matrix_says_so_when_stepped_past() -> None:
    """lecture5 at #12 (∂loss/∂w, 1×1): ] drills into [0, 0]; ] again has nowhere to go
    and says so in the header (it was silent, and read as a broken key)."""
    app = make_app(scenario("lecture5"), oracle=mirror)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        for k in ("g", "1", "2", "enter", "right_square_bracket"):
            await pilot.press(k)
        assert app.element == (0, 0) and app.message == ""
        await pilot.press("right_square_bracket")
        assert app.element == (0, 0)
        assert app.message == "] and [: ∂loss/∂w (1, 1) has one element, shown"
