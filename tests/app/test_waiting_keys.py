"""Pilot tests: a key pressed while the worker it needs is still busy is remembered, said
in the status line, and acted on when the worker answers."""

from __future__ import annotations

import threading

from app_helpers import mirror, scenario

from stepgrad import symbolic
from stepgrad.app.app import StepgradApp, make_app
from stepgrad.app.widgets import StatusBar

SIZE = (120, 40)


def status(app: StepgradApp) -> str:
    return app.screen.query_one(StatusBar).plain


def held_deriver(gate: threading.Event):  # type: ignore[no-untyped-def]
    """sympy held until ``gate`` is set (the hand-derivation check waits for it)."""

    def derive(graph):  # type: ignore[no-untyped-def]
        gate.wait(20)
        return symbolic.derive(graph, timeout_s=60.0)

    return derive


class TestWaitingKeys:
    async def test_w_before_the_check_is_acted_on_when_it_answers(self) -> None:
        """ex4-4-wrong: w at the start while sympy is held says it waits and stays put; once
        the check answers, the app goes to step 1's backward_end (#55), where w2's hand
        formula first goes wrong, as w does when pressed after the check."""
        symbolic.clear_cache()
        gate = threading.Event()
        app = make_app(scenario("ex4-4-wrong"), oracle=mirror, deriver=held_deriver(gate))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("w")
            await pilot.pause()
            assert app.roads_state != "done"
            assert app.position == -1
            assert "w: waiting for the hand-derivation check…" in status(app)
            # A key that does not move (the timeline folded) keeps it waiting, and said.
            await pilot.press("t")
            await pilot.pause()
            assert "w: waiting for the hand-derivation check…" in status(app)
            gate.set()
            await app.settle()
            await pilot.pause()
            assert app.position == 55
            assert "hand formula for w2 wrong here" in status(app)
            assert app.waiting is None

    async def test_a_move_meanwhile_forgets_the_waiting_key(self) -> None:
        """w, then n before the check answers: the user has moved on; the answer moves nothing."""
        symbolic.clear_cache()
        gate = threading.Event()
        app = make_app(scenario("ex4-4-wrong"), oracle=mirror, deriver=held_deriver(gate))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("w", "n")
            await pilot.pause()
            assert app.position == 0 and app.waiting is None
            assert "waiting" not in status(app)
            gate.set()
            await app.settle()
            await pilot.pause()
            assert app.position == 0
