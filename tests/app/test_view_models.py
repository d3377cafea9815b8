"""The view-models the app hands its widgets, made without a running app."""

from __future__ import annotations

from app_helpers import scenario

from stepgrad.app.roads_model import RoadsModel
from stepgrad.app.status_model import status_line
from stepgrad.app.trace import START, Trace


def _text(spans: list[tuple[str, str]]) -> str:
    return "".join(text for text, _ in spans)


def test_status_line_at_the_start_names_the_scenario_and_counts_the_events() -> None:
    sc = scenario("lecture4")
    trace = Trace(sc.program)
    left, right = status_line(
        trace, sc, START, trace.state(START), message="", narrow=False, playing=False, speed=4.0, width=120
    )
    assert _text(left) == f" stepgrad · {sc.name}"
    assert _text(right) == "start · 13 events "


def test_a_long_message_on_a_narrow_screen_leaves_only_the_position() -> None:
    sc = scenario("lecture4")
    trace = Trace(sc.program)
    message = "a message longer than what is left of a forty-column line"
    left, right = status_line(
        trace, sc, 3, trace.state(3), message=message, narrow=True, playing=False, speed=4.0, width=40
    )
    assert _text(left) == " " + message
    assert _text(right) == "#3 "


def test_roads_view_before_the_backward_pass_waits_for_sympy_and_torch() -> None:
    sc = scenario("lecture4")
    trace = Trace(sc.program)
    view = RoadsModel(trace, sc).view(
        START,
        trace.focus(START),
        derivation=None,
        torch=[],
        torch_state="loading",
        first_wrong=None,
        checking=True,
        selected=None,
        pick=None,
    )
    assert view.shown == "w"
    assert view.roads is None
    assert view.torch == "loading…"
