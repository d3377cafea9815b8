"""The fold (``state = fold(state, event)``) against the timeline's own step computation.

``Timeline._run_step`` makes the numbers; the fold only reads events. On every bundled
scenario, at every event, the state the fold reconstructs must hold the very bits the
step computation had: the rule each event follows, written here once more on purpose (in
the plainest form) so that a change to the fold that alters a number is caught.
"""

from __future__ import annotations

import numpy as np
import pytest

from stepgrad.engine import Timeline
from stepgrad.engine.events import (
    Accumulate,
    AccumulateGrad,
    BackwardEnd,
    BackwardStart,
    Chain,
    Forward,
    LocalGrad,
    Predict,
    Update,
    ZeroGrad,
)
from stepgrad.engine.state import State
from stepgrad.scenario import bundled, load, loads

NO_ZERO_GRAD_REUSE = """
params: {a: 3.0, w: 0.5}
data: {x: [2.0, -1.0, 0.5]}
model:
  b: a * w + a
  loss: (b * x + w) ** 2
train: {epochs: 4, lr: 0.01, zero_grad: false}
predict: {x: 1.0}
"""


def same(a: object, b: object) -> bool:
    """Equal to the bit (NaN and the sign of zero included), dtype included."""
    if a is None or b is None:
        return a is None and b is None
    x, y = np.asarray(a), np.asarray(b)
    return x.dtype == y.dtype and x.tobytes() == y.tobytes()


def same_all(xs: tuple | list, ys: tuple | list) -> bool:
    return len(xs) == len(ys) and all(same(x, y) for x, y in zip(xs, ys, strict=True))


def timelines() -> list[tuple[str, Timeline]]:
    out = [(name, Timeline(load(name).program)) for name in bundled()]
    out.append(("no-zero-grad-reuse", Timeline(loads(NO_ZERO_GRAD_REUSE).program)))
    return out


@pytest.mark.parametrize(("name", "t"), timelines(), ids=lambda x: x if isinstance(x, str) else "")
def test_fold_holds_the_step_computation_bits(name: str, t: Timeline) -> None:
    g = t.graph
    n = len(g.nodes)
    by = g.by_name
    params = g.params
    for step in range(t.n_steps):
        events = t.events_of_step(step)
        scratch = t.scratch(step)
        # The step computation's own numbers, from the same start.
        run_values, run_grads, _, following = t._run_step(step, None)
        state = None
        # The rule, written plainly: ∂loss/∂node received in this pass, and what is shown.
        values = list(scratch.values[:n])
        shown = list(scratch.grads)
        received: dict[int, object] = {}
        carried = scratch.carried
        for ev in events:
            state = t.fold(state, ev) if state is not None else t.fold.run(t.scratch(step), [ev])
            match ev:
                case Forward():
                    values[by[ev.node]] = ev.value
                case BackwardStart():
                    shown[by[ev.node]] = received[by[ev.node]] = ev.value
                case Chain():
                    w = by[ev.wrt]
                    if w not in received:
                        received[w] = ev.product
                        if w not in carried:
                            shown[w] = ev.product
                case Accumulate():
                    w = by[ev.node]
                    assert same(ev.before, received[w])
                    received[w] = ev.after
                    if w not in carried:
                        shown[w] = ev.after
                case AccumulateGrad():
                    p = by[ev.param]
                    assert same(ev.add, received[p])
                    shown[p] = ev.after
                case BackwardEnd():
                    for pname, v in ev.grads:
                        assert same(v, state.grads[by[pname]]), (name, ev.seq, pname)
                case Update():
                    values[by[ev.param]] = ev.after
                case ZeroGrad() if t.program.optimizer.name != "lecture":
                    # torch's optimizer.zero_grad() sets .grad to None (set_to_none, torch >= 2.0)
                    shown[by[ev.param]] = None
                case ZeroGrad():
                    # the lecture's w.grad.data.zero_(): zeros of the param's shape (a number
                    # for the scalar lectures)
                    shown[by[ev.param]] = np.zeros_like(ev.before) if np.ndim(ev.before) else t.dtype.type(0)
            assert isinstance(state, State)
            # The pure fold, one event at a time, and the timeline's state_at agree...
            at = t.state_at(ev.seq)
            assert same_all(state.values, at.values), (name, ev.seq)
            assert same_all(state.grads, at.grads), (name, ev.seq)
            assert same_all(state.pass_grads, at.pass_grads), (name, ev.seq)
            assert state.origins == at.origins and state.event is ev is at.event
            where = (state.step, state.epoch, state.sample, state.phase)
            assert where == (step, ev.epoch, ev.sample, ev.phase)
            # ...and hold the plain rule's numbers, bit for bit.
            assert same_all(state.values, values), (name, ev.seq)
            assert same_all(state.grads, shown), (name, ev.seq)
            for i, v in received.items():
                assert same(state.pass_grads[i], v), (name, ev.seq, i)
            if isinstance(ev, LocalGrad):
                assert same(state.local[(by[ev.node], ev.arg)], ev.value)
        assert state is not None
        # At the end of the step: what _run_step computed, to the bit.
        ups = {by[e.param] for e in events if isinstance(e, Update)}
        for i in range(n):
            if i not in ups:  # an updated param shows its new value; _run_step returns the old
                assert same(state.values[i], run_values[i]), (name, step, i)
        if following is not None:
            # The checkpoints keep zeros where a torch optimizer's zero_grad left None: the
            # state, and the next step's start, say None.
            carried = [None] * len(params) if t.program.grad_to_none else following[1]
            assert same_all([state.values[p] for p in params], following[0]), (name, step)
            assert same_all([state.grads[p] for p in params], carried), (name, step)
            if step + 1 < t.n_steps:
                nxt = t.scratch(step + 1)
                assert same_all([nxt.values[p] for p in params], following[0])
                assert same_all([nxt.grads[p] for p in params], carried)
        else:
            assert same_all(state.grads, run_grads), (name, step)


@pytest.mark.parametrize(("name", "t"), timelines(), ids=lambda x: x if isinstance(x, str) else "")
def test_fold_of_predictions(name: str, t: Timeline) -> None:
    n_pre = t.step_start(0)
    for seq in [*range(n_pre), *range(len(t) - n_pre, len(t))]:
        ev = t[seq]
        assert isinstance(ev, Predict)
        state = t.state_at(seq)
        assert same(state.predictions[ev.node], ev.value)
        assert state.phase == "predict" and state.step is None
