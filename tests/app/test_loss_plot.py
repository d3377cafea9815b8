"""The loss plot: what one bar is, and each epoch's last loss as the lecture prints its progress."""

from __future__ import annotations

import numpy as np
import pytest
from app_helpers import mirror, scenario

from stepgrad.app.app import make_app
from stepgrad.app.widgets import LossSpark
from stepgrad.app.widgets.loss_spark import BARS, bar_label, epoch_last_losses, per_bar, progress_text, spark

# ex4-3's losses of epoch 0 (replay #3, #16, #29): (1 - 2)², (2.04 - 4)², (3.2952 - 6)².
EPOCH0 = [1.0, 3.8415999999999997, 7.315943039999998]


class TestEpochLastLosses:
    def test_the_last_loss_of_each_whole_epoch(self) -> None:
        """The lecture's loop prints ``progress: epoch l.data[0]`` after an epoch's samples:
        the last sample's loss, (3.2952 - 6)² = 7.31594304 for epoch 0 (the seeds' torch run
        prints ``progress: 0 7.315943717956543``, float32), not the mean 4.053; epoch 1 has
        one of its three steps only: nothing yet."""
        last = epoch_last_losses(np.array([*EPOCH0, 0.5465822333439999]), 3)
        assert last == [(0, 7.315943039999998)]

    def test_only_the_last_epochs_are_listed(self) -> None:
        """10,000 epochs of 10 steps, the loss of step k being k: epoch e's last loss is
        10e + 9; the last 3 asked for are 9997-9999."""
        last = epoch_last_losses(np.arange(100_000, dtype=np.float64), 10, last=3)
        assert last == [(9997, 99979.0), (9998, 99989.0), (9999, 99999.0)]

    def test_progress_as_the_lecture_prints_it(self) -> None:
        """``progress: epoch loss`` for each whole epoch, 4 significant digits: the seeds'
        torch run prints 7.315943717956543, 3.9987640380859375, 2.1856532096862793 for
        ex4-3's epochs 0-2; the epoch still running is ·; what does not fit, or was not
        listed, is cut as …."""
        assert progress_text([(0, 7.315943039999998)], 1, 40) == "progress: 0 7.316  1 ·"
        three = [(0, 7.315943039999998), (1, 3.9987644858206908), (2, 2.1856536232765476)]
        assert progress_text(three, None, 40) == "progress: 0 7.316  1 3.999  2 2.186"
        assert progress_text(three, None, 28) == "progress: … 1 3.999  2 2.186"
        assert progress_text(three[1:], None, 40) == "progress: … 1 3.999  2 2.186"
        assert progress_text([], 0, 40) == "progress: 0 ·"


class TestBarLabel:
    def test_one_bar_a_step_or_the_mean_of_several(self) -> None:
        """30 steps in 30 cells: a bar a step; in 20 cells, 2 steps a bar (15 bars); 31 steps
        in 2-step bars: the last bar has one, so about 2."""
        assert per_bar(30, 30) == 1 and per_bar(30, 20) == 2
        assert bar_label(30, 1) == "loss per step "
        assert bar_label(30, 2) == "loss per 2 steps "
        assert bar_label(31, 2) == "loss per ~2 steps "
        assert bar_label(30, 1, log=True) == "loss per step (log scale) "
        assert bar_label(30, 1, short=True, log=True) == "loss/step (log) "

    def test_bars_of_equal_steps_where_a_divisor_is_close(self) -> None:
        """100 steps in 13 cells: 8 a bar would leave a last bar of 4 (``~8``); 10 divides
        100 and is within half as many again, so 10 bars of 10. 31 steps (a prime) in 20
        cells keep 2 a bar and the ``~``; 24 steps in 10 cells: 3 a bar, 8 bars."""
        assert per_bar(100, 13) == 10 and bar_label(100, 10, short=True) == "loss/10 steps "
        assert per_bar(31, 20) == 2
        assert per_bar(24, 10) == 3


