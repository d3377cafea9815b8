"""The loss plot: what one bar is, and each epoch's mean as the lecture prints its progress."""

from __future__ import annotations

import numpy as np
import pytest
from app_helpers import mirror, scenario

from stepgrad.app.app import make_app
from stepgrad.app.widgets import LossSpark
from stepgrad.app.widgets.loss_spark import bar_label, epoch_means, per_bar, progress_text

# ex4-3's losses of epoch 0 (replay #3, #16, #29): (1 - 2)², (2.04 - 4)², (3.2952 - 6)².
EPOCH0 = [1.0, 3.8415999999999997, 7.315943039999998]


class TestEpochMeans:
    def test_the_mean_of_each_whole_epoch(self) -> None:
        """(1.0 + 3.8416 + 7.31594304) / 3 = 4.05251434666...; epoch 1 has one of its three
        steps only: no mean yet."""
        means = epoch_means(np.array([*EPOCH0, 0.5465822333439999]), 3)
        assert len(means) == 1 and means[0][0] == 0
        assert means[0][1] == pytest.approx(12.157543039999998 / 3, rel=1e-15)

    def test_only_the_last_epochs_are_computed(self) -> None:
        """10,000 epochs of 10 steps, the loss of step k being k: epoch e's mean is 10e + 4.5;
        the last 3 asked for are 9997-9999."""
        means = epoch_means(np.arange(100_000, dtype=np.float64), 10, last=3)
        assert means == [(9997, 99974.5), (9998, 99984.5), (9999, 99994.5)]

    def test_progress_as_the_lecture_prints_it(self) -> None:
        """``progress: epoch loss`` for each whole epoch, 4 significant digits; the epoch
        still running is ·; what does not fit, or was not computed, is cut as …."""
        assert progress_text([(0, 4.052514346666666)], 1, 40) == "progress: 0 4.053  1 ·"
        three = [(0, 4.0525), (1, 2.2146), (2, 1.0703)]
        assert progress_text(three, None, 40) == "progress: 0 4.053  1 2.215  2 1.07"
        assert progress_text(three, None, 28) == "progress: … 1 2.215  2 1.07"
        assert progress_text(three[1:], None, 40) == "progress: … 1 2.215  2 1.07"
        assert progress_text([], 0, 40) == "progress: 0 ·"


class TestBarLabel:
    def test_one_bar_a_step_or_the_mean_of_several(self) -> None:
        """30 steps in 30 cells: a bar a step; in 20 cells, 2 steps a bar (15 bars); 31 steps
        in 2-step bars: the last bar has one, so about 2."""
        assert per_bar(30, 30) == 1 and per_bar(30, 20) == 2
        assert bar_label(30, 1) == "loss per step "
        assert bar_label(30, 2) == "loss per 2 steps "
        assert bar_label(31, 2) == "loss per ~2 steps "
        assert bar_label(30, 1, short=True, log=True) == "loss/step, log "


class TestInTheApp:
    @pytest.mark.parametrize("size", [(80, 24), (120, 40)])
    async def test_ex4_3_at_the_start_of_epoch_1(self, size: tuple[int, int]) -> None:
        """e from the start: step 3, epoch 1's first event. The plot says what a bar is;
        under it epoch 0's mean loss 4.053 and epoch 1 still running."""
        app = make_app(scenario("ex4-3"), oracle=mirror)
        async with app.run_test(size=size) as pilot:
            await pilot.press("e")
            await app.settle()
            await pilot.pause()
            spark = app.screen.query_one(LossSpark)
            lines = spark.render().plain.split("\n")
            assert spark.size.height == 2
            assert lines[0].startswith(("loss per step ", "loss/step ", "loss per 2 steps ", "loss/2 steps "))
            assert lines[1] == "progress: 0 4.053  1 ·"
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
        assert bar_label(100_000, 5_000, short=True, log=True) == "loss/5,000 steps, log "
