"""Pilot tests: the c table follows the cursor and fills in as torch catches up."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from app_helpers import SCENARIOS, mirror, scenario
from textual.widgets import DataTable

from stepgrad.app.app import StepgradApp, make_app
from stepgrad.app.screens import CompareScreen
from stepgrad.app.screens.compare import window

SIZE = (120, 40)


def table_rows(app: StepgradApp) -> list[list[str]]:
    table = app.screen.query_one(DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def summary(app: StepgradApp) -> str:
    return str(app.screen.query_one("#compare-summary").render())


def held_until(gate: threading.Event) -> Any:
    """A torch double that computes nothing until ``gate`` is set (at most 30 s)."""

    def held(program: Any) -> Iterator[Any]:
        gate.wait(30)
        return iter(())

    return held


async def table_at_the_end(app: StepgradApp, pilot: Any) -> None:
    """Go to the run's last event (End) and open the c table there."""
    await pilot.pause()
    app.action_end()
    while app.position != app.trace.length - 1:
        await pilot.pause(0.05)
    await pilot.press("c")
    await pilot.pause()


async def press(pilot, *keys: str) -> None:  # type: ignore[no-untyped-def]
    for k in keys:
        await pilot.press(k)
    await pilot.app.settle()
    await pilot.pause()


class TestFollowsTheCursor:
    async def test_stepping_moves_the_table(self) -> None:
        """ex4-3 at #11 (step 0's backward_end): ∂loss/∂w -2.0, w after · until #12. n in the
        table: w after 1.02 = 1.0 - 0.01 × (-2.0). Two more n: step 1 begins (#14), its rows
        are added (all ·, loss at #16) and the cursor is on them; f: loss 3.8416 (#16,
        (-1.96)²). p back into step 0: the cursor is on step 0 again, step 1's loss is · again."""
        app = make_app(scenario("ex4-3"), oracle=mirror)
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "g", "1", "1", "enter", "c")
            assert isinstance(app.screen, CompareScreen)
            assert table_rows(app) == [
                ["0", "loss", "1.0", "1.0", "✓ equal"],
                ["0", "∂loss/∂w", "-2.0", "-2.0", "✓ equal"],
                ["0", "w after", "·", "·", "at #12"],
            ]
            await press(pilot, "n")
            assert isinstance(app.screen, CompareScreen) and app.position == 12
            assert table_rows(app)[2] == ["0", "w after", "1.02", "1.02", "✓ equal"]
            await press(pilot, "n", "n")
            assert app.position == 14
            rows = table_rows(app)
            assert len(rows) == 6
            assert rows[3:] == [
                ["1", "loss", "·", "·", "at #16"],
                ["1", "∂loss/∂w", "·", "·", "at #23"],
                ["1", "w after", "·", "·", "at #25"],
            ]
            table = app.screen.query_one(DataTable)
            assert table.cursor_row == 3
            await press(pilot, "f")
            assert app.position == 16
            assert table_rows(app)[3] == ["1", "loss", "3.8415999999999997", "3.8415999999999997", "✓ equal"]
            await press(pilot, "p", "p", "p")
            assert app.position == 13
            assert table.cursor_row == 0
            assert table_rows(app)[3] == ["1", "loss", "·", "·", "at #16"]
            assert summary(app).startswith("steps 0 to 1 of 30")
            # Enter still goes to a row's event, and the table closes.
            await press(pilot, "enter")
            assert not isinstance(app.screen, CompareScreen) and app.position == 3

    async def test_torch_arriving_later_appears_without_reopening(self) -> None:
        """torch held back: the table opened at #11 shows stepgrad's -2.0 and waits for torch
        (… and loading…); once torch answers, its -2.0 and ✓ equal appear in the same table."""
        gate = threading.Event()

        def held(program: Any) -> Iterator[Any]:
            gate.wait(20)
            yield from mirror(program)

        app = make_app(scenario("ex4-3"), oracle=held)
        async with app.run_test(size=SIZE) as pilot:
            for key in ("g", "1", "1", "enter", "c"):
                await pilot.press(key)
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, CompareScreen)
            assert table_rows(app)[1] == ["0", "∂loss/∂w", "-2.0", "…", "loading…"]
            assert "torch is loading" in summary(app)
            gate.set()
            await app.settle()
            await pilot.pause()
            assert app.screen is screen
            assert table_rows(app)[1] == ["0", "∂loss/∂w", "-2.0", "-2.0", "✓ equal"]
            assert "2 equal" in summary(app)


