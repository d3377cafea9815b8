"""An event as an equation, in names or with its numbers: ``∂loss/∂w = ∂loss/∂y_hat ·
local ∂y_hat/∂w = (-2.0) × 1.0 = -2.0`` (``equation``), one line of it (``describe``,
``outline``), shortened to a width (``fit``), and the graph's edge labels.

The notation keeps apart what a student must not mix up (the help's legend says it too):

- a **local gradient**, one edge's own derivative from its op's rule, is marked
  ``local``: ``local ∂loss/∂s = 2*s`` (the loss node's local gradient is not the
  total ``∂loss/∂s``);
- a **contribution** along one of several paths names the path it comes through:
  ``∂loss/∂b via c = ...``, and the ``accumulate`` that follows adds it up with ``+=``;
- a **total** gradient (this pass's, every path summed) is plain: ``∂loss/∂w``;
- the **running sum** of a run that never zeroes its gradients is torch's ``w.grad``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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
from stepgrad.engine.graph import Const, Edge, Graph
from stepgrad.explain.arrays import is_array
from stepgrad.explain.numbers import (
    Piece,
    Row,
    Value,
    bare_calls,
    finite,
    fmt,
    num,
    operand,
    paren,
    pnum,
)

_EQ: Piece = (" = ", "dim")


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


LOCAL = "local "
"""What marks a local gradient (``local ∂loss/∂s``) apart from a total (``∂loss/∂s``)."""


def local(node: str, wrt: str) -> str:
    """A local gradient's name: ``local ∂node/∂wrt``."""
    return f"{LOCAL}∂{node}/∂{wrt}"


def via(graph: Graph, node: str, wrt: str, arg: int) -> str:
    """What marks the product along edge (node, arg) as one contribution to ``wrt``'s
    gradient: ``""`` when it is ``wrt``'s only path (the product is the total),
    `` via node`` when ``wrt`` has several, `` via node (arg 2)`` when ``node`` itself
    takes ``wrt`` more than once (``b × b``), counting its arguments from 1."""
    paths = _paths(graph)
    wrt_id = graph.by_name[wrt]
    if paths.get(wrt_id, 0) < 2:
        return ""
    n = graph[node]
    if n.args.count(wrt_id) > 1:
        return f" via {node} (arg {arg + 1})"
    return f" via {node}"


_PATHS: dict[int, tuple[Graph, dict[int, int]]] = {}
"""Per graph (by id, kept alive with it): how many edges bring each node a gradient."""


def _paths(graph: Graph) -> dict[int, int]:
    got = _PATHS.get(id(graph))
    if got is None or got[0] is not graph:
        counts: dict[int, int] = {}
        for e in graph.edges:
            counts[e.wrt] = counts.get(e.wrt, 0) + 1
        if len(_PATHS) > 32:
            _PATHS.clear()
        got = _PATHS[id(graph)] = (graph, counts)
    return got[1]


def grad_of(loss: str, param: str, carried: bool) -> str:
    """A param's gradient as an update reads it: ``∂loss/∂w`` (this pass's), or ``w.grad``
    where it is the running sum of every pass so far (``carried``: no zero_grad)."""
    return f"{param}.grad" if carried else d(loss, param)


def edge_of(graph: Graph, node: str, arg: int) -> Edge:
    """The edge for (node, argument)."""
    n = graph[node]
    a = n.args[arg]
    assert isinstance(a, int)
    return Edge(n.id, arg, a)


def arg_texts(graph: Graph, node: str, values: tuple[Value, ...]) -> list[str]:
    """Argument values for substitution; constants keep the text they were written with."""
    n = graph[node]
    return [a.text if isinstance(a, Const) else operand(v) for a, v in zip(n.args, values, strict=True)]


def text(row: Sequence[Piece]) -> str:
    """A row's plain text."""
    return "".join(t for t, _ in row)


