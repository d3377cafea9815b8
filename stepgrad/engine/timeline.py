"""The timeline: random access to every event of a run, without recording the whole run.

A run is a sequence of steps (one sample's forward pass, local gradients, backward
pass, update). The timeline keeps each step's loss and a small checkpoint (param values
and gradients) every 16 steps (``checkpoints``), and regenerates a step's events on
demand from the checkpoint before it (``step``), so a 10,000,000-step training opens at
once and any event is a checkpoint lookup plus at most 16 steps of arithmetic away. Both
paths through a step (recording events, or only advancing the checkpoint) run the same
code, so they agree to the bit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from stepgrad.engine.checkpoints import Checkpoints
from stepgrad.engine.events import Event, Predict
from stepgrad.engine.fold import Fold, Scratch
from stepgrad.engine.graph import Graph, Node
from stepgrad.engine.nonfinite import NonFiniteError, describe_nonfinite, nonfinite_field
from stepgrad.engine.plan import Plan
from stepgrad.engine.program import Program
from stepgrad.engine.state import State
from stepgrad.engine.step import Start, StepResult, StepRunner, Value

_STEP_CACHE = 64
"""Steps whose events are kept (the last ones asked for)."""

AHEAD = 64
"""Steps whose numbers a walk through the run computes at once (one lock, one NumPy error
state, each step from the one before): ``iter_events`` and ``replay``."""

AHEAD_BYTES = 4 << 20
"""At most this many bytes of numbers computed ahead by ``iter_events``: fewer than
``AHEAD`` steps where a step's numbers are large. A step's arrays are then made again in
memory still in the CPU's caches (lecture7, 0.8 MB a step: 5 steps ahead, not 64, a
step 13% faster), while small steps (lecture8's batches of 32, scalars) keep ``AHEAD``."""

__all__ = ["NonFiniteError", "Timeline", "describe_nonfinite", "nonfinite_field"]


def _ahead_for(record: list[Value]) -> int:
    """Steps to compute at once when a step's numbers are ``record``: ``AHEAD``, or as many
    as ``AHEAD_BYTES`` hold."""
    size = sum(getattr(v, "nbytes", 8) for v in record)
    return max(1, min(AHEAD, AHEAD_BYTES // max(size, 1)))


class Timeline:
    """Random access to the events of a program's run, and to the state after each.

    Args:
        program: what to run.
    """

    def __init__(self, program: Program):
        self.program = program
        self.graph: Graph = program.graph
        self.plan = Plan(program)
        """Where each event sits (shared with whoever outlines the run before it is computed)."""
        self._runner = StepRunner(program, self.plan)
        self.dtype = self._runner.dtype
        self.n_samples = program.n_samples
        self.n_steps = program.n_steps
        self.training = program.training
        self.fold = Fold(self.graph, None if program.grad_to_none else self.dtype.type(0))
        """How each event changes the state (``state_at`` folds a step's events with it)."""
        self._params = self.graph.params
        # One lock for checkpoints and cache: the app computes checkpoints on a worker thread.
        self._lock = threading.RLock()
        self._ck = Checkpoints(self._runner, self._lock)
        self._cache: OrderedDict[int, tuple[Event, ...]] = OrderedDict()
        self._ahead = 0
        """Steps ``iter_events`` computes at once (0: not known until a step's numbers are)."""

        plan = self.plan
        self._predict_nodes = plan.predict_nodes
        self._pre = plan.pre
        self._len = plan.length

    # ----- structure -------------------------------------------------------------------

    def __len__(self) -> int:
        return self._len

    def step_start(self, step: int) -> int:
        """Seq of the first event of ``step``."""
        return self.plan.step_start(step)

    def step_range(self, step: int) -> range:
        """Seqs of ``step``'s events."""
        return self.plan.step_range(step)

    def locate(self, seq: int) -> int | None:
        """The step that event ``seq`` belongs to, or None for a prediction."""
        return self.plan.locate(seq)

    def epoch_of(self, step: int) -> int:
        """The epoch a step belongs to."""
        return step // self.n_samples

    def sample_of(self, step: int) -> int | None:
        """The sample a step feeds, or None without data."""
        return self.plan.sample_of(step)

    # ----- checkpoints -----------------------------------------------------------------

    @property
    def known_steps(self) -> int:
        """How many steps have checkpoints after them; ``n_steps`` once all are computed."""
        return self._ck.known

    def ensure(self, step: int, *, budget: float | None = None) -> bool:
        """Compute checkpoints up to the start of ``step``.

        Args:
            step: the step whose start must be known (``n_steps`` for the end of training).
            budget: seconds to spend at most; None for no limit.

        Returns:
            True when the checkpoint of ``step`` is known.
        """
        return self._ck.ensure(step, budget=budget)

    def losses(self, upto: int | None = None) -> np.ndarray:
        """The loss of every step computed so far (or up to ``upto``)."""
        with self._lock:
            known = self._ck.known
            n = known if upto is None else min(upto, known)
            return self._ck.loss[:n]

    @property
    def memory_bytes(self) -> int:
        """Bytes of numbers kept for the run: one loss per step (in the dtype) and a
        checkpoint (params and grads) every 16 steps; events are regenerated."""
        return self._ck.memory_bytes

    def param_values(self, step: int) -> dict[str, Value]:
        """Param values at the start of ``step`` (``n_steps``: after training)."""
        self.ensure(step)
        with self._lock:
            row = list(self._ck.start(step)[0])
        return {self.graph.nodes[p].name: row[j] for j, p in enumerate(self._params)}

    # ----- running a step --------------------------------------------------------------

    def _leaf_values(self, step: int) -> list[Value | None]:
        return self._runner.leaf_values(step, self._ck.start(step)[0])

    def _initial_grads(self, step: int) -> list[Value | None]:
        row = self._ck.start(step)[1] if self.training and step > 0 else None
        return self._runner.initial_grads(step, row)

    def _run_step(self, step: int, record: list[Value] | None, start: Start | None = None) -> StepResult:
        """Run one step from its start (the checkpoints' unless given); append its numbers
        to ``record`` when given (``StepRunner.run``)."""
        return self._runner.run(step, record, self._ck.start(step) if start is None else start)

    def events_of_step(self, step: int) -> tuple[Event, ...]:
        """Every event of one step, regenerated from its checkpoint (cached)."""
        with self._lock:
            return self._events_of_step(step)

    def _events_of_step(self, step: int) -> tuple[Event, ...]:
        cached = self._cache.get(step)
        if cached is not None:
            self._cache.move_to_end(step)
            return cached
        events = self._compute(step)
        self._cache[step] = events
        if len(self._cache) > _STEP_CACHE:
            self._cache.popitem(last=False)
        return events

    def _predict_events(self, when: str) -> tuple[Predict, ...]:
        with self._lock:
            return self._predict_events_locked(when)

    def _predict_events_locked(self, when: str) -> tuple[Predict, ...]:
        g = self.graph
        step = 0 if when == "before" else self.n_steps
        self.ensure(step)
        values = self._runner.predict(self.program.predict or {}, self._ck.start(step)[0])
        base = 0 if when == "before" else self._len - self._pre
        return tuple(
            Predict(base + k, None, None, None, when, g.nodes[i].name, values[i])
            for k, i in enumerate(self._predict_nodes)
        )

    def prediction_values(self, when: str) -> list[Value | None]:
        """Every node's value in the scenario's prediction (``when``: "before" or "after"
        training), by node id: None for a node the prediction does not compute (its
        ``Predict`` events carry the predicted nodes' values only)."""
        with self._lock:
            step = 0 if when == "before" else self.n_steps
            self.ensure(step)
            return self._runner.predict(self.program.predict or {}, self._ck.start(step)[0])

    # ----- random access ---------------------------------------------------------------

    def __getitem__(self, seq: int) -> Event:
        if seq < 0:
            seq += self._len
        step = self.locate(seq)
        if step is None:
            when = "before" if seq < self._pre else "after"
            events = self._predict_events(when)
            return events[seq - (0 if when == "before" else self._len - self._pre)]
        return self.events_of_step(step)[seq - self.step_start(step)]

    def __iter__(self) -> Iterator[Event]:
        return self.iter_events()

    def iter_events(self, start: int = 0, stop: int | None = None) -> Iterator[Event]:
        """Events ``start`` .. ``stop - 1`` in order, generated a step at a time (their
        numbers ``AHEAD`` steps at a time)."""
        stop = self._len if stop is None else min(stop, self._len)
        seq = start
        ahead: list[list[Value]] = []  # numbers of the steps to come, step ``next_step`` last
        next_step = -1
        while seq < stop:
            step = self.locate(seq)
            chunk: Sequence[Event]  # a step's events (a list when just made)
            if step is None:
                when = "before" if seq < self._pre else "after"
                chunk = self._predict_events(when)
                first = 0 if when == "before" else self._len - self._pre
            else:
                with self._lock:
                    cached = self._cache.get(step)
                if cached is not None:
                    chunk = cached
                else:
                    # A full replay should not churn the cache that interactive seeking relies on.
                    if step != next_step or not ahead:
                        last = self.locate(stop - 1)
                        last = self.n_steps - 1 if last is None else last
                        count = self._ahead or 1  # one step first, to learn its size
                        ahead = self.steps_numbers(step, min(count, last - step + 1))[::-1]
                        if not self._ahead:
                            self._ahead = _ahead_for(ahead[-1])
                    chunk = self._runner.events(step, ahead.pop())
                    next_step = step + 1
                first = self.step_start(step)
            if seq == first and stop - first >= len(chunk):  # the whole step
                yield from chunk
            else:
                yield from chunk[seq - first : stop - first]
            seq = first + len(chunk)

    def _compute(self, step: int) -> tuple[Event, ...]:
        return tuple(self._runner.events(step, self._numbers(step)))

    def _numbers(self, step: int) -> list[Value]:
        """The numbers of ``step``'s events, in order (``StepRunner.run``'s record)."""
        # The next step to compute also moves the checkpoints on; any other starts from them.
        self.ensure(step)
        ck = self._ck
        record: list[Value] = []
        with np.errstate(all="ignore"):
            if step == ck.known:
                ck.advance(record)
            else:
                self._runner.run(step, record, ck.start(step))
        return record

    def step_numbers(self, step: int) -> list[Value]:
        """The numbers of ``step``'s events, in the order of the events and their fields
        (``events.numbers``), without making the events: what ``replay`` writes from.
        ``step_events(step, step_numbers(step))`` is ``events_of_step(step)``."""
        with self._lock:
            return self._numbers(step)

    def steps_numbers(self, first: int, count: int) -> list[list[Value]]:
        """``step_numbers`` of ``count`` steps from ``first``, computed in one go (each step
        from the one before it, the same code and numbers as from the checkpoints)."""
        out: list[list[Value]] = []
        with self._lock:
            self.ensure(first)
            ck = self._ck
            start: Start | None = None
            with np.errstate(all="ignore"):
                for step in range(first, min(first + count, self.n_steps)):
                    record: list[Value] = []
                    if step == ck.known:
                        ck.advance(record)
                        start = None
                    else:
                        *_, start = self._runner.run(step, record, ck.start(step) if start is None else start)
                    out.append(record)
        return out

    def step_events(self, step: int, numbers: list[Value]) -> list[Event]:
        """``step``'s events from its numbers (``step_numbers``)."""
        return self._runner.events(step, numbers)

    def state_at(self, seq: int) -> State:
        """The state as of event ``seq`` (that event applied)."""
        with self._lock:
            return self._state_at(seq)

    def _state_at(self, seq: int) -> State:
        if seq < 0:
            seq += self._len
        step = self.locate(seq)
        if step is None:
            # Predictions: show the training state they were made from.
            when = "before" if seq < self._pre else "after"
            base_step = 0 if when == "before" else self.n_steps
            self.ensure(base_step)
            n = len(self.graph.nodes)
            vals: list[Value | None] = [None] * n
            row = self._ck.start(base_step)[0]
            for j, p in enumerate(self._params):
                vals[p] = row[j]
            grads: list[Value | None] = [None] * n
            if base_step > 0 and self.training:
                grads = self._initial_grads(base_step)
            s = Scratch(None, vals, grads, [None] * n, [None] * n)
            first = 0 if when == "before" else self._len - self._pre
            return self.fold.run(s, self._predict_events(when)[: seq - first + 1])
        events = self.events_of_step(step)
        return self.fold.run(self._scratch(step), events[: seq - self.step_start(step) + 1])

    def scratch(self, step: int) -> Scratch:
        """What is known at the start of ``step``, before its first event, ready to fold
        the step's events into (``fold.apply``): the leaves' values, the params' ``.grad``."""
        with self._lock:
            return self._scratch(step)

    def _scratch(self, step: int) -> Scratch:
        n = len(self.graph.nodes)
        # A param whose .grad was carried over (no zero_grad) shows it until accumulate_grad.
        carried = frozenset(self.plan.last_edge.values()) if self.plan.holding(step) else frozenset()
        return Scratch(
            step,
            self._leaf_values(step),
            self._initial_grads(step),
            [None] * n,
            [None] * n,
            carried,
        )

    # ----- searching -------------------------------------------------------------------

    def find(self, start: int, pred: Callable[[Event], bool], *, stop: int | None = None) -> int | None:
        """The first seq at or after ``start`` (before ``stop``) whose event matches ``pred``."""
        for ev in self.iter_events(start, stop):
            if pred(ev):
                return ev.seq
        return None

    def first_nonfinite(self) -> tuple[Event, str, Value] | None:
        """The first event holding a NaN or infinity, with the field and the value."""
        self.ensure(self.n_steps)
        for pred in self._predict_events("before"):
            if not np.all(np.isfinite(pred.value)):
                return pred, "value", pred.value
        if self._ck.first_bad_step is not None:
            for ev in self.events_of_step(self._ck.first_bad_step):
                bad = nonfinite_field(ev)
                if bad is not None:
                    return ev, bad[0], bad[1]
        for pred in self._predict_events("after"):
            if not np.all(np.isfinite(pred.value)):
                return pred, "value", pred.value
        return None

    def node(self, name: str) -> Node:
        """A node by name."""
        return self.graph[name]
