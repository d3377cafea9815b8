"""The PyTorch oracle: the same computation in torch, one step at a time.

torch is imported inside the functions only, so importing this module stays cheap and
``replay`` (or the app before its comparison worker starts) never loads torch.

The run mirrors the engine's ``Timeline`` exactly, so that agreement can be bit for bit:
same dtype, 0-d tensors, inputs without gradient, params with ``requires_grad``,
constants written into the expression as Python numbers (torch casts them to the
tensor's dtype, as the engine does), one sample per step in the same order, one op per
node in ``graph.order``, ``retain_grad()`` on every gradient-carrying intermediate, then
``loss.backward()`` and the update as the lecture writes it::

    w.data = w.data - lr * w.grad.data
    w.grad.data.zero_()          # only when zero_grad is true

Without ``zero_grad`` the gradients accumulate across steps, as they do in torch.

A run without ``train`` updates nothing: every sample is evaluated with the initial
params and its own backward pass, starting from no gradient (``w.grad = None`` before
each pass), so ``w.grad`` after step k is that sample's gradient alone. Without this a
torch loop would sum every sample's gradient into ``w.grad``; the engine's plan never
carries a gradient from one pass to the next when nothing is trained.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from stepgrad.engine.graph import Const, Graph
from stepgrad.engine.ops import RULES
from stepgrad.engine.program import Program


@dataclass(frozen=True, slots=True)
class TorchStep:
    """What torch holds after one step.

    Attributes:
        step: the step's index (0-based, like the engine's).
        loss: the loss node's value in this step's forward pass.
        values: every op node's forward value, by node name.
        grads: after this step's backward pass, the ``.grad`` of every gradient-carrying
            node by name (intermediates through ``retain_grad``; params as torch holds
            ``w.grad``, accumulated across steps without zero_grad); None when torch
            holds no gradient there.
        params_after: param values after this step's update (unchanged without training).
    """

    step: int
    loss: float
    values: dict[str, float]
    grads: dict[str, float | None]
    params_after: dict[str, float]


_available: bool | None = None


def torch_available() -> bool:
    """True when torch can be imported; answered without importing it (and only once)."""
    global _available
    if _available is None:
        _available = "torch" in sys.modules or importlib.util.find_spec("torch") is not None
    return _available


def _ops(torch: Any) -> dict[str, Callable[..., Any]]:
    """Each engine op as torch computes it, from the registry (``OpRule.torch``): binary
    ops are Python operators, so that a constant on either side stays a Python number,
    as in the lecture's code."""
    return {name: rule.torch(torch) for name, rule in RULES.items() if rule.torch is not None}


def _forward(
    torch: Any,
    graph: Graph,
    env: list[Any],
    *,
    retain: bool,
    skip_missing: bool = False,
) -> None:
    """Compute every op node in ``graph.order`` into ``env`` (tensors by node id)."""
    ops = _ops(torch)
    for i in graph.order:
        node = graph.nodes[i]
        if skip_missing and any(env[a] is None for a in node.inputs):
            continue
        args = [a.value if isinstance(a, Const) else env[a] for a in node.args]
        out = ops[node.op](*args)
        if retain and out.requires_grad:
            out.retain_grad()
        env[i] = out


def _dtype(torch: Any, program: Program) -> Any:
    return torch.float32 if program.dtype == "float32" else torch.float64


def torch_steps(program: Program) -> Iterator[TorchStep]:
    """Run ``program`` in torch from step 0, yielding one ``TorchStep`` per step, lazily.

    torch is imported on the first ``next()``. A program without training gives a
    single step.

    Args:
        program: the compiled scenario, as the engine runs it.

    Yields:
        What torch holds after each step's forward, backward and update.
    """
    import torch

    g = program.graph
    dt = _dtype(torch, program)
    names = [n.name for n in g.nodes]
    params = [(p, names[p]) for p in g.params]
    carrying = [i for i in range(len(g.nodes)) if g.requires_grad[i]]
    lr = program.lr
    training = program.training

    with torch.enable_grad():
        fixed = {g.by_name[k]: torch.tensor(v, dtype=dt) for k, v in program.inputs.items()}
        samples = {
            g.by_name[k]: [torch.tensor(x, dtype=dt) for x in xs]
            for k, xs in (program.data or {}).items()
        }
        leaves = {
            p: torch.tensor(program.params[name], dtype=dt, requires_grad=True) for p, name in params
        }

    for step in range(program.n_steps):
        sample = step % program.n_samples
        with torch.enable_grad():
            env: list[Any] = [None] * len(g.nodes)
            for i, t in fixed.items():
                env[i] = t
            for i, ts in samples.items():
                env[i] = ts[sample]
            for p, t in leaves.items():
                if not training:
                    t.grad = None  # no training: each pass starts from no gradient (see above)
                env[p] = t
            _forward(torch, g, env, retain=True)
            loss = env[g.loss]
            values = {names[i]: env[i].item() for i in g.order}
            loss.backward()
            grads = {
                names[i]: (None if env[i].grad is None else env[i].grad.item()) for i in carrying
            }

        if training:
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
            loss=values[names[g.loss]],
            values=values,
            grads=grads,
            params_after={name: leaves[p].item() for p, name in params},
        )


def torch_predictions(
    program: Program,
    when: str,
    params: dict[str, float] | None = None,
) -> dict[str, float]:
    """The model evaluated in torch on the ``predict`` inputs.

    Args:
        program: the compiled scenario; its ``predict`` gives the inputs.
        when: ``before`` (initial params) or ``after`` (params after torch's training).
        params: param values to use instead (e.g. the last ``TorchStep.params_after``),
            which saves re-running the training for ``after``.

    Returns:
        Every op node that can be computed from the predict inputs, the fixed inputs
        and the params, by name; empty when the program has no ``predict``.
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
    g = program.graph
    dt = _dtype(torch, program)
    env: list[Any] = [None] * len(g.nodes)
    for k, v in program.inputs.items():
        if k not in program.predict:
            env[g.by_name[k]] = torch.tensor(v, dtype=dt)
    for k, v in program.predict.items():
        env[g.by_name[k]] = torch.tensor(v, dtype=dt)
    for k, v in params.items():
        env[g.by_name[k]] = torch.tensor(v, dtype=dt)
    with torch.no_grad():
        _forward(torch, g, env, retain=False, skip_missing=True)
    return {g.nodes[i].name: env[i].item() for i in g.order if env[i] is not None}
