"""Newcomer's item 17: the matrix box (m) says "column 5" for a block of one column (was
"columns 5–5"), and m closes the box it opened (its footer said Esc, q or i)."""

from __future__ import annotations

from app_helpers import mirror, scenario

from stepgrad.app.app import make_app
from stepgrad.app.explainer import plain
from stepgrad.app.matrix import grid


def test_a_block_of_one_column_is_named_as_one() -> None:
    """A 2 × 3 matrix of 1.0 in 13 cells: row labels 3, two columns of 5 (" 1.0" and a
    gap), so blocks 0–1 and 2 alone."""
    import numpy as np

    text = plain(grid("W", np.ones((2, 3)), False, 13))
    assert "columns 0–1" in text and "\ncolumn 2\n" in text and "columns 2–2" not in text


async def test_m_closes_the_matrix_box() -> None:
    app = make_app(scenario("tiny-matmul"), oracle=mirror)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        main = app.screen
        for k in ("g", "1", "1", "enter", "m"):
            await pilot.press(k)
        await pilot.pause()
        assert app.screen is not main
        assert app.screen.query_one("#inspect-box").border_subtitle == "↑↓ scroll · Esc, q or m closes"
        await pilot.press("m")
        await pilot.pause()
        assert app.screen is main