class TestWindow:
    def test_the_window_grows_with_the_cursor_and_is_made_again_past_its_size(self) -> None:
        """At most 100 steps. Opened at step 150: steps 51-150 (the 100 up to the cursor).
        Back inside: unchanged. A short window grows as the cursor goes on (0-9 to 0-12).
        On to 151 with 100 listed: made again, half a window (50 steps) up to the cursor,
        102-151. Back before a window: half a window up to the cursor, the later steps seen
        already stay listed (30 in 60-99: 0-99; 10 in 60-99 with at most 20: 1-20)."""
        assert window(None, 150, 100) == (51, 151)
        assert window((51, 151), 120, 100) == (51, 151)
        assert window((0, 10), 12, 100) == (0, 13)
        assert window((51, 151), 151, 100) == (102, 152)
        assert window((60, 100), 30, 100) == (0, 100)
        assert window((60, 100), 10, 20) == (1, 21)


class TestLongRun:
    async def test_at_the_last_of_100000_steps_the_table_is_there(self) -> None:
        """At step 99,999 (End) with torch still loading, the table lists steps 99,900 to
        99,999 (100 steps of 3 rows), stepgrad's numbers known and torch's …; p back past the
        step's first event: the cursor moves to step 99,998's first row (row 294)."""
        gate = threading.Event()
        app = make_app(scenario(str(SCENARIOS / "steps100k")), oracle=held_until(gate))
        async with app.run_test(size=SIZE) as pilot:
            await table_at_the_end(app, pilot)
            rows = table_rows(app)
            assert len(rows) == 300
            assert rows[0][:2] == ["99900", "loss"] and rows[-1][:2] == ["99999", "w after"]
            assert rows[-1][3:] == ["…", "loading…"]
            assert summary(app).startswith("steps 99,900 to 99,999 of 100,000 (torch is loading)")
            table = app.screen.query_one(DataTable)
            assert table.cursor_row == 297
            for _ in range(13):
                await pilot.press("p")
            await pilot.pause()
            assert app.trace.step_of(app.position) == 99_998
            assert table.cursor_row == 294
            gate.set()


class TestTorchRunning:
    async def test_torchs_progress_is_counted_in_the_summary_not_in_every_row(self) -> None:
        """At the last of 100,000 steps with torch still far behind, the 300 waiting rows say
        'torch running…' and stay as they are while torch reports progress: only the summary
        counts it. (A mark counting progress in every row cost 1.6 s a report, redrawing the
        rows, and starved torch to 0.5 steps a second.)"""
        gate = threading.Event()
        app = make_app(scenario(str(SCENARIOS / "steps100k")), oracle=held_until(gate))
        async with app.run_test(size=SIZE) as pilot:
            await table_at_the_end(app, pilot)
            screen = app.screen
            assert isinstance(screen, CompareScreen)
            need = app.trace.plan.n_steps - 1
            screen.follow([None] * 1_000, "running", need, app.position)
            await pilot.pause()
            before = table_rows(app)
            assert before[-1][3:] == ["…", "torch running…"]
            assert "1,000 run by torch so far" in summary(app)
            screen.follow([None] * 5_236, "running", need, app.position)
            await pilot.pause()
            assert table_rows(app) == before
            assert "5,236 run by torch so far" in summary(app)
            gate.set()


