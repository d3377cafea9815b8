"""A step redone in wide precision, to tell a formula's fault from the dtype's."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from stepgrad.engine.graph import Const, Graph
from stepgrad.manual.steps import Value

#: Where a formula that disagrees in the scenario's dtype is evaluated again, with the
#: step's own leaf values: wide enough that float32's and float64's overflow and
#: underflow are far away (x86's 80-bit long double; float64 where nothing is wider).
WIDE = np.longdouble
WIDE_NAME = "float64" if np.finfo(WIDE).bits <= 64 else "long double"


@dataclass(frozen=True, slots=True)
class WideStep:
    """One step's forward and backward pass redone in ``WIDE`` from the same leaf values.

    Attributes:
        values: every input, param and model node, by name.
        grads: each param's ∂loss/∂param by the chain rule (0 when none reaches it).
    """

    values: dict[str, Value]
    grads: dict[str, Value]


def wide_step(graph: Graph, leaves: Mapping[str, Value]) -> WideStep:
    """The engine's rules, in the engine's order, on ``WIDE`` numbers.

    Constants are taken as written (not rounded to the scenario's dtype), as the closed
    form takes them. Used only to judge a formula that disagrees in the dtype: when the
    formula and this chain rule agree, the dtype's range is what separates them.

    Args:
        graph: the model.
        leaves: the step's input and param values (the dtype's; widened exactly).
    """
    dt = WIDE
    nodes = graph.nodes
    vals: list[Value] = [None] * len(nodes)
    grads: list[Value] = [None] * len(nodes)

    def args_of(i: int) -> tuple[Value, ...]:
        return tuple(dt(a.value) if isinstance(a, Const) else vals[a] for a in nodes[i].args)

    with np.errstate(all="ignore"):
        for n in nodes:
            if n.is_leaf:
                vals[n.id] = dt(leaves[n.name])
        for i in graph.order:
            vals[i] = nodes[i].rule.forward(*args_of(i))
        grads[graph.loss] = dt(1)
        for e in graph.edges:
            up = grads[e.node]
            if up is None:
                continue
            prod = up * nodes[e.node].rule.local(e.arg, args_of(e.node), vals[e.node], dt)
            grads[e.wrt] = prod if grads[e.wrt] is None else grads[e.wrt] + prod
    return WideStep(
        {n.name: vals[n.id] for n in nodes},
        {nodes[p].name: dt(0) if grads[p] is None else grads[p] for p in graph.params},
    )


def finite(v: Value) -> bool:
    """True when ``v`` is a finite number."""
    return math.isfinite(float(v))
