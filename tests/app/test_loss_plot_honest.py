"""The loss plot read by a newcomer: lecture7's loss falls from 0.665 to 0.653 over its run,
1.8%; bars scaled between the smallest and the largest loss drew that as a collapse
(█▆▄▃▂▂▂▁▁…). Bars now stand in proportion to the loss, and the numbers say the drop."""

from __future__ import annotations

import numpy as np
import pytest
from app_helpers import mirror, scenario

from stepgrad.app.app import make_app
from stepgrad.app.widgets import LossSpark
from stepgrad.app.widgets.loss_spark import BARS, range_text, spark


class TestHeights:
    def test_a_small_drop_stays_near_the_top(self) -> None:
        """0.6652, 0.66, 0.6532: each at least 98% of the largest, 7 of 7 levels (█); the
        old min-max scale drew █▄▁."""
        assert spark(np.array([0.6652, 0.66, 0.6532]), 3, 2, 3)[0] == "███"

    def test_heights_in_proportion_from_zero(self) -> None:
        """1.0 then 0.5: half the height, 3.5 of 7 levels rounds to 4 (▅); 1.0 then 0.0 is
        the lowest bar."""
        assert spark(np.array([1.0, 0.5]), 2, 1, 2)[0] == "█▅"
        assert spark(np.array([1.0, 0.0]), 2, 1, 2)[0] == "█▁"

    def test_a_negative_loss_keeps_the_smallest_at_the_bottom(self) -> None:
        """A loss below 0 has no zero line to stand on: -1 and 1 span the plot."""
        assert spark(np.array([-1.0, 1.0]), 2, 1, 2)[0] == "▁█"

    def test_one_loss_stands_at_mid_height(self) -> None:
        """One step, nothing to compare it with: the middle bar, as before."""
        assert spark(np.array([0.6652]), 100, 0, 25)[0][0] == BARS[len(BARS) // 2]


class TestRangeText:
    def test_first_and_latest_loss(self) -> None:
        """lecture7's step 0 and step 99 losses, 4 significant digits as the progress line:
        0.6652071475982666 -> 0.6652, 0.6531982421875 -> 0.6532."""
        assert range_text([0.6652071475982666, 0.66, 0.6531982421875]) == "0.6652→0.6532"

    def test_whole_numbers_read_as_floats_and_one_loss_alone(self) -> None:
        assert range_text([1.0, 0.03185]) == "1.0→0.03185"
        assert range_text([2.0]) == "2.0"
        assert range_text([]) == "·"

    def test_more_digits_where_four_read_the_same(self) -> None:
        """0.66521 and 0.66524 are both 0.6652 to 4 digits: 5 tell them apart."""
        assert range_text([0.66521, 0.66524]) == "0.66521→0.66524"


class TestLecture7:
    @pytest.mark.parametrize("size", [(120, 40), (200, 60)])
    async def test_at_the_end_the_drop_reads_small(self, size: tuple[int, int]) -> None:
        """End of lecture7 (100 steps): every bar at the top level, since the smallest loss
        is 98% of the largest (0.6532 / 0.6652), and the numbers beside them; the progress
        line as before."""
        app = make_app(scenario("lecture7"), oracle=mirror)
        async with app.run_test(size=size) as pilot:
            await pilot.press("end")
            await app.settle()
            await pilot.pause()
            spark_ = app.screen.query_one(LossSpark)
            plot, progress = spark_.render().plain.split("\n")
            label, bars, numbers = plot.split()[0:-2], plot.split()[-2], plot.split()[-1]
            # 100 steps: bars of equal steps (10 or 4), never ~8 and a last bar of 4.
            assert " ".join(label) in ("loss/10 steps", "loss/4 steps")
            assert set(bars) == {"█"}
            assert numbers == "0.6652→0.6532"
            assert progress.startswith("progress: … ") and progress.endswith(" 99 0.6532")

    async def test_lecture9_falls_to_a_fifth(self) -> None:
        """lecture9 falls from 1.253 to 0.2358 (19%) in 100 steps, drawn as 10 bars of 10:
        the first bar (mean 1.0376) at the top, the last (mean 0.2419, 23% of it) at
        0.233 × 7 = 1.6 levels, rounded to 2 (▃), and 1.253→0.2358 beside them."""
        app = make_app(scenario("lecture9"), oracle=mirror)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("end")
            await app.settle()
            await pilot.pause()
            plot = app.screen.query_one(LossSpark).render().plain.split("\n")[0]
            bars, numbers = plot.split()[-2], plot.split()[-1]
            assert len(bars) == 10
            assert bars[0] == "█" and bars[-1] == "▃"
            assert numbers == "1.253→0.2358"


async def test_lecture5_at_the_end_keeps_its_numbers_beside_log_bars() -> None:
    """lecture5 falls from 25.79 to 0.0001 (five decades): at End the bars go on a log scale,
    whose longer label had left no room for the numbers (25 bars, no numbers, where there had
    been 10 bars and 25.79). Fewer bars now, and the drop's size in numbers."""
    app = make_app(scenario("lecture5"), oracle=mirror)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("end")
        await app.settle()
        await pilot.pause()
        plot = app.screen.query_one(LossSpark).render().plain.split("\n")[0]
        assert "(log)" in plot
        assert plot.split()[-1] == "25.79→0.0001042"
