"""The PyTorch oracle: the same computation in torch, one step at a time.

torch is imported inside the functions only, so importing this module stays cheap and
``replay`` (or the app before its comparison worker starts) never loads torch.

The run mirrors the engine's ``Timeline`` exactly, so that agreement can be bit for bit:
same dtype, inputs without gradient, params with ``requires_grad``, constants written
into the expression as Python numbers (torch casts them to the tensor's dtype, as the
engine does), the same data in the same order, one op per node in ``graph.order``
(keyword arguments choose the op's torch form, ``mean(h, axis=0)``), ``retain_grad()``
on every gradient-carrying intermediate, then ``loss.backward()`` and the update.

The scalar lectures take one sample per step as a 0-d tensor and update as the lecture
writes it::

    w.data = w.data - lr * w.grad.data
    w.grad.data.zero_()          # only when zero_grad is true

Without ``zero_grad`` the gradients accumulate across steps, as they do in torch.

An array program (``Program.arrays``) takes a step's rows (``engine.batches.batch_rows``:
a batch stacked along a new first axis, shuffled by the same seed) and is updated by
torch's own optimizer when the scenario names one: ``torch.optim.SGD(lr, momentum)`` or
``torch.optim.Adam(lr, betas, eps)``, then ``optimizer.zero_grad()``. Class labels, kept
as floats of the dtype like every value, are made int64 where ``cross_entropy`` takes
them, as torch requires.

``stepgrad check`` starts each training step from stepgrad's own numbers (``starts``, a
``StepStart`` per step): torch's params, their carried ``.grad`` and its optimizer's state
are set to what stepgrad holds at the start of step k, then torch runs step k's forward,
backward and update. A difference at step k is then step k's arithmetic, not a drift
inherited from earlier steps: two float32 runs, each on its own from step 0, drift apart
(an ulp's difference in step k's params is many ulps by step k + 3 where a value is a small
difference of large terms), though each step agrees. Without ``starts`` torch trains on its
own from step 0. ``stepgrad_start`` builds a step's start from a ``Timeline``, and the app's
torch column runs ``torch_steps_from_stepgrad`` (a timeline of its own, in torch's thread), so
that the app and ``check`` judge the same numbers.

A run without ``train`` updates nothing: every sample is evaluated with the initial
params and its own backward pass, starting from no gradient (``w.grad = None`` before
each pass), so ``w.grad`` after step k is that sample's gradient alone. Without this a
torch loop would sum every sample's gradient into ``w.grad``; the engine's plan never
carries a gradient from one pass to the next when nothing is trained.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from stepgrad.engine.batches import batch_rows
from stepgrad.engine.events import Event, Update
from stepgrad.engine.graph import Const, Graph, Node
from stepgrad.engine.ops import RULES
from stepgrad.engine.program import Program
from stepgrad.lazy import LazyModule

if TYPE_CHECKING:
    # The timeline loads NumPy: imported where a timeline is made, so the oracle stays cheap.
    from stepgrad.engine.fold import Scratch
    from stepgrad.engine.timeline import Timeline

# NumPy only for array programs' data and results: importing the oracle stays cheap.
np: Any = LazyModule("numpy", globals(), "np")

#: The op whose second argument torch wants as int64 class labels.
LABELS_OP = "cross_entropy"


@dataclass(frozen=True, slots=True)
class TorchStep:
    """What torch holds after one step.

    For a scalar program every number is a Python float; for an array program
    (``Program.arrays``) values, gradients, params and state are NumPy arrays of the
    dtype (0-d for a scalar node such as the loss), copied out of torch.

    Attributes:
        step: the step's index (0-based, like the engine's).
        loss: the loss node's value in this step's forward pass.
        values: every op node's forward value, by node name.
        grads: after this step's backward pass, the ``.grad`` of every gradient-carrying
            node by name (intermediates through ``retain_grad``; params as torch holds
            ``w.grad``, accumulated across steps without zero_grad); None when torch
            holds no gradient there.
        params_after: param values after this step's update (unchanged without training).
        state: what torch's optimizer keeps for each param after this step's update, by
            param and by the name the ``update`` event gives it (``Optimizer.state_names``:
            ``velocity`` is SGD's ``momentum_buffer``; ``m``, ``v`` are Adam's ``exp_avg``,
            ``exp_avg_sq``; ``bias_correction1/2`` are ``1 - beta**t`` as Adam computes
            them, in the dtype); empty for the lecture's update and plain SGD.
    """

    step: int
    loss: float
    values: dict[str, Any]
    grads: dict[str, Any]
    params_after: dict[str, Any]
    state: dict[str, dict[str, Any]] = field(default_factory=dict)


#: The optimizer's state by the ``update`` event's names, and torch.optim's key for each
#: (Adam's bias corrections are not kept: torch computes them from its step count).
TORCH_STATE_KEYS: dict[str, str] = {"velocity": "momentum_buffer", "m": "exp_avg", "v": "exp_avg_sq"}


@dataclass(frozen=True, slots=True)
class StepStart:
    """What stepgrad holds at the start of one training step, for torch to start it from.

    Values are of the program's dtype (NumPy arrays or scalars, or Python floats); torch
    copies them, so that its in-place updates never touch stepgrad's numbers.

    Attributes:
        params: each param's value by name.
        grads: each param's ``.grad`` carried into the step (a run without ``zero_grad``);
            empty when the step starts from no gradient.
        state: what the optimizer kept for each param after the previous step, by the
            ``update`` event's names (``velocity``; ``m``, ``v``); empty before the first
            step and for an optimizer that keeps nothing. Adam's step count is the step's
            index, as stepgrad counts it (``t = step + 1`` in the step's update).
    """

    params: dict[str, Any]
    grads: dict[str, Any] = field(default_factory=dict)
    state: dict[str, dict[str, Any]] = field(default_factory=dict)


Starts = Callable[[int], StepStart | None]
"""step -> what torch starts that step from (None: torch goes on from its own numbers)."""

Kept = dict[str, dict[str, Any]]
"""The optimizer's state after a step, by param and by the ``update`` event's names."""


def stepgrad_start(t: Timeline, start: Scratch, kept: Kept) -> StepStart:
    """What stepgrad holds at the start of a step (``start``, before its events): the params'
    values, their ``.grad`` when carried over (no ``zero_grad``), and the optimizer's state
    after the step before (``kept``, from its ``update`` events: ``keep_state``)."""
    g = t.graph
    names = [g.nodes[p].name for p in g.params]
    params = {n: start.values[p] for n, p in zip(names, g.params, strict=True)}
    grads: dict[str, Any] = {}
    if not t.program.zero_grad:
        grads = {n: start.grads[p] for n, p in zip(names, g.params, strict=True)}
    return StepStart(params, grads, {n: dict(s) for n, s in kept.items()})


def keep_state(kept: Kept, events: Iterable[Event]) -> None:
    """Take into ``kept`` the optimizer's state that a step's ``update`` events show."""
    for ev in events:
        if isinstance(ev, Update) and ev.state:
            kept[ev.param] = dict(ev.state)


def torch_steps_from_stepgrad(
    program: Program, steps: Callable[..., Iterable[TorchStep]] | None = None
) -> Iterator[TorchStep]:
    """torch's steps of ``program``, each training step started from stepgrad's numbers at
    its start (``stepgrad_start``), as ``stepgrad check`` runs them, lazily.

    stepgrad's numbers come from a ``Timeline`` of this iterator's own, advanced in step
    with torch: the engine is deterministic, so they are the numbers of any other timeline
    of ``program`` to the bit, and the iterator can run on a thread of its own (the app's
    torch worker) without touching the app's timeline. Without training torch has nothing
    to start from: its steps as they come.

    Args:
        program: the compiled scenario.
        steps: the oracle (``torch_steps``), called as ``steps(program, starts=...)``.

    Yields:
        What torch holds after each step.
    """
    steps = steps or torch_steps
    if not program.training:
        yield from steps(program)
        return
    from stepgrad.engine.timeline import Timeline

    t = Timeline(program)
    # Only an optimizer that keeps a state (momentum, Adam) needs a step's events; for the
    # others advancing the checkpoints is enough, and cheaper (no event is made).
    keeps = bool(program.optimizer.state_names)
    kept: Kept = {}
    begins: dict[int, StepStart] = {}
    it = iter(steps(program, starts=begins.get))
    try:
        for step in range(t.n_steps):
            t.ensure(step)  # the start of ``step`` is known (step ``step - 1`` computed)
            begins.clear()
            begins[step] = stepgrad_start(t, t.scratch(step), kept)
            ts = next(it, None)
            if ts is None:
                return
            if keeps:
                keep_state(kept, t.events_of_step(step))
            yield ts
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()


_available: bool | None = None


def torch_available() -> bool:
    """True when torch can be imported; answered without importing it (and only once)."""
    global _available
    if _available is None:
        _available = "torch" in sys.modules or importlib.util.find_spec("torch") is not None
    return _available


def _torch_form(torch: Any, node: Node, cache: dict[str, Callable[..., Any]]) -> Callable[..., Any]:
    """How torch computes ``node``, from the registry (``OpRule.torch``): binary ops are
    Python operators, so that a constant on either side stays a Python number, as in the
    lecture's code; a node with keyword arguments takes its specialized rule's form."""
    if node.attrs:
        form = node.rule.torch
        if form is None:  # pragma: no cover - every op a model may write has a torch form
            raise ValueError(f"{node.op} has no torch form")
        return form(torch)
    fn = cache.get(node.op)
    if fn is None:
        form = RULES[node.op].torch
        if form is None:  # pragma: no cover
            raise ValueError(f"{node.op} has no torch form")
        fn = cache[node.op] = form(torch)
    return fn


def _forward(
    torch: Any,
    graph: Graph,
    env: list[Any],
    *,
    retain: bool,
    skip_missing: bool = False,
) -> None:
    """Compute every op node in ``graph.order`` into ``env`` (tensors by node id)."""
    cache: dict[str, Callable[..., Any]] = {}
    for i in graph.order:
        node = graph.nodes[i]
        if skip_missing and any(env[a] is None for a in node.inputs):
            continue
        args: list[Any] = [a.value if isinstance(a, Const) else env[a] for a in node.args]
        if node.op == LABELS_OP and len(args) > 1 and torch.is_tensor(args[1]):
            # Labels are floats of the dtype in the engine; torch's loss takes int64.
            args[1] = args[1].long()
        out = _torch_form(torch, node, cache)(*args)
        if retain and out.requires_grad:
            out.retain_grad()
        env[i] = out


def _dtype(torch: Any, program: Program) -> Any:
    return torch.float32 if program.dtype == "float32" else torch.float64


def _one_thread(torch: Any) -> None:
    """Run torch's kernels on one thread. The lectures' arrays are small: split over
    threads, a (759, 8) @ (8, 6) took 2 ms instead of 0.2 ms on a busy 2-core machine
    (the threads wait for each other), and a threaded sum may add in another order from
    one machine to the next; on one thread torch's numbers are the same everywhere."""
    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)


