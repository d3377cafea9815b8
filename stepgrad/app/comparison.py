"""Which torch number matches what stepgrad shows now, and whether they agree. Pure.

Torch runs one ``TorchStep`` per training step, so it can be compared with stepgrad at
the points where both hold the same thing:

- a param's value: its value at the start of the step until stepgrad's update of it,
  then the value after the update (``params_after``);
- a param's gradient (``w.grad``): before this step's backward pass, what the last step
  left (nothing at step 0, zero after ``zero_grad``, None after an optimizer's, the
  running sum without it); after
  the ``backward_end`` event, this step's ``w.grad``; in between, stepgrad is still adding
  it up, so the comparison waits for the end of the pass;
- the loss, once stepgrad's forward pass has computed it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stepgrad.app.arrays import is_array
from stepgrad.app.trace import START, Trace
from stepgrad.engine.events import Forward
from stepgrad.engine.state import State

if TYPE_CHECKING:
    from stepgrad.compare import Verdict

PENDING = "pending"
"""Status of a row whose torch number is not known at this point of the step."""
WAITING = "waiting"
"""Status of a row whose torch step has not been computed yet."""


@dataclass(frozen=True, slots=True)
class Row:
    """One compared quantity.

    Attributes:
        label: what it is (``w``, ``∂loss/∂w``, ``loss``).
        ours: stepgrad's number now (None: not yet known).
        theirs: torch's number for the same point (None: torch has none, or unknown).
        status: a verdict status (``equal``, ``close``, ``differs``, ``missing``), or
            ``pending`` (torch's number applies after the backward pass), or ``waiting``
            (torch has not reached this step).
        diff: the absolute difference when compared.
        torch_step: which torch step ``theirs`` comes from (None: from the scenario).
        at: for a pending row, the event at which the comparison becomes possible.
        where: for arrays compared element by element, the index of the largest
            difference (``(2, 3)``); None for numbers, and for arrays equal everywhere.
        ours_el: stepgrad's element at ``where``.
        theirs_el: torch's element at ``where``.
    """

    label: str
    ours: Any
    theirs: Any
    status: str
    diff: float = 0.0
    torch_step: int | None = None
    at: int | None = None
    where: tuple[int, ...] | None = None
    ours_el: float | None = None
    theirs_el: float | None = None


TorchStep = Any  # stepgrad.oracle.TorchStep; not imported, so torch stays unloaded


def needed_step(trace: Trace, pos: int) -> int:
    """The last torch step needed to compare at ``pos``."""
    t = trace.plan
    step = trace.step_of(pos)
    if step is None:
        return t.n_steps - 1 if pos > t.step_start(0) else 0
    return step


def rows(trace: Trace, pos: int, state: State, torch: Sequence[TorchStep]) -> list[Row]:
    """Every param's value and gradient, and the loss, beside torch's.

    Args:
        trace: the run.
        pos: the position.
        state: stepgrad's state at ``pos``.
        torch: the torch steps computed so far (step k at index k).
    """
    t = trace.plan
    g = trace.graph
    dtype = str(t.program.dtype)
    loss = g.nodes[g.loss].name
    step = trace.step_of(pos)
    after_training = step is None and pos > t.step_start(0)
    if step is None:
        step = t.n_steps - 1 if after_training else 0
    have = len(torch)
    idx = trace.index(step) if pos != START else None
    seq = state.seq if pos != START else -1
    if after_training:
        seq = trace.length  # everything of the last step has happened

    def verdict(label: str, ours: Any, theirs: Any, k: int | None) -> Row:
        if have == 0:
            # Even a number torch is bound to share (an initial value) waits for torch itself.
            return wait(label, ours, k or 0)
        status, diff, where, a, b = judge(ours, theirs, dtype)
        return Row(label, ours, theirs, status, diff, k, None, where, a, b)

    def wait(label: str, ours: Any, k: int) -> Row:
        return Row(label, ours, None, WAITING, 0.0, k)

    out: list[Row] = []
    # What torch's zero_grad leaves in .grad: None from an optimizer, else zero.
    cleared = None if t.program.grad_to_none else 0.0
    for p in g.params:
        name = g.nodes[p].name
        ours_v = state.values[p]
        ours_g = state.grads[p]
        # The value.
        upd = idx.updates.get(name) if idx is not None else None
        if upd is not None and seq >= upd.seq:
            out.append(
                verdict(name, ours_v, torch[step].params_after[name], step)
                if have > step
                else wait(name, ours_v, step)
            )
        elif step == 0:
            out.append(verdict(name, ours_v, written(t.program, name), None))
        else:
            out.append(
                verdict(name, ours_v, torch[step - 1].params_after[name], step - 1)
                if have > step - 1
                else wait(name, ours_v, step - 1)
            )
        # The gradient, named as torch's tensor: the row follows w.grad through zero_grad
        # (0.0 then), where `∂loss/∂w = 0.0` would read as this pass's gradient.
        label = f"{name}.grad"
        zero = idx.zeroed.get(name) if idx is not None else None
        start = idx.phase_end.get("local", idx.first - 1) + 1 if idx is not None else 0
        # The gradient is final, and torch's w.grad comparable, from the event that last adds
        # to it in this step (the chain-rule product into w in the video), not only once the
        # backward pass is over.
        setters = idx.setters.get(name) if idx is not None else None
        final = setters[-1] if setters else (idx.end.seq if idx is not None else None)
        if zero is not None and seq >= zero:
            out.append(verdict(label, ours_g, cleared, step) if have > step else wait(label, ours_g, step))
        elif final is not None and seq >= final:
            out.append(
                verdict(label, ours_g, torch[step].grads.get(name), step)
                if have > step
                else wait(label, ours_g, step)
            )
        elif pos == START or seq < start:
            if step == 0:
                out.append(verdict(label, ours_g, None, None))
            elif t.program.zero_grad:
                out.append(
                    verdict(label, ours_g, cleared, step - 1)
                    if have > step - 1
                    else wait(label, ours_g, step - 1)
                )
            else:
                out.append(
                    verdict(label, ours_g, torch[step - 1].grads.get(name), step - 1)
                    if have > step - 1
                    else wait(label, ours_g, step - 1)
                )
        else:
            out.append(Row(label, ours_g, None, PENDING, 0.0, step, final))
    ours_loss = state.values[g.loss] if pos != START and not after_training else None
    if ours_loss is not None:
        out.append(
            verdict(loss, ours_loss, torch[step].loss, step) if have > step else wait(loss, ours_loss, step)
        )
    elif after_training:
        # Predictions after training: no loss to compare (the row says "-").
        out.append(Row(loss, None, None, PENDING, 0.0, step))
    else:
        # Not computed yet: the row says at which event it will be (from the plan: at the
        # start, asking computes nothing and loads no NumPy).
        outline = trace.plan.outline_of_step(step)
        at = next(e.seq for e in outline if isinstance(e, Forward) and e.node == loss)
        out.append(Row(loss, None, None, PENDING, 0.0, step, at))
    return out


def written(program: Any, name: str) -> Any:
    """A param's start value as the scenario wrote it: a number, or for a matrix (a nested
    list) an array of the run's dtype."""
    v = program.params[name]
    if isinstance(v, list):
        import numpy as np

        return np.asarray(v, dtype=program.dtype)
    return v


