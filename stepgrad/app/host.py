"""What the parts of the app know of one another: the state that ``StepgradApp`` holds and
the methods one part calls on another.

``StepgradApp`` is put together from parts, one per concern: the cursor and its keys
(``cursor.Cursor``), the background work (``workers.Workers``), and the app itself
(``app.StepgradApp``: the state, the drawing, the dialogs). Each part is a mixin whose
base, for the type checker only, is ``AppHost``; at run time the base is ``object``, so
the parts add nothing to Textual's view of the app (its bindings, CSS and message
handlers are the App's own).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio
    import threading
    from collections.abc import Callable

    from textual.app import App
    from textual.reactive import reactive

    from stepgrad.app.cursor import Waiting
    from stepgrad.app.drill import Drill, Driller
    from stepgrad.app.explainer import Explainer
    from stepgrad.app.roads_model import RoadsModel
    from stepgrad.app.screens.main import MainScreen
    from stepgrad.app.trace import Trace
    from stepgrad.app.workers import Deriver, Oracle
    from stepgrad.scenario import Scenario

    class AppHost(App[int]):
        """The app as each part sees it (see ``StepgradApp`` for what each attribute means)."""

        position: reactive[int]
        scenario: Scenario
        trace: Trace
        explainer: Explainer
        roads: RoadsModel
        breakpoints: set[int]
        selected: int | None
        inspecting: bool
        element: tuple[int, ...] | None
        driller: Driller | None
        drill: Drill | None
        message: str
        playing: bool
        speed: float
        torch: list[Any]
        torch_state: str
        derivation: Any
        roads_state: str
        first_wrong: Any
        roads_pick: int | None
        waiting: Waiting | None
        exiting: asyncio.Event
        _main: MainScreen
        _timer: Any
        _oracle: Oracle
        _deriver: Deriver
        _torch_want: int
        _torch_cv: threading.Condition
        _seeking: bool
        _t0: float | None
        _gc_owned: bool
        _switch_interval: float | None

        def redraw(self) -> None: ...
        def take_over(self) -> None: ...
        def current_node(self) -> int | None: ...
        def _forget_message(self) -> None: ...
        def _draw_status(self, pos: int, state: Any, phase: str) -> None: ...
        def go(self, target: int, message: str = "") -> None: ...
        def act_on_waiting(self, worker: str) -> None: ...
        def _cancel_seek(self) -> None: ...
        def _seek(self, step: int, then: Callable[[], None], what: str) -> None: ...
        def _gc_tick(self) -> None: ...

else:
    AppHost = object
