"""A box rounds a number once (newcomer's round 2, items 4 and 18)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from stepgrad.app.widgets.graph_sizing import box_number
from stepgrad.explain import set_digits


@pytest.fixture(autouse=True)
def _exact_after() -> Iterator[None]:
    yield
    set_digits(None)


def test_norm_under_six_digits_is_cut_from_the_exact_number() -> None:
    # lecture7's h1₁ norm 20.567505…: 6 cells show 20.568 exact; --digits 6 wrote 20.5675
    # and cut that again to 20.567.
    v = np.array([20.567505, 0.0])
    assert box_number(v, False, 8) == "‖20.568‖"
    set_digits(6)
    assert box_number(v, False, 8) == "‖20.568‖"
    assert box_number(20.567505, False, 6) == "20.568"


def test_rounded_text_that_fits_is_kept() -> None:
    set_digits(3)
    assert box_number(20.567505, False, 8) == "20.6"
    assert box_number(np.array([20.567505, 0.0]), False, 8) == "‖20.6‖"