@dataclass(frozen=True, slots=True)
class Equation:
    """An event as an equation: ``lhs rel names = numbers``.

    Attributes:
        lhs: what the event sets (``∂loss/∂w``, ``w``, ``w.grad``).
        rel: how: ``" = "``, ``" ← "`` or ``" += "``.
        names: the right side in names (empty: the left side says it all).
        numbers: the right side with the values substituted, ending in the result (empty
            in names mode, or when the names already are the value).
        replace: the numbers stand in for the names rather than follow them
            (``∂loss/∂loss = 1.0``, not ``= 1 = 1.0``).
        context: a one-line text's lead (``before training: ``); a panel with a title omits it.
        was: the value the event overwrites (``w.grad ← 0  (was -2.0)``), or None.
        sep: what joins the names and the numbers: ``" = "``, or ``", "`` where the numbers
            are the shapes an array rule works on (``xᵀ · upstream, (3, 2)ᵀ · (3, 1) → (2, 1)``).
        note: what follows the numbers in parentheses: an optimizer's state
            (``velocity ← momentum·velocity + ∂loss/∂w: -2.0``), or empty.
    """

    lhs: str
    rel: str
    names: Row
    numbers: Row = ()
    replace: bool = False
    context: str = ""
    was: Piece | None = None
    sep: str = " = "
    note: Row = ()

    def line(self, numbers: bool = True) -> str:
        """The equation on one line (without the numbers in names mode)."""
        if numbers and self.numbers:
            rhs = (
                text(self.numbers)
                if self.replace or not self.names
                else f"{text(self.names)}{self.sep}{text(self.numbers)}"
            )
        else:
            rhs = text(self.names)
        out = f"{self.context}{self.lhs}{self.rel}{rhs}" if rhs else self.context + self.lhs
        if numbers and self.was is not None:
            out += f"  (was {self.was[0]})"
        if numbers and self.note:
            out += f"  ({text(self.note)})"
        return out


def equation(
    graph: Graph,
    ev: Event,
    *,
    numbers: bool = True,
    args: tuple[Value, ...] | None = None,
    out: Value | None = None,
    grad_name: str | None = None,
    carried: bool = False,
    to_none: bool = False,
) -> Equation:
    """The event as an equation.

    Args:
        graph: the scenario's graph.
        ev: the event (an outline from the plan, numbers None, in names mode).
        numbers: substitute the values.
        args: for a ``LocalGrad``, the node's argument values (from its forward event).
        out: for a ``LocalGrad``, the node's own value.
        grad_name: for an ``Update``, how to name the gradient; by ``carried`` when None.
        carried: for a ``BackwardEnd`` or an ``Update``, the params' gradients hold earlier
            passes too (no zero_grad, after the first step): they are named ``w.grad``, the
            running sum, not ``∂loss/∂w``, this pass's gradient.
        to_none: for a ``ZeroGrad``, it leaves ``.grad`` None, as torch's optimizers do
            (``Program.grad_to_none``), not zeros.
    """
    loss = graph.nodes[graph.loss].name
    match ev:
        case Forward(node=node):
            n = graph[node]
            nums: Row = ()
            if numbers:
                nums = ((forward_numbers(graph, node, ev.args), "num"), _EQ, num(ev.value))
            return Equation(node, " = ", ((graph.expression(n), "formula"),), nums)
        case LocalGrad(node=node, wrt=wrt, formula=formula) if on_arrays(graph, ev, args):
            from stepgrad.explain.array_lines import array_local

            return array_local(graph, ev, numbers, args, out)
        case LocalGrad(node=node, wrt=wrt, formula=formula):
            terms: list[Row] = []
            if numbers:
                value = fmt(ev.value)
                if args is not None:
                    with_numbers = local_numbers(graph, edge_of(graph, node, ev.arg), args, out)
                    if with_numbers not in (formula, value):
                        terms.append(((with_numbers, "num"),))
                if formula != value:
                    terms.append((num(ev.value),))
            return Equation(local(node, wrt), " = ", ((formula, "formula"),), _joined(terms))
        case BackwardStart():
            names: Row = (("1", "num"),)
            return Equation(d(loss, loss), " = ", names, (num(ev.value),) if numbers else (), replace=True)
        case Chain() if on_arrays(graph, ev):
            from stepgrad.explain.array_lines import array_chain

            return array_chain(graph, ev, numbers, loss)
        case Chain(node=node, wrt=wrt):
            nums = ()
            if numbers:
                nums = (pnum(ev.upstream), (" × ", "dim"), pnum(ev.local), _EQ, num(ev.product))
            lhs = d(loss, wrt) + via(graph, node, wrt, ev.arg)
            return Equation(lhs, " = ", ((f"{d(loss, node)} · {local(node, wrt)}", "formula"),), nums)
        case Accumulate(node=node):
            nums = ()
            if numbers:
                nums = (num(ev.add), (": ", "dim"), *sum_row(ev))
            return Equation(d(loss, node), " += ", (("the product above", "note"),), nums, replace=True)
        case AccumulateGrad(param=p):
            return Equation(
                f"{p}.grad", " ← ", ((f"{p}.grad + {d(loss, p)}", "formula"),), sum_row(ev) if numbers else ()
            )
        case BackwardEnd(grads=grads):
            listed = ", ".join(grad_of(loss, p, carried) for p, _ in grads)
            nums = (
                (((", ".join(f"{grad_of(loss, p, carried)} = {fmt(g)}" for p, g in grads)), "num"),)
                if numbers
                else ()
            )
            return Equation("grads: ", "", ((listed, "formula"),), nums, replace=True)
        case Update(param=p) if ev.state:
            gname = grad_of(loss, p, carried) if grad_name is None else grad_name
            from stepgrad.explain.array_lines import stateful_update

            return stateful_update(ev, numbers, gname)
        case Update(param=p):
            gname = grad_of(loss, p, carried) if grad_name is None else grad_name
            nums = ()
            if numbers:
                nums = (
                    mid(ev.before, False),
                    (" − ", "dim"),
                    num(ev.lr),
                    (" × ", "dim"),
                    mid(ev.grad),
                    _EQ,
                    num(ev.after),
                )
            return Equation(p, " ← ", ((f"{p} − lr·{gname}", "formula"),), nums)
        case ZeroGrad(param=p):
            cleared = "None" if to_none else "0"
            was = num(ev.before) if numbers else None
            return Equation(f"{p}.grad", " ← ", ((cleared, "formula"),), was=was)
        case Predict(node=node, when=when):
            return Equation(
                node, " = ", (), (num(ev.value),) if numbers else (), context=f"{when} training: "
            )
    raise TypeError(f"not an event: {ev!r}")  # pragma: no cover


