"""The stepgrad app: a cursor over a timeline, and everything drawn from "the state as of
event i".

The app owns the timeline, the keys and the position. Each move computes the state once
and hands it down to the widgets (``redraw``). The app is put together from parts, one
per concern (see ``stepgrad.app.host``):

- ``cursor.Cursor``: the keys that move the cursor (stepping, jumps, breakpoints, play)
  or change what is shown at it (the selected node, the three roads' param);
- ``workers.Workers``: the background work that keeps the keys answering at once (the
  timeline made after the first frame, far jumps in slices, the torch and sympy workers,
  the garbage collector between frames);
- the view-models the widgets draw: ``roads_model`` (the three roads), ``status_model``
  (the status line), ``comparison`` (params beside torch), ``explainer`` (the inspector);
- this module: the state, the bindings, the drawing and the dialogs.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen

from stepgrad.app import comparison
from stepgrad.app.cursor import NEAR, SPEEDS, Cursor, Waiting
from stepgrad.app.elements import Elements
from stepgrad.app.explainer import Explainer
from stepgrad.app.roads_model import RoadsModel
from stepgrad.app.screens.main import MainScreen
from stepgrad.app.status_model import status_line
from stepgrad.app.theme import readable
from stepgrad.app.trace import START, Trace
from stepgrad.app.watchers import forget_closed_watchers
from stepgrad.app.widgets import (
    GraphView,
    Inspector,
    LossSpark,
    ParamsPanel,
    RoadsPanel,
    StatusBar,
    TimelineList,
)
from stepgrad.app.widgets.roads import ROADS_NONE
from stepgrad.app.workers import GC_BATCH, SLICE, Deriver, Oracle, Workers, default_deriver, default_oracle
from stepgrad.explain import DIGITS_CHOICES, digits, set_digits
from stepgrad.scenario import Scenario

if TYPE_CHECKING:
    from stepgrad.app.drill import Drill, Driller
    from stepgrad.app.screens.compare import CompareScreen

__all__ = [
    "DEFAULT_THEME",
    "GC_BATCH",
    "NEAR",
    "PHASE_COLOR",
    "SLICE",
    "SPEEDS",
    "Deriver",
    "Oracle",
    "StepgradApp",
    "make_app",
]

PHASE_COLOR = {
    "start": "$text-muted",
    "forward": "$secondary",
    "local": "$warning",
    "backward": "$primary",
    "update": "$success",
    "predict": "$accent",
}
"""Theme variable of each phase's colour (the same as the TCSS component classes)."""

DEFAULT_THEME = "tokyo-night"
"""Its primary, secondary, warning and success colours are four distinct hues, one per phase."""


