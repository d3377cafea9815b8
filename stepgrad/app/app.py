"""The stepgrad app: a cursor over a timeline, and everything drawn from "the state as of
event i".

The app owns the timeline, the keys and the position. Each move computes the state once
and hands it down to the widgets (``redraw``). Two kinds of background work keep the keys
answering at once:

- checkpoints for a far jump (End, ``g``, ``a`` on a long run) are computed in slices of a
  few milliseconds on the event loop, with progress in the header; no other thread ever
  touches the timeline;
- torch runs in a thread worker, one ``TorchStep`` at a time and only as far as the step
  being viewed, so the app opens and steps before torch is even imported;
- sympy derives the closed forms (the three roads panel) in another thread worker,
  started after the first frame; until it answers the panel says "deriving…". The same
  worker then checks a scenario's hand derivation over the whole run, on a timeline of
  its own (the app's timeline stays on the UI thread).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import get_current_worker

from stepgrad.app import comparison
from stepgrad.app.explainer import Explainer
from stepgrad.app.screens.main import MainScreen
from stepgrad.app.trace import PHASE_LABEL, START, Trace, touches
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
from stepgrad.app.widgets.roads import DERIVING, RoadsView
from stepgrad.explain import fmt
from stepgrad.scenario import Scenario

PHASE_COLOR = {
    "start": "$text-muted",
    "forward": "$secondary",
    "local": "$warning",
    "backward": "$primary",
    "update": "$success",
    "predict": "$accent",
}
"""Theme variable of each phase's colour (the same as the TCSS component classes)."""

SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
"""Play speeds, events per second."""

NEAR = 512
"""A jump this many steps past the known checkpoints is computed at once; farther ones in slices."""

GC_BATCH = 5000
"""Allocations between two collections of the youngest generation (Python's default: 700)."""

SLICE = 0.006
"""Seconds of checkpoint work between two looks at the keyboard."""

DEFAULT_THEME = "tokyo-night"
"""Its primary, secondary, warning and success colours are four distinct hues, one per phase."""

Oracle = Callable[[Any], Iterable[Any]]
"""program -> TorchStep per step (``stepgrad.oracle.torch_steps`` or a test double)."""


Deriver = Callable[[Any], Any]
"""graph -> ``symbolic.Derivation`` or ``symbolic.TooLarge`` (``symbolic.derive`` or a test double)."""


_HEAVY_IMPORTS = threading.Lock()
"""Held while torch or sympy is imported (each in its own worker thread). torch imports sympy
too, and two threads importing one package at once can each be handed a half-made module:
torch then fails with "partially initialized module"."""


def _default_oracle(program: Any) -> Iterator[Any]:
    with _HEAVY_IMPORTS:
        import torch  # noqa: F401

        from stepgrad.oracle import torch_steps

    return torch_steps(program)


def _default_deriver(graph: Any) -> Any:
    with _HEAVY_IMPORTS:
        import sympy  # noqa: F401

        from stepgrad.symbolic import derive

    return derive(graph)


