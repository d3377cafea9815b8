"""The app's background work, so that the keys answer at once.

- The timeline (and NumPy with it) is made in a thread after the first frame.
- Checkpoints for a far jump (End, ``g``, ``a`` on a long run) are computed in slices of
  a few milliseconds on the event loop, with progress in the header; no other thread
  ever touches the app's timeline.
- torch runs in a thread worker, one ``TorchStep`` at a time and only as far as the step
  being viewed, so the app opens and steps before torch is even imported. Each training
  step starts from stepgrad's numbers at its start, as ``stepgrad check`` runs it, taken
  from a timeline of the worker's own (``oracle.torch_steps_from_stepgrad``).
- sympy derives the closed forms (the three roads panel) in another thread worker; until
  it answers the panel says "deriving…". The same worker then checks a scenario's hand
  derivation over the whole run, on a timeline of its own.
- The garbage collector runs between frames, never in the middle of a key's work.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from textual.worker import get_current_worker

from stepgrad.app import comparison
from stepgrad.app.host import AppHost

Oracle = Callable[[Any], Iterable[Any]]
"""program -> TorchStep per step (``default_oracle``, or a test double)."""

Deriver = Callable[[Any], Any]
"""graph -> ``symbolic.Derivation`` or ``symbolic.TooLarge`` (``symbolic.derive`` or a test double)."""

GC_BATCH = 5000
"""Allocations between two collections of the youngest generation (Python's default: 700)."""

SLICE = 0.006
"""Seconds of checkpoint work between two looks at the keyboard."""

_HEAVY_IMPORTS = threading.Lock()
"""Held while torch or sympy is imported (each in its own worker thread). torch imports sympy
too, and two threads importing one package at once can each be handed a half-made module:
torch then fails with "partially initialized module"."""


def default_oracle(program: Any) -> Iterator[Any]:
    """Torch's steps of ``program``, each training step from stepgrad's numbers at its start
    (``stepgrad.oracle.torch_steps_from_stepgrad``, imported on first use), so that the torch
    column says what ``stepgrad check`` says: a float32 run on its own drifts from torch's by
    an ulp a step, and showed ✗ a few steps in where each step agrees.

    Called on the torch worker's thread: the steps' starts come from a timeline of their
    own, never the app's (which belongs to the UI thread)."""
    with _HEAVY_IMPORTS:
        import torch  # noqa: F401

        from stepgrad.oracle import torch_steps_from_stepgrad

    return torch_steps_from_stepgrad(program)


def default_deriver(graph: Any) -> Any:
    """The closed forms of ``graph`` (``stepgrad.symbolic.derive``, imported on first use)."""
    with _HEAVY_IMPORTS:
        import sympy  # noqa: F401

        from stepgrad.symbolic import derive

    return derive(graph)


class Workers(AppHost):
    """The background work of ``StepgradApp`` (a mixin: the state is the app's)."""

    # ----- the engine --------------------------------------------------------------------

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

    def _gc_give_back(self) -> None:
        if self._gc_owned:
            self._gc_owned = False
            gc.enable()
        self._restore_switch_interval()

    def _restore_switch_interval(self) -> None:
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)
            self._switch_interval = None

    # ----- far jumps: checkpoints in slices ----------------------------------------------

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
            # ``exiting`` too: a worker started while the app was already quitting is never
            # cancelled, and asyncio's shutdown would wait for it forever.
            while not worker.is_cancelled and not self.exiting.is_set():
                with self._torch_cv:
                    while (
                        produced > self._torch_want
                        and not batch
                        and not worker.is_cancelled
                        and not self.exiting.is_set()
                    ):
                        self._torch_cv.wait(0.2)
                if worker.is_cancelled or self.exiting.is_set():
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

    def torch_settled(self) -> bool:
        """True when torch has what the current position needs, or has stopped."""
        need = comparison.needed_step(self.trace, self.position)
        return len(self.torch) > need or self.torch_state not in ("loading", "running")

    # ----- three roads -------------------------------------------------------------------

    def _start_roads(self) -> None:
        if self.trace.program.arrays:
            # The roads are for the scalar lectures (``roads.ARRAYS_ABSENT``): nothing to derive.
            self.roads_state = "done"
            self.act_on_waiting("roads")
            return
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
        if not checking:
            self.act_on_waiting("roads")

    def _roads_checked(self, first: Any) -> None:
        self.first_wrong = first
        self.roads_state = "done"
        self.redraw()
        self.act_on_waiting("roads")  # a w pressed while the check ran

    def roads_settled(self) -> bool:
        """True when the closed forms and the hand derivation's check are known."""
        return self.roads_state == "done"

    async def settle(self, timeout: float = 60.0) -> None:
        """Wait until background work for the current position is done (tests, screenshots)."""
        deadline = time.monotonic() + timeout
        while (
            (self._seeking or not self.torch_settled() or not self.roads_settled())
            and time.monotonic() < deadline
            and not self.exiting.is_set()
        ):
            await asyncio.sleep(0.01)
        # One more frame with the final numbers.
        await asyncio.sleep(0)
