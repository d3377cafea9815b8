"""Checkpoints: what the timeline keeps of a run so that any step can be regenerated.

One loss per step, and the params' values and grads at the start of every ``EVERY``-th
step. The start of a step in between is the checkpoint before it run forward (at most
``EVERY - 1`` steps of arithmetic, the same code as the first time, so the same numbers
to the bit). Checkpoints are computed in order, as far as someone has asked (``ensure``).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict

import numpy as np

from stepgrad.engine.step import Start, StepRunner, Value

CHUNK = 4096
"""Rows of checkpoints allocated at first (doubled as the computation goes on)."""

EVERY = 16
"""A checkpoint (param values and grads) is kept every this many steps; a step in between
starts from the one before it and recomputes at most 15 steps (about 0.2 ms)."""

ARRAY_BUDGET = 32 * 2**20
"""Bytes an array run's checkpoints may take at most: checkpoints come every step while
they fit (a seek then recomputes one step, the most an array step should cost), every
K steps when the run is longer, so memory stays bounded however many steps there are."""

STARTS = 8
"""Recomputed starts of steps in between checkpoints kept (the last ones asked for)."""


class Checkpoints:
    """The checkpoints of one run.

    Args:
        runner: runs a step (its program says how many steps, and whether it trains).
        lock: held while computing; shared with the timeline, whose readers take it too.
    """

    def __init__(self, runner: StepRunner, lock: threading.RLock):
        self._runner = runner
        self._lock = lock
        program = runner.program
        self.n_steps = program.n_steps
        self.training = program.training
        self.dtype = runner.dtype
        self._loss_node = runner.graph.loss
        # Checkpoints: param values and grads at the start of every EVERY-th step (row b is
        # step b·EVERY), so memory per step is the loss (one number of the dtype) plus 2P/64
        # numbers. Without training nothing is updated: every step starts from row 0 (see
        # ``start``). Rows not yet written hold NaN, never leftover memory: a stray read
        # shows as NaN, not as a plausible number.
        P = len(runner.graph.params)
        first = runner.initial_start()
        self.no_state = runner.no_state
        # Arrays, or an optimizer that keeps a state: each checkpoint is the step's start
        # itself (arrays are never changed in place, so keeping them is keeping a copy).
        self._rows: list[Start] | None = None
        self.every = EVERY
        """Steps between checkpoints."""
        if runner.arrays or runner.program.optimizer.state_names:
            self._rows = [first]
            if runner.arrays:
                per_start = _start_bytes(first) * 2  # grads and optimizer state grow into it
                self.every = max(1, -(-self.n_steps * per_start // ARRAY_BUDGET))
        cap = min(self.n_steps // self.every + 1, CHUNK) if self.training else 1
        self._values = np.full((cap if self._rows is None else 0, P), np.nan, dtype=self.dtype)
        self._grads = np.zeros((cap if self._rows is None else 0, P), dtype=self.dtype)
        if self._rows is None:
            self._values[0] = first[0]
            self.initial = list(self._values[0])
        else:
            self.initial = list(first[0])
        """The params' values before the first step."""
        self.zeros = runner.zeros
        # Params and grads at the start of step ``known`` (where computing goes on), and a
        # few recomputed starts of steps in between checkpoints.
        self._cur: Start = (list(self.initial), list(self.zeros), list(self.no_state))
        self._starts: OrderedDict[int, Start] = OrderedDict()
        # One loss per step, in the dtype. Allocated whole but never touched ahead of the
        # computation: the OS maps its pages only as they are written, and no doubling copy.
        self.loss = np.empty(self.n_steps, dtype=self.dtype)
        self.known = 0
        """Steps 0..known-1 are computed: their losses, and the start of step ``known``."""
        self.first_bad_step: int | None = None
        """The first step where a number is NaN or infinite, among those computed."""

    def ensure(self, step: int, *, budget: float | None = None) -> bool:
        """Compute checkpoints up to the start of ``step`` (see ``Timeline.ensure``)."""
        deadline = None if budget is None else time.perf_counter() + budget
        while self.known < step:
            # Short turns under the lock, so that a reader on another thread (the app's UI
            # while a worker computes checkpoints) never waits more than a few milliseconds.
            with self._lock, np.errstate(all="ignore"):
                for _ in range(256):
                    if self.known >= step:
                        break
                    self.advance()
            if deadline is not None and time.perf_counter() > deadline:
                break
        return self.known >= step

    def start(self, step: int) -> Start:
        """Param values and grads at the start of ``step`` (``step <= known``), by position.

        A run without ``train`` updates nothing: every sample is evaluated with the
        initial params (a torch loop without an optimizer step). Otherwise the nearest
        checkpoint at or before ``step`` is run forward, the same code as the first time,
        so the numbers are the same to the bit.
        """
        if not self.training:
            return self.initial, self.zeros, self.no_state
        if step == self.known:
            return self._cur
        got = self._starts.get(step)
        if got is not None:
            self._starts.move_to_end(step)
            return got
        b = step // self.every
        s = b * self.every
        start = self._row(b)
        # Resume from a cached start between the checkpoint and ``step`` when there is one.
        for k in range(step - 1, s, -1):
            if k in self._starts:
                s, start = k, self._starts[k]
                break
        with np.errstate(all="ignore"):
            while s < step:
                *_, nxt = self._runner.run(s, None, start)
                assert nxt is not None  # training: there is a next step
                start = nxt
                s += 1
        self._starts[step] = start
        if len(self._starts) > STARTS:
            self._starts.popitem(last=False)
        return start

    def _row(self, b: int) -> Start:
        """The checkpoint at the start of step ``b * every``."""
        if self._rows is not None:
            return self._rows[b]
        return list(self._values[b]), list(self._grads[b]), list(self.no_state)

    def _grow(self) -> None:
        n = self._values.shape[0]
        if self._rows is None and self.training and (self.known + 1) // self.every >= n:
            new = min(self.n_steps // self.every + 1, n * 2)
            values = np.full((new, self._values.shape[1]), np.nan, dtype=self.dtype)
            values[:n] = self._values
            grads = np.zeros((new, self._grads.shape[1]), dtype=self.dtype)
            grads[:n] = self._grads
            self._values, self._grads = values, grads

    def advance(self, record: list[Value] | None = None) -> None:
        """Compute step ``known`` (appending its numbers to ``record`` when given) and keep
        its loss, and the next checkpoint when one is due."""
        step = self.known
        self._grow()
        values, _grads, finite, nxt = self._runner.run(step, record, self._cur)
        self.loss[step] = values[self._loss_node]
        self.known = step + 1
        if nxt is not None:  # training
            self._cur = nxt
            if self.known % self.every == 0:
                b = self.known // self.every
                if self._rows is not None:
                    self._rows.append(nxt)
                else:
                    self._values[b] = nxt[0]
                    self._grads[b] = nxt[1]
        if not finite and self.first_bad_step is None:
            self.first_bad_step = step

    @property
    def memory_bytes(self) -> int:
        """Bytes of numbers kept: one loss per step and a checkpoint every ``EVERY`` steps."""
        kept = self._values.nbytes + self._grads.nbytes
        if self._rows is not None:
            kept += sum(
                np.asarray(v).nbytes for row in self._rows for part in row[:2] for v in part
            ) + sum(np.asarray(x).nbytes for row in self._rows for st in row[2] for x in st)
        return int(self.loss.nbytes + kept)


def _start_bytes(start: Start) -> int:
    """Bytes a step's start takes in memory, arrays and their Python objects."""
    parts = [v for part in start[:2] for v in part] + [x for st in start[2] for x in st]
    return sum(sys.getsizeof(v) for v in parts) + sum(sys.getsizeof(part) for part in start)