def sum_row(ev: Accumulate | AccumulateGrad) -> Row:
    """``held + added = sum``: ``-2.0 + (-4.0) = -6.0``."""
    return (mid(ev.before, False), (" + ", "dim"), mid(ev.add), _EQ, num(ev.after))


def _joined(terms: list[Row]) -> Row:
    out: list[Piece] = []
    for k, t in enumerate(terms):
        if k:
            out.append(_EQ)
        out.extend(t)
    return tuple(out)


def mid(v: Value | None, parens: bool = True) -> Piece:
    """A value in an equation's middle term: ``pnum`` (``num`` when not ``parens``), but
    a large array by its shape alone (``operand``)."""
    return (operand(v, parens), "num" if finite(v) else "bad")


def on_arrays(graph: Graph, ev: LocalGrad | Chain, args: tuple[Value, ...] | None = None) -> bool:
    """True for an event of an array op, or one with an array among its numbers."""
    if graph[ev.node].rule.arrays_only:
        return True
    if isinstance(ev, Chain):
        return is_array(ev.upstream) or is_array(ev.local) or is_array(ev.product)
    return is_array(ev.value) or (args is not None and any(map(is_array, args)))


def describe(
    graph: Graph,
    ev: Event,
    args: tuple[Value, ...] | None = None,
    out: Value | None = None,
    *,
    carried: bool = False,
    to_none: bool = False,
) -> str:
    """One line for an event, numbers substituted (``replay``'s text).

    Args:
        graph: the scenario's graph.
        ev: the event.
        args: for a ``LocalGrad`` event, the node's argument values (from its forward event).
        out: for a ``LocalGrad`` event, the node's own value.
        carried: the params' gradients hold earlier passes too (see ``equation``).
        to_none: ``zero_grad`` leaves ``.grad`` None (see ``equation``).
    """
    return equation(graph, ev, args=args, out=out, carried=carried, to_none=to_none).line()


