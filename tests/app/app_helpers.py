"""Helpers for the app tests: scenarios, and test doubles for the torch oracle.

The doubles replay stepgrad's own numbers as if torch had computed them (so every mark
is "equal" without importing torch), optionally with one number changed to make a
disagreement on purpose. Tests that must see torch's numbers wait for ``app.settle()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from stepgrad.engine.program import Program
from stepgrad.engine.timeline import Timeline
from stepgrad.oracle import TorchStep
from stepgrad.scenario import load

HERE = Path(__file__).parent
SCENARIOS = HERE / "scenarios"


def mirror_steps(
    program: Program, change: dict[tuple[int, str, str], float] | None = None
) -> Iterator[TorchStep]:
    """TorchSteps made from stepgrad's own timeline; ``change[(step, field, name)]`` adds a delta."""
    change = change or {}
    t = Timeline(program)
    g = program.graph
    names = [n.name for n in g.nodes]
    for step in range(program.n_steps):
        events = t.events_of_step(step)
        end = next(e for e in events if e.kind == "backward_end")
        state = t.state_at(end.seq)
        # As torch's oracle returns them: Python floats for a scalar program, NumPy arrays
        # of the dtype (copies) for an array program.
        num = _array if program.arrays else float
        values = {names[i]: num(state.values[i]) for i in g.order}
        grads: dict[str, Any] = {
            names[i]: (None if state.grads[i] is None else num(state.grads[i]))
            for i in range(len(names))
            if g.requires_grad[i]
        }
        after = {k: num(v) for k, v in t.param_values(step + 1 if program.training else 0).items()}
        for (k, field, name), delta in change.items():
            if k == step:
                target = {"grads": grads, "params_after": after, "values": values}[field]
                target[name] = _changed(target[name], delta)
        yield TorchStep(step, values[names[g.loss]], values, grads, after)


def _array(v: Any) -> Any:
    import numpy as np

    return np.array(v, copy=True)


def _changed(v: Any, delta: float) -> Any:
    """``v`` with ``delta`` added: to a number, or to an array's entry [0, 0] (its first)."""
    if getattr(v, "ndim", 0) > 0:
        out = v.copy()
        out.flat[0] += delta
        return out
    return float(v) + delta


def mirror(program: Any) -> Iterator[TorchStep]:
    """A torch double that agrees with stepgrad everywhere."""
    return mirror_steps(program)


def disagreeing(step: int, name: str, delta: float) -> Callable[[Any], Iterator[TorchStep]]:
    """A torch double whose gradient of ``name`` at ``step`` is off by ``delta``."""
    return lambda program: mirror_steps(program, {(step, "grads", name): delta})


def scenario(spec: str) -> Any:
    """A bundled scenario by name, or a file under tests/app/scenarios."""
    local = SCENARIOS / f"{spec}.yaml"
    return load(str(local) if local.exists() else spec)


def quiet_app(spec: str) -> Any:
    """An app whose torch never answers (its column waits): for tests of the graph alone."""
    from stepgrad.app.app import make_app

    return make_app(scenario(spec), oracle=lambda program: iter(()))


def box_rows(view: Any, node: int) -> list[str]:
    """The rows of one node's box as a ``GraphView`` draws them."""
    L = view._layout
    assert L is not None
    b = L.boxes[node]
    return [row[b.x : b.x + b.width] for row in view.text_rows()[b.y : b.y + b.height]]
