"""A box rounds a number once (newcomer's round 2, items 4 and 18)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from stepgrad.app.widgets.graph_sizing import box_number, compact
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


def test_small_gradient_keeps_two_digits_with_an_exponent() -> None:
    # A lecture7 gradient norm 0.000226…: 6 cells wrote ‖0.0002‖ (one digit) where 4 cells
    # write ‖2e-4‖; an exponent keeps two digits in the same 6 cells.
    assert box_number(np.array([0.000226123, 0.0]), False, 8) == "‖2.3e-4‖"
    assert compact("0.000226123", 6) == "2.3e-4"
    # Two digits or more in fixed point stay as they were.
    assert compact("0.00123456", 6) == "0.0012"
    assert compact("0.2806168405841364", 6) == "0.2806"
    assert compact("0.000226123", 8) == "0.000226"


def test_a_short_number_with_zeros_stays_fixed_point() -> None:
    # 0.05000000000000002 in 6 cells is 0.05 (0.0500: three digits kept), not 5.0e-2.
    assert compact("0.05000000000000002", 6) == "0.05"
