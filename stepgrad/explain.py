"""Events in the lecture's words, with the numbers substituted.

Shared by ``replay``'s text output and the app's inspector, so both say the same thing.
Pure: no Textual, no torch.
"""

from __future__ import annotations

import math
import re
from typing import Any

from stepgrad.engine.events import Event
from stepgrad.engine.graph import Const, Edge, Graph

Value = Any


def fmt(v: Value | None) -> str:
    """A number exactly as stored: the shortest text that reads back to the same float.

    float32 values are widened to Python floats, as torch's ``.item()`` prints them.
    ``None`` (not yet known) is ``·``.
    """
    if v is None:
        return "·"
    if getattr(v, "ndim", 0) > 0:  # an array (NumPy scalars have ndim 0)
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    return repr(float(v))


def finite(v: Value | None) -> bool:
    """True when every number in ``v`` is finite (None, not yet known, counts as finite)."""
    if v is None:
        return True
    if getattr(v, "ndim", 0) > 0:  # an array: NumPy is loaded already
        import numpy as np

        return bool(np.all(np.isfinite(v)))
    return math.isfinite(v)


def paren(v: Value | None) -> str:
    """``fmt`` with negative numbers in parentheses, for use inside a product."""
    s = fmt(v)
    return f"({s})" if s.startswith("-") else s


# A parenthesised negative number that is a function's whole argument: ``log((-1.0))``.
# Only the number's own parentheses go; ``(-1.0)^2``, ``2*(-1.0)`` and ``1/(-1.0)`` keep them.
_CALL_OF_NEGATIVE = re.compile(r"(?<=[A-Za-z_]\()\((-[^()\s]+)\)(?=\))")


def bare_calls(text: str) -> str:
    """``log((-1.0))`` -> ``log(-1.0)``: a function's parentheses are enough for a negative
    argument (``paren`` adds its own for products, powers and quotients)."""
    return _CALL_OF_NEGATIVE.sub(r"\1", text)


def forward_numbers(graph: Graph, node: str, values: tuple[Value, ...]) -> str:
    """The node's operation with its argument values substituted: ``(-1.0) × 2.0``, ``log(-1.0)``."""
    return bare_calls(graph[node].rule.infix.format(*arg_texts(graph, node, values)))


def local_numbers(graph: Graph, edge: Edge, values: tuple[Value, ...], out: Value | None) -> str:
    """The local gradient along ``edge`` with the numbers substituted: ``2*(-1.0)``, ``cos(-1.0)``.

    Args:
        graph: the scenario's graph.
        edge: the edge whose local gradient to write.
        values: the node's argument values.
        out: the node's own value.
    """
    node = graph.nodes[edge.node].name
    return bare_calls(graph.local_formula(edge, arg_texts(graph, node, values), paren(out)))


def d(top: str, bottom: str) -> str:
    """∂top/∂bottom."""
    return f"∂{top}/∂{bottom}"


def edge_of(graph: Graph, node: str, arg: int) -> Edge:
    """The edge for (node, argument)."""
    n = graph[node]
    a = n.args[arg]
    assert isinstance(a, int)
    return Edge(n.id, arg, a)


def arg_texts(graph: Graph, node: str, values: tuple[Value, ...]) -> list[str]:
    """Argument values for substitution; constants keep the text they were written with."""
    n = graph[node]
    return [a.text if isinstance(a, Const) else paren(v) for a, v in zip(n.args, values, strict=True)]


def local_text(graph: Graph, ev: Event, args: tuple[Value, ...] | None, out: Value | None) -> str:
    """``∂loss/∂s = 2*s = 2*(-1.0) = -2.0``, or without the numbers when ``args`` is None."""
    edge = edge_of(graph, ev.node, ev.arg)  # type: ignore[union-attr]
    head = f"{d(ev.node, ev.wrt)} = {ev.formula}"  # type: ignore[union-attr]
    if args is not None:
        with_numbers = local_numbers(graph, edge, args, out)
        if with_numbers != ev.formula and with_numbers != fmt(ev.value):  # type: ignore[union-attr]
            head += f" = {with_numbers}"
    if ev.formula != fmt(ev.value):  # type: ignore[union-attr]
        head += f" = {fmt(ev.value)}"  # type: ignore[union-attr]
    return head


def describe(graph: Graph, ev: Event, args: tuple[Value, ...] | None = None, out: Value | None = None) -> str:
    """One line for an event.

    Args:
        graph: the scenario's graph.
        ev: the event.
        args: for a ``local_grad`` event, the node's argument values (from its forward event).
        out: for a ``local_grad`` event, the node's own value.
    """
    loss = graph.nodes[graph.loss].name
    k = ev.kind
    if k == "forward":
        node = graph[ev.node]  # type: ignore[union-attr]
        names = graph.expression(node)
        nums = forward_numbers(graph, node.name, ev.args)  # type: ignore[union-attr]
        return f"{ev.node} = {names} = {nums} = {fmt(ev.value)}"  # type: ignore[union-attr]
    if k == "local_grad":
        return local_text(graph, ev, args, out)
    if k == "backward_start":
        return f"{d(loss, loss)} = {fmt(ev.value)}"  # type: ignore[union-attr]
    if k == "chain":
        return (
            f"{d(loss, ev.wrt)} = {d(loss, ev.node)} · {d(ev.node, ev.wrt)}"  # type: ignore[union-attr]
            f" = {paren(ev.upstream)} × {paren(ev.local)} = {fmt(ev.product)}"  # type: ignore[union-attr]
        )
    if k == "accumulate":
        return (
            f"{d(loss, ev.node)} += {fmt(ev.add)}: "  # type: ignore[union-attr]
            f"{fmt(ev.before)} + {paren(ev.add)} = {fmt(ev.after)}"  # type: ignore[union-attr]
        )
    if k == "accumulate_grad":
        p = ev.param  # type: ignore[union-attr]
        return (
            f"{p}.grad ← {p}.grad + {d(loss, p)} = "
            f"{fmt(ev.before)} + {paren(ev.add)} = {fmt(ev.after)}"  # type: ignore[union-attr]
        )
    if k == "backward_end":
        parts = [f"{d(loss, p)} = {fmt(g)}" for p, g in ev.grads]  # type: ignore[union-attr]
        return "grads: " + ", ".join(parts)
    if k == "update":
        p = ev.param  # type: ignore[union-attr]
        return (
            f"{p} ← {p} − lr·{d(loss, p)} = {fmt(ev.before)} − {fmt(ev.lr)} × {paren(ev.grad)}"  # type: ignore[union-attr]
            f" = {fmt(ev.after)}"  # type: ignore[union-attr]
        )
    if k == "zero_grad":
        return f"{ev.param}.grad ← 0  (was {fmt(ev.before)})"  # type: ignore[union-attr]
    if k == "predict":
        return f"{ev.when} training: {ev.node} = {fmt(ev.value)}"  # type: ignore[union-attr]
    return k  # pragma: no cover
