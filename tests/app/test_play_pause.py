"""Issue 11: play is paused by any key that moves the cursor or opens a view of where it is
(n p f b u e g home end a w, c, i, Enter on a node), also after space resumed play past a
breakpoint; the header's ``▶ 4/s`` goes with it."""

from __future__ import annotations

import pytest

from stepgrad.app.app import StepgradApp
from stepgrad.app.widgets import StatusBar

SIZE = (120, 40)


async def press(pilot, *keys: str) -> None:  # type: ignore[no-untyped-def]
    for k in keys:
        await pilot.press(k)
    await pilot.app.settle()
    await pilot.pause()


def header(app: StepgradApp) -> str:
    return app.screen_stack[0].query_one(StatusBar).plain


@pytest.mark.parametrize("key", ["n", "p", "f", "b", "u", "e", "g", "home", "end", "a", "w", "c", "i"])
async def test_a_stepping_key_pauses_play_resumed_past_a_breakpoint(app_of, key: str) -> None:  # type: ignore[no-untyped-def]
    """ex4-3: a breakpoint on w (x), play stops at its first event (#2, w's forward),
    space resumes play (▶ in the header), a tick moves on one event; then the key pauses
    play: no ▶, and no tick moves the cursor any more (the timer is stopped)."""
    app = app_of("ex4-3")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n", "n", "x", "home", "space")
        app._tick()
        app._tick()
        assert not app.playing and app.message.startswith("breakpoint: stopped at")
        stopped = app.position
        await press(pilot, "space")
        app._tick()
        await pilot.pause()
        assert app.playing and app.position == stopped + 1 and "▶" in header(app)
        await press(pilot, key)
        assert not app.playing and app._timer is None
        assert "▶" not in header(app)


async def test_enter_on_a_selected_node_pauses_play(app_of) -> None:  # type: ignore[no-untyped-def]
    """Tab selects a node, Enter opens it in the inspector: play pauses."""
    app = app_of("ex4-3")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "space")
        app._tick()
        assert app.playing
        await press(pilot, "tab", "enter")
        assert app.inspecting and not app.playing