def _array(t: Any) -> Any:
    """A tensor's value as a NumPy array of its dtype (a copy: torch updates in place)."""
    return t.detach().numpy().copy()


def _item(t: Any) -> float:
    """A 0-d tensor's value as a Python float (the scalar lectures)."""
    return float(t.item())


def _optimizer(torch: Any, program: Program, leaves: list[Any]) -> Any:
    """torch's optimizer for ``program.optimizer`` (None: the lecture's manual update)."""
    opt = program.optimizer
    if opt.name == "sgd":
        return torch.optim.SGD(leaves, lr=program.lr, momentum=opt.momentum)
    if opt.name == "adam":
        return torch.optim.Adam(leaves, lr=program.lr, betas=(opt.beta1, opt.beta2), eps=opt.eps)
    return None


def _state(program: Program, torch_state: dict[str, Any], value: Callable[[Any], Any]) -> dict[str, Any]:
    """One param's optimizer state after a step, by the names the ``update`` event uses
    (``value`` makes a tensor a NumPy array, or a Python float for a scalar program)."""
    opt = program.optimizer
    if opt.name == "adam" and "exp_avg" in torch_state:
        t = float(torch_state["step"])
        # torch's _single_tensor_adam: bias_correction = 1 - beta ** step, a Python float
        # that meets the tensors in their dtype.
        dt = np.dtype(program.dtype).type
        bc: Callable[[float], Any] = dt if program.arrays else (lambda x: float(dt(x)))
        return {
            "m": value(torch_state["exp_avg"]),
            "v": value(torch_state["exp_avg_sq"]),
            "bias_correction1": bc(1 - opt.beta1**t),
            "bias_correction2": bc(1 - opt.beta2**t),
        }
    if opt.name == "sgd" and opt.momentum and "momentum_buffer" in torch_state:
        return {"velocity": value(torch_state["momentum_buffer"])}
    return {}


