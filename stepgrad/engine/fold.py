"""The fold: how each event changes what is known, in one place.

``state = fold(state, event)``. The timeline reconstructs the state at any event with it,
and ``check``, the roads and the app read the numbers it leaves behind rather than working
out again what each kind of event means. The timeline's own step computation
(``Timeline._run_step``) does the arithmetic that produces the events; the fold only
reads them, and a test holds the two to the same numbers, bit for bit, at every event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

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
from stepgrad.engine.graph import Graph
from stepgrad.engine.state import State

Value = Any


@dataclass(slots=True)
class Scratch:
    """A state while it is being folded: lists, changed in place (``freeze`` makes a ``State``).

    Attributes are those of ``State`` (``event`` is None before the first event).
    """

    seq: int
    event: Event | None
    step: int | None
    epoch: int | None
    sample: int | None
    phase: str
    values: list[Value | None]
    grads: list[Value | None]
    pass_grads: list[Value | None]
    origins: list[int | None]
    carried: frozenset[int] = frozenset()
    local: dict[tuple[int, int], Value] = field(default_factory=dict)
    predictions: dict[str, Value] = field(default_factory=dict)

    def freeze(self, n_nodes: int) -> State:
        """The ``State`` this scratch holds (values cut to the graph's ``n_nodes``)."""
        assert self.event is not None, "freeze after at least one event"
        return State(
            self.seq,
            self.event,
            self.step,
            self.epoch,
            self.sample,
            self.phase,
            tuple(self.values[:n_nodes]),
            tuple(self.grads),
            dict(self.local),
            dict(self.predictions),
            tuple(self.pass_grads),
            tuple(self.origins),
            self.carried,
        )


def thaw(state: State) -> Scratch:
    """A scratch copy of ``state`` to fold more events into."""
    n = len(state.values)
    return Scratch(
        state.seq,
        state.event,
        state.step,
        state.epoch,
        state.sample,
        state.phase,
        list(state.values),
        list(state.grads),
        list(state.pass_grads) or [None] * n,
        list(state.origins) or [None] * n,
        state.carried,
        dict(state.local),
        dict(state.predictions),
    )


class Fold:
    """How each event changes the state, for one graph.

    ``fold = Fold(graph, zero)`` then ``state = fold(state, event)``; ``apply`` does the
    same on a ``Scratch`` in place, for folding many events with one copy.

    Args:
        graph: the run's graph (events name nodes; states index them by id).
        zero: zero in the run's dtype (what ``zero_grad`` leaves in ``.grad``).
    """

    def __init__(self, graph: Graph, zero: Value):
        self.graph = graph
        self.zero = zero
        self._by = graph.by_name
        self._n = len(graph.nodes)

    def __call__(self, state: State, event: Event) -> State:
        s = thaw(state)
        self.apply(s, event)
        return s.freeze(self._n)

    def run(self, state: State | Scratch, events: Iterable[Event]) -> State:
        """``state`` with every one of ``events`` folded in, in order."""
        s = thaw(state) if isinstance(state, State) else state
        for ev in events:
            self.apply(s, ev)
        return s.freeze(self._n)

    def apply(self, s: Scratch, ev: Event) -> None:
        """Fold ``ev`` into ``s`` in place: the one place that knows what each event changes.

        A node holds a gradient in this pass once it received one (a chain event, then
        ``accumulate`` for every later one). A param carrying ``.grad`` from earlier steps
        (``s.carried``) keeps showing that ``.grad`` until its ``accumulate_grad`` adds the
        pass's sum: that is what torch's ``w.grad`` holds.
        """
        by = self._by
        s.seq = ev.seq
        s.event = ev
        s.step = ev.step
        s.epoch = ev.epoch
        s.sample = ev.sample
        s.phase = ev.phase
        match ev:
            case Forward(node=node, value=value):
                s.values[by[node]] = value
            case LocalGrad(node=node, arg=arg, value=value):
                s.local[(by[node], arg)] = value
            case BackwardStart(node=node, value=value):
                i = by[node]
                s.grads[i] = s.pass_grads[i] = value
                s.origins[i] = ev.seq
            case Chain(wrt=wrt, product=product):
                w = by[wrt]
                if s.pass_grads[w] is None:
                    s.pass_grads[w] = product
                    s.origins[w] = ev.seq
                    if w not in s.carried:
                        s.grads[w] = product
                # else: the accumulate right after adds it
            case Accumulate(node=node, after=after):
                w = by[node]
                s.pass_grads[w] = after
                s.origins[w] = ev.seq
                if w not in s.carried:
                    s.grads[w] = after
            case AccumulateGrad(param=param, after=after):
                s.grads[by[param]] = after
            case BackwardEnd():
                pass
            case Update(param=param, after=after):
                s.values[by[param]] = after
            case ZeroGrad(param=param):
                s.grads[by[param]] = self.zero
            case Predict(node=node, value=value):
                s.predictions[node] = value
