"""The fold: how each event changes what is known, in one place.

``state = fold(state, event)``. The timeline reconstructs the state at any event with it,
and ``check``, the roads and the app read the numbers it leaves behind rather than working
out again what each kind of event means. The timeline's own step computation
(``Timeline._run_step``) does the arithmetic that produces the events; the fold only
reads them, and a test holds the two to the same numbers, bit for bit, at every event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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
from stepgrad.lazy import LazyModule

_np: Any = LazyModule("numpy", globals(), "_np")

Value = Any


@dataclass(slots=True)
class Scratch:
    """A state while it is being folded: lists, changed in place (``freeze`` makes a ``State``).

    Attributes:
        step: the step whose events are folded in (None for predictions).
        values: as ``State.values`` (may hold the graph's constants after its nodes).
        grads: as ``State.grads``.
        pass_grads: as ``State.pass_grads``.
        origins: as ``State.origins``.
        carried: as ``State.carried``.
        local: as ``State.local``.
        predictions: as ``State.predictions``.
        event: the last event folded in (None before the first).
    """

    step: int | None
    values: list[Value | None]
    grads: list[Value | None]
    pass_grads: list[Value | None]
    origins: list[int | None]
    carried: frozenset[int] = frozenset()
    local: dict[tuple[int, int], Value] = field(default_factory=dict)
    predictions: dict[str, Value] = field(default_factory=dict)
    event: Event | None = None

    def freeze(self, n_nodes: int, *, keep: bool = True) -> State:
        """The ``State`` as of the last event folded in (values cut to ``n_nodes``).

        Args:
            n_nodes: how many nodes the graph has.
            keep: False when this scratch is thrown away after (its dicts are handed over).
        """
        ev = self.event
        assert ev is not None, "freeze after at least one event"
        return State(
            ev.seq,
            ev,
            ev.step,
            ev.epoch,
            ev.sample,
            ev.phase,
            tuple(self.values[:n_nodes]),
            tuple(self.grads),
            dict(self.local) if keep else self.local,
            dict(self.predictions) if keep else self.predictions,
            tuple(self.pass_grads),
            tuple(self.origins),
            self.carried,
        )


def thaw(state: State) -> Scratch:
    """A scratch copy of ``state`` to fold more events into."""
    n = len(state.values)
    return Scratch(
        state.step,
        list(state.values),
        list(state.grads),
        list(state.pass_grads) or [None] * n,
        list(state.origins) or [None] * n,
        state.carried,
        dict(state.local),
        dict(state.predictions),
        state.event,
    )


class Fold:
    """How each event changes the state, for one graph.

    ``fold = Fold(graph, zero)`` then ``state = fold(state, event)``; ``apply`` does the
    same on a ``Scratch`` in place, for folding many events with one copy.

    Args:
        graph: the run's graph (events name nodes; states index them by id).
        zero: zero in the run's dtype (what ``zero_grad`` leaves in ``.grad``), or None
            where it leaves None (torch's optimizers, ``Program.grad_to_none``).
    """

    def __init__(self, graph: Graph, zero: Value | None):
        self.graph = graph
        self.zero = zero
        self._by = graph.by_name
        self._n = len(graph.nodes)
        # One handler per event class, found by the event's type: a dict lookup rather than
        # a chain of isinstance tests, since the app folds up to a step's events per move.
        self._on: dict[type, Callable[[Scratch, Any], None]] = {
            Forward: self._forward,
            LocalGrad: self._local_grad,
            BackwardStart: self._backward_start,
            Chain: self._chain,
            Accumulate: self._accumulate,
            AccumulateGrad: self._accumulate_grad,
            BackwardEnd: self._backward_end,
            Update: self._update,
            ZeroGrad: self._zero_grad,
            Predict: self._predict,
        }

    def __call__(self, state: State, event: Event) -> State:
        s = thaw(state)
        self.apply(s, event)
        return s.freeze(self._n, keep=False)

    def run(self, state: State | Scratch, events: Iterable[Event]) -> State:
        """``state`` with every one of ``events`` folded in, in order (a given scratch is used up)."""
        s = thaw(state) if isinstance(state, State) else state
        on = self._on
        for ev in events:
            on[type(ev)](s, ev)
            s.event = ev
        return s.freeze(self._n, keep=False)

    def apply(self, s: Scratch, ev: Event) -> None:
        """Fold ``ev`` into ``s`` in place."""
        self._on[type(ev)](s, ev)
        s.event = ev

    # What each event changes: the one place that knows it. A node holds a gradient in this
    # pass once it received one (a chain event, then ``accumulate`` for every later one). A
    # param carrying ``.grad`` from earlier steps (``s.carried``) keeps showing that
    # ``.grad`` until its ``accumulate_grad`` adds the pass's sum: what torch's ``w.grad`` holds.

    def _forward(self, s: Scratch, ev: Forward) -> None:
        s.values[self._by[ev.node]] = ev.value

    def _local_grad(self, s: Scratch, ev: LocalGrad) -> None:
        s.local[(self._by[ev.node], ev.arg)] = ev.value

    def _backward_start(self, s: Scratch, ev: BackwardStart) -> None:
        i = self._by[ev.node]
        s.grads[i] = s.pass_grads[i] = ev.value
        s.origins[i] = ev.seq

    def _chain(self, s: Scratch, ev: Chain) -> None:
        w = self._by[ev.wrt]
        if s.pass_grads[w] is None:
            s.pass_grads[w] = ev.product
            s.origins[w] = ev.seq
            if w not in s.carried:
                s.grads[w] = ev.product
        # else: the accumulate right after adds it

    def _accumulate(self, s: Scratch, ev: Accumulate) -> None:
        w = self._by[ev.node]
        s.pass_grads[w] = ev.after
        s.origins[w] = ev.seq
        if w not in s.carried:
            s.grads[w] = ev.after

    def _accumulate_grad(self, s: Scratch, ev: AccumulateGrad) -> None:
        s.grads[self._by[ev.param]] = ev.after

    def _backward_end(self, s: Scratch, ev: BackwardEnd) -> None:
        # It reports each param's .grad: the pass's gradient, added to a zeroed .grad
        # after zero_grad (which makes a -0.0 from the chain rule +0.0, as in torch).
        for name, value in ev.grads:
            s.grads[self._by[name]] = value

    def _update(self, s: Scratch, ev: Update) -> None:
        s.values[self._by[ev.param]] = ev.after

    def _zero_grad(self, s: Scratch, ev: ZeroGrad) -> None:
        # An array's .grad is zeroed element by element: zeros of its shape.
        before = ev.before
        zero = self.zero
        if zero is not None and getattr(before, "ndim", 0) != 0:
            zero = _np.zeros_like(before)
        s.grads[self._by[ev.param]] = zero

    def _predict(self, s: Scratch, ev: Predict) -> None:
        s.predictions[ev.node] = ev.value
