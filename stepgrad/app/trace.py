"""What the app asks of a timeline, answered without Textual: pure and unit-tested.

``Trace`` wraps a ``Timeline`` with small per-step indexes (which event computed a node's
value, which gave it its gradient, where each phase ends), so that the screen can say
where every number came from and the keys can find their targets quickly.

Positions run from -1 ("start": nothing computed yet) to ``len(timeline) - 1``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
from stepgrad.engine.plan import Plan
from stepgrad.engine.program import Program
from stepgrad.engine.state import State
from stepgrad.explain import describe, fit, outline

if TYPE_CHECKING:
    from stepgrad.engine.timeline import Timeline

START = -1
"""The position before the first event."""

PHASE_LABEL = {
    "start": "start",
    "forward": "forward",
    "local": "local ∂",
    "backward": "backward",
    "update": "update",
    "predict": "predict",
}
"""How each phase is named on screen."""

_INDEX_CACHE = 64


@dataclass(frozen=True, slots=True)
class Focus:
    """What an event is about, for highlighting.

    Attributes:
        nodes: node ids to highlight (the first is kept in view).
        edges: (consumer, argument) edges to highlight.
        backward: True when the highlighted edges carry a gradient (drawn right to left).
    """

    nodes: tuple[int, ...] = ()
    edges: tuple[tuple[int, int], ...] = ()
    backward: bool = False


@dataclass(frozen=True, slots=True)
class StepIndex:
    """Lookups over one step's events.

    Attributes:
        step: the step.
        first: seq of its first event.
        events: its events.
        forward: forward event by node name.
        local: local-gradient event by (node name, argument index).
        setters: per node name, the seqs that changed its gradient in this step, in order.
        phase_end: last seq of each phase present.
        updates: update event by param name.
        zeroed: seq of the zero_grad event by param name.
        end: the step's ``backward_end`` event (each param's ``.grad`` after the pass).
    """

    step: int
    first: int
    events: tuple[Event, ...]
    forward: dict[str, Forward]
    local: dict[tuple[str, int], LocalGrad]
    setters: dict[str, list[int]]
    phase_end: dict[str, int]
    updates: dict[str, Update]
    zeroed: dict[str, int]
    end: BackwardEnd


def touches(ev: Event, names: Iterable[str]) -> bool:
    """True when the event computes or changes something of one of the named nodes."""
    names = set(names)
    for attr in ("node", "wrt", "param"):
        v = getattr(ev, attr, None)
        if v is not None and v in names:
            if attr == "node" and isinstance(ev, Chain):
                continue  # a chain event changes the gradient of `wrt`, not of `node`
            return True
    return False


class Trace:
    """A timeline with the lookups the app needs.

    Given a program rather than a timeline, the timeline (and NumPy with it) is made on
    first use: until then the plan answers where events sit and what they will be, which
    is all the screen at the start needs.

    Args:
        source: the run, as a timeline or as the program to make one from.
    """

    def __init__(self, source: Timeline | Program):
        if isinstance(source, Program):
            self.program = source
            self._timeline: Timeline | None = None
            self.plan = Plan(source)
        else:
            self.program = source.program
            self._timeline = source
            self.plan = source.plan
        self.graph = self.program.graph
        self.length = len(self.plan)
        self._made = threading.Lock()
        self._index: OrderedDict[int, StepIndex] = OrderedDict()
        self._start: State | None = None
        self._predicted: dict[str, dict[int, Any]] = {}

    @property
    def timeline(self) -> Timeline:
        """The run's timeline (made now if not yet)."""
        t = self._timeline
        if t is None:
            with self._made:
                t = self._timeline
                if t is None:
                    from stepgrad.engine.timeline import Timeline

                    t = self._timeline = Timeline(self.program)
        return t

    def prediction_values(self, when: str) -> dict[int, Any]:
        """Every node a prediction computes (``when``: before or after training), by id:
        its events carry the predicted node's value only, and a box between the inputs and
        it (lecture5's y_hat₁) would stay ``·``. Worked out once, as the timeline does."""
        got = self._predicted.get(when)
        if got is None:
            values = self.timeline.prediction_values(when)
            got = self._predicted[when] = {i: v for i, v in enumerate(values) if v is not None}
        return got

    @property
    def has_timeline(self) -> bool:
        """True once the timeline exists (NumPy loaded)."""
        return self._timeline is not None

    @property
    def known_steps(self) -> int:
        """Steps computed so far (none before the timeline exists)."""
        t = self._timeline
        return 0 if t is None else t.known_steps

    # ----- states --------------------------------------------------------------------

    def clamp(self, pos: int) -> int:
        """A position within START .. last event."""
        return max(START, min(pos, self.length - 1))

    def state(self, pos: int) -> State:
        """The state as of ``pos`` (START: the leaves' values of step 0, nothing else)."""
        if pos == START:
            return self.start_state()
        return self.timeline.state_at(pos)

    def start_state(self) -> State:
        """Before the first event: inputs and params of step 0 known, nothing computed."""
        if self._start is None:
            plan = self.plan
            first = plan.step_start(0)
            n = len(self.graph.nodes)
            if not self.start_needs_engine and self._timeline is None:
                # A Python float is a float64 to the bit: the start needs no NumPy.
                values = self._leaves_of_step0()
            else:
                s0 = self.timeline.state_at(first)
                leaves = {node.id for node in self.graph.nodes if node.is_leaf}
                values = tuple(v if i in leaves else None for i, v in enumerate(s0.values[:n]))
            grads = tuple(None for _ in range(n))
            ev = plan.outline(first)
            self._start = State(START, ev, 0, 0, plan.sample_of(0), "start", values, grads, {}, {})
        return self._start

    @property
    def start_needs_engine(self) -> bool:
        """True when the first frame needs the timeline: float32 numbers print through
        NumPy, and a run of several steps prints numbers the start does not show, which size
        the graph's boxes (drawn without them, the boxes would widen a moment later)."""
        p = self.program
        return p.dtype != "float64" or self.plan.n_steps > 1 or p.arrays

    def _leaves_of_step0(self) -> tuple[float | None, ...]:
        p = self.program
        values: list[float | None] = [None] * len(self.graph.nodes)
        known = {**p.inputs, **{k: v[0] for k, v in (p.data or {}).items()}, **p.params}
        for name, v in known.items():
            values[self.graph.by_name[name]] = float(v)
        return tuple(values)

    def step_of(self, pos: int) -> int | None:
        """The step of a position (START counts as step 0; predictions have none)."""
        if pos == START:
            return 0
        return self.plan.locate(pos)

    # ----- per-step index ------------------------------------------------------------

    def index(self, step: int) -> StepIndex:
        """The lookups for one step (cached)."""
        got = self._index.get(step)
        if got is not None:
            self._index.move_to_end(step)
            return got
        events = self.timeline.events_of_step(step)
        forward: dict[str, Forward] = {}
        local: dict[tuple[str, int], LocalGrad] = {}
        setters: dict[str, list[int]] = {}
        phase_end: dict[str, int] = {}
        updates: dict[str, Update] = {}
        zeroed: dict[str, int] = {}
        end: BackwardEnd | None = None
        for ev in events:
            phase_end[ev.phase] = ev.seq
            phase_end[ev.kind] = ev.seq
            match ev:
                case Forward(node=node):
                    forward[node] = ev
                case LocalGrad(node=node, arg=arg):
                    local[(node, arg)] = ev
                case BackwardStart(node=node):
                    setters.setdefault(node, []).append(ev.seq)
                case Chain(wrt=wrt):
                    setters.setdefault(wrt, []).append(ev.seq)
                case Accumulate(node=node):
                    # The accumulate, not the chain before it, holds the sum.
                    lst = setters.setdefault(node, [])
                    if lst and lst[-1] == ev.seq - 1:
                        lst[-1] = ev.seq
                    else:
                        lst.append(ev.seq)
                case AccumulateGrad(param=param):
                    # The .grad this pass leaves behind (carried .grad + this pass's sum).
                    setters.setdefault(param, []).append(ev.seq)
                case Update(param=param):
                    updates[param] = ev
                case ZeroGrad(param=param):
                    zeroed[param] = ev.seq
                case BackwardEnd():
                    end = ev
        assert end is not None, "every step has a backward pass"
        idx = StepIndex(step, events[0].seq, events, forward, local, setters, phase_end, updates, zeroed, end)
        self._index[step] = idx
        if len(self._index) > _INDEX_CACHE:
            self._index.popitem(last=False)
        return idx

    def phase_end(self, step: int) -> dict[str, int]:
        """Last seq of each phase and of each kind in ``step``: known from the plan, so asking
        computes nothing."""
        ends: dict[str, int] = {}
        for ev in self.plan.outline_of_step(step):
            ends[ev.phase] = ends[ev.kind] = ev.seq
        return ends

    # ----- text ----------------------------------------------------------------------

    def line(self, seq: int, width: int | None = None) -> str:
        """The event in the lecture's words, numbers substituted (as ``replay`` prints it);
        made to fit ``width`` (the timeline panel) when given."""
        ev = self.timeline[seq]
        args = out = None
        if isinstance(ev, LocalGrad) and ev.step is not None:
            fwd = self.index(ev.step).forward.get(ev.node)
            if isinstance(fwd, Forward):
                args, out = fwd.args, fwd.value
        carried, to_none = self._carried(ev.step), self.program.grad_to_none
        line = describe(self.graph, ev, args, out, carried=carried, to_none=to_none)
        return line if width is None else fit(line, width)

    def _carried(self, step: int | None) -> bool:
        """True when ``step``'s params hold earlier passes' gradients (no zero_grad): its
        backward_end and updates name them ``w.grad``, the running sum."""
        return step is not None and self.plan.holding(step)

    def outline(self, seq: int, width: int | None = None) -> str:
        """The event without its numbers: what it will compute (for events still to come)."""
        ev = self.plan.outline(seq)
        line = outline(self.graph, ev, carried=self._carried(ev.step), to_none=self.program.grad_to_none)
        return line if width is None else fit(line, width)

    # ----- focus ---------------------------------------------------------------------

    def focus(self, pos: int) -> Focus:
        """The nodes and edges the event at ``pos`` is about."""
        if pos == START:
            return Focus()
        ev = self.plan.outline(pos)
        g = self.graph
        by = g.by_name
        match ev:
            case Forward(node=name):
                node = g[name]
                edges = tuple((node.id, a) for a, x in enumerate(node.args) if isinstance(x, int))
                return Focus((node.id,), edges)
            case LocalGrad(node=name, arg=arg):
                return Focus((by[name],), ((by[name], arg),))
            case Chain(node=name, wrt=wrt, arg=arg):
                return Focus((by[wrt],), ((by[name], arg),), backward=True)
            case BackwardStart(node=name) | Accumulate(node=name):
                return Focus((by[name],), backward=True)
            case Predict(node=name):
                return Focus((by[name],))
            case AccumulateGrad(param=param):
                return Focus((by[param],), backward=True)
            case Update(param=param) | ZeroGrad(param=param):
                return Focus((by[param],))
            case BackwardEnd():
                return Focus(g.params, backward=True)
        return Focus()

    # ----- where numbers came from ---------------------------------------------------

    def grad_origin(self, step: int, name: str, before: int) -> int | None:
        """The event that last set ``name``'s gradient before seq ``before``.

        Looks into the previous step when the gradient was carried over (no zero_grad).
        """
        idx = self.index(step)
        earlier = [s for s in idx.setters.get(name, []) if s < before]
        if earlier:
            return earlier[-1]
        t = self.timeline
        node = self.graph[name]
        if node.op == "param" and step > 0 and t.training:
            prev = self.index(step - 1)
            if name in prev.zeroed:
                return prev.zeroed[name]
            lst = prev.setters.get(name)
            return lst[-1] if lst else None
        return None

    def value_origin(self, step: int, name: str) -> int | None:
        """The event that computed ``name``'s value used in ``step`` (None: an input or initial)."""
        node = self.graph[name]
        if node.op == "input":
            return None
        if node.op == "param":
            if step == 0:
                return None
            up = self.index(step - 1).updates.get(name)
            return None if up is None else up.seq
        fwd = self.index(step).forward.get(name)
        return None if fwd is None else fwd.seq

    def path_factors(self, seq: int) -> list[Event] | None:
        """For a chain event, the local-gradient events along the single path from the loss.

        ``∂loss/∂w = ∂loss/∂s · ∂s/∂y_hat · ∂y_hat/∂w``: returns the local events for
        (loss, s), (s, y_hat), (y_hat, w) in that order. None when some node on the way got
        its gradient from more than one edge (then the gradient is a sum, not one product).
        """
        ev = self.timeline[seq]
        if not isinstance(ev, Chain) or ev.step is None:
            return None
        idx = self.index(ev.step)
        loss = self.graph.nodes[self.graph.loss].name
        factors: list[Event] = [idx.local[(ev.node, ev.arg)]]
        cur = ev.node
        while cur != loss:
            setters = [s for s in idx.setters.get(cur, []) if s < seq]
            if len(setters) != 1:
                return None
            up = idx.events[setters[0] - idx.first]
            if not isinstance(up, Chain):
                return None
            factors.append(idx.local[(up.node, up.arg)])
            cur = up.node
        factors.reverse()
        return factors

    # ----- jump targets --------------------------------------------------------------

    def _next_in_steps(self, pos: int, pick: Callable[[StepIndex], int | None]) -> int | None:
        step = self.step_of(pos)
        if step is None:
            if pos >= self.length - 1 or pos > self.plan.step_start(0):
                return None  # predictions after training: nothing follows
            step = 0
        for s in range(step, min(step + 2, self.plan.n_steps)):
            got = pick(self.index(s))
            if got is not None and got > pos:
                return got
        return None

    def forward_end(self, pos: int) -> int | None:
        """The last forward event at or after the next one (this pass, or the next step's)."""
        return self._next_in_steps(pos, lambda i: i.phase_end.get("forward"))

    def backward_end(self, pos: int) -> int | None:
        """The next ``backward_end`` event."""
        return self._next_in_steps(pos, lambda i: i.end.seq)

    def next_update(self, pos: int) -> int | None:
        """The next ``update`` event (None when the scenario does not train)."""
        if not self.plan.training:
            return None

        def first_update(i: StepIndex) -> int | None:
            ups = sorted(e.seq for e in i.updates.values())
            after = [s for s in ups if s > pos]
            return after[0] if after else None

        return self._next_in_steps(pos, first_update)

    def next_epoch(self, pos: int) -> int:
        """The first event of the next epoch, or the last event when in the last epoch."""
        t = self.plan
        step = self.step_of(pos)
        if step is None:
            return self.length - 1 if pos > t.step_start(0) else t.step_start(0)
        nxt = (t.epoch_of(step) + 1) * t.n_samples
        if nxt >= t.n_steps:
            return self.length - 1
        return t.step_start(nxt)

    def stop_before(self, pos: int, target: int, names: set[str]) -> int:
        """``target``, or the first event after ``pos`` and before it that touches a breakpoint."""
        if not names or target <= pos + 1:
            return target
        hit = self.timeline.find(pos + 1, lambda ev: touches(ev, names), stop=target)
        return target if hit is None else hit
