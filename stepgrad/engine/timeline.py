"""The timeline: random access to every event of a run, without recording the whole run.

A run is a sequence of steps (one sample's forward pass, local gradients, backward
pass, update). The timeline keeps each step's loss and a small checkpoint (param values
and gradients) every 16 steps, and regenerates a step's events on demand from the
checkpoint before it, so a 10,000,000-step training opens at once and any event is a
checkpoint lookup plus at most 16 steps of arithmetic away. Both paths through a step
(recording events, or only advancing the checkpoint) run the same code, so they agree
to the bit.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from operator import itemgetter
from typing import Any, cast

import numpy as np

from stepgrad.engine.events import (
    Accumulate,
    AccumulateGrad,
    BackwardEnd,
    BackwardStart,
    Chain,
    Event,
    Forward,
    LocalGrad,
    Predict,
    Update,
    ZeroGrad,
)
from stepgrad.engine.fold import Fold, Scratch
from stepgrad.engine.graph import Const, Graph, Node
from stepgrad.engine.nonfinite import NonFiniteError, describe_nonfinite, nonfinite_field
from stepgrad.engine.plan import Plan
from stepgrad.engine.program import Program
from stepgrad.engine.state import State

Value = Any

_STEP_CACHE = 64
_CHUNK = 4096
_EVERY = 16
"""A checkpoint (param values and grads) is kept every this many steps; a step in between
starts from the one before it and recomputes at most 15 steps (about 0.2 ms)."""
_STARTS = 8

__all__ = ["NonFiniteError", "Timeline", "describe_nonfinite", "nonfinite_field"]


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
        g = self.graph
        self.dtype = np.dtype(program.dtype)
        self._dt = self.dtype.type
        dt = self._dt
        self.n_samples = program.n_samples
        self.n_steps = program.n_steps
        self.training = program.training
        self._lr = dt(program.lr) if program.lr is not None else None
        self._one = dt(1)
        self._zero = dt(0)
        self.fold = Fold(g, self._zero)
        """How each event changes the state (``state_at`` folds a step's events with it)."""

        self._params = g.params
        self._param_pos = {p: j for j, p in enumerate(self._params)}
        # Constants live in extra slots after the nodes, so that every argument is an index
        # into one list and an itemgetter fetches a node's arguments in one call.
        n_nodes = len(g.nodes)
        consts: list[Value] = []
        slots: list[tuple[int, ...]] = []
        for n in g.nodes:
            idx = []
            for a in n.args:
                if isinstance(a, Const):
                    consts.append(dt(a.value))
                    idx.append(n_nodes + len(consts) - 1)
                else:
                    idx.append(a)
            slots.append(tuple(idx))
        self._template: list[Value | None] = [None] * n_nodes + consts
        self._arg_slots = slots
        getters = [_getter(ix) for ix in slots]
        self._forward_plan = [(i, _forward_fn(g.nodes[i]), getters[i]) for i in g.order]
        self._edge_plan = [(e, _local_fn(g.nodes[e.node], dt), getters[e.node]) for e in g.edges]
        # Texts that never change from step to step, prepared once for the event path.
        self._names = tuple(n.name for n in g.nodes)
        self._input_names = tuple(tuple(self._names[x] for x in n.inputs) for n in g.nodes)
        self._formulas = tuple(g.local_formula(e) for e in g.edges)
        self._fixed = {g.by_name[k]: dt(v) for k, v in program.inputs.items()}
        self._data = {g.by_name[k]: np.asarray(v, dtype=self.dtype) for k, v in (program.data or {}).items()}

        # Checkpoints: param values and grads at the start of every _EVERY-th step (row b is
        # step b·_EVERY), so memory per step is the loss (one number of the dtype) plus 2P/64
        # numbers. Without training nothing is updated: every step starts from row 0 (see
        # ``_start``). Rows not yet written hold NaN, never leftover memory: a stray read
        # shows as NaN, not as a plausible number.
        P = len(self._params)
        cap = min(self.n_steps // _EVERY + 1, _CHUNK) if self.training else 1
        self._ck_values = np.full((cap, P), np.nan, dtype=self.dtype)
        self._ck_grads = np.zeros((cap, P), dtype=self.dtype)
        self._ck_values[0] = [dt(program.params[g.nodes[p].name]) for p in self._params]
        self._initial = list(self._ck_values[0])
        self._zeros = [dt(0)] * P
        # Params and grads at the start of step ``_known`` (where computing goes on), and a
        # few recomputed starts of steps in between checkpoints.
        self._cur: tuple[list[Value], list[Value]] = (list(self._initial), list(self._zeros))
        self._starts: OrderedDict[int, tuple[list[Value], list[Value]]] = OrderedDict()
        # One loss per step, in the dtype. Allocated whole but never touched ahead of the
        # computation: the OS maps its pages only as they are written, and no doubling copy.
        self._loss = np.empty(self.n_steps, dtype=self.dtype)
        self._known = 0  # steps 0..known-1 computed: their losses, and the start of step known
        self._first_bad_step: int | None = None
        self._cache: OrderedDict[int, tuple[Event, ...]] = OrderedDict()
        # One lock for checkpoints and cache: the app computes checkpoints on a worker thread.
        self._lock = threading.RLock()

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
        return self._known

    def ensure(self, step: int, *, budget: float | None = None) -> bool:
        """Compute checkpoints up to the start of ``step``.

        Args:
            step: the step whose start must be known (``n_steps`` for the end of training).
            budget: seconds to spend at most; None for no limit.

        Returns:
            True when the checkpoint of ``step`` is known.
        """
        deadline = None if budget is None else time.perf_counter() + budget
        while self._known < step:
            # Short turns under the lock, so that a reader on another thread (the app's UI
            # while a worker computes checkpoints) never waits more than a few milliseconds.
            with self._lock, np.errstate(all="ignore"):
                for _ in range(256):
                    if self._known >= step:
                        break
                    self._advance()
            if deadline is not None and time.perf_counter() > deadline:
                break
        return self._known >= step

    def _start(self, step: int) -> tuple[list[Value], list[Value]]:
        """Param values and grads at the start of ``step`` (``step <= known``), by position.

        A run without ``train`` updates nothing: every sample is evaluated with the
        initial params (a torch loop without an optimizer step). Otherwise the nearest
        checkpoint at or before ``step`` is run forward, the same code as the first time,
        so the numbers are the same to the bit.
        """
        if not self.training:
            return self._initial, self._zeros
        if step == self._known:
            return self._cur
        got = self._starts.get(step)
        if got is not None:
            self._starts.move_to_end(step)
            return got
        b = step // _EVERY
        s = b * _EVERY
        start = (list(self._ck_values[b]), list(self._ck_grads[b]))
        # Resume from a cached start between the checkpoint and ``step`` when there is one.
        for k in range(step - 1, s, -1):
            if k in self._starts:
                s, start = k, self._starts[k]
                break
        with np.errstate(all="ignore"):
            while s < step:
                *_, nxt = self._run_step(s, None, start)
                assert nxt is not None  # training: there is a next step
                start = nxt
                s += 1
        self._starts[step] = start
        if len(self._starts) > _STARTS:
            self._starts.popitem(last=False)
        return start

    def _grow(self) -> None:
        n = self._ck_values.shape[0]
        if self.training and (self._known + 1) // _EVERY >= n:
            new = min(self.n_steps // _EVERY + 1, n * 2)
            for name in ("_ck_values", "_ck_grads"):
                old = getattr(self, name)
                arr = np.full((new, old.shape[1]), np.nan if name == "_ck_values" else 0, dtype=self.dtype)
                arr[:n] = old
                setattr(self, name, arr)

    def _advance(self, out: list[Event] | None = None) -> None:
        step = self._known
        self._grow()
        values, _grads, finite, nxt = self._run_step(step, out, self._cur)
        self._loss[step] = values[self.graph.loss]
        self._known = step + 1
        if nxt is not None:  # training
            self._cur = nxt
            if self._known % _EVERY == 0:
                b = self._known // _EVERY
                self._ck_values[b] = nxt[0]
                self._ck_grads[b] = nxt[1]
        if not finite and self._first_bad_step is None:
            self._first_bad_step = step

    def losses(self, upto: int | None = None) -> np.ndarray:
        """The loss of every step computed so far (or up to ``upto``)."""
        with self._lock:
            n = self._known if upto is None else min(upto, self._known)
            return self._loss[:n]

    @property
    def memory_bytes(self) -> int:
        """Bytes of numbers kept for the run: one loss per step (in the dtype) and a
        checkpoint (params and grads) every ``_EVERY`` steps; events are regenerated."""
        return int(self._loss.nbytes + self._ck_values.nbytes + self._ck_grads.nbytes)

    def param_values(self, step: int) -> dict[str, Value]:
        """Param values at the start of ``step`` (``n_steps``: after training)."""
        self.ensure(step)
        with self._lock:
            row = list(self._start(step)[0])
        return {self.graph.nodes[p].name: row[j] for j, p in enumerate(self._params)}

    # ----- running a step --------------------------------------------------------------

    def _leaf_values(self, step: int, row: list[Value] | None = None) -> list[Value | None]:
        values = self._template.copy()
        sample = step % self.n_samples
        for i, v in self._fixed.items():
            values[i] = v
        for i, arr in self._data.items():
            values[i] = arr[sample]
        if row is None:
            row = self._start(step)[0]
        for j, p in enumerate(self._params):
            values[p] = row[j]
        return values

    def _initial_grads(self, step: int, row: list[Value] | None = None) -> list[Value | None]:
        grads: list[Value | None] = [None] * len(self.graph.nodes)
        if self.training and step > 0:
            if row is None:
                row = self._start(step)[1]
            for j, p in enumerate(self._params):
                grads[p] = row[j]
        return grads

    def _run_step(
        self, step: int, out: list[Event] | None, start: tuple[list[Value], list[Value]] | None = None
    ) -> tuple[list[Value | None], list[Value | None], bool, tuple[list[Value], list[Value]] | None]:
        """Run one step from its start (``_start(step)`` unless given); append its events to
        ``out`` when given.

        Returns node values, node grads, whether every number stayed finite, and the params
        and grads at the start of the next step (None without training).
        """
        if start is None:
            start = self._start(step)
        g = self.graph
        nodes = g.nodes
        names = self._names
        input_names = self._input_names
        formulas = self._formulas
        dt = self._dt
        values = self._leaf_values(step, start[0])
        rec = out is not None
        emit = (out if out is not None else []).append
        epoch = step // self.n_samples
        sample = step % self.n_samples if self._data else None
        seq = self.step_start(step)
        check = 0.0

        for i, fn, get in self._forward_plan:
            a = get(values)
            v = fn(*a)
            values[i] = v
            check += v
            if rec:
                emit(
                    Forward(seq, step, epoch, sample, names[i], nodes[i].op, input_names[i], a, v)
                )
                seq += 1

        local: list[Value] = []
        for k, (e, fn, get) in enumerate(self._edge_plan):
            lv = fn(e.arg, get(values), values[e.node], dt)
            local.append(lv)
            check += lv
            if rec:
                emit(
                    LocalGrad(seq, step, epoch, sample, names[e.node], names[e.wrt], e.arg, formulas[k], lv)
                )
                seq += 1

        grads = self._initial_grads(step, start[1])
        # Without zero_grad (step > 0 of a training), params hold .grad from earlier passes.
        # As in torch, this pass's contributions are summed on their own into ∂loss/∂w, and
        # that sum is added to .grad once, after the last one: old + (c1 + c2), never
        # (old + c1) + c2. A param the loss never reaches keeps its .grad untouched.
        holding = self.plan.holding(step)
        last_edge = self.plan.last_edge if holding else {}
        held_grad: dict[int, Value] = {}
        for p in self._params:
            if holding:
                held_grad[p] = grads[p]
            if not holding or p in last_edge.values():
                grads[p] = None
        grads[g.loss] = self._one
        if rec:
            emit(BackwardStart(seq, step, epoch, sample, nodes[g.loss].name, self._one))
            seq += 1
        for k, (e, lv) in enumerate(zip(g.edges, local, strict=True)):
            up = grads[e.node]
            prod = up * lv
            check += prod
            before = grads[e.wrt]
            if rec:
                emit(
                    Chain(
                        seq, step, epoch, sample, nodes[e.node].name, nodes[e.wrt].name, e.arg, up, lv, prod
                    )
                )
                seq += 1
            if before is None:
                grads[e.wrt] = prod
            else:
                after = before + prod
                grads[e.wrt] = after
                if rec:
                    emit(
                        Accumulate(seq, step, epoch, sample, nodes[e.wrt].name, before, prod, after)
                    )
                    seq += 1
            if k in last_edge:
                p = e.wrt
                old = held_grad[p]
                this_pass = grads[p]
                total = old + this_pass
                grads[p] = total
                if rec:
                    emit(
                        AccumulateGrad(seq, step, epoch, sample, nodes[p].name, old, this_pass, total)
                    )
                    seq += 1

        if rec:
            emit(
                BackwardEnd(seq, step, epoch, sample, tuple((nodes[p].name, grads[p]) for p in self._params))
            )
            seq += 1

        following: tuple[list[Value], list[Value]] | None = None
        if self.training:
            lr: Value = self._lr  # set whenever training
            new_values = list(self._zeros)
            new_grads = list(self._zeros)
            following = (new_values, new_grads)
            for j, p in enumerate(self._params):
                before = values[p]
                gr = grads[p]
                after = before - lr * gr
                check += after
                new_values[j] = after
                if rec:
                    emit(
                        Update(seq, step, epoch, sample, nodes[p].name, before, gr, lr, after)
                    )
                    seq += 1
            for j, p in enumerate(self._params):
                gr = grads[p]
                if self.program.zero_grad:
                    new_grads[j] = self._zero
                    if rec:
                        emit(ZeroGrad(seq, step, epoch, sample, nodes[p].name, gr))
                        seq += 1
                else:
                    new_grads[j] = gr
        finite = _finite(check)
        if not finite:
            # The running sum can overflow on finite numbers; look at each one to be sure.
            numbers = [*values, *local, *grads]
            if following is not None:
                numbers.extend(following[0])
            finite = all(bool(np.all(np.isfinite(v))) for v in numbers if v is not None)
        return values, grads, finite, following

    def events_of_step(self, step: int) -> tuple[Event, ...]:
        """Every event of one step, regenerated from its checkpoint (cached)."""
        with self._lock:
            return self._events_of_step(step)

    def _events_of_step(self, step: int) -> tuple[Event, ...]:
        cached = self._cache.get(step)
        if cached is not None:
            self._cache.move_to_end(step)
            return cached
        self.ensure(step)
        out: list[Event] = []
        with np.errstate(all="ignore"):
            if step == self._known:
                self._advance(out)
            else:
                self._run_step(step, out)
        events = tuple(out)
        self._cache[step] = events
        if len(self._cache) > _STEP_CACHE:
            self._cache.popitem(last=False)
        return events

    def _predict_events(self, when: str) -> tuple[Predict, ...]:
        with self._lock:
            return self._predict_events_locked(when)

    def _predict_events_locked(self, when: str) -> tuple[Predict, ...]:
        g = self.graph
        pred = self.program.predict or {}
        dt = self._dt
        step = 0 if when == "before" else self.n_steps
        self.ensure(step)
        values = self._template.copy()
        for i, v in self._fixed.items():
            values[i] = v
        for k, v in pred.items():
            values[g.by_name[k]] = dt(v)
        row = self._start(step)[0]
        for j, p in enumerate(self._params):
            values[p] = row[j]
        with np.errstate(all="ignore"):
            for i, fn, get in self._forward_plan:
                a = get(values)
                if all(x is not None for x in a):
                    values[i] = fn(*a)
        base = 0 if when == "before" else self._len - self._pre
        return tuple(
            Predict(base + k, None, None, None, when, g.nodes[i].name, values[i])
            for k, i in enumerate(self._predict_nodes)
        )

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
        """Events ``start`` .. ``stop - 1`` in order, generated a step at a time."""
        stop = self._len if stop is None else min(stop, self._len)
        seq = start
        while seq < stop:
            step = self.locate(seq)
            chunk: tuple[Event, ...]
            if step is None:
                when = "before" if seq < self._pre else "after"
                chunk = self._predict_events(when)
                first = 0 if when == "before" else self._len - self._pre
            else:
                chunk = self._events_streaming(step)
                first = self.step_start(step)
            yield from chunk[seq - first : stop - first]
            seq = first + len(chunk)

    def _events_streaming(self, step: int) -> tuple[Event, ...]:
        # A full replay should not churn the cache that interactive seeking relies on.
        with self._lock:
            return self._events_uncached(step)

    def _events_uncached(self, step: int) -> tuple[Event, ...]:
        cached = self._cache.get(step)
        if cached is not None:
            return cached
        self.ensure(step)
        out: list[Event] = []
        with np.errstate(all="ignore"):
            if step == self._known:
                self._advance(out)
            else:
                self._run_step(step, out)
        return tuple(out)

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
            row = self._start(base_step)[0]
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
        if self._first_bad_step is not None:
            for ev in self.events_of_step(self._first_bad_step):
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


def _getter(idx: tuple[int, ...]) -> Callable[[list[Value | None]], tuple[Value, ...]]:
    if not idx:  # leaves
        return lambda values: ()
    if len(idx) == 1:
        (i,) = idx
        return lambda values: (values[i],)
    return cast(Callable[[list[Value | None]], tuple[Value, ...]], itemgetter(*idx))


def _finite(x: Value) -> bool:
    try:
        return math.isfinite(x)
    except TypeError:  # an array
        return bool(np.all(np.isfinite(x)))


def _local_fn(node: Node, dt: Any) -> Callable[..., Value]:
    # The registry's rule (a power to a constant has its own: `s ** 2` gives s + s = 2*s).
    # Note for the chain step: ``node.rule.backward(k, args, out, upstream)`` (the op's
    # vjp) forms the product as torch does, +0.0 where torch masks (relu at out <= 0,
    # pow's zeros, w ** 0) and grad*z/(z+1) for softplus; the chain step multiplies
    # ``upstream * local`` instead, which keeps every bundled golden (see ops.OpRule.vjp).
    return node.rule.local


def _forward_fn(node: Node) -> Callable[..., Value]:
    # The registry's rule: `s ** 2`, the commonest power, is squared without testing the exponent.
    return node.rule.forward