class TestMatrixRows:
    async def test_a_matrix_row_sets_the_same_element_side_by_side(self) -> None:
        """lecture7 with torch's W1.grad off at [4, 0] in step 0: at the end of its backward
        pass the c table's W1.grad row shows stepgrad's [4, 0] beside torch's [4, 0] (it set
        stepgrad's first entry, [0, 0], beside torch's [4, 0]: two numbers that never agree)."""
        from app_helpers import mirror_steps

        def off(program: Any) -> Iterator[Any]:
            for k, step in enumerate(mirror_steps(program)):
                if k == 0:
                    step.grads["W1"] = step.grads["W1"].copy()
                    step.grads["W1"][4, 0] += 1e-3
                yield step

        app = make_app(scenario("lecture7"), oracle=off)
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "b")
            await app.settle()
            await press(pilot, "c")
            rows = [r for r in table_rows(app) if r[0] == "0" and "W1" in r[1]]
            assert rows, table_rows(app)
            (row,) = [r for r in rows if "grad" in r[1] or "∂" in r[1]]
            assert row[2].startswith("[4, 0] ") and row[3].startswith("[4, 0] "), row
            assert row[4].endswith("at [4, 0]"), row


def column_widths(app: StepgradApp) -> list[int]:
    table = app.screen.query_one(DataTable)
    return [c.width for c in table.columns.values()]


def close_w1(program: Any) -> Iterator[Any]:
    """Torch whose W1.grad at step 0 is 2e-10 off stepgrad's at [6, 0] (≈)."""
    from app_helpers import mirror_steps

    for k, step in enumerate(mirror_steps(program)):
        if k == 0:
            step.grads["W1"] = step.grads["W1"].copy()
            step.grads["W1"][6, 0] += 2e-10
        yield step


class TestEveryCellWhole:
    async def test_lecture7_at_120x40_the_agree_column_is_whole(self) -> None:
        """lecture7 at 120x40, #40 (step 0's backward pass), c: the box grows to hold every
        column (it was 100 cells, and the agree column lost its bracket: ≈ 2e-10 at [6, 0),
        so W1.grad's mark reads ≈ 2e-10 at [6, 0] whole, beside both sides' [6, 0] whole;
        every cell fits its column."""
        app = make_app(scenario("lecture7"), oracle=close_w1)
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "g", "4", "0", "enter", "c")
            box = app.screen.query_one("#compare-box")
            assert box.region.right <= SIZE[0]
            (w1,) = [r for r in table_rows(app) if r[1] == "∂loss/∂W1"]
            assert w1[4] == "≈ 2e-10 at [6, 0]"
            assert w1[2].startswith("[6, 0] -0.000343604") and "…" not in w1[2] + w1[3]
            widths = column_widths(app)
            for r in table_rows(app):
                assert all(len(text) <= w for text, w in zip(r, widths, strict=True)), r
            table = app.screen.query_one(DataTable)
            assert table.virtual_size.width <= table.size.width  # nothing to scroll sideways

    async def test_lecture5_at_80x24_a_cut_number_says_so(self) -> None:
        """lecture5 at 80x24 after 5 n, c: the loss's 18 digits do not fit beside the other
        columns: stepgrad's and torch's both end in … (torch's read 25.793493270874 beside
        stepgrad's 25.793493270874023 and ✓ equal, a different number to the eye)."""
        app = make_app(scenario("lecture5"), oracle=mirror)
        async with app.run_test(size=(80, 24)) as pilot:
            await press(pilot, "n", "n", "n", "n", "n", "c")
            assert [str(c.label) for c in app.screen.query_one(DataTable).columns.values()] == [
                "step", "quantity", "stepgrad", "torch", "agree"]  # fmt: skip
            loss = table_rows(app)[0]
            assert loss[1] == "loss" and loss[4] == "✓ equal"
            assert loss[2] == loss[3] and loss[2].endswith("…")
            assert "25.793493270874023".startswith(loss[2][:-1])
            widths = column_widths(app)
            for r in table_rows(app):
                assert all(len(text) <= w for text, w in zip(r, widths, strict=True)), r
            table = app.screen.query_one(DataTable)
            assert table.virtual_size.width <= table.size.width
            assert "scroll" not in str(app.screen.query_one("#compare-box").border_subtitle)


def test_fit_number_keeps_an_exponent() -> None:
    from stepgrad.app.screens.compare import fit_number

    assert fit_number("-1.2345678901234567e-05", 12) == "-1.2345…e-05"
    assert fit_number("25.793493270874023", 12) == "25.79349327…"
    assert fit_number("[6, 0] -0.0003436040133237839", 22, placed=True) == "-0.0003436040133237839"
    assert fit_number("1.0", 12) == "1.0"
