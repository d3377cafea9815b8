"""The params panel's table when not every row fits: what the inspector talks about stays."""

from __future__ import annotations

from stepgrad.app.comparison import PENDING, Row
from stepgrad.app.widgets.params import table


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


def test_the_current_params_gradient_comes_before_the_loss() -> None:
    # 30 cells: each row takes two lines (number, then mark); 7 lines leave room for two rows.
    text = _text(table(ROWS, "done", 30, 7, keep=frozenset({"w2"})))
    assert text[1].startswith("w2") and "0.98" in text[1]
    assert text[3].startswith("∂loss/∂w2") and "22.879999999999995" in text[3]
    assert text[-1] == "+ 3 more (c: all)"  # w1, b and the loss


def test_without_a_current_param_the_loss_comes_first() -> None:
    text = _text(table(ROWS, "done", 30, 7))
    assert text[1].startswith("loss") and "8.179599999999997" in text[1]
    assert text[-1] == "+ 3 more (c: all)"


def test_room_for_one_row_keeps_the_gradient() -> None:
    text = _text(table(ROWS, "done", 30, 5, keep=frozenset({"w2"})))
    assert text[1].startswith("∂loss/∂w2")
    assert text[-1] == "+ 3 more (c: all)"  # w2's value row is shown in part only


def test_the_header_names_torch_once_whatever_the_width() -> None:
    """Side by side (a torch column) or not (a mark per row), never a "torch" over the marks."""
    # With one-cell marks, side by side takes 11 + 20 + 20 + 1 = 52 cells (label, stepgrad,
    # torch, mark); with the marks' words, 11 + 20 + 20 + 16 = 67.
    heads = {_text(table(ROWS, "done", w, 20))[0].strip() for w in range(30, 52)}
    assert heads == {"stepgrad · torch"}
    for w in (52, 67):
        assert _text(table(ROWS, "done", w, 20))[0].split() == ["stepgrad", "torch"]


def test_short_marks_make_room_for_torch_s_number() -> None:
    """lecture4 at #9 in a 30-cell panel: w 1.0 1.0 ✓, ∂loss/∂w -2.0 -2.0 ✓, loss 1.0 1.0 ✓."""
    rows = [
        Row("w", 1.0, 1.0, "equal"),
        Row("∂loss/∂w", -2.0, -2.0, "equal"),
        Row("loss", 1.0, 1.0, "equal"),
    ]
    assert [line.split() for line in _text(table(rows, "done", 30, 10))] == [
        ["stepgrad", "torch"],
        ["w", "1.0", "1.0", "✓"],
        ["∂loss/∂w", "-2.0", "-2.0", "✓"],
        ["loss", "1.0", "1.0", "✓"],
    ]
    # Room for the words: they stay.
    assert _text(table(rows, "done", 40, 10))[2].split() == ["∂loss/∂w", "-2.0", "-2.0", "✓", "equal"]


def test_both_nan_is_not_a_green_tick() -> None:
    nan = float("nan")
    rows = [Row("w", 1.0, 1.0, "equal"), Row("∂loss/∂w", nan, nan, "equal"), Row("loss", nan, nan, "equal")]
    lines = table(rows, "done", 60, 10)
    text = _text(lines)
    assert text[2].split() == ["∂loss/∂w", "nan", "nan", "=", "both", "nan"]
    assert [role for _, role in lines[2]][-1] == "warn"
