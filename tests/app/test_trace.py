"""The pure parts of the app: jump targets, focus, provenance, explanations, torch rows."""

from __future__ import annotations

from app_helpers import mirror_steps, scenario

from stepgrad.app import comparison
from stepgrad.app.explainer import Explainer, plain
from stepgrad.app.trace import START, Trace, fit
from stepgrad.engine.timeline import Timeline


def trace_of(name: str) -> Trace:
    return Trace(Timeline(scenario(name).program))


def explain(name: str, pos: int) -> str:
    s = scenario(name)
    tr = Trace(Timeline(s.program))
    return plain(Explainer(tr, s.name, s.description).event(pos, tr.state(pos)))


class TestTargets:
    def test_lecture4_phase_ends(self) -> None:
        """lecture4: forward ends at #2, backward at #10, the update is #11."""
        tr = trace_of("lecture4")
        assert tr.forward_end(START) == 2
        assert tr.backward_end(START) == 10
        assert tr.next_update(START) == 11
        assert tr.forward_end(2) is None  # one step only
        assert tr.next_epoch(START) == 12  # one epoch: e goes to the last event
        assert tr.next_epoch(3) == 12

    def test_epochs_of_the_training_loop(self) -> None:
        """ex4-3 has 3 samples per epoch and 13 events per step (after one predict event)."""
        tr = trace_of("ex4-3")
        t = tr.timeline
        assert tr.next_epoch(0) == t.step_start(0)  # from the prediction before training
        assert tr.next_epoch(START) == t.step_start(3)
        assert tr.next_epoch(t.step_start(2) + 5) == t.step_start(3)
        assert tr.forward_end(t.step_start(0) + 3) == t.step_start(1) + 2

    def test_breakpoint_stops_before_the_target(self) -> None:
        """With a breakpoint on s, going to the end of the backward pass from the start
        stops at s's first event (its forward, #1)."""
        tr = trace_of("lecture4")
        assert tr.stop_before(START, 10, {"s"}) == 1
        assert tr.stop_before(1, 10, {"s"}) == 3  # ∂loss/∂s local gradient
        assert tr.stop_before(3, 10, {"s"}) == 4  # ∂s/∂y_hat is about s too
        assert tr.stop_before(4, 10, {"s"}) == 7  # chain rule into s


class TestProvenance:
    def test_path_of_the_video(self) -> None:
        """∂loss/∂w = ∂loss/∂s · ∂s/∂y_hat · ∂y_hat/∂w = (-2) × 1 × 1."""
        tr = trace_of("lecture4")
        factors = tr.path_factors(9)
        assert factors is not None
        assert [(f.node, f.wrt, float(f.value)) for f in factors] == [
            ("loss", "s", -2.0),
            ("s", "y_hat", 1.0),
            ("y_hat", "w", 1.0),
        ]

    def test_no_single_path_when_gradients_add_up(self) -> None:
        """b = a + a: a's gradient is a sum of two products, so there is no one path."""
        tr = trace_of("reuse")
        chains = [e.seq for e in tr.index(0).events if e.kind == "chain" and e.wrt == "a"]
        assert len(chains) == 2
        assert tr.path_factors(chains[1]) is None

    def test_carried_gradient_comes_from_the_last_step(self) -> None:
        """no-zero-grad: at step 1 the held w.grad comes from step 0's chain event (#10); the
        w.grad the pass leaves comes from its accumulate_grad (#23)."""
        tr = trace_of("no-zero-grad")
        acc = next(e for e in tr.index(1).events if e.kind == "accumulate_grad")
        assert acc.seq == 23
        assert tr.grad_origin(1, "w", tr.index(1).events[0].seq) == 10
        assert tr.grad_origin(1, "w", acc.seq + 1) == 23

    def test_focus(self) -> None:
        """Forward highlights the node and its inputs' wires; chain highlights the edge backwards."""
        tr = trace_of("lecture4")
        g = tr.graph
        f0 = tr.focus(0)
        assert f0.nodes == (g.by_name["y_hat"],) and len(f0.edges) == 2 and not f0.backward
        f9 = tr.focus(9)
        assert f9.nodes == (g.by_name["w"],) and f9.edges == ((g.by_name["y_hat"], 1),) and f9.backward