class StepgradApp(Cursor, Workers, Elements, App[int]):
    """Step through backpropagation.

    Args:
        scenario: the loaded scenario.
        oracle: where torch's numbers come from; None for ``stepgrad.oracle.torch_steps``.
        theme: the theme (pinned for screenshots).
        autoplay: start playing at once.
        deriver: where the closed forms come from; None for ``stepgrad.symbolic.derive``.
    """

    CSS_PATH = Path(__file__).parent / "stepgrad.tcss"
    ENABLE_COMMAND_PALETTE = False
    TITLE = "stepgrad"

    BINDINGS: ClassVar[list[BindingType]] = [
        # The footer shows the keys with show=True in its own order (keys_footer.ORDER, with
        # the graph's keys of MainScreen), cut at the right edge (every key is under ?).
        # N and P too: caps lock on should not make the two main keys do nothing.
        Binding("n,right,N", "next", "next", id="step.next"),
        Binding("p,left,P", "prev", "prev", id="step.prev"),
        Binding("question_mark", "help", "help", id="app.help"),
        Binding("q", "quit", "quit", id="app.quit"),
        Binding("f", "forward_end", "fwd", id="step.forward_end"),
        Binding("b", "backward_end", "bwd", id="step.backward_end"),
        Binding("space", "play", "play", id="play.toggle"),
        Binding("t", "toggle_timeline", "timeline", id="view.timeline"),
        Binding("r", "roads", "roads", id="roads.next"),
        Binding("c", "compare", "torch", id="torch.compare"),
        Binding("u", "next_update", "update", id="step.update"),
        Binding("e", "next_epoch", "epoch", id="step.epoch"),
        Binding("x", "breakpoint", "break", id="node.breakpoint"),
        Binding("g", "goto", "go to", id="step.goto"),
        Binding("home", "home", "start", id="step.home"),
        Binding("end", "end", "last", id="step.end"),
        # One place in the footer for both: "+ - speed".
        Binding("plus,equals_sign", "faster", "speed", key_display="+ -", id="play.faster"),
        Binding("minus", "slower", "slower", show=False, id="play.slower"),
        Binding("i", "inspect_all", "all lines", id="view.inspect"),
        Binding("a", "nonfinite", "NaN", id="step.nonfinite"),
        Binding("w", "first_wrong", "wrong hand formula", id="roads.first_wrong"),
        Binding("d", "digits", "digits", id="view.digits"),
        Binding("escape", "back", "back", show=False, id="node.back"),
        # A tensor lecture's keys (the inspector's hint line names them; no footer room).
        Binding("right_square_bracket", "element(1)", "next element", show=False, id="element.next"),
        Binding("left_square_bracket", "element(-1)", "previous element", show=False, id="element.prev"),
        Binding("o", "pick_element", "one element", show=False, id="element.pick"),
        Binding("m", "matrix", "whole matrix", show=False, id="view.matrix"),
    ]

    position: reactive[int] = reactive(START, init=False, repaint=False)
    """The current event's seq; START before the first."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        oracle: Oracle | None = None,
        theme: str = DEFAULT_THEME,
        autoplay: bool = False,
        deriver: Deriver | None = None,
        digits: int | None = None,
    ):
        super().__init__()
        self.scenario = scenario
        # Numbers to ``digits`` significant digits (None: exact), until the d key says otherwise.
        set_digits(digits)
        # The timeline (and NumPy with it) is made after the first frame (_load_engine).
        self.trace = Trace(scenario.program)
        self.explainer = Explainer(self.trace, scenario.name, scenario.description)
        self._oracle: Oracle = oracle or default_oracle
        if self.get_theme(theme).dark == self.current_theme.dark:  # type: ignore[union-attr]  # a built-in theme's name: never None
            # Quietly: the watcher would parse and apply every style sheet a second time (about
            # 8 ms of start-up) for a theme the style sheet has not even been read with yet.
            self.set_reactive(StepgradApp.theme, theme)
            self.stylesheet.set_variables(self.get_css_variables())
            mine = f"-theme-{theme}"
            self.remove_class(*(c for c in self.classes if c.startswith("-theme-") and c != mine))
            self.add_class(mine)
        else:
            self.theme = theme
        self.animation_level = "none"
        self.autoplay = autoplay
        self.breakpoints: set[int] = set()
        """Node ids with a breakpoint."""
        self.selected: int | None = None
        """The node clicked last (x puts a breakpoint on it); None: the current event's node."""
        self.inspecting = False
        """True while the inspector shows the selected node rather than the event."""
        self.message = ""
        """A one-off message in the header (cleared by the next move)."""
        self.playing = False
        self.speed = 4.0
        self._timer: Any = None
        self._main = MainScreen(self)
        self.torch: list[Any] = []
        """Torch steps received so far (step k at index k)."""
        self.torch_state = "loading"
        """``loading`` (nothing yet), ``running``, ``done`` or an error message."""
        self._torch_want = 0
        self._torch_cv = threading.Condition()
        self._seeking = False
        self.last_latency: float | None = None
        """Seconds from the start of the last key's action to its screen (for the benchmark)."""
        self._t0: float | None = None
        self.latencies: list[float] = []
        self._gc_owned = False
        self._switch_interval: float | None = None
        self.headless_size: tuple[int, int] | None = None
        """The terminal size for a headless run (set by ``make_app``)."""
        self._deriver: Deriver = deriver or default_deriver
        self.derivation: Any = None
        """The closed forms (``symbolic.Derivation`` or ``TooLarge``); None while deriving."""
        self.roads_state = "deriving"
        """``deriving``, ``checking`` (the hand derivation over the run) or ``done``."""
        self.first_wrong: Any = None
        """Where a hand derivation first disagrees (``manual.Disagreement``), if it does."""
        self.roads_pick: int | None = None
        """The param chosen with ``r`` (an index into the params); None: chosen for you."""
        self._compare: CompareScreen | None = None
        """The c table while it is open."""
        self.waiting: Waiting | None = None
        """A key pressed before the worker it needs had answered (``w`` before the hand
        derivation's check): shown in the status line, acted on when the worker answers."""
        self.element: tuple[int, ...] | None = None
        """The matrix element the inspector drills into (``]``, ``[``, ``o``); None: none
        picked yet (a hint line says how)."""
        self.driller: Driller | None = None
        """Builds the drill of a tensor lecture (made at its first matrix: a scalar run has none)."""
        self.drill: Drill | None = None
        """The element drilled into as last drawn (None where the event has no matrix)."""
        self.roads = RoadsModel(self.trace, scenario)
        """The three roads panel's view-model."""
        self.exiting = asyncio.Event()
        """Set by ``exit``: a headless run's keys stop there (``run.run_app``)."""

    def get_css_variables(self) -> dict[str, str]:
        # On a light theme, colours that read on it (``theme.readable``); set on the app
        # too: Content's "$warning" styles read the same table.
        self.theme_variables = readable(super().get_css_variables(), dark=self.current_theme.dark)
        return self.theme_variables

    def exit(self, result: int | None = None, return_code: int = 0, message: Any = None) -> None:
        # Once the app's message loop has stopped, anything that waits for it to answer
        # (the pilot's next key, ``settle``) would wait forever: this says when to stop.
        super().exit(result, return_code, message)
        self.exiting.set()
        self._stop_threads()

    def _stop_threads(self) -> None:
        # The torch and sympy threads wait for the cursor to ask for more; asyncio's shutdown
        # joins them, so a thread left waiting kept the process alive after q, forever.
        for group in ("torch", "roads", "engine"):
            self.workers.cancel_group(self, group)
        with self._torch_cv:
            self._torch_cv.notify_all()

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        # The last dialog's widgets are closed by now: their theme watchers would keep them
        # alive, about 0.6 MB a dialog (stepgrad.app.watchers).
        forget_closed_watchers(self)
        return super().push_screen(screen, *args, **kwargs)

    def get_default_screen(self) -> Screen[Any]:
        # The breakpoint classes for the size we start at, before the first style pass: set
        # by the first resize instead, they would restyle every widget a second time.
        self._main.set_breakpoints(self.size)
        return self._main

    def on_mount(self) -> None:
        # The engine (NumPy), torch and sympy load after the first frame: the start needs
        # none of them (the plan and the scenario's own numbers draw it).
        self.call_after_refresh(self._load_engine)
        self.call_after_refresh(self._gc_take_over)
        if self.autoplay:
            self.action_play()

    def on_unmount(self) -> None:
        self._stop_threads()
        self._gc_give_back()

    # ----- drawing ---------------------------------------------------------------------

    def watch_position(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Hand the state at ``position`` to every widget."""
        screen = self._main
        if not screen.composed:
            return
        pos = self.position
        trace = self.trace
        state = trace.state(pos)
        focus = trace.focus(pos)
        phase = "start" if pos == START else state.phase
        color = PHASE_COLOR[phase]
        screen.query_one(GraphView).show(
            pos, state, focus, breakpoints=self.breakpoints, selected=self.selected
        )
        screen.query_one(TimelineList).show(pos)
        inspector = screen.query_one(Inspector)
        if self.inspecting and self.selected is not None:
            lines = self.explainer.node(self.selected, pos, state, self.selected in self.breakpoints)
        else:
            lines = self.explainer.event(pos, state)
        lines = self._with_drill(lines, pos, state)
        overflow = screen.query_one(GraphView).overflow
        if overflow:
            # Marks on the graph's edges whose legend found no room under the graph.
            head = [("marked on the graph's edges:", "muted")]
            lines = [*lines, [], head, *([(e, "formula")] for e in overflow)]
        inspector.show(lines, phase)
        keep = frozenset(trace.graph.nodes[i].name for i in focus.nodes)
        rows = comparison.rows(trace, pos, state, self.torch)
        screen.query_one(ParamsPanel).show(rows, self.torch_state, keep, len(self.torch))
        screen.set_class(self.roads_pick is not None, "-roads")
        screen.arrange_rows()
        screen.query_one(RoadsPanel).show(
            self.roads.view(
                pos,
                focus,
                derivation=self.derivation,
                torch=self.torch,
                torch_state=self.torch_state,
                first_wrong=self.first_wrong,
                checking=self.roads_state != "done",
                selected=self.selected,
                pick=self.roads_pick,
            )
        )
        step = trace.step_of(pos)
        g = trace.graph
        n_steps = trace.plan.n_steps
        loss_now = state.values[g.loss] if pos != START and step is not None else None
        # The curve so far: steps before this one, and this one once its loss is computed.
        # Predictions before training (step None, before step 0) have no loss yet.
        after_training = step is None and pos > trace.plan.step_start(0)
        upto = n_steps if after_training else (step or 0) + (loss_now is not None)
        losses = trace.timeline.losses(upto) if upto else ()
        plan = trace.plan
        # A run of several epochs gets the lecture's progress line: each epoch's mean loss.
        per_epoch = plan.n_samples if plan.training and n_steps > plan.n_samples else 0
        screen.query_one(LossSpark).show(losses, n_steps, step, loss_now, color, per_epoch)
        self._draw_status(pos, state, phase)
        need = comparison.needed_step(trace, pos)
        if self._compare is not None:
            # The c table, open over the main screen, follows the cursor and torch.
            self._compare.follow(self.torch, self.torch_state, need, pos)
        self._ask_torch(need)
        if self._t0 is not None:
            t0 = self._t0
            self._t0 = None
            self.call_after_refresh(self._record_latency, t0)

    def _draw_status(self, pos: int, state: Any, phase: str) -> None:
        left, right = status_line(
            self.trace,
            self.scenario,
            pos,
            state,
            # A message answers the last key; without one, a key still waiting says so.
            message=self.message or (self.waiting.text if self.waiting is not None else ""),
            narrow=self._main.has_class("-narrow"),
            playing=self.playing,
            speed=self.speed,
            width=self.size.width,
        )
        self._main.query_one(StatusBar).show(left, right, phase)

    def _record_latency(self, t0: float) -> None:
        self.last_latency = time.perf_counter() - t0
        self.latencies.append(self.last_latency)
        self._gc_tick()

    # ----- screens ---------------------------------------------------------------------

    def action_help(self) -> None:
        """Show the help screen."""
        from stepgrad.app.screens.help import HelpScreen

        self._forget_message()
        self.push_screen(HelpScreen(arrays=self.trace.program.arrays))

    def action_compare(self) -> None:
        """Show every computed step against torch."""
        self.take_over()
        from stepgrad.app.screens.compare import CompareScreen

        step = comparison.needed_step(self.trace, self.position)
        self._forget_message()

        def done(seq: int | None) -> None:
            self._compare = None
            if seq is not None:
                self.go(seq)

        # The app's own list of torch steps: the table sees it grow (``redraw`` calls ``follow``).
        self._compare = CompareScreen(self.trace, self.torch, self.torch_state, step, self.position)
        self.push_screen(self._compare, done)

    def action_inspect_all(self) -> None:
        """The inspector's every line in a scrollable box (a small terminal cuts the panel)."""
        self.take_over()
        from stepgrad.app.screens.inspect import InspectScreen

        inspector = self._main.query_one(Inspector)
        self._forget_message()
        self.push_screen(InspectScreen(inspector.source, inspector.phase, "inspector · all lines"))

    def action_digits(self) -> None:
        """Show the numbers exactly, to 6 or to 3 significant digits (in turn)."""
        now = digits()
        choices = DIGITS_CHOICES if now in DIGITS_CHOICES else (*DIGITS_CHOICES, now)
        n = choices[(choices.index(now) + 1) % len(choices)]
        set_digits(n)
        self._main.query_one(TimelineList).forget()
        self.message = "numbers exact, as stored" if n is None else f"numbers to {n} significant digits"
        self.redraw()

    def action_roads(self) -> None:
        """The three roads of the next param (``Cursor.action_roads``); a tensor lecture has
        none, and r says why rather than show a panel of one note."""
        if self.trace.program.arrays:
            self.message = ROADS_NONE
            self.redraw()
            return
        super().action_roads()

    def action_toggle_timeline(self) -> None:
        """Show or hide the timeline (on a narrow screen, in place of the inspector and
        params; on a tall one, of the params only, under the inspector)."""
        self._main.toggle_class("-timeline-toggled")
        self._main.arrange_rows()
        self._forget_message()

    def _forget_message(self) -> None:
        # The status line's message answers the last key; another key makes it stale.
        if self.message:
            self.message = ""
            self.redraw()


def make_app(
    scenario: Scenario,
    *,
    oracle: Oracle | None = None,
    theme: str = DEFAULT_THEME,
    autoplay: bool = False,
    size: tuple[int, int] | None = None,
    deriver: Deriver | None = None,
    digits: int | None = None,
) -> StepgradApp:
    """The one way to build the app (CLI, tests, screenshots): theme pinned, no animation,
    no clock, no blinking cursor.

    Args:
        scenario: the loaded scenario.
        oracle: test double for torch (program -> TorchStep iterator); None for torch itself.
        theme: the theme.
        autoplay: start playing.
        size: the terminal size for headless runs (kept on the app as ``headless_size``).
        deriver: test double for sympy (graph -> Derivation or TooLarge); None for sympy itself.
        digits: significant digits of the numbers shown (``--digits``); None: exact.
    """
    app = StepgradApp(scenario, oracle=oracle, theme=theme, autoplay=autoplay, deriver=deriver, digits=digits)
    app.headless_size = size
    return app