def _start_from(
    torch: Any, program: Program, leaves: dict[str, Any], optimizer: Any, begin: StepStart, step: int
) -> None:
    """Set torch's params, their ``.grad`` and its optimizer's state to ``begin``."""

    def tensor(v: Any) -> Any:
        # A copy in the dtype: torch changes params, grads and state in place.
        return torch.tensor(np.asarray(v, dtype=program.dtype))

    with torch.no_grad():
        for name, w in leaves.items():
            if name in begin.params:
                w.copy_(tensor(begin.params[name]))
            if name in begin.grads:
                g = begin.grads[name]
                w.grad = None if g is None else tensor(g)
            kept = begin.state.get(name)
            if optimizer is None or not kept:
                continue
            st = optimizer.state[w]
            for ours, key in TORCH_STATE_KEYS.items():
                if ours in kept:
                    st[key] = tensor(kept[ours])
            if "exp_avg" in st:
                # Adam's count of steps taken, in the dtype torch keeps it in (its default).
                st["step"] = torch.tensor(float(step))


def torch_steps(program: Program, starts: Starts | None = None) -> Iterator[TorchStep]:
    """Run ``program`` in torch, yielding one ``TorchStep`` per step, lazily.

    torch is imported on the first ``next()``. A program without training gives a
    single step.

    Args:
        program: the compiled scenario, as the engine runs it.
        starts: what each training step starts from (``stepgrad check``: stepgrad's
            params, carried ``.grad`` and optimizer state at the start of that step, asked
            for when torch reaches the step); None, or a None answer, for torch's own
            numbers from the step before. Ignored without training.

    Yields:
        What torch holds after each step's forward, backward and update.
    """
    import torch

    _one_thread(torch)
    g = program.graph
    dt = _dtype(torch, program)
    arrays = program.arrays
    names = [n.name for n in g.nodes]
    params = [(p, names[p]) for p in g.params]
    carrying = [i for i in range(len(g.nodes)) if g.requires_grad[i]]
    lr = program.lr
    training = program.training
    value: Callable[[Any], Any] = _array if arrays else _item

    with torch.enable_grad():
        fixed = {g.by_name[k]: torch.tensor(v, dtype=dt) for k, v in program.inputs.items()}
        if arrays:
            # Rows as NumPy arrays of the dtype: a step takes its batch by index.
            columns = {
                g.by_name[k]: np.asarray(xs, dtype=program.dtype)
                for k, xs in (program.data or {}).items()
            }
        else:
            samples = {
                g.by_name[k]: [torch.tensor(x, dtype=dt) for x in xs]
                for k, xs in (program.data or {}).items()
            }
        leaves = {
            p: torch.tensor(program.params[name], dtype=dt, requires_grad=True) for p, name in params
        }
    optimizer = _optimizer(torch, program, list(leaves.values())) if training else None
    by_name = {name: leaves[p] for p, name in params}

    for step in range(program.n_steps):
        begin = starts(step) if starts is not None and training else None
        if begin is not None:
            _start_from(torch, program, by_name, optimizer, begin, step)
        with torch.enable_grad():
            env: list[Any] = [None] * len(g.nodes)
            for i, t in fixed.items():
                env[i] = t
            if arrays:
                if columns:
                    rows = batch_rows(program, step)
                    for i, col in columns.items():
                        env[i] = torch.from_numpy(np.array(col[rows]))
            else:
                sample = step % program.n_samples
                for i, ts in samples.items():
                    env[i] = ts[sample]
            for p, t in leaves.items():
                if not training:
                    t.grad = None  # no training: each pass starts from no gradient (see above)
                env[p] = t
            _forward(torch, g, env, retain=True)
            loss = env[g.loss]
            values = {names[i]: value(env[i]) for i in g.order}
            loss.backward()
            grads = {
                names[i]: (None if env[i].grad is None else value(env[i].grad)) for i in carrying
            }

        state: dict[str, dict[str, Any]] = {}
        if optimizer is not None:
            optimizer.step()
            for p, name in params:
                kept = _state(program, optimizer.state.get(leaves[p], {}), value)
                if kept:
                    state[name] = kept
            if program.zero_grad:
                optimizer.zero_grad()
        elif training:
            assert lr is not None
            for p, _ in params:
                w = leaves[p]
                if w.grad is not None:
                    w.data = w.data - lr * w.grad.data
            if program.zero_grad:
                for p, _ in params:
                    w = leaves[p]
                    if w.grad is not None:
                        w.grad.data.zero_()
        yield TorchStep(
            step=step,
            loss=float(loss.item()) if arrays else values[names[g.loss]],
            values=values,
            grads=grads,
            params_after={name: value(leaves[p]) for p, name in params},
            state=state,
        )


