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


ENTRIES = "[[0.22272515296936035], [0.16865044832229614], [0.1126495972275734], [0.06913673877716064]]"


def test_an_array_too_wide_to_hang_under_its_equals_goes_on_two_cells_in() -> None:
    """lecture6 #6 at 44 cells (80x24): the entries of local ∂y_hat/∂y_hat₂ go on under the
    text after a "=" moved two cells in, each whole; '= [[0.22272515296936035' ran into the
    border, its '],' and the other rows lost."""
    lines = [
        [("local ∂y_hat/∂y_hat₂", "formula"), (" = ", "dim"), ("y_hat*(1-y_hat)", "formula")],
        [(" " * 20, ""), (" = ", "dim"), (ENTRIES, "num")],
    ]
    assert text(wrap(lines, 44)) == [
        "local ∂y_hat/∂y_hat₂ = y_hat*(1-y_hat)",
        "  = [[0.22272515296936035], ",
        "    [0.16865044832229614], ",
        "    [0.1126495972275734], ",
        "    [0.06913673877716064]]",
    ]


def test_no_line_is_wider_than_the_panel() -> None:
    """A word wider than the whole line ends in … (i and c give it whole)."""
    line = [("= ", ""), ("[[0.22272515296936035]]", "num")]
    got = text(wrap([line], 16))
    assert all(len(t.rstrip()) <= 16 for t in got) and got[-1].endswith("…")


async def test_lecture6_at_80x24_every_inspector_line_fits() -> None:
    """lecture6 at 80x24, n ×7 (#6): no line of the inspector is wider than its panel, and
    the first entry [[0.22272515296936035], is shown whole."""
    from app_helpers import mirror, scenario

    from stepgrad.app.app import make_app
    from stepgrad.app.widgets import Inspector

    app = make_app(scenario("lecture6"), oracle=mirror)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(7):
            await pilot.press("n")
        await pilot.pause()
        inspector = app.screen.query_one(Inspector)
        shown = inspector.shown.splitlines()
        assert all(len(t.rstrip()) <= inspector.size.width for t in shown), shown
        assert "  = [[0.22272515296936035]," in [t.rstrip() for t in shown]
