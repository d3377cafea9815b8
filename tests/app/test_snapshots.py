"""Snapshot tests: the whole screen at the moments a lecture would show.

Each test drives the app with keys, waits for the torch double's numbers (so nothing
depends on timing), and compares the SVG with the reviewed one in ``__snapshots__``.
Sizes are fixed, the theme pinned, animations off, no clock.
"""

from __future__ import annotations

from app_helpers import SCENARIOS, disagreeing, mirror, scenario

from stepgrad.app.app import make_app

WIDE = (120, 40)


def drive(*keys: str):  # type: ignore[no-untyped-def]
    """A run_before that presses keys and waits for background work after each."""

    async def run(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.pause()
        for k in keys:
            await pilot.press(k)
            await pilot.app.settle()
        await pilot.app.settle()
        await pilot.pause()

    return run


def app(spec: str = "lecture4", oracle=mirror):  # type: ignore[no-untyped-def]
    return make_app(scenario(spec), oracle=oracle)


class TestLecture4:
    def test_open(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """lecture4 at the start: inputs and param known, every op ·, the scenario described."""
        assert snap_compare(app(), terminal_size=WIDE, run_before=drive())

    def test_mid_forward(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """#1: s = y_hat − y = 1.0 − 2.0 = -1.0; s boxed in the forward colour, loss still ·."""
        assert snap_compare(app(), terminal_size=WIDE, run_before=drive("n", "n"))

    def test_local_gradient(self, snap_compare) -> None:
        """#4: ∂s/∂y_hat = 1 on the y_hat → s wire, in the local-gradient colour."""
        assert snap_compare(app(), terminal_size=WIDE, run_before=drive("f", "n", "n"))

    def test_chain_rule_for_w(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """#9: ∂loss/∂w = (-2.0) × 1.0 = -2.0, and along the path (-2.0) × 1.0 × 1.0; the
        w ◀ y_hat wire heavy; the params panel waits for the end of the backward pass."""
        assert snap_compare(app(), terminal_size=WIDE, run_before=drive("g", "9", "enter"))

    def test_after_update(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """#11: w ← 1.0 − 0.01 × (-2.0) = 1.02; torch agrees on w and on ∂loss/∂w."""
        assert snap_compare(app(), terminal_size=WIDE, run_before=drive("u"))

    def test_help(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """The help screen over the app: how to read the screen, phases, every key."""
        assert snap_compare(app(), terminal_size=WIDE, run_before=drive("question_mark"))


class TestOtherScenarios:
    def test_accumulation_without_zero_grad(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """no-zero-grad #23: -2.0 (carried from step 0, #10) + (-7.84…) = -9.84…"""
        assert snap_compare(app("no-zero-grad"), terminal_size=WIDE, run_before=drive("g", "2", "3", "enter"))

    def test_torch_disagreement(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """A torch double whose w.grad is off by 0.5: ✗ differs in the error colour, torch -1.5."""
        bad = app(oracle=disagreeing(0, "w", 0.5))
        assert snap_compare(bad, terminal_size=WIDE, run_before=drive("b"))

    def test_non_finite(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """lr 10 diverges; a jumps to the first inf (loss = s^2 at #145), drawn in the error colour."""
        assert snap_compare(app(str(SCENARIOS / "diverge")), terminal_size=WIDE, run_before=drive("a"))


class TestSizes:
    def test_80x24(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """80×24 at #9: graph above, inspector and params side by side, timeline folded."""
        assert snap_compare(app(), terminal_size=(80, 24), run_before=drive("g", "9", "enter"))

    def test_80x24_timeline(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """80×24 after t: the timeline in place of the inspector, #9 marked."""
        assert snap_compare(app(), terminal_size=(80, 24), run_before=drive("g", "9", "enter", "t"))

    def test_200x60_network(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """200×60, the 60-node network mid backward pass: the current box kept in view."""
        assert snap_compare(app("mlp60"), terminal_size=(200, 60), run_before=drive("b", "p", "p", "p"))


class TestThreeRoads:
    def test_ex4_4_three_roads_agree(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """ex4-4 after b (#24): under the graph, ∂loss/∂w1 = 2*x*(b + w1*x + w2*x**2 - y);
        chain rule, closed form and torch all 8.0, ✓ equal; w1 ✓ w2 ✓ b ✓ at the foot."""
        assert snap_compare(app("ex4-4"), terminal_size=WIDE, run_before=drive("b"))

    def test_ex4_4_wrong_hand_formula(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """ex4-4-wrong at step 1's end of backward (#55): the hand formula for w2 gives
        11.439999999999998, the chain rule 22.879999999999995: ✗ differs by 11.44 in the error
        colour, under the correct closed form 2*x**2*(b + w1*x + w2*x**2 - y)."""
        assert snap_compare(app("ex4-4-wrong"), terminal_size=WIDE, run_before=drive("b", "b"))

    def test_80x24_roads_after_w(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """80×24, ex4-4-wrong after w: at #55 the roads panel in place of inspector and params,
        w2's ✗ and its closed form, no number cut."""
        assert snap_compare(app("ex4-4-wrong"), terminal_size=(80, 24), run_before=drive("w"))


class TestEdgeLabels:
    """Issue 11: each local gradient written on its edge from its local_grad event until the
    chain event multiplies it in; at the chain event the product arriving at the node."""

    def test_first_local_gradient_80x24(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """#3 at 80x24: -2.0 above the s → loss wire (∂loss/∂s = 2*s = -2.0 in the inspector)."""
        assert snap_compare(app(), terminal_size=(80, 24), run_before=drive("g", "3", "enter"))

    def test_local_gradients_120x40(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """#5 at 120x40: 1 on y_hat → s, -2.0 on s → loss, 1.0 on w → y_hat."""
        assert snap_compare(app(), terminal_size=WIDE, run_before=drive("g", "5", "enter"))

    def test_local_gradients_200x60(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """#4 at 200x60, the graph grown to its panel: ∂s/∂y_hat = 1 and ∂loss/∂s = 2*s = -2.0
        written in full on their edges."""
        assert snap_compare(app(), terminal_size=(200, 60), run_before=drive("g", "4", "enter"))

    def test_chain_event_200x60(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """#8 at 200x60: the s → y_hat path heavy, (-2.0) × 1.0 = -2.0 on its edge; s → loss
        bare (multiplied in at #7); ∂y_hat/∂w = x = 1.0 still waiting on w's edge."""
        assert snap_compare(app(), terminal_size=(200, 60), run_before=drive("g", "8", "enter"))

    def test_chain_event_120x40(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """#8 at 120x40: the product in its short form, -2.0, in the backward colour."""
        assert snap_compare(app(), terminal_size=WIDE, run_before=drive("g", "8", "enter"))


class TestTensors:
    """Issue 12: the tensor lectures, readable at every size. A box writes a matrix as its
    norm (‖20.6‖) and its shape in its bottom border (759×6); the params panel a matrix's
    norm and first entries; torch compared element by element."""

    def test_lecture7_80x24_element(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """lecture7 #40 at 80x24, element [2, 3] picked with o: ∂loss/∂W1[2, 3] =
        Σₖ x[k, 2] × ∂loss/∂h1₁[k, 3] (759 terms), the first three products, sum 0.000108…"""
        keys = ("g", "4", "0", "enter", "o", "2", "comma", "3", "enter")
        assert snap_compare(app("lecture7"), terminal_size=(80, 24), run_before=drive(*keys))

    def test_lecture7_120x40_start(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """lecture7 opened: every box's shape, the inputs' and params' norms, ops still ·."""
        assert snap_compare(app("lecture7"), terminal_size=WIDE, run_before=drive())

    def test_lecture7_120x40_local_gradients(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """lecture7 #24 at 120x40 (the newcomer's screen): the fifteen local gradients each
        on or right beside its own edge: W1's, W2's and W3's rules under their consumers
        beside their own wires (xᵀ · upstream), the constants after a mark (⑨1), a mark on a
        short wire (④); ① explained under the graph, the other marks in the inspector."""
        keys = ("g", "2", "4", "enter")
        assert snap_compare(app("lecture7"), terminal_size=WIDE, run_before=drive(*keys))

    def test_lecture7_200x60_backward(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """lecture7 after b at 200x60: the whole graph in view, every gradient's norm, every
        param ✓ equal beside torch (a mirror double), the hint for one element."""
        assert snap_compare(app("lecture7"), terminal_size=(200, 60), run_before=drive("b"))

    def test_lecture9_80x24_update(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """lecture9 at its first update (W ← W − lr · ∂loss/∂W, (2, 3)) at 80x24."""
        assert snap_compare(app("lecture9"), terminal_size=(80, 24), run_before=drive("u"))

    def test_lecture9_120x40_torch_differs(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """lecture9 after b with torch's W.grad off by 0.5 at [0, 0]: ✗ differs at [0, 0]."""
        bad = app("lecture9", oracle=disagreeing(0, "W", 0.5))
        assert snap_compare(bad, terminal_size=WIDE, run_before=drive("b"))

    def test_lecture9_200x60_bias_element(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        """lecture9 #10 (chain into b) at 200x60, ] then ]: ∂loss/∂b[1] summed over the 60
        rows b was broadcast to."""
        keys = ("g", "1", "0", "enter", "right_square_bracket", "right_square_bracket")
        assert snap_compare(app("lecture9"), terminal_size=(200, 60), run_before=drive(*keys))