def step_rows(trace: Trace, step: int, ts: TorchStep | None) -> list[Row]:
    """One training step compared in full: loss, each param's gradient and updated value;
    ``ts`` None: torch has not run the step yet (every row ``waiting``)."""
    t = trace.timeline
    g = trace.graph
    dtype = str(t.program.dtype)
    loss = g.nodes[g.loss].name
    idx = trace.index(step)
    fwd = idx.forward[loss]

    def row(label: str, ours: Any, theirs: Any) -> Row:
        if ts is None:
            return Row(label, ours, None, WAITING, 0.0, step)
        status, diff, where, a, b = judge(ours, theirs, dtype)
        return Row(label, ours, theirs, status, diff, step, None, where, a, b)

    out = [row(loss, fwd.value, None if ts is None else ts.loss)]
    grads = dict(idx.end.grads)
    after = t.param_values(step + 1) if t.training else t.param_values(0)
    for p in g.params:
        name = g.nodes[p].name
        out.append(row(grad_label(trace, name), grads.get(name), None if ts is None else ts.grads.get(name)))
        if t.training:
            out.append(row(f"{name} after", after[name], None if ts is None else ts.params_after[name]))
    return out


def grad_label(trace: Trace, name: str) -> str:
    """What a param's gradient row is called: ``∂loss/∂w``, or ``w.grad`` in a run without
    zero_grad, where it holds the sum of every pass so far (what torch's ``.grad`` holds)."""
    t = trace.plan
    if t.training and not trace.program.zero_grad and t.n_steps > 1:
        return f"{name}.grad"
    g = trace.graph
    return f"∂{g.nodes[g.loss].name}/∂{name}"


def step_row_seqs(trace: Trace, step: int) -> list[int]:
    """For each of ``step_rows``' rows, the event from which stepgrad's number is known: the
    loss's forward event, the event completing each gradient, each param's update."""
    g = trace.graph
    idx = trace.index(step)
    loss = g.nodes[g.loss].name
    end = idx.end.seq
    out = [idx.forward[loss].seq]
    for p in g.params:
        name = g.nodes[p].name
        setters = idx.setters.get(name)
        out.append(setters[-1] if setters else end)
        if trace.timeline.training:
            out.append(idx.updates[name].seq)
    return out


Judged = tuple[str, float, tuple[int, ...] | None, float | None, float | None]
"""A verdict's status, the (largest) difference, and for arrays where it is and the two
elements there."""


def judge(a: Any, b: Any, dtype: str) -> Judged:
    """Two numbers compared (``compare``), or two arrays element by element: the verdict
    of the worst element, the largest difference and where it is (``[2, 3]``), as torch's
    ``(a - b).abs().max()`` would find it. A number against an array (``0.0`` after
    ``zero_grad``) stands for an array of it."""
    # Imported at the first torch number, not before the first frame (two dataclasses).
    from stepgrad.compare import compare, compare_elements

    if not (is_array(a) or is_array(b)):
        v: Verdict = compare(a, b, dtype)
        return v.status, v.diff, None, None, None

    if a is not None and b is not None and is_array(a) != is_array(b):
        import numpy as np

        a, b = (a, np.full(np.shape(a), b)) if is_array(a) else (np.full(np.shape(b), a), b)
    e = compare_elements(a, b, dtype)
    return e.verdict.status, e.verdict.diff, e.at, e.ours, e.theirs
