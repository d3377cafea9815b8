"""Events in the lecture's words: the one event-to-text renderer.

Every text an event becomes is made here: ``replay``'s lines, the app's timeline rows
(``fit`` shortens them to the panel) and the equations of the inspector. Each event reads
as an ``Equation`` (``∂loss/∂w = ∂loss/∂y_hat · ∂y_hat/∂w = (-2.0) × 1.0 = -2.0``) in two
modes: names (what the event computes, for events still to come) and numbers (with the
values substituted). Dispatch is on the event classes. Pure: no Textual, no torch.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
from stepgrad.engine.events import numbers as numbers_of
from stepgrad.engine.graph import Const, Edge, Graph

Value = Any

Piece = tuple[str, str]
"""A run of text and its role: ``formula``, ``num``, ``bad``, ``dim``, ``note`` or ``""``
(the inspector maps roles to styles; plain text ignores them)."""

Row = tuple[Piece, ...]


def fmt(v: Value | None) -> str:
    """A number exactly as stored: the shortest text that reads back to the same float.

    float32 values are widened to Python floats, as torch's ``.item()`` prints them.
    ``None`` (not yet known) is ``·``.
    """
    if v is None:
        return "·"
    if type(v) in _SCALARS:  # the common case first: the app formats thousands of them
        return repr(float(v))
    if getattr(v, "ndim", 0) > 0:  # an array (NumPy scalars have ndim 0)
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    if not hasattr(v, "__len__"):  # a scalar type (a 0-d array's type may hold n-d ones too)
        _SCALARS.add(type(v))
    return repr(float(v))


_SCALARS: set[type] = {float}
"""Types seen to be scalars (Python and NumPy floats): formatted without looking further."""


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
    return f"({s})" if s[0] == "-" else s


def num(v: Value | None) -> Piece:
    """A number as a piece: ``bad`` when it is not finite."""
    return (fmt(v), "num" if finite(v) else "bad")


def pnum(v: Value | None) -> Piece:
    """``num`` in parentheses when negative (inside a product)."""
    return (paren(v), "num" if finite(v) else "bad")


_EQ: Piece = (" = ", "dim")

# A parenthesised negative number that is a function's whole argument: ``log((-1.0))``.
# Only the number's own parentheses go; ``(-1.0)^2``, ``2*(-1.0)`` and ``1/(-1.0)`` keep them.
_CALL_OF_NEGATIVE = re.compile(r"(?<=[A-Za-z_]\()\((-[^()\s]+)\)(?=\))")


def bare_calls(text: str) -> str:
    """``log((-1.0))`` -> ``log(-1.0)``: a function's parentheses are enough for a negative
    argument (``paren`` adds its own for products, powers and quotients)."""
    return _CALL_OF_NEGATIVE.sub(r"\1", text) if "((-" in text else text


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
    """

    lhs: str
    rel: str
    names: Row
    numbers: Row = ()
    replace: bool = False
    context: str = ""
    was: Piece | None = None

    def line(self, numbers: bool = True) -> str:
        """The equation on one line (without the numbers in names mode)."""
        if numbers and self.numbers:
            rhs = (
                text(self.numbers)
                if self.replace or not self.names
                else f"{text(self.names)} = {text(self.numbers)}"
            )
        else:
            rhs = text(self.names)
        out = f"{self.context}{self.lhs}{self.rel}{rhs}" if rhs else self.context + self.lhs
        if numbers and self.was is not None:
            out += f"  (was {self.was[0]})"
        return out


