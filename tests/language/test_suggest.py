"""``did you mean``: the case of a name first, then difflib, then one slip in a short name."""

from __future__ import annotations

import pytest

from stepgrad.language.suggest import closest, did_you_mean


@pytest.mark.parametrize(
    ("typed", "names", "meant"),
    [
        ("W", ["w", "x", "y"], "w"),  # no letter in common for difflib: the case decides
        ("Loss", ["l", "loss"], "loss"),
        ("los", ["l", "loss"], "loss"),  # difflib's ratio 2·3/7 = 0.86
        ("y_ht", ["y_hat", "y"], "y_hat"),
        ("sl", ["ls", "w"], "ls"),  # two letters swapped: ratio 0.5, one slip
        ("lw", ["wl"], "wl"),
        ("EX4-3", ["ex4-3", "ex4-4"], "ex4-3"),
        ("Model", ["model", "params"], "model"),
        ("z", ["x", "w"], None),  # one letter: any other is one slip away, no guess
        ("learning", ["w", "x"], None),
    ],
)
def test_closest(typed: str, names: list[str], meant: str | None) -> None:
    assert closest(typed, names) == meant


def test_the_same_name_is_never_suggested() -> None:
    """A name refused for another reason (e.g. a data name given as loss) is not its own
    suggestion."""
    assert closest("x", ["x", "X"]) == "X" and closest("x", ["x"]) is None


def test_the_hint_text() -> None:
    assert did_you_mean("W", ["w"]) == "; did you mean 'w'?"
    assert did_you_mean("q", ["w"]) == ""
