"""The cursor and its keys: stepping, jumps, breakpoints, play, the selected node and the
three roads' param.

Every key moves the cursor (``go``) or changes what is shown at it, then redraws. A jump
far past the known checkpoints computes them in the background first (``Workers._seek``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from stepgrad.app.host import AppHost
from stepgrad.app.trace import START, touches
from stepgrad.app.widgets import RoadsPanel
from stepgrad.explain import fmt

SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
"""Play speeds, events per second."""

NEAR = 512
"""A jump this many steps past the known checkpoints is computed at once; farther ones in slices."""


@dataclass(slots=True)
class Waiting:
    """A key pressed before the worker it needs had answered: acted on when it answers.

    Attributes:
        key: the key as the user knows it (``w``).
        worker: the worker's group (``roads``).
        what: what it waits for, in the user's words (``the hand-derivation check``).
        act: the key's action, run again once the worker has answered.
    """

    key: str
    worker: str
    what: str
    act: Callable[[], None]

    @property
    def text(self) -> str:
        """The status line while it waits: ``w: waiting for the hand-derivation check…``."""
        return f"{self.key}: waiting for {self.what}…"


class Cursor(AppHost):
    """The cursor's keys of ``StepgradApp`` (a mixin: the state is the app's)."""

    # ----- moving ----------------------------------------------------------------------

    def go(self, target: int, message: str = "") -> None:
        """Move to ``target`` (clamped), computing far checkpoints in the background.

        A key still waiting for a worker is forgotten: the user has moved on."""
        self._t0 = time.perf_counter()
        self.waiting = None
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
        self.take_over()
        last = self.position >= self.trace.length - 1
        self.go(self.position + 1, "at the last event: nothing after it" if last else "")

    def action_prev(self) -> None:
        """Previous event."""
        self.take_over()
        self.go(self.position - 1, "at the start: nothing before it" if self.position == START else "")

    def action_forward_end(self) -> None:
        """To the end of this forward pass (or the next one's)."""
        self.take_over()
        self._stop_at(self.trace.forward_end(self.position), "no forward pass after this point")

    def action_backward_end(self) -> None:
        """To the end of this backward pass (or the next one's)."""
        self.take_over()
        self._stop_at(self.trace.backward_end(self.position), "no backward pass after this point")

    def action_next_update(self) -> None:
        """To the next update."""
        self.take_over()
        if not self.trace.timeline.training:
            self.go(self.position, "this scenario does not train: no updates (no lr)")
            return
        self._stop_at(self.trace.next_update(self.position), "no update after this point")

    def action_next_epoch(self) -> None:
        """To the first event of the next epoch."""
        self.take_over()
        target = self.trace.next_epoch(self.position)
        if target <= self.position:
            self.go(self.position, "already in the last epoch's last event")
            return
        # In the last epoch there is no next one to start: say why e lands where it does.
        last = target == self.trace.length - 1
        self._stop_at(target, "", "no next epoch: to the last event" if last else "")

    def action_home(self) -> None:
        """To the start, before the first event."""
        self.take_over()
        self.go(START)

    def action_end(self) -> None:
        """To the last event."""
        self.take_over()
        self.go(self.trace.length - 1)

    def action_goto(self) -> None:
        """Ask for an event number."""
        self.take_over()

        def done(seq: int | None) -> None:
            if seq is not None:
                self.go(seq)

        from stepgrad.app.screens.goto import GotoScreen

        self.push_screen(GotoScreen(self.trace.length - 1), done)

    def action_nonfinite(self) -> None:
        """To the first NaN or infinity, if there is one."""
        self.take_over()
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
                f"no NaN or infinity anywhere in this run ({steps_text(self.trace.timeline.n_steps)})",
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
            else:
                self.message = ""  # the last key's answer: stale once play moves on
            self.playing = True
            self._timer = self.set_interval(1 / self.speed, self._tick)
        self.redraw()

    def take_over(self) -> None:
        """A key that moves the cursor, or opens a view of where it is (the c table, the
        inspector), pauses play: the user has taken the wheel, and a timer still ticking
        would move the cursor away from what they asked to see."""
        if self.playing:
            self._pause()
            self.redraw()  # the header's ▶ goes now, also under a screen the key opens

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

    def select(self, node: int) -> None:
        """Select a node (Tab, Shift+Tab): drawn in double lines; the status line says
        which, and what x and Enter do with it."""
        self.selected = node
        name = self.trace.graph.nodes[node].name
        self.message = f"{name} selected: x toggles its breakpoint, Enter inspects it"
        self.redraw()

    def say(self, message: str) -> None:
        """Answer a key that changes no event (z, h j k l) in the status line; an empty
        message clears the last key's, which would be stale. Only the status line is
        drawn again: a redraw would scroll a panned graph back to the event."""
        if message == self.message:
            return
        self.message = message
        if self._main.composed:
            pos = self.position
            state = self.trace.state(pos)
            self._draw_status(pos, state, "start" if pos == START else state.phase)

    def inspect_node(self, node: int) -> None:
        """Select a node and show it in the inspector."""
        self.take_over()
        self.selected = node
        self.inspecting = True
        self.message = ""
        self.redraw()

    async def action_back(self) -> None:
        """Leave the node view; forget the selection; fold the three roads on a narrow screen."""
        # Async as Textual's own ``App.action_back`` (which it replaces: Esc never pops the
        # main screen).
        self.selected = None
        self.inspecting = False
        self.element = None
        if self._main.has_class("-narrow"):
            self.roads_pick = None
        self.message = ""
        self.redraw()

    def action_breakpoint(self) -> None:
        """Toggle a breakpoint on the selected node (or the current event's)."""
        node = self.current_node()
        if node is None:
            self.message = "no node here: Tab selects one (or click it), or step to one first"
        else:
            name = self.trace.graph.nodes[node].name
            if node in self.breakpoints:
                self.breakpoints.discard(node)
                self.message = f"breakpoint on {name} removed"
            else:
                self.breakpoints.add(node)
                self.message = f"breakpoint on {name}: play and f/b/e stop at its events"
        self.redraw()

    # ----- three roads -------------------------------------------------------------------

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

    def wait_for(self, key: str, worker: str, what: str, act: Callable[[], None]) -> None:
        """Remember a key whose worker has not answered yet, and say so in the status line;
        ``Workers`` runs ``act`` when ``worker`` answers (``act_on_waiting``)."""
        self.waiting = Waiting(key, worker, what, act)
        self.message = ""
        self.redraw()

    def act_on_waiting(self, worker: str) -> None:
        """Run the key that waited for ``worker``, now that it has answered."""
        waiting = self.waiting
        if waiting is not None and waiting.worker == worker:
            self.waiting = None
            waiting.act()

    def action_first_wrong(self) -> None:
        """To the end of the backward pass where a hand derivation first goes wrong."""
        self.take_over()
        first = self.first_wrong
        if not self.scenario.manual:
            self.go(self.position, "this scenario states no hand derivation (manual:)")
        elif first is None and self.roads_state != "done":
            # Pressed before sympy and the check over the run have answered: not dropped.
            self.wait_for("w", "roads", "the hand-derivation check", self.action_first_wrong)
        elif first is None:
            agrees = steps_text(self.trace.timeline.n_steps, every=True)
            self.go(self.position, f"the hand derivation agrees at {agrees}")
        else:
            names = [self.trace.graph.nodes[p].name for p in self.trace.graph.params]
            if self.roads_pick is not None or self._main.has_class("-narrow"):
                self.roads_pick = names.index(first.param)
            self.go(first.seq, f"hand formula for {first.param} wrong here")


def steps_text(n: int, *, every: bool = False) -> str:
    """``1 step``, ``30 steps``; with ``every``: ``its only step``, ``all 30 steps``."""
    if n == 1:
        return "its only step" if every else "1 step"
    return f"all {n:,} steps" if every else f"{n:,} steps"