class TestInTheApp:
    @pytest.mark.parametrize("size", [(80, 24), (120, 40)])
    async def test_ex4_3_at_the_start_of_epoch_1(self, size: tuple[int, int]) -> None:
        """e from the start: step 3, epoch 1's first event. The plot says what a bar is;
        under it epoch 0's last loss 7.316 (the lecture's ``progress: 0 7.315943717956543``)
        and epoch 1 still running."""
        app = make_app(scenario("ex4-3"), oracle=mirror)
        async with app.run_test(size=size) as pilot:
            await pilot.press("e")
            await app.settle()
            await pilot.pause()
            spark = app.screen.query_one(LossSpark)
            lines = spark.render().plain.split("\n")
            assert spark.size.height == 2
            assert lines[0].startswith(("loss per step ", "loss/step ", "loss per 2 steps ", "loss/2 steps "))
            assert lines[1] == "progress: 0 7.316  1 ·"
            # The plot, the value and the progress fit the widget: nothing cut at the edge.
            assert all(len(line) <= spark.size.width for line in lines)

    async def test_one_epoch_one_line(self) -> None:
        """lecture4 trains one epoch of one step: no progress line, one bar a step."""
        app = make_app(scenario("lecture4"), oracle=mirror)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("f")
            await app.settle()
            await pilot.pause()
            spark = app.screen.query_one(LossSpark)
            assert spark.size.height == 1
            assert spark.render().plain.startswith("loss per step ")


class TestRoundBars:
    def test_a_long_run_s_bar_is_a_round_number_of_steps(self) -> None:
        """100,000 steps in 23 cells: 4,348 a bar rounds up to 5,000 (20 bars); in 5 cells,
        20,000; 30 steps in 20 cells stays 2 (under 10, exact)."""
        assert per_bar(100_000, 23) == 5_000 and 100_000 // 5_000 == 20
        assert per_bar(100_000, 5) == 20_000
        assert per_bar(100_000, 100_000) == 1 and per_bar(30, 20) == 2 and per_bar(100, 10) == 10
        assert bar_label(100_000, 5_000, short=True, log=True) == "loss/5,000 steps (log) "


class TestLogScale:
    @pytest.mark.parametrize("size", [(80, 24), (120, 40)])
    async def test_ex4_3_at_the_end_says_log_scale_in_words(self, size: tuple[int, int]) -> None:
        """ex4-3's losses go from 7.3 to below 0.004 (more than 1000×): the heights are on a
        log scale, and the label says so as a scale ((log scale), short (log)), never a bare
        ', log'; bars are still drawn at 80x24."""
        app = make_app(scenario("ex4-3"), oracle=mirror)
        async with app.run_test(size=size) as pilot:
            await pilot.press("end")
            await app.settle()
            await pilot.pause()
            line = app.screen.query_one(LossSpark).render().plain.split("\n")[0]
            assert ", log" not in line
            assert " (log) " in line or " (log scale) " in line
            assert any(bar in line for bar in "▁▂▃▄▅▆▇█")


class TestCurrentBar:
    def test_a_bar_of_several_steps_keeps_the_mean_of_those_computed(self) -> None:
        """100 steps in 10 bars of 10. At step 11, before its loss is computed, bar 1 holds
        step 10's loss (0.5) and is drawn (half of 1.0, the top: ▄ or ▅ of 8 levels), not
        blanked to ·: a blank read as a loss fallen to zero at every step's start. At step
        10 no loss of bar 1's steps is known: ·."""
        losses = np.array([1.0] * 10 + [0.5])
        bars, cur, _ = spark(losses, 100, 11, 10)
        assert cur == 1 and bars[0] == "█" and bars[1] == BARS[round(0.5 * (len(BARS) - 1))]
        bars, cur, _ = spark(losses[:10], 100, 10, 10)
        assert cur == 1 and bars[1] == "·"

    def test_a_bar_a_step_is_blank_until_its_loss_is_computed(self) -> None:
        losses = np.array([1.0, 0.5])
        bars, cur, _ = spark(losses, 30, 2, 30)
        assert cur == 2 and bars[2] == "·"