def outline(graph: Graph, ev: Event, *, carried: bool = False, to_none: bool = False) -> str:
    """One line for an event in names: what it will compute (for events still to come)."""
    return equation(graph, ev, numbers=False, carried=carried, to_none=to_none).line(numbers=False)


def edge_label(ev: LocalGrad | Chain, r: Callable[[Value], str] = fmt) -> tuple[str, ...]:
    """What the graph writes on an edge, longest first (it shows the longest that fits).

    After a ``LocalGrad``, the local gradient waiting on its edge: ``local ∂loss/∂s = 2*s = -2.0``,
    ``2*s = -2.0``, ``-2.0``. At the ``Chain`` that multiplies it in, the product arriving
    at the node: ``(-2.0) × 1.0 = -2.0``, ``-2.0``.

    Args:
        ev: the event.
        r: how a number is written (the graph's boxes round them to fit).
    """
    if isinstance(ev, Chain) and is_array(ev.product):  # the product arriving: never a dump
        from stepgrad.explain.array_lines import array_label

        return array_label(ev.product)
    if isinstance(ev, LocalGrad) and (is_array(ev.value) or "upstream" in ev.formula):  # the rule
        head = local(ev.node, ev.wrt)
        return (f"{head}{': ' if 'upstream' in ev.formula else ' = '}{ev.formula}", ev.formula)
    if isinstance(ev, Chain):
        up, loc, prod = r(ev.upstream), r(ev.local), r(ev.product)
        up, loc = (f"({t})" if t[0] == "-" else t for t in (up, loc))
        return (f"{up} × {loc} = {prod}", prod)
    v = r(ev.value)
    head = local(ev.node, ev.wrt)
    try:
        constant = float(ev.formula) == float(v)
    except ValueError:
        constant = False
    if constant or ev.formula == v:
        return (f"{head} = {ev.formula}", ev.formula)
    return (f"{head} = {ev.formula} = {v}", f"{ev.formula} = {v}", v)


def fit(line: str, width: int) -> str:
    """``line`` made to fit ``width`` cells (the timeline panel's rows).

    An equation on arrays ``a = rule = shapes = result`` first loses its substituted
    shapes and keeps the rule (``a = rule = result``: every chain row names what it
    multiplied), then its result's first entries (``(759, 4) ‖·‖ 0.0085``: shape and norm),
    then the entries are cut. Any other equation ``a = b = c = d`` loses its middle terms
    from the left (``a = c = d``, then ``a = d``): what remains is still true and keeps the
    result, the number the event is about. Otherwise it is cut at a space, never inside a
    number, marked with ``…``.
    """
    if len(line) <= width:
        return line
    terms = line.split(" = ")
    # A list ("grads: ∂loss/∂w1 = 8.0, ∂loss/∂w2 = 16.0") is several equations, not one
    # chain (an array's commas are not a list's).
    chain = not line.startswith("grads: ")
    result = terms[-1]
    short = _ENTRIES.sub(" ", result)
    array = result[:1] in "[("  # an array's substituted terms are mostly shapes
    if chain and array and len(terms) > 3:
        for end in (result, short):
            ruled = " = ".join([terms[0], terms[1], end])
            if len(ruled) <= width:
                return ruled
        # Its rule says more than a cut list of entries, so the rule stays and the entries
        # are cut (never inside a number).
        cut = ruled.rfind(" ", 0, width - 1)
        if cut >= len(terms[0]) + len(terms[1]) + 5:
            return ruled[:cut].rstrip() + " …"
    for drop in range(1, len(terms) - 1 if chain else 1):
        shorter = " = ".join([terms[0], *terms[1 + drop :]])
        if len(shorter) <= width:
            return shorter
    if chain and len(terms) > 2 and short != result and len(f"{terms[0]} = {short}") <= width:
        return f"{terms[0]} = {short}"
    if width <= 1:
        return "…"[:width]
    if chain and array and len(terms) > 3:
        line = " = ".join([terms[0], terms[1], short])
    cut = line.rfind(" ", 0, width - 1)
    if cut <= 0:
        return "…"
    return line[:cut].rstrip() + " …"


_ENTRIES = re.compile(r" \[.*\] (?=‖·‖ )")
"""An array's first entries in its one-line form, between its shape and its norm."""