def torch_predictions(
    program: Program,
    when: str,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The model evaluated in torch on the ``predict`` inputs.

    Args:
        program: the compiled scenario; its ``predict`` gives the inputs.
        when: ``before`` (initial params) or ``after`` (params after torch's training).
        params: param values to use instead (e.g. the last ``TorchStep.params_after``),
            which saves re-running the training for ``after``.

    Returns:
        Every op node that can be computed from the predict inputs, the fixed inputs
        and the params, by name (Python floats for a scalar program, NumPy arrays for an
        array program); empty when the program has no ``predict``.
    """
    if not program.predict:
        return {}
    import torch

    if params is None:
        if when == "before" or not program.training:
            params = dict(program.params)
        else:
            *_, last = torch_steps(program)
            params = last.params_after
    _one_thread(torch)
    g = program.graph
    dt = _dtype(torch, program)
    env: list[Any] = [None] * len(g.nodes)
    for k, v in program.inputs.items():
        if k not in program.predict:
            env[g.by_name[k]] = torch.tensor(v, dtype=dt)
    for k, v in program.predict.items():
        env[g.by_name[k]] = torch.tensor(v, dtype=dt)
    for k, v in params.items():
        env[g.by_name[k]] = torch.as_tensor(np.asarray(v, dtype=program.dtype)) if program.arrays \
            else torch.tensor(v, dtype=dt)
    with torch.no_grad():
        _forward(torch, g, env, retain=False, skip_missing=True)
    value: Callable[[Any], Any] = _array if program.arrays else _item
    return {g.nodes[i].name: value(env[i]) for i in g.order if env[i] is not None}
