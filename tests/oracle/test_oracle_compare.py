"""compare(): the verdicts and the dtype-aware tolerances stated in its docstring."""

from __future__ import annotations

import math

import numpy as np
import pytest

from stepgrad.compare import compare


def test_same_bits_is_equal_with_zero_diff():
    v = compare(-7.840000152587891, np.float32(-7.84), "float32")
    assert (v.status, v.diff, v.ok) == ("equal", 0.0, True)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_signed_zeros_are_equal(dtype):
    """IEEE equality, as torch.equal(tensor(-0.0), tensor(0.0)) is True: -0.0 and 0.0 are
    the same number, whatever order of operations gave the sign."""
    assert compare(0.0, -0.0, dtype) == compare(-0.0, 0.0, dtype) == compare(0.0, 0.0, dtype)
    v = compare(np.float32(-0.0), 0.0, dtype)
    assert (v.status, v.diff, v.tol, v.ok) == ("equal", 0.0, 0.0, True)


@pytest.mark.parametrize(
    ("a", "b", "dtype", "status"),
    [
        (1.0, 1.0 + 2**-52, "float64", "close"),  # one ulp
        (1.0, 1.0 + 1e-8, "float64", "differs"),  # beyond rtol 1e-9
        (1.0, 1.0 + 1e-8, "float32", "close"),
        (1.0, 1.0 + 1e-3, "float32", "differs"),  # beyond rtol 1e-4
        (0.0, 5e-13, "float64", "close"),  # atol 1e-12
        (0.0, 5e-12, "float64", "differs"),
        (0.0, 5e-6, "float32", "close"),  # atol 1e-5
        (0.0, 5e-5, "float32", "differs"),
    ],
)
def test_tolerances(a, b, dtype, status):
    v = compare(a, b, dtype)
    assert v.status == status
    assert v.diff == abs(a - b)


def test_missing_on_one_side_and_none_on_both():
    assert compare(None, 1.0, "float64").status == "missing"
    assert math.isnan(compare(2.0, None, "float64").diff)
    assert compare(None, None, "float64").status == "equal"


def test_nan_and_infinities():
    assert compare(math.nan, math.nan, "float64").status == "equal"
    assert compare(math.nan, 1.0, "float64").status == "differs"
    assert compare(math.inf, math.inf, "float32").status == "equal"
    v = compare(math.inf, -math.inf, "float64")
    assert (v.status, v.diff) == ("differs", math.inf)
    assert compare(1e308, math.inf, "float64").status == "differs"


def test_explicit_tolerance_overrides_dtype():
    assert compare(1.0, 1.1, "float64", rtol=0.2).status == "close"
    assert compare(0.0, 0.5, "float64", rtol=0.0, atol=0.1).status == "differs"