class StepgradApp(App[int]):
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
        # The footer shows these in this order and is cut at the right edge on narrow
        # terminals: stepping, help and quit come first (every key is listed under ?).
        # N and P too: caps lock on should not make the two main keys do nothing.
        Binding("n,right,N", "next", "next", id="step.next"),
        Binding("p,left,P", "prev", "prev", id="step.prev"),
        Binding("question_mark", "help", "help", id="app.help"),
        Binding("q", "quit", "quit", id="app.quit"),
        Binding("f", "forward_end", "fwd", id="step.forward_end"),
        Binding("b", "backward_end", "bwd", id="step.backward_end"),
        Binding("space", "play", "play", id="play.toggle"),
        # At 80 columns the footer ends here: t, r and c open what such a screen folds away.
        Binding("t", "toggle_timeline", "timeline", id="view.timeline"),
        Binding("r", "roads", "roads", id="roads.next"),
        Binding("c", "compare", "torch", id="torch.compare"),
        Binding("u", "next_update", "update", id="step.update"),
        Binding("e", "next_epoch", "epoch", id="step.epoch"),
        Binding("x", "breakpoint", "break", id="node.breakpoint"),
        # Shown where the terminal is wide enough (200 columns), after the ones above.
        Binding("g", "goto", "go to", id="step.goto"),
        Binding("home", "home", "start", id="step.home"),
        Binding("end", "end", "last", id="step.end"),
        Binding("plus,equals_sign", "faster", "faster", id="play.faster"),
        Binding("minus", "slower", "slower", id="play.slower"),
        Binding("i", "inspect_all", "all lines", id="view.inspect"),
        Binding("a", "nonfinite", "NaN", id="step.nonfinite"),
        Binding("w", "first_wrong", "wrong hand formula", id="roads.first_wrong"),
        Binding("escape", "back", "back", show=False, id="node.back"),
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
    ):
        super().__init__()
        self.scenario = scenario
        # The timeline (and NumPy with it) is made after the first frame (_load_engine).
        self.trace = Trace(scenario.program)
        self.explainer = Explainer(self.trace, scenario.name, scenario.description)
        self._oracle: Oracle = oracle or _default_oracle
        if self.get_theme(theme).dark == self.current_theme.dark:  # type: ignore[union-attr]
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
        self._deriver: Deriver = deriver or _default_deriver
        self.derivation: Any = None
        """The closed forms (``symbolic.Derivation`` or ``TooLarge``); None while deriving."""
        self.roads_state = "deriving"
        """``deriving``, ``checking`` (the hand derivation over the run) or ``done``."""
        self.first_wrong: Any = None
        """Where a hand derivation first disagrees (``manual.Disagreement``), if it does."""
        self.roads_pick: int | None = None
        """The param chosen with ``r`` (an index into the params); None: chosen for you."""
        self._roads_cache: tuple[tuple[Any, ...], dict[str, Any]] | None = None
        self.exiting = asyncio.Event()
        """Set by ``exit``: a headless run's keys stop there (``run.run_app``)."""

    def exit(self, result: int | None = None, return_code: int = 0, message: Any = None) -> None:
        # Once the app's message loop has stopped, anything that waits for it to answer
        # (the pilot's next key, ``settle``) would wait forever: this says when to stop.
        super().exit(result, return_code, message)
        self.exiting.set()

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

    def _load_engine(self) -> None:
        if self.trace.has_timeline:
            self._engine_ready()
        else:
            self.run_worker(
                self._make_timeline, thread=True, group="engine", exclusive=True, exit_on_error=False
            )

    def _make_timeline(self) -> None:
        # The first step computed too: ready before the first key is likely to come.
        self.trace.timeline.events_of_step(0)
        with contextlib.suppress(RuntimeError):  # the app has exited
            self.call_from_thread(self._engine_ready)

    def _engine_ready(self) -> None:
        # The graph's boxes take the whole run's widths (the start's own numbers sized them).
        self.redraw()
        # Torch and sympy only now: importing them beside NumPy would slow all three, and
        # the first key waits for NumPy, not for them.
        self._start_torch()
        self._start_roads()

    # ----- garbage collection ----------------------------------------------------------
    # A full collection over Textual's (and later torch's) objects takes 30-70 ms: long
    # enough to make a key feel slow. So the objects alive after start-up are frozen, and
    # the collector runs right after a frame is painted (or on a slow timer when idle)
    # instead of in the middle of a key's work.

    def _gc_take_over(self) -> None:
        if not self._gc_owned:
            # Also when `stepgrad open` held the collector off for start-up (cli.prepare_start).
            self._gc_owned = True
            gc.freeze()
            gc.disable()
            self.set_interval(1.0, self._gc_tick, name="gc")

    def _gc_tick(self) -> None:
        if not self._gc_owned:
            return
        c0, c1, c2 = gc.get_count()
        if c0 >= GC_BATCH:
            gc.collect(2 if c2 >= 10 else 1 if c1 >= 10 else 0)

    def on_unmount(self) -> None:
        if self._gc_owned:
            self._gc_owned = False
            gc.enable()
        self._restore_switch_interval()

    def _restore_switch_interval(self) -> None:
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)
            self._switch_interval = None

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
        inspector.show(lines, phase)
        keep = frozenset(trace.graph.nodes[i].name for i in focus.nodes)
        rows = comparison.rows(trace, pos, state, self.torch)
        screen.query_one(ParamsPanel).show(rows, self.torch_state, keep, len(self.torch))
        screen.set_class(self.roads_pick is not None, "-roads")
        screen.query_one(RoadsPanel).show(self._roads_view(pos, focus))
        step = trace.step_of(pos)
        g = trace.graph
        n_steps = trace.plan.n_steps
        loss_now = state.values[g.loss] if pos != START and step is not None else None
        # The curve so far: steps before this one, and this one once its loss is computed.
        # Predictions before training (step None, before step 0) have no loss yet.
        after_training = step is None and pos > trace.plan.step_start(0)
        upto = n_steps if after_training else (step or 0) + (loss_now is not None)
        losses = trace.timeline.losses(upto) if upto else ()
        screen.query_one(LossSpark).show(losses, n_steps, step, loss_now, color)
        self._draw_status(pos, state, phase)
        self._ask_torch(comparison.needed_step(trace, pos))
        if self._t0 is not None:
            t0 = self._t0
            self._t0 = None
            self.call_after_refresh(self._record_latency, t0)

    def _draw_status(self, pos: int, state: Any, phase: str) -> None:
        t = self.trace.plan
        narrow = self._main.has_class("-narrow")
        if self.message:
            left: list[tuple[str, str]] = [(" " + self.message, "warn")]
        else:
            name = self.scenario.name
            if narrow:
                name = self.scenario.short or Path(self.scenario.path).stem
            left = [(" stepgrad", "accent"), (" · ", "muted"), (name, "strong")]
        sep = (" · ", "muted")
        right: list[tuple[str, str]] = []
        if self.playing:
            right.append((f"▶ {self.speed:g}/s  ", "ok"))
        event = [(f"#{pos}", "strong"), (f"/{self.trace.length} ", "muted")] if narrow else [
            (f"event #{pos}", "strong"), (f" of {self.trace.length} ", "muted")]  # fmt: skip
        if pos == START:
            right += [("start", "phase"), (f" · {self.trace.length} events ", "muted")]
        elif state.step is None:
            right += [(f"{state.event.when} training", "phase"), sep, *event]
        else:
            right.append((f"step {state.step}", "strong"))
            if t.n_steps > 1:
                # Steps count from 0, as in the timeline: give their range, not a total that
                # would read as "step 1 of 8" in a run of 9.
                right.append((f" in 0–{t.n_steps - 1:,}", "muted"))
            if t.training and t.program.epochs > 1:
                right += [(" · ep " if narrow else " · epoch ", "muted"), (str(state.epoch), "strong")]
            if state.sample is not None:
                right += [(" · sample ", "muted"), (str(state.sample), "strong")]
            right += [sep, (PHASE_LABEL[state.phase], "phase"), sep, *event]
        room = self.size.width - 2 - sum(len(t) for t, _ in right)
        if self.message and narrow and len(self.message) > room:
            # A message is read once: on a narrow terminal it takes the whole line until the
            # next move, rather than being cut to make room for the position.
            right = [("#", "muted"), (str(pos), "strong"), (" ", "muted")] if pos != START else []
        self._main.query_one(StatusBar).show(left, right, phase)

    def _record_latency(self, t0: float) -> None:
        self.last_latency = time.perf_counter() - t0
        self.latencies.append(self.last_latency)
        self._gc_tick()

    # ----- moving ----------------------------------------------------------------------

    def go(self, target: int, message: str = "") -> None:
        """Move to ``target`` (clamped), computing far checkpoints in the background."""
        self._t0 = time.perf_counter()
        self.message = message
        self.inspecting = False
        target = self.trace.clamp(target)
        step = self.trace.step_of(target)
        t = self.trace.timeline
        need = t.n_steps if step is None else step
        self._cancel_seek()
        if need > t.known_steps + NEAR:
            self._seek(need, lambda: self._arrive(target), f"going to event #{target}")
            return
        self._arrive(target)

    def _arrive(self, target: int) -> None:
        if target == self.position:
            self.redraw()
        else:
            self.position = target

    def _cancel_seek(self) -> None:
        if self._seeking:
            self.workers.cancel_group(self, "seek")
            self._seeking = False

    def _seek(self, step: int, then: Callable[[], None], what: str) -> None:
        self._seeking = True
        self.run_worker(self._seek_slices(step, then, what), group="seek", exclusive=True)

    async def _seek_slices(self, step: int, then: Callable[[], None], what: str) -> None:
        t = self.trace.timeline
        while not t.ensure(step, budget=SLICE):
            self.message = f"{what}: computing step {t.known_steps:,} of {step:,}…"
            self._draw_status(self.position, self.trace.state(self.position), "start")
            await asyncio.sleep(0)
        self._seeking = False
        self.message = ""
        self._t0 = time.perf_counter()
        then()

    def compute_ahead(self, step: int) -> None:
        """Compute checkpoints up to ``step`` in the background, then redraw (no move)."""
        if not self._seeking:
            self._seek(step, self.redraw, "computing")

    def _stop_at(self, target: int | None, none_message: str, arrive_message: str = "") -> None:
        if target is None:
            self.go(self.position, none_message)
            return
        names = {self.trace.graph.nodes[b].name for b in self.breakpoints}
        stop = self.trace.stop_before(self.position, target, names)
        if stop != target:
            self.go(stop, f"breakpoint: stopped at {self._touched(stop)}")
        else:
            self.go(target, arrive_message)

    def _touched(self, seq: int) -> str:
        ev = self.trace.timeline[seq]
        names = {self.trace.graph.nodes[b].name for b in self.breakpoints}
        for attr in ("wrt", "node", "param"):
            v = getattr(ev, attr, None)
            if v in names:
                return f"{v} (#{seq})"
        return f"#{seq}"

    def action_next(self) -> None:
        """Next event."""
        last = self.position >= self.trace.length - 1
        self.go(self.position + 1, "at the last event: nothing after it" if last else "")

    def action_prev(self) -> None:
        """Previous event."""
        self.go(self.position - 1, "at the start: nothing before it" if self.position == START else "")

    def action_forward_end(self) -> None:
        """To the end of this forward pass (or the next one's)."""
        self._stop_at(self.trace.forward_end(self.position), "no forward pass after this point")

    def action_backward_end(self) -> None:
        """To the end of this backward pass (or the next one's)."""
        self._stop_at(self.trace.backward_end(self.position), "no backward pass after this point")

    def action_next_update(self) -> None:
        """To the next update."""
        if not self.trace.timeline.training:
            self.go(self.position, "this scenario does not train: no updates (no lr)")
            return
        self._stop_at(self.trace.next_update(self.position), "no update after this point")

    def action_next_epoch(self) -> None:
        """To the first event of the next epoch."""
        target = self.trace.next_epoch(self.position)
        if target <= self.position:
            self.go(self.position, "already in the last epoch's last event")
            return
        # In the last epoch there is no next one to start: say why e lands where it does.
        last = target == self.trace.length - 1
        self._stop_at(target, "", "no next epoch: to the last event" if last else "")

    def action_home(self) -> None:
        """To the start, before the first event."""
        self.go(START)

    def action_end(self) -> None:
        """To the last event."""
        self.go(self.trace.length - 1)

    def action_goto(self) -> None:
        """Ask for an event number."""

        def done(seq: int | None) -> None:
            if seq is not None:
                self.go(seq)

        from stepgrad.app.screens.goto import GotoScreen

        self.push_screen(GotoScreen(self.trace.length - 1), done)

    def action_nonfinite(self) -> None:
        """To the first NaN or infinity, if there is one."""
        t = self.trace.timeline
        self._cancel_seek()
        if t.known_steps < t.n_steps - NEAR:
            self._seek(t.n_steps, self._jump_nonfinite, "looking for NaN or infinity")
        else:
            self._jump_nonfinite()

    def _jump_nonfinite(self) -> None:
        self._t0 = time.perf_counter()
        found = self.trace.timeline.first_nonfinite()
        if found is None:
            self.go(
                self.position,
                f"no NaN or infinity anywhere in this run ({_steps(self.trace.timeline.n_steps)})",
            )
            return
        ev, _field, value = found
        what = getattr(ev, "node", None) or getattr(ev, "param", None) or ev.kind
        self.go(ev.seq, f"first NaN/inf: {what} = {fmt(value)} at #{ev.seq}")

    # ----- play ----------------------------------------------------------------------

    def action_play(self) -> None:
        """Play or pause."""
        if self.playing:
            self._pause(f"paused at #{self.position}" if self.position != START else "paused")
        else:
            if self.position >= self.trace.length - 1:
                # Played to the end: space plays again from the start, as a player would.
                self.go(START, "playing again from the start")
            self.playing = True
            self._timer = self.set_interval(1 / self.speed, self._tick)
        self.redraw()

    def _pause(self, message: str = "") -> None:
        self.playing = False
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if message:
            self.message = message

    def _tick(self) -> None:
        pos = self.position
        if pos >= self.trace.length - 1:
            self._pause("played to the end")
            self.redraw()
            return
        nxt = pos + 1
        names = {self.trace.graph.nodes[b].name for b in self.breakpoints}
        if names and touches(self.trace.timeline[nxt], names):
            self._pause()
            self.go(nxt, f"breakpoint: stopped at {self._touched(nxt)}")
            return
        self.go(nxt)

    def _set_speed(self, k: int) -> None:
        i = SPEEDS.index(self.speed) if self.speed in SPEEDS else 3
        self.speed = SPEEDS[max(0, min(len(SPEEDS) - 1, i + k))]
        if self.playing and self._timer is not None:
            self._timer.stop()
            self._timer = self.set_interval(1 / self.speed, self._tick)
        bound = {SPEEDS[0]: " (the slowest)", SPEEDS[-1]: " (the fastest)"}.get(self.speed, "")
        self.message = f"speed {self.speed:g} events per second{bound}"
        self.redraw()

    def action_faster(self) -> None:
        """Play faster."""
        self._set_speed(+1)

    def action_slower(self) -> None:
        """Play slower."""
        self._set_speed(-1)

    # ----- nodes -----------------------------------------------------------------------

    def current_node(self) -> int | None:
        """The selected node, or else the current event's node."""
        if self.selected is not None:
            return self.selected
        focus = self.trace.focus(self.position)
        return focus.nodes[0] if focus.nodes else None

    def inspect_node(self, node: int) -> None:
        """Select a node and show it in the inspector."""
        self.selected = node
        self.inspecting = True
        self.message = ""
        self.redraw()

    def action_back(self) -> None:
        """Leave the node view; forget the selection; fold the three roads on a narrow screen."""
        self.selected = None
        self.inspecting = False
        if self._main.has_class("-narrow"):
            self.roads_pick = None
        self.message = ""
        self.redraw()

    def action_breakpoint(self) -> None:
        """Toggle a breakpoint on the selected node (or the current event's)."""
        node = self.current_node()
        if node is None:
            self.message = "no node here: click a node or step to one first"
        else:
            name = self.trace.graph.nodes[node].name
            if node in self.breakpoints:
                self.breakpoints.discard(node)
                self.message = f"breakpoint on {name} removed"
            else:
                self.breakpoints.add(node)
                self.message = f"breakpoint on {name}: play and f/b/e stop at its events"
        self.redraw()

    # ----- screens ---------------------------------------------------------------------

    def action_help(self) -> None:
        """Show the help screen."""
        from stepgrad.app.screens.help import HelpScreen

        self._forget_message()
        self.push_screen(HelpScreen())

    def action_compare(self) -> None:
        """Show every computed step against torch."""
        from stepgrad.app.screens.compare import CompareScreen

        step = comparison.needed_step(self.trace, self.position)
        self._forget_message()
        def done(seq: int | None) -> None:
            if seq is not None:
                self.go(seq)

        self.push_screen(CompareScreen(self.trace, self.torch, self.torch_state, step, self.position), done)

    def action_inspect_all(self) -> None:
        """The inspector's every line in a scrollable box (a small terminal cuts the panel)."""
        from stepgrad.app.screens.inspect import InspectScreen

        inspector = self._main.query_one(Inspector)
        self._forget_message()
        self.push_screen(InspectScreen(inspector.source, inspector.phase, "inspector · all lines"))

    def action_toggle_timeline(self) -> None:
        """Show or hide the timeline (on a narrow screen, in place of the inspector)."""
        self._main.toggle_class("-timeline-toggled")
        self._forget_message()

    def _forget_message(self) -> None:
        # The status line's message answers the last key; another key makes it stale.
        if self.message:
            self.message = ""
            self.redraw()

    # ----- torch ---------------------------------------------------------------------

    def _ask_torch(self, step: int) -> None:
        if step > self._torch_want:
            with self._torch_cv:
                self._torch_want = step
                self._torch_cv.notify()

    def _start_torch(self) -> None:
        # While torch runs in its thread, hand the GIL back to the UI thread within 1 ms
        # (Python's default is 5 ms) so that a key pressed meanwhile is not kept waiting.
        if self._switch_interval is None:
            self._switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(self._switch_interval, 0.001))
        self.run_worker(self._torch_loop, thread=True, group="torch", exclusive=True, exit_on_error=False)

    def _torch_loop(self) -> None:
        worker = get_current_worker()
        produced = 0
        batch: list[Any] = []
        last = time.monotonic()
        try:
            it = iter(self._oracle(self.scenario.program))
            while not worker.is_cancelled:
                with self._torch_cv:
                    while produced > self._torch_want and not batch and not worker.is_cancelled:
                        self._torch_cv.wait(0.2)
                if worker.is_cancelled:
                    return
                if produced > self._torch_want:
                    self._deliver(batch, "running")
                    batch = []
                    continue
                try:
                    ts = next(it)
                except StopIteration:
                    self._deliver(batch, "done")
                    return
                batch.append(ts)
                produced += 1
                now = time.monotonic()
                if produced > self._torch_want or now - last > 0.05:
                    self._deliver(batch, "running")
                    batch = []
                    last = now
        except Exception as e:  # torch missing or failing must not take the app down
            self._deliver(batch, f"unavailable ({type(e).__name__}: {e})")

    def _deliver(self, batch: list[Any], state: str) -> None:
        with contextlib.suppress(RuntimeError):  # the app has exited
            self.call_from_thread(self._torch_arrived, list(batch), state)

    def _torch_arrived(self, batch: list[Any], state: str) -> None:
        if state != "running":
            self._restore_switch_interval()  # torch is done: back to Python's default
        if not self.torch and self._gc_owned:
            gc.freeze()  # torch's modules, now imported, join the objects never collected
        # Torch working ahead of the position changes nothing on screen; a redraw would only
        # take the next frame's turn from a key pressed just then (Textual paints at most
        # 60 frames a second).
        need = comparison.needed_step(self.trace, self.position)
        seen = len(self.torch) > need and state == self.torch_state
        self.torch.extend(batch)
        self.torch_state = state
        if not seen:
            self.redraw()

    # ----- three roads -------------------------------------------------------------------

    def _start_roads(self) -> None:
        self.run_worker(self._roads_loop, thread=True, group="roads", exclusive=True, exit_on_error=False)

    def _roads_loop(self) -> None:
        worker = get_current_worker()
        try:
            derivation = self._deriver(self.trace.graph)
        except Exception as e:  # sympy failing must not take the app down
            from stepgrad.symbolic import TooLarge

            derivation = TooLarge(f"sympy failed ({type(e).__name__})")
        checking = bool(self.scenario.manual) and not worker.is_cancelled
        self._roads_post(self._roads_derived, derivation, checking)
        if not checking:
            return
        from stepgrad.manual import first_manual_disagreement

        first = None
        with contextlib.suppress(Exception):  # a formula that cannot be evaluated is no disagreement
            # A timeline of its own: the app's belongs to the UI thread.
            from stepgrad.engine.timeline import Timeline

            own = Timeline(self.scenario.program)
            first = first_manual_disagreement(own, self.scenario, derivation=derivation)
        self._roads_post(self._roads_checked, first)

    def _roads_post(self, callback: Callable[..., None], *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the app has exited
            self.call_from_thread(callback, *args)

    def _roads_derived(self, derivation: Any, checking: bool) -> None:
        self.derivation = derivation
        self.roads_state = "checking" if checking else "done"
        self.redraw()

    def _roads_checked(self, first: Any) -> None:
        self.first_wrong = first
        self.roads_state = "done"
        self.redraw()

    def _roads_of(self, step: int) -> dict[str, Any]:
        """Every param's road at ``step`` (cached while nothing it depends on changes)."""
        torch = self.torch[step].grads if len(self.torch) > step else None
        key = (step, id(self.derivation), torch is not None)
        if self._roads_cache is not None and self._roads_cache[0] == key:
            return self._roads_cache[1]
        from stepgrad.manual import roads_at

        t = self.trace.timeline
        roads = roads_at(t, self.scenario, step, torch_grads=torch, derivation=self.derivation, wait=False)
        out = {r.param: r for r in roads}
        self._roads_cache = (key, out)
        return out

    def _roads_view(self, pos: int, focus: Any) -> RoadsView:
        trace = self.trace
        t = trace.plan
        g = trace.graph
        params = tuple(g.nodes[p].name for p in g.params)
        step = trace.step_of(pos)
        if step is None:
            after = pos > t.step_start(0)  # predictions after training: the last step's roads
            step = t.n_steps - 1 if after else 0
            at = trace.phase_end(step).get("backward_end")
            known = after
        else:
            at = trace.phase_end(step).get("backward_end")
            known = pos != START and at is not None and pos >= at
        roads = self._roads_of(step) if known else None
        end = at
        finals: dict[str, int] = {}
        if not known and at is not None and trace.has_timeline:
            # A param's three roads are final from the event that last adds to its gradient
            # (the chain-rule product into w in the video), as in the params panel; the
            # others' wait for theirs.
            setters = trace.index(step).setters
            finals = {p: setters[p][-1] for p in params if setters.get(p)}
            if pos != START and any(pos >= s for s in finals.values()):
                every = self._roads_of(step)
                roads = {p: r for p, r in every.items() if p in finals and pos >= finals[p]}
        # The closed forms: from the worker, or from an earlier derivation's cache (never
        # waits). Not imported for the first frame: if it is not loaded, it holds nothing.
        d = self.derivation
        symbolic = sys.modules.get("stepgrad.symbolic")
        if d is None and symbolic is not None:
            d = symbolic.cached(g)
        forms = getattr(d, "texts", None)  # a Derivation's; TooLarge has none
        note = None if d is None or forms is not None else str(d)
        if roads is not None:
            from stepgrad.manual import DERIVING as NOTE_DERIVING

            notes = [r.note for r in roads.values() if r.note and r.note != NOTE_DERIVING]
            if notes and forms is None:
                note = notes[0]
        if d is None:
            note = DERIVING
        if self.torch_state not in ("loading", "running", "done"):
            torch = f"torch {self.torch_state}"
        elif len(self.torch) > step:
            torch = ""
        elif self.torch_state == "loading":
            torch = "loading…"
        else:
            torch = f"torch {len(self.torch):,}/{step + 1:,}…"
        shown = self._roads_param(params, roads, focus)
        if roads is None or shown not in roads:
            at = finals.get(shown, at)
        return RoadsView(
            params=params,
            loss=g.nodes[g.loss].name,
            shown=shown,
            step=step,
            forms=forms,
            form_note=note,
            manual=dict(self.scenario.manual),
            roads=roads,
            at=at,
            end=end,
            torch=torch,
            first_wrong=self.first_wrong,
            checking=self.roads_state != "done",
            accumulates=t.training and not t.program.zero_grad and t.n_steps > 1,
        )

    def _roads_param(self, params: tuple[str, ...], roads: dict[str, Any] | None, focus: Any) -> str:
        """The param the roads panel shows: clicked, picked with r, parting, or the event's."""
        g = self.trace.graph
        if self.selected is not None and self.selected in g.params:
            return g.nodes[self.selected].name
        if self.roads_pick is not None:
            return params[self.roads_pick % len(params)]
        if roads is not None:
            from stepgrad.app.widgets.roads import verdict

            for p in params:
                if p in roads and verdict(roads[p])[0] == "✗":
                    return p
        mine = [g.nodes[n].name for n in focus.nodes if n in g.params]
        return mine[0] if len(mine) == 1 else params[0]

    def action_roads(self) -> None:
        """The three roads of the next param; after the last, back to the one chosen for you.

        On a narrow screen the panel is folded away: ``r`` shows it (in place of the
        inspector and params) and ``r`` after the last param folds it again."""
        g = self.trace.graph
        names = [g.nodes[p].name for p in g.params]
        view = self._main.query_one(RoadsPanel).view
        shown = names.index(view.shown) if view is not None else 0
        if self.roads_pick is None and self._main.has_class("-narrow"):
            self.roads_pick = shown  # folded: show what it would show
        elif self.roads_pick is None:
            self.roads_pick = (shown + 1) % len(names)
        elif self.roads_pick + 1 < len(names):
            self.roads_pick += 1
        else:
            self.roads_pick = None
        if self.roads_pick is not None:
            self._main.remove_class("-timeline-toggled")
        self.message = ""
        if len(names) == 1 and not self._main.has_class("-narrow"):
            # Nothing else to show: say so rather than seem to ignore the key.
            self.message = f"one param, {names[0]}: its three roads are shown"
        self.redraw()

    def action_first_wrong(self) -> None:
        """To the end of the backward pass where a hand derivation first goes wrong."""
        first = self.first_wrong
        if not self.scenario.manual:
            self.go(self.position, "this scenario states no hand derivation (manual:)")
        elif first is None and self.roads_state != "done":
            self.go(self.position, "still checking the hand derivation…")
        elif first is None:
            agrees = _steps(self.trace.timeline.n_steps, every=True)
            self.go(self.position, f"the hand derivation agrees at {agrees}")
        else:
            names = [self.trace.graph.nodes[p].name for p in self.trace.graph.params]
            if self.roads_pick is not None or self._main.has_class("-narrow"):
                self.roads_pick = names.index(first.param)
            self.go(first.seq, f"hand formula for {first.param} wrong here")

    def roads_settled(self) -> bool:
        """True when the closed forms and the hand derivation's check are known."""
        return self.roads_state == "done"

    def torch_settled(self) -> bool:
        """True when torch has what the current position needs, or has stopped."""
        need = comparison.needed_step(self.trace, self.position)
        return len(self.torch) > need or self.torch_state not in ("loading", "running")

    async def settle(self, timeout: float = 60.0) -> None:
        """Wait until background work for the current position is done (tests, screenshots)."""
        deadline = time.monotonic() + timeout
        while (
            self._seeking or not self.torch_settled() or not self.roads_settled()
        ) and time.monotonic() < deadline and not self.exiting.is_set():
            await asyncio.sleep(0.01)
        # One more frame with the final numbers.
        await asyncio.sleep(0)


def make_app(
    scenario: Scenario,
    *,
    oracle: Oracle | None = None,
    theme: str = DEFAULT_THEME,
    autoplay: bool = False,
    size: tuple[int, int] | None = None,
    deriver: Deriver | None = None,
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
    """
    app = StepgradApp(scenario, oracle=oracle, theme=theme, autoplay=autoplay, deriver=deriver)
    app.headless_size = size
    return app


def _steps(n: int, *, every: bool = False) -> str:
    """``1 step``, ``30 steps``; with ``every``: ``its only step``, ``all 30 steps``."""
    if n == 1:
        return "its only step" if every else "1 step"
    return f"all {n:,} steps" if every else f"{n:,} steps"
