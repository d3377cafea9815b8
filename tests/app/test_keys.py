"""Pilot tests: every key, asserting the position, the selection and the inspector's text."""

from __future__ import annotations

import asyncio

from app_helpers import SCENARIOS, disagreeing

from stepgrad.app.app import SPEEDS, StepgradApp
from stepgrad.app.screens import CompareScreen, GotoScreen, HelpScreen
from stepgrad.app.trace import START
from stepgrad.app.widgets import GraphView, Inspector, ParamsPanel, TimelineList

SIZE = (120, 40)


def inspector(app: StepgradApp) -> str:
    return app.screen.query_one(Inspector).plain


async def press(pilot, *keys: str) -> None:  # type: ignore[no-untyped-def]
    for k in keys:
        await pilot.press(k)
    await pilot.app.settle()
    await pilot.pause()


class TestStepping:
    async def test_opens_at_the_start(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """Nothing computed yet: op nodes show ·, the inspector says how to begin."""
        app = app_of()
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot)
            assert app.position == START
            assert "press n or → to step" in inspector(app)
            rows = "\n".join(app.screen.query_one(GraphView).text_rows())
            assert "┌ y_hat × " in rows and "·" in rows

    async def test_n_and_right_p_and_left(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """n and → go forward one event, p and ← back one, never past either end."""
        app = app_of()
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "n", "right")
            assert app.position == 1
            assert inspector(app).startswith("forward pass · compute s")
            await press(pilot, "p")
            assert app.position == 0
            await press(pilot, "left", "left", "p")
            assert app.position == START

    async def test_n_then_p_gives_the_same_screen(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """Stepping back is exact: the whole screen after n, p equals the screen before."""
        app = app_of("no-zero-grad")
        async with app.run_test(size=SIZE) as pilot:
            for keys in ((), ("g", "2", "2", "enter"), ("b",), ("u",), ("e",)):
                await press(pilot, *keys)
                before = app.export_screenshot()
                await press(pilot, "n")
                assert app.export_screenshot() != before
                await press(pilot, "p")
                assert app.export_screenshot() == before

    async def test_f_b_u(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """f: end of the forward pass (#2); b: end of the backward pass (#10); u: the update (#11)."""
        app = app_of()
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "f")
            assert app.position == 2
            assert inspector(app).startswith("forward pass · compute loss")
            await press(pilot, "b")
            assert app.position == 10
            await press(pilot, "u")
            assert app.position == 11
            assert "= 1.0 − 0.01 × (-2.0) = 1.02" in inspector(app)
            await press(pilot, "f")
            assert app.position == 11
            assert "no forward pass after this point" in app.message

    async def test_e_next_epoch(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """e goes to the first event of the next epoch (3 samples per epoch in ex4-3)."""
        app = app_of("ex4-3")
        async with app.run_test(size=SIZE) as pilot:
            t = app.trace.timeline
            await press(pilot, "e")
            assert app.position == t.step_start(3)
            await press(pilot, "e")
            assert app.position == t.step_start(6)
            assert app.message == ""

    async def test_e_in_the_only_epoch_says_where_it_went(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """lecture4 has one epoch: e goes to its last event (#12) and says why."""
        app = app_of("lecture4")
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "e")
            assert app.position == 12 and app.message == "no next epoch: to the last event"
            await press(pilot, "e")
            assert app.position == 12 and app.message == "already in the last epoch's last event"

    async def test_r_with_one_param_says_so(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """lecture4's one param, w: r has no other param to show, and says so."""
        app = app_of("lecture4")
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "r")
            assert app.message == "one param, w: its three roads are shown"

    async def test_home_end(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """End: the last event (a prediction after training); Home: the start."""
        app = app_of("ex4-3")
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "end")
            assert app.position == app.trace.length - 1
            assert inspector(app).startswith("prediction · after training")
            await press(pilot, "home")
            assert app.position == START

    async def test_g_goes_to_an_event(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """g opens a box; typing 9 and Enter goes to #9, the chain rule for w."""
        app = app_of()
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "g")
            assert isinstance(app.screen, GotoScreen)
            await press(pilot, "9", "9", "enter")
            assert isinstance(app.screen, GotoScreen)  # 99 is out of range: the box stays
            await press(pilot, "backspace", "enter")
            assert app.position == 9
            assert "∂loss/∂w = ∂loss/∂y_hat · local ∂y_hat/∂w" in inspector(app)
            await press(pilot, "g", "escape")
            assert app.position == 9 and not isinstance(app.screen, GotoScreen)

    async def test_g_refuses_what_is_not_a_whole_number(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """1.5 is not read as 15, nor abc as nothing: the box says why and stays."""
        app = app_of()
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "g", "1", "full_stop", "5", "enter")
            assert isinstance(app.screen, GotoScreen) and app.position == START
            hint = app.screen.query_one("#goto-hint").render()
            assert str(hint) == "not a whole number: '1.5'; 0 to 12"
            await press(pilot, "escape", "g", "a", "b", "c", "enter")
            assert str(app.screen.query_one("#goto-hint").render()) == "not a whole number: 'abc'; 0 to 12"


class TestPlay:
    async def test_space_plays_and_pauses_plus_minus_speed(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """space starts a timer and pauses it; + and - double and halve the speed."""
        app = app_of()
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "plus")
            assert app.speed == 8.0
            await press(pilot, "minus", "minus")
            assert app.speed == 2.0
            await press(pilot, "space")
            assert app.playing
            app.speed = SPEEDS[-1]
            app._tick()
            app._tick()
            assert app.position == 1
            await press(pilot, "space")
            assert not app.playing
            assert app.position == 1

    async def test_play_stops_at_the_end(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """Ticking past the last event (#12) pauses and says so; space then plays again from
        the start."""
        app = app_of()
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "g", "1", "1", "enter", "space")
            app._tick()
            assert app.playing and app.position == 12
            app._tick()
            assert not app.playing and app.message == "played to the end"
            await press(pilot, "space")
            assert app.playing and app.position == START
            assert app.message == "playing again from the start"
            app._tick()
            assert app.position == 0

    async def test_caps_lock_still_steps(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """N and P step as n and p do."""
        app = app_of()
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "N", "N", "P")
            assert app.position == 0

    async def test_keys_that_cannot_go_further_say_so(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """p at the start, n at the last event (#12); + at 64 events a second, - at 0.5;
        space that pauses says where."""
        app = app_of()
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "end", "n")
            assert app.position == 12 and app.message == "at the last event: nothing after it"
            await press(pilot, "home", "n", "space", "space")
            assert not app.playing and app.message == f"paused at #{app.position}"
            await press(pilot, "home", "p")
            assert app.position == START and app.message == "at the start: nothing before it"
            await press(pilot, *["plus"] * 8)
            assert app.message == "speed 64 events per second (the fastest)"
            await press(pilot, *["minus"] * 8)
            assert app.message == "speed 0.5 events per second (the slowest)"


class TestBreakpoints:
    async def test_x_on_the_current_node_then_play_and_b_stop(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """x at #1 (computing s) puts a breakpoint on s; b from the start then stops at s's
        events (#1, #3, #4, #7) before reaching the end of the backward pass."""
        app = app_of()
        async with app.run_test(size=SIZE) as pilot:
            s = app.trace.graph.by_name["s"]
            await press(pilot, "n", "n", "x")
            assert app.breakpoints == {s}
            assert "●" in "\n".join(app.screen.query_one(GraphView).text_rows())
            await press(pilot, "home", "b")
            assert app.position == 1 and "breakpoint" in app.message
            await press(pilot, "b")
            assert app.position == 3
            await press(pilot, "b", "b", "b")
            assert app.position == 10
            await press(pilot, "home", "space")
            app._tick()
            app._tick()
            assert app.position == 1 and not app.playing
            await press(pilot, "x")
            assert app.breakpoints == set()

    async def test_a_message_goes_with_the_next_key(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """x says what it did in the status line; t, ? and c leave it behind."""
        app = app_of()
        async with app.run_test(size=SIZE) as pilot:
            status = app.screen.query_one("#status")
            for key in ("t", "question_mark", "c"):
                await press(pilot, "n", "x")
                assert "breakpoint on" in status.render_line(0).text
                await press(pilot, key)
                if key != "t":
                    await press(pilot, "escape")
                assert "breakpoint" not in status.render_line(0).text, key

    async def test_a_node_s_value_and_gradient_in_one_column(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """y_hat at #9: value 1.0 (from #0), ∂loss/∂y_hat -2.0 (from #8), labels padded alike."""
        app = app_of()
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "g", "9", "enter")
            app.inspect_node(app.trace.graph.by_name["y_hat"])
            await pilot.pause()
            lines = inspector(app).splitlines()
            assert "value         1.0  ← #0" in lines
            assert "∂loss/∂y_hat  -2.0  ← #8" in lines

    async def test_click_a_node_inspects_it_and_x_marks_it(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """Clicking y_hat's box shows the node in the inspector; Esc returns to the event."""
        app = app_of()
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "f")
            graph = app.screen.query_one(GraphView)
            node = app.trace.graph.by_name["y_hat"]
            box = graph.box_region(node)
            assert box is not None
            off = graph.content_region.offset - graph.region.offset
            await pilot.click(GraphView, offset=(off.x + box.x + 2, off.y + box.y + 1))
            await press(pilot)
            assert app.selected == node and app.inspecting
            assert inspector(app).startswith("node y_hat")
            assert "y_hat = x × w" in inspector(app)
            await press(pilot, "x")
            assert app.breakpoints == {node}
            await press(pilot, "escape")
            assert app.selected is None
            assert inspector(app).startswith("forward pass · compute loss")


class TestTimeline:
    async def test_click_an_event_jumps_there(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """Clicking the row of #4 in the timeline goes to #4."""
        app = app_of()
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot)
            tl = app.screen.query_one(TimelineList)
            off = tl.content_region.offset - tl.region.offset
            await pilot.click(TimelineList, offset=(off.x + 30, off.y + 4 - int(tl.scroll_y)))
            await press(pilot)
            assert app.position == 4

    async def test_t_folds_the_timeline(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """Wide: t hides the timeline. Narrow (80x24): hidden at first, t shows it."""
        app = app_of()
        async with app.run_test(size=SIZE) as pilot:
            tl = app.screen.query_one(TimelineList)
            assert tl.display
            await press(pilot, "t")
            assert not tl.display
        app = app_of()
        async with app.run_test(size=(80, 24)) as pilot:
            await press(pilot)
            tl = app.screen.query_one(TimelineList)
            assert not tl.display
            await press(pilot, "t")
            assert tl.display and not app.screen.query_one("#side").display
            await press(pilot, "t")
            assert not tl.display and app.screen.query_one("#side").display


class TestNonFinite:
    async def test_a_jumps_to_the_first_infinity(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """lr 10 overflows: a goes to #145 where loss = s^2 becomes inf, and says so."""
        app = app_of(str(SCENARIOS / "diverge"))
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "a")
            assert app.position == 145
            assert "inf" in app.message and "#145" in app.message
            assert "= inf" in inspector(app)

    async def test_a_says_when_there_is_none(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """lecture4 has no NaN or infinity: a stays and says so."""
        app = app_of()
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "a")
            assert app.position == START
            assert app.message.startswith("no NaN or infinity")


class TestBackwardEnd:
    async def test_b_shows_how_each_gradient_was_built(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """b jumps past #9; #10 still writes ∂loss/∂w out as (-2.0) × 1.0 × 1.0 = -2.0."""
        app = app_of()
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "b")
            assert app.position == 10
            lines = inspector(app).splitlines()
            assert "∂loss/∂w = 2*s · 1 · x" in lines
            assert "         = (-2.0) × 1.0 × 1.0 = -2.0  ← #9" in lines

    async def test_several_params_one_line_of_numbers_each(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """ex4-4 (x = 2, y = 4): ∂loss/∂w1 = 4 × 1 × 1 × 1 × 2 = 8, ∂loss/∂b = 4 × 1 × 1 = 4."""
        app = app_of("ex4-4")
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "b")
            lines = inspector(app).splitlines()
            assert "∂loss/∂w1 = 4.0 × 1.0 × 1.0 × 1.0 × 2.0 = 8.0  ← #22" in lines
            assert "∂loss/∂b = 4.0 × 1.0 × 1.0 = 4.0  ← #19" in lines


class TestNumbersInText:
    async def test_a_function_of_a_negative_number_has_one_pair_of_parentheses(self) -> None:
        """log(x · w) at x = -1, w = 1: the inspector writes log(-1.0), as replay does."""
        from stepgrad.scenario import loads

        text = "inputs: {x: -1.0}\nparams: {w: 1.0}\nmodel:\n  y_hat: log(x * w)\n  loss: y_hat ** 2\n"
        sc = loads(text, "n.yaml")
        app = StepgradApp(sc, oracle=lambda program: iter(()))
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "n", "n")
            assert "      = log(-1.0) = nan" in inspector(app).splitlines()


class TestNoZeroGrad:
    async def test_the_running_sum_is_called_w_grad(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """no-zero-grad, step 1: #36 adds this pass's -15.86880111694336 to the -9.84000015258789
        held from step 0; the sum is w.grad (torch's .grad), not ∂loss/∂w, in the inspector and
        the params panel."""
        app = app_of("no-zero-grad")
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "g", "3", "6", "enter")
            assert "w.grad = w.grad + ∂loss/∂w" in inspector(app).splitlines()
            params = app.screen.query_one(ParamsPanel).plain
            assert "w.grad" in params and "∂loss/∂w" not in params

    async def test_the_update_says_it_follows_the_sum(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """At step 0 w.grad is this pass's gradient and the step lowers the loss; from step 1 on
        the update follows the running sum, and the inspector says so."""
        app = app_of("no-zero-grad")
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "u")
            assert "a step against the gradient makes the loss smaller" in inspector(app)
            await press(pilot, "u")
            text = inspector(app)
            assert "w ← w − lr·w.grad" in text.splitlines()
            assert "the step follows that sum, not this sample's gradient" in text


class TestLossSpark:
    async def test_no_loss_before_training(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """ex4-3's first event is a prediction before training: no step has a loss yet."""
        app = app_of("ex4-3")
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "n")
            assert inspector(app).startswith("prediction · before training")
            spark = app.screen.query_one("#loss")
            assert len(spark._losses) == 0  # type: ignore[attr-defined]


class TestInspectAll:
    async def test_i_shows_the_lines_a_small_inspector_cuts(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """no-zero-grad #36 at 80×24: w's held -9.84000015258789 and the added
        -15.86880111694336 are below the panel's fold; i shows them, Esc returns."""
        from stepgrad.app.screens import InspectScreen

        app = app_of("no-zero-grad")
        async with app.run_test(size=(80, 24)) as pilot:
            await press(pilot, "g", "3", "6", "enter")
            shown = [line.strip() for line in app.screen.query_one(Inspector).shown.splitlines()]
            assert any(t.startswith("… ") and t.endswith("more lines · i or click: all") for t in shown)
            assert not any(t.startswith("added") for t in shown)
            await press(pilot, "i")
            assert isinstance(app.screen, InspectScreen)
            text = app.screen.query_one("#inspect-text").plain
            assert "held   -9.84000015258789  ← #23" in text
            assert "added  -15.86880111694336  ← #35" in text
            await press(pilot, "escape")
            assert not isinstance(app.screen, InspectScreen)


class TestTorch:
    async def test_c_shows_every_step_against_torch(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """c lists the loss, ∂loss/∂w and w after the update for each step torch has run."""
        app = app_of("ex4-3")
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "e")
            await press(pilot, "c")
            assert isinstance(app.screen, CompareScreen)
            from textual.widgets import DataTable

            table = app.screen.query_one(DataTable)
            assert table.row_count == 3 * 4  # steps 0..3, three quantities each
            assert table.get_row_at(1)[1:4] == ["∂loss/∂w", "-2.0", "-2.0"]
            await press(pilot, "escape")
            assert not isinstance(app.screen, CompareScreen)

    async def test_c_shows_no_number_before_its_event(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """lecture4 at #1: the loss comes at #2, ∂loss/∂w at #9, w after at #11: all ·.
        Enter on ∂loss/∂w's row goes to #9, where the table shows -2.0 beside torch's -2.0."""
        from textual.widgets import DataTable

        app = app_of()
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "g", "1", "enter")
            while len(app.torch) < 1:
                await pilot.pause(0.02)
            await press(pilot, "c")
            table = app.screen.query_one(DataTable)
            rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
            assert rows == [
                ["0", "loss", "·", "·", "at #2"],
                ["0", "∂loss/∂w", "·", "·", "at #9"],
                ["0", "w after", "·", "·", "at #11"],
            ]
            await press(pilot, "down", "enter")
            assert not isinstance(app.screen, CompareScreen) and app.position == 9
            await press(pilot, "c")
            table = app.screen.query_one(DataTable)
            assert [str(c) for c in table.get_row_at(1)] == ["0", "∂loss/∂w", "-2.0", "-2.0", "✓ equal"]

    async def test_c_reaches_the_last_row(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """ex4-3 at its end: 30 steps, 90 rows; End in the table shows step 29's w after."""
        from textual.widgets import DataTable

        app = app_of("ex4-3")
        async with app.run_test(size=(80, 24)) as pilot:
            await press(pilot, "end")
            while len(app.torch) < 30:
                await pilot.pause(0.02)
            await press(pilot, "c", "end")
            table = app.screen.query_one(DataTable)
            box = app.screen.query_one("#compare-box")
            assert table.row_count == 90 and table.cursor_row == 89
            assert table.get_row_at(89)[1] == "w after"
            # The table lies inside the box's border: its last line is on screen.
            assert table.region.bottom <= box.region.bottom - 1
            row_y = table.cursor_row + 1 - int(table.scroll_y)  # + the header line
            assert 0 <= row_y < table.size.height

    async def test_a_disagreement_is_marked(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """A torch double off by 0.5 in w's gradient: the params panel says ✗ differs."""
        app = app_of(oracle=disagreeing(0, "w", 0.5))
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "b")
            text = app.screen.query_one(ParamsPanel).plain
            assert "✗ differs" in text and "-1.5" in text

    async def test_opens_before_torch_answers(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """An oracle that never answers: the app still steps, the panel says loading."""
        import threading

        gate = threading.Event()

        def slow(program):  # type: ignore[no-untyped-def]
            gate.wait(5)
            return iter(())

        app = app_of(oracle=slow)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("n", "n")
            assert app.position == 1
            assert "loading…" in app.screen.query_one(ParamsPanel).plain
            gate.set()


class TestScreens:
    async def test_help_and_quit(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """? opens the help (every key listed), ? closes it, q quits."""
        app = app_of()
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "question_mark")
            assert isinstance(app.screen, HelpScreen)
            await press(pilot, "question_mark")
            assert not isinstance(app.screen, HelpScreen)
            await pilot.press("q")
            await pilot.pause()
            assert not app.is_running


class TestLongRun:
    async def test_end_of_100000_steps(self, app_of) -> None:  # type: ignore[no-untyped-def]
        """End on a 100,000-step run computes checkpoints in slices, with progress in the header,
        while other keys still answer; then it lands on the last event, and stepping there is quick."""
        app = app_of(str(SCENARIOS / "steps100k"), oracle=lambda program: iter(()))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            app.action_end()
            assert app.position == START
            await asyncio.sleep(0.05)  # a few slices of checkpoints, far from all of them
            assert "computing step" in app.message and app.position == START
            assert 0 < app.trace.timeline.known_steps < 100_000
            app.action_help()  # answered in the middle of the computation
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            await app.settle()
            assert app.position == app.trace.length - 1 == 1_299_999
            await press(pilot, "p", "p", "p")
            assert app.position == 1_299_996
            assert app.last_latency is not None and app.last_latency < 0.25
            assert inspector(app).startswith("backward pass · chain rule")