def equation(
    graph: Graph,
    ev: Event,
    *,
    numbers: bool = True,
    args: tuple[Value, ...] | None = None,
    out: Value | None = None,
    grad_name: str | None = None,
) -> Equation:
    """The event as an equation.

    Args:
        graph: the scenario's graph.
        ev: the event (an outline from the plan, numbers None, in names mode).
        numbers: substitute the values.
        args: for a ``LocalGrad``, the node's argument values (from its forward event).
        out: for a ``LocalGrad``, the node's own value.
        grad_name: for an ``Update``, how to name the gradient (``w.grad`` where it holds
            earlier passes too); ``∂loss/∂w`` when None.
    """
    loss = graph.nodes[graph.loss].name
    match ev:
        case Forward(node=node):
            n = graph[node]
            nums: Row = ()
            if numbers:
                nums = ((forward_numbers(graph, node, ev.args), "num"), _EQ, num(ev.value))
            return Equation(node, " = ", ((graph.expression(n), "formula"),), nums)
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
            return Equation(d(node, wrt), " = ", ((formula, "formula"),), _joined(terms))
        case BackwardStart():
            names: Row = (("1", "num"),)
            return Equation(d(loss, loss), " = ", names, (num(ev.value),) if numbers else (), replace=True)
        case Chain(node=node, wrt=wrt):
            nums = ()
            if numbers:
                nums = (pnum(ev.upstream), (" × ", "dim"), pnum(ev.local), _EQ, num(ev.product))
            return Equation(d(loss, wrt), " = ", ((f"{d(loss, node)} · {d(node, wrt)}", "formula"),), nums)
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
            listed = ", ".join(d(loss, p) for p, _ in grads)
            nums = (((", ".join(f"{d(loss, p)} = {fmt(g)}" for p, g in grads)), "num"),) if numbers else ()
            return Equation("grads: ", "", ((listed, "formula"),), nums, replace=True)
        case Update(param=p):
            gname = d(loss, p) if grad_name is None else grad_name
            nums = ()
            if numbers:
                nums = (
                    num(ev.before),
                    (" − ", "dim"),
                    num(ev.lr),
                    (" × ", "dim"),
                    pnum(ev.grad),
                    _EQ,
                    num(ev.after),
                )
            return Equation(p, " ← ", ((f"{p} − lr·{gname}", "formula"),), nums)
        case ZeroGrad(param=p):
            return Equation(f"{p}.grad", " ← ", (("0", "formula"),), was=num(ev.before) if numbers else None)
        case Predict(node=node, when=when):
            return Equation(
                node, " = ", (), (num(ev.value),) if numbers else (), context=f"{when} training: "
            )
    raise TypeError(f"not an event: {ev!r}")  # pragma: no cover


def sum_row(ev: Accumulate | AccumulateGrad) -> Row:
    """``held + added = sum``: ``-2.0 + (-4.0) = -6.0``."""
    return (num(ev.before), (" + ", "dim"), pnum(ev.add), _EQ, num(ev.after))


def _joined(terms: list[Row]) -> Row:
    out: list[Piece] = []
    for k, t in enumerate(terms):
        if k:
            out.append(_EQ)
        out.extend(t)
    return tuple(out)


def describe(graph: Graph, ev: Event, args: tuple[Value, ...] | None = None, out: Value | None = None) -> str:
    """One line for an event, numbers substituted (``replay``'s text).

    Args:
        graph: the scenario's graph.
        ev: the event.
        args: for a ``LocalGrad`` event, the node's argument values (from its forward event).
        out: for a ``LocalGrad`` event, the node's own value.
    """
    return equation(graph, ev, args=args, out=out).line()


def outline(graph: Graph, ev: Event) -> str:
    """One line for an event in names: what it will compute (for events still to come)."""
    return equation(graph, ev, numbers=False).line(numbers=False)


def edge_label(ev: LocalGrad | Chain, r: Callable[[Value], str] = fmt) -> tuple[str, ...]:
    """What the graph writes on an edge, longest first (it shows the longest that fits).

    After a ``LocalGrad``, the local gradient waiting on its edge: ``∂loss/∂s = 2*s = -2.0``,
    ``2*s = -2.0``, ``-2.0``. At the ``Chain`` that multiplies it in, the product arriving
    at the node: ``(-2.0) × 1.0 = -2.0``, ``-2.0``.

    Args:
        ev: the event.
        r: how a number is written (the graph's boxes round them to fit).
    """
    if isinstance(ev, Chain):
        up, loc, prod = r(ev.upstream), r(ev.local), r(ev.product)
        up, loc = (f"({t})" if t[0] == "-" else t for t in (up, loc))
        return (f"{up} × {loc} = {prod}", prod)
    v = r(ev.value)
    head = d(ev.node, ev.wrt)
    try:
        constant = float(ev.formula) == float(v)
    except ValueError:
        constant = False
    if constant or ev.formula == v:
        return (f"{head} = {ev.formula}", ev.formula)
    return (f"{head} = {ev.formula} = {v}", f"{ev.formula} = {v}", v)


