"""The inspector folds long lines between words: an indented line goes on under its own text."""

from __future__ import annotations

from stepgrad.app.widgets.inspector import wrap


def text(lines) -> list[str]:  # type: ignore[no-untyped-def]
    return ["".join(t for t, _ in line) for line in lines]


def test_an_indented_product_goes_on_under_its_own_text() -> None:
    """A drill's product at 40 cells: the result goes on at column 4 (its indent of 2, plus
    2), not at the left edge, where it read as a line of its own (a student's walk, lecture5
    #12)."""
    line = [("  k=0  ", ""), ("1.0", "num"), (" × ", ""), ("(-2.627330780029297)", "num"),
            (" = ", ""), ("-2.627330780029297", "num")]  # fmt: skip
    assert text(wrap([line], 40)) == ["  k=0  1.0 × (-2.627330780029297) = ", "    -2.627330780029297"]


def test_prose_still_goes_on_at_the_left_edge() -> None:
    line = [("the quick brown fox jumps over the lazy dog and more words here", "")]
    assert text(wrap([line], 30)) == [
        "the quick brown fox jumps ",
        "over the lazy dog and more ",
        "words here",
    ]
