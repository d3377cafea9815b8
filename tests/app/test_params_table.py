"""The params panel's table: one layout per run and size; what the inspector talks about
stays when not every row fits."""

from __future__ import annotations

from stepgrad.app.comparison import PENDING, Row
from stepgrad.app.widgets.params import EXACT_W, table


def _text(lines: list) -> list[str]:  # type: ignore[type-arg]
    return ["".join(t for t, _ in line).rstrip() for line in lines]


ROWS = [
    Row("w1", 1.0, 1.0, "equal"),
    Row("∂loss/∂w1", 2.0, 2.0, "equal"),
    Row("w2", 0.98, 0.98, "equal"),
    Row("∂loss/∂w2", 22.879999999999995, 22.879999999999995, "equal"),
    Row("b", 1.0, 1.0, "equal"),
    Row("∂loss/∂b", None, None, PENDING, at=60),
    Row("loss", 8.179599999999997, 8.179599999999997, "equal"),
]


def test_everything_fits_in_order() -> None:
    text = _text(table(ROWS, "done", 80, 20))
    assert [t.split()[0] for t in text[1:]] == ["w1", "∂loss/∂w1", "w2", "∂loss/∂w2", "b", "∂loss/∂b", "loss"]


def test_the_current_params_rows_are_kept_when_not_all_fit() -> None:
    # 30 cells, 5 lines: the header, w2's two rows, the loss, and the "more" line.
    text = _text(table(ROWS, "done", 30, 5, keep=frozenset({"w2"})))
    assert [t.split()[0] for t in text[1:4]] == ["w2", "∂loss/∂w2", "loss"]
    assert "22.879999999999995" in text[2]
    assert text[-1] == "+ 2 more (c: all)"  # w1 and b


def test_without_a_current_param_the_loss_comes_first() -> None:
    text = _text(table(ROWS, "done", 30, 4))
    assert text[1].startswith("loss") and "8.179599999999997" in text[1]
    assert text[-1] == "+ 3 more (c: all)"


def test_the_form_follows_the_width_not_the_numbers() -> None:
    """Torch's column where two numbers of 18 cells and marks in words fit (80 cells); a mark
    per row under "stepgrad · torch" below that, in words at 60 cells, in one cell at 30. Short
    numbers (1.0) get no other layout than long ones: the widths are the run's."""
    assert _text(table(ROWS, "done", 80, 20))[0].split() == ["stepgrad", "torch"]
    assert _text(table(ROWS, "done", 80, 20))[6].split() == ["∂loss/∂b", "·", "…", "compared", "at", "#60"]
    at60 = _text(table(ROWS, "done", 60, 20))
    assert at60[0].strip() == "stepgrad · torch"
    assert at60[1].split() == ["w1", "1.0", "✓", "equal"]
    at30 = _text(table(ROWS, "done", 30, 20))
    assert at30[1].split() == ["w1", "1.0", "✓"] and at30[6].split() == ["∂loss/∂b", "·", "…"]
    short = [Row("w", 1.0, 1.0, "equal"), Row("∂loss/∂w", -2.0, -2.0, "equal"),
             Row("loss", 1.0, 1.0, "equal")]  # fmt: skip
    long = [Row("w", 1.0, 1.0, "equal"), Row("∂loss/∂w", -7.840000152587891, -7.840000152587891, "equal"),
            Row("loss", 1.0, 1.0, "equal")]  # fmt: skip
    for width in (30, 46, 68):
        a, b = _text(table(short, "done", width, 10)), _text(table(long, "done", width, 10))
        assert a[0] == b[0] and a[1] == b[1]  # the header, w's row
        assert a[2].index("✓") == b[2].index("✓")  # the mark in the same column


def test_a_number_too_long_for_its_cell_ends_in_an_ellipsis() -> None:
    """A number of 20 cells is whole (-0.09269886997481017); one with an exponent over 20 is
    cut before its exponent, with …."""
    big = -1.2345678901234567e-05
    rows = [Row("w", -0.09269886997481017, -0.09269886997481017, "equal"), Row("∂loss/∂w", big, big, "equal"),
            Row("loss", 1.0, 1.0, "equal")]  # fmt: skip
    text = _text(table(rows, "done", 40, 10))
    assert text[1].split()[1] == "-0.09269886997481017"
    assert text[2].split()[1] == "-1.234567890123…e-05" and len(text[2].split()[1]) == EXACT_W


def test_both_nan_is_not_a_green_tick() -> None:
    nan = float("nan")
    rows = [Row("w", 1.0, 1.0, "equal"), Row("∂loss/∂w", nan, nan, "equal"), Row("loss", nan, nan, "equal")]
    lines = table(rows, "done", 60, 10)
    text = _text(lines)
    assert text[2].split() == ["∂loss/∂w", "nan", "=", "both", "nan"]
    assert [role for _, role in lines[2]][-1] == "warn"
