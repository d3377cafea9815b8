"""Pilot test, issue 11: the d key cycles the numbers shown between exact, 6 and 3
significant digits, in every panel, and the status line says which."""

from __future__ import annotations

from app_helpers import mirror, scenario

from stepgrad.app.app import StepgradApp, make_app
from stepgrad.app.widgets import GraphView, Inspector, StatusBar, TimelineList
from stepgrad.explain import digits, set_digits

SIZE = (120, 40)


def status(app: StepgradApp) -> str:
    return app.screen.query_one(StatusBar).plain


def inspector(app: StepgradApp) -> str:
    return app.screen.query_one(Inspector).plain


def timeline_row(app: StepgradApp, seq: int) -> str:
    view = app.screen.query_one(TimelineList)
    return view.render_line(seq - int(view.scroll_y)).text.rstrip()


async def press(pilot, *keys: str) -> None:  # type: ignore[no-untyped-def]
    for k in keys:
        await pilot.press(k)
    await pilot.app.settle()
    await pilot.pause()


async def test_d_cycles_exact_6_and_3_digits() -> None:
    """no-zero-grad at #25, step 1's update: w ← 1.0199999809265137 − 0.009999999776482582
    × (-9.84000015258789) = 1.118399977684021. d: 6 digits (1.02 − 0.01 × (-9.84) = 1.1184),
    d: 3 digits (= 1.12), d: exact again; the status line says which."""
    app = make_app(scenario("no-zero-grad"), oracle=mirror)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "g", "2", "5", "enter")
            exact = "1.0199999809265137 − 0.009999999776482582 × (-9.84000015258789) = 1.118399977684021"
            assert exact in inspector(app) and "digits" not in status(app)
            await press(pilot, "d")
            assert digits() == 6
            assert "numbers to 6 significant digits" in status(app)
            assert "1.02 − 0.01 × (-9.84) = 1.1184" in inspector(app)
            assert timeline_row(app, 24).endswith("grads: w.grad = -9.84")
            await press(pilot, "n")  # the message answers one key; the tag stays
            assert "6 digits" in status(app)
            await press(pilot, "p", "d")
            assert "numbers to 3 significant digits" in status(app)
            assert "1.02 − 0.01 × (-9.84) = 1.12" in inspector(app)
            assert "1.12" in "\n".join(app.screen.query_one(GraphView).text_rows())
            await press(pilot, "d")
            assert digits() is None and "numbers exact, as stored" in status(app)
            assert exact in inspector(app)
            assert timeline_row(app, 24).endswith("grads: w.grad = -9.84000015258789")
    finally:
        set_digits(None)


async def test_digits_from_the_command_line_start_rounded() -> None:
    """make_app(digits=3), as stepgrad --digits 3: lecture4-torch (float32) is rounded from
    the start: its first update reads 1.0 − 0.01 × (-2.0) = 1.02, where the exact numbers
    are 0.009999999776482582 and 1.0199999809265137."""
    app = make_app(scenario("lecture4-torch"), oracle=mirror, digits=3)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, "u")
            assert "3 digits" in status(app)
            assert "= 1.0 − 0.01 × (-2.0) = 1.02" in inspector(app)
            assert "0.009999999776482582" not in inspector(app)
    finally:
        set_digits(None)
