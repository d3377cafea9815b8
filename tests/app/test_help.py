"""The help text keeps its columns when a line wraps."""

from __future__ import annotations

from stepgrad.app.screens.help import KEYS, help_content


def test_wrapped_lines_stay_under_their_text() -> None:
    # 74 cells: the help box on an 80-column terminal (less border, padding, scroll bar).
    lines = help_content(74).plain.split("\n")
    assert max(len(line) for line in lines) <= 74
    graph = lines.index(next(line for line in lines if line.startswith("graph")))
    assert lines[graph] == "graph      one box per node: its name and operation, its value, and ∂ ="
    assert lines[graph + 1] == "           ∂loss/∂node;"
    x = lines.index(next(line for line in lines if line.startswith("  x ")))
    assert lines[x + 1] == "             events"


def test_wide_help_has_one_line_per_key() -> None:
    lines = help_content(88).plain.split("\n")
    keys = lines[lines.index("Keys") + 1 :]
    assert [line[2:13].rstrip() for line in keys[: len(KEYS)]] == [k for k, _ in KEYS]


def test_help_says_how_to_name_an_intermediate() -> None:
    """Generated names are explained, and how to choose one's own: a line under model:."""
    text = " ".join(help_content(88).plain.split())
    assert "y_hat₁, y_hat₂ … are the operations inside the line y_hat: of model:" in text
    assert "To name one yourself, give it its own line under model:" in text


def test_help_reads_the_loss_plot_the_theme_and_the_waiting_w() -> None:
    """What issue 11 added for a newcomer: what a bar of the loss plot is and the progress
    line, the light theme for a projector, w pressed before the check, the c table live."""
    text = " ".join(help_content(88).plain.split())
    assert "one bar per step (loss per step)" in text
    assert "progress: 0 7.316 1 · is each epoch's last loss (its last sample's, not a mean)" in text
    assert "(log scale), short (log): bar heights by the logarithm of the loss" in text
    assert "stepgrad --theme textual-light" in text
    assert "w pressed while the hand formula is still being checked is not lost" in text
    assert "every step compared with torch; it follows n p f b u e and fills in" in text


def test_help_gives_the_notations_legend_and_the_digits_key():
    """Issue 11: the help says how a local gradient, a contribution, a total and the
    running sum are written, and that d rounds the numbers."""
    from stepgrad.app.screens.help import help_content

    text = help_content(88).plain
    assert "notation   local ∂s/∂y_hat  a local gradient" in text
    assert "∂loss/∂s  a total gradient: this backward pass's, every path summed" in text
    assert "∂loss/∂b via c  one path's contribution" in text
    assert "w.grad  what torch's .grad holds: without zero_grad, the running sum" in text
    assert "  d          numbers exact / 6 / 3 significant digits, in turn" in text