class TestExplanations:
    def test_chain_rule_for_w(self) -> None:
        """#9 says where -2 comes from: upstream (-2) from #8 times local x = 1 from #5,
        and along the path (-2) × 1 × 1."""
        text = explain("lecture4", 9)
        assert "∂loss/∂w = ∂loss/∂y_hat · local ∂y_hat/∂w" in text
        assert "= (-2.0) × 1.0 = -2.0" in text
        assert "∂loss/∂y_hat = -2.0  ← #8" in text
        assert "∂y_hat/∂w = x = 1.0  ← #5" in text
        assert "∂loss/∂w = 2*s · 1 · x" in text
        assert "= (-2.0) × 1.0 × 1.0 = -2.0" in text

    def test_a_param_node_names_its_running_sum_w_grad(self) -> None:
        """no-zero-grad: w's node at step 1's backward_end (#24) holds -2.0 + (-7.84) = -9.84,
        the running sum: w.grad, not ∂loss/∂w; at step 0's (#11) it is this pass's ∂loss/∂w."""
        s = scenario("no-zero-grad")
        tr = Trace(s.program)
        ex = Explainer(tr, s.name, s.description)
        w = tr.graph.by_name["w"]
        at24 = plain(ex.node(w, 24, tr.state(24), False))
        assert "w.grad  -9.84000015258789" in at24 and "∂loss/∂w" not in at24
        at11 = plain(ex.node(w, 11, tr.state(11), False))
        assert "∂loss/∂w  -2.0" in at11

    def test_update(self) -> None:
        """w ← w − lr·∂loss/∂w = 1.0 − 0.01 × (-2.0) = 1.02."""
        text = explain("lecture4", 11)
        assert "w ← w − lr·∂loss/∂w" in text
        assert "= 1.0 − 0.01 × (-2.0) = 1.02" in text
        assert "∂loss/∂w = -2.0  ← #9" in text

    def test_forward_and_local(self) -> None:
        """s = y_hat − y = 1.0 − 2.0 = -1.0 with y_hat from #0; ∂loss/∂s = 2*s = 2*(-1.0) = -2.0."""
        fwd = explain("lecture4", 1)
        assert "s = y_hat − y" in fwd and "= 1.0 − 2.0 = -1.0" in fwd and "y_hat = 1.0  ← #0" in fwd
        loc = explain("lecture4", 3)
        assert "local ∂loss/∂s = 2*s" in loc and "= 2*(-1.0) = -2.0" in loc and "s = -1.0  ← #1" in loc

    def test_accumulation(self) -> None:
        """no-zero-grad #23: -2.0 + (-7.84…) = -9.84…, the -2.0 carried over from #10."""
        text = explain("no-zero-grad", 23)
        assert "= -2.0 + (-7.840000152587891) = -9.84000015258789" in text
        assert "← #10" in text and "not zeroed" in text

    def test_start(self) -> None:
        """Before the first event: the scenario's name, how to start, the run."""
        text = explain("lecture4", START)
        assert text.startswith("Lecture 4: the video's worked example")
        assert "press n or → to step" in text
        assert "1 step, 1 epoch, lr 0.01, 13 events, float64" in text