def fit(line: str, width: int) -> str:
    """``line`` made to fit ``width`` cells (the timeline panel's rows).

    An equation ``a = b = c = d`` first loses its middle terms from the left (``a = c = d``,
    then ``a = d``): what remains is still true and keeps the result, the number the event
    is about. Otherwise it is cut at a space, never inside a number, marked with ``…``.
    """
    if len(line) <= width:
        return line
    terms = line.split(" = ")
    # A list ("grads: ∂loss/∂w1 = 8.0, ∂loss/∂w2 = 16.0") is several equations, not one chain.
    chain = not any("," in t for t in terms)
    for drop in range(1, len(terms) - 1 if chain else 1):
        shorter = " = ".join([terms[0], *terms[1 + drop :]])
        if len(shorter) <= width:
            return shorter
    if width <= 1:
        return "…"[:width]
    cut = line.rfind(" ", 0, width - 1)
    if cut <= 0:
        return "…"
    return line[:cut].rstrip() + " …"


Fill = Callable[[Sequence[str]], str]
"""Writes the numbers part of an event's line from its numbers' texts (``Describer.shape``)."""


def _p(t: str) -> str:
    """``paren`` of a number's text."""
    return f"({t})" if t[0] == "-" else t


class Describer:
    """``describe`` for every event of a run, made fast for ``replay``'s text.

    The part of a line in names (``∂loss/∂w = ∂loss/∂y_hat · ∂y_hat/∂w``) is the same for
    every step: it is made once per event shape, by ``equation``, and only the numbers are
    written per event, from their texts, as ``equation``'s numbers row reads
    (``Equation.line``): ``shape`` gives both, and ``replay`` writes a whole step from
    them without making its events. A test holds ``Describer(graph)(ev, args, out)``
    equal to ``describe(graph, ev, args, out)`` on every event of every bundled scenario.

    A shape's numbers are the texts of ``events.numbers(ev)`` (``fmt``), in that order; a
    local gradient's are followed, when known, by its node's forward arguments and value.

    Args:
        graph: the scenario's graph.
        track_forward: see the attribute.
        frame: see the attribute.
    """

    def __init__(
        self, graph: Graph, *, track_forward: bool = False, frame: Callable[[Event, str], str] | None = None
    ):
        self.graph = graph
        self.frame = frame
        """What to make of a head once per shape (``replay`` puts the kind column before it
        and makes it visible), so that ``line`` returns it ready."""
        self.loss = graph.nodes[graph.loss].name
        self.track_forward = track_forward
        """Keep each node's last forward arguments and value, for the local gradients that
        follow (as ``replay`` reads a run in order): ``line`` then needs no ``args``."""
        self.forwarded: dict[str, tuple[tuple[Value, ...], Value]] = {}
        """Each node's last forward arguments and value (with ``track_forward``)."""
        self._shapes: dict[tuple[Any, ...], tuple[str, Fill]] = {}
        self._repr: Callable[[Any], str] = float.__repr__
        self._misses = 0

    @staticmethod
    def key(ev: Event) -> tuple[Any, ...]:
        """What an event's line in names depends on: its class and its names."""
        match ev:
            case Forward() | BackwardStart() | Accumulate():
                return (type(ev), ev.node)
            case LocalGrad() | Chain():
                return (type(ev), ev.node, ev.arg)
            case AccumulateGrad() | Update() | ZeroGrad():
                return (type(ev), ev.param)
            case BackwardEnd():
                return (BackwardEnd, tuple(p for p, _ in ev.grads))
            case Predict():
                return (Predict, ev.when, ev.node)
        raise TypeError(f"not an event: {ev!r}")  # pragma: no cover

    def shape(self, ev: Event) -> tuple[str, Fill]:
        """The line of ``ev``'s shape in two parts: the head in names (framed), the same
        object for every event of the shape, and how to write the numbers that follow
        from their texts (see the class)."""
        key = self.key(ev)
        got = self._shapes.get(key)
        if got is None:
            eq = equation(self.graph, ev, numbers=False)
            head = f"{eq.context}{eq.lhs}{eq.rel}" + ("" if eq.replace else text(eq.names))
            if self.frame is not None:
                head = self.frame(ev, head)
            got = self._shapes[key] = (head, self._fill(ev))
        return got

    def _fill(self, ev: Event) -> Fill:
        # One function per event class, each writing the numbers as ``equation``'s numbers
        # row reads (``Equation.line``).
        match ev:
            case Forward(node=node):
                forward = self._forward_text(node)
                return lambda t: f" = {forward(t)} = {t[-1]}"
            case LocalGrad(node=node, arg=arg, formula=formula):
                local = self._local_text(node, arg)

                def local_grad(t: Sequence[str]) -> str:
                    v = t[0]
                    tail = ""
                    if len(t) > 1:
                        with_numbers = local(t)
                        if with_numbers != formula and with_numbers != v:
                            tail = " = " + with_numbers
                    return tail + " = " + v if formula != v else tail

                return local_grad
            case BackwardStart() | Predict():
                return lambda t: t[0]
            case Chain():
                return lambda t: f" = {_p(t[0])} × {_p(t[1])} = {t[2]}"
            case Accumulate():
                return lambda t: f"{t[1]}: {t[0]} + {_p(t[1])} = {t[2]}"
            case AccumulateGrad():
                return lambda t: f" = {t[0]} + {_p(t[1])} = {t[2]}"
            case BackwardEnd(grads=grads):
                names = [d(self.loss, p) for p, _ in grads]
                return lambda t: ", ".join([f"{n} = {g}" for n, g in zip(names, t, strict=True)])
            case Update():
                return lambda t: f" = {t[0]} − {t[2]} × {_p(t[1])} = {t[3]}"
            case ZeroGrad():
                return lambda t: f"  (was {t[0]})"
        raise TypeError(f"not an event: {ev!r}")  # pragma: no cover

    def _template(self, node: str, make: Any) -> str:
        """``make(texts)`` with each argument value's text a ``{k}`` slot (the node's own
        value ``{n}`` after its ``n`` arguments), constants as written."""
        n = self.graph[node]
        texts = [a.text if isinstance(a, Const) else "{" + str(k) + "}" for k, a in enumerate(n.args)]
        return str(make(texts)).replace("{out}", "{" + str(len(n.args)) + "}")

    def _forward_text(self, node: str) -> Fill:
        """Writes the node's operation from its arguments' texts (and its value's, last,
        which the operation does not read)."""
        rule = self.graph[node].rule
        template = self._template(node, lambda t: rule.infix.format(*t))

        def forward(t: Sequence[str]) -> str:
            done = template.format(*map(_p, t))  # a constant's slot is not in the template
            return bare_calls(done) if "((-" in done else done

        return forward

    def _local_text(self, node: str, arg: int) -> Fill:
        """Writes the local gradient along (node, arg) from a local gradient's texts: its
        value's, its node's arguments' and its node's value's."""
        g = self.graph
        n = g[node]
        edge = edge_of(g, node, arg)
        if n.op == "pow" and not isinstance(n.args[1], Const):  # pow's zero rules read the values

            def varies(t: Sequence[str]) -> str:
                args = zip(n.args, t[1:-1], strict=True)
                texts = [a.text if isinstance(a, Const) else _p(v) for a, v in args]
                return bare_calls(g.local_formula(edge, texts, _p(t[-1])))

            return varies
        template = self._template(node, lambda t: g.local_formula(edge, t, "{out}"))

        def local(t: Sequence[str]) -> str:
            done = template.format(*map(_p, t[1:]))  # the arguments', then the node's value's
            return bare_calls(done) if "((-" in done else done

        return local

    def line(
        self, ev: Event, args: tuple[Value, ...] | None = None, out: Value | None = None
    ) -> tuple[str, str, bool]:
        """The line in two parts: in names (the same object for every event of a shape), and
        the numbers that follow; and True when one of the event's numbers (or a local
        gradient's node's) may be NaN or infinite (``nonfinite_field`` says which is).

        Args:
            ev: the event.
            args: for a ``LocalGrad``, the node's argument values (from its forward event).
            out: for a ``LocalGrad``, the node's own value.
        """
        values = numbers_of(ev)
        if isinstance(ev, Forward):
            if self.track_forward:
                self.forwarded[ev.node] = (ev.args, ev.value)
        elif isinstance(ev, LocalGrad):
            if args is None and self.track_forward and ev.node in self.forwarded:
                args, out = self.forwarded[ev.node]
            if args is not None:
                values = (*values, *args, out)
        try:
            # float.__repr__ reads a float64 (a float subclass) as fmt does, without the
            # conversion; anything else (float32, None, an array) raises and takes fmt.
            texts = list(map(self._repr, values))
        except TypeError:
            self._misses += 1
            if self._misses > 16:
                self._repr = fmt
            texts = list(map(fmt, values))
        head, fill = self.shape(ev)
        # repr of a float holds an "n" only for nan and inf: one search finds them.
        return head, fill(texts), "n" in "".join(texts)

    def __call__(self, ev: Event, args: tuple[Value, ...] | None = None, out: Value | None = None) -> str:
        head, numbers, _ = self.line(ev, args, out)
        return head + numbers