class TestComparison:
    def test_lecture4_points(self) -> None:
        """w's gradient is compared from the chain-rule event that completes it (#9, the
        video's -2 × 1 × 1), not before."""
        tr = trace_of("lecture4")
        torch = list(mirror_steps(tr.timeline.program))
        at8 = {r.label: r for r in comparison.rows(tr, 8, tr.state(8), torch)}
        assert at8["w"].status == "equal"
        assert at8["w.grad"].status == "pending" and at8["w.grad"].at == 9
        at9 = {r.label: r for r in comparison.rows(tr, 9, tr.state(9), torch)}
        assert at9["w.grad"].status == "equal" and at9["w.grad"].theirs == -2.0
        at10 = {r.label: r for r in comparison.rows(tr, 10, tr.state(10), torch)}
        assert at10["w.grad"].status == "equal" and at10["w.grad"].theirs == -2.0
        at11 = {r.label: r for r in comparison.rows(tr, 11, tr.state(11), torch)}
        assert float(at11["w"].ours) == 1.02 and at11["w"].theirs == 1.02
        # After zero_grad the row is torch's w.grad, zeroed: never `∂loss/∂w = 0.0`.
        at12 = {r.label: r for r in comparison.rows(tr, 12, tr.state(12), torch)}
        assert "∂loss/∂w" not in at12
        assert at12["w.grad"].ours == 0.0 and at12["w.grad"].theirs == 0.0

    def test_a_summed_gradient_waits_for_its_last_term(self) -> None:
        """reuse: a reaches the loss along two edges; after the first chain (#13) its
        gradient is 24, half of torch's 48: compared only from the accumulate (#15) on."""
        tr = trace_of("reuse")
        torch = list(mirror_steps(tr.timeline.program))
        at13 = {r.label: r for r in comparison.rows(tr, 13, tr.state(13), torch)}
        assert float(at13["a.grad"].ours) == 24.0
        assert at13["a.grad"].status == "pending" and at13["a.grad"].at == 15
        at15 = {r.label: r for r in comparison.rows(tr, 15, tr.state(15), torch)}
        assert at15["a.grad"].status == "equal" and at15["a.grad"].theirs == 48.0

    def test_waiting_until_torch_has_the_step(self) -> None:
        """Without torch's step 0 the rows wait; with a wrong gradient they differ."""
        tr = trace_of("lecture4")
        rows = {r.label: r for r in comparison.rows(tr, 10, tr.state(10), [])}
        assert rows["w.grad"].status == "waiting"
        bad = list(mirror_steps(tr.timeline.program, {(0, "grads", "w"): 0.5}))
        rows = {r.label: r for r in comparison.rows(tr, 10, tr.state(10), bad)}
        assert rows["w.grad"].status == "differs" and rows["w.grad"].diff == 0.5


def test_fit_keeps_the_result_then_cuts_at_a_space() -> None:
    """Middle terms go first (the equation stays true); then a cut at a space, with …"""
    text = "∂loss/∂w = ∂loss/∂y_hat · ∂y_hat/∂w = (-2.0) × 1.0 = -2.0"
    assert fit(text, 100) == text
    assert fit(text, 40) == "∂loss/∂w = (-2.0) × 1.0 = -2.0"  # 30 cells
    assert fit(text, 29) == "∂loss/∂w = -2.0"
    text = "∂loss/∂w = (-3.9200000762939453) × 2.0 = -7.840000152587891"
    assert fit(text, 30) == "∂loss/∂w = -7.840000152587891"  # 29 cells
    assert fit(text, 20) == "∂loss/∂w = …"
    assert fit("grads: ∂loss/∂w, ∂loss/∂b", 20) == "grads: ∂loss/∂w, …"
    # Several equations in a list: never joined into a false one.
    grads = "grads: ∂loss/∂w1 = 8.0, ∂loss/∂w2 = 16.0, ∂loss/∂b = 4.0"
    assert fit(grads, 40) == "grads: ∂loss/∂w1 = 8.0, ∂loss/∂w2 = …"


async def test_a_click_on_a_cut_inspector_opens_every_line(app_of) -> None:  # type: ignore[no-untyped-def]
    """Issue 10: the click called run_action without awaiting it, so the screen never opened."""
    from stepgrad.app.screens import InspectScreen
    from stepgrad.app.widgets import Inspector

    app = app_of("no-zero-grad")
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("g", "3", "6", "enter"):
            await pilot.press(key)
        await pilot.pause()
        assert "i or click: all" in app.screen.query_one(Inspector).shown
        await pilot.click(Inspector)
        await pilot.pause()
        assert isinstance(app.screen, InspectScreen)
        assert "added  -15.86880111694336  ← #35" in app.screen.query_one("#inspect-text").plain
