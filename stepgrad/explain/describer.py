"""``describe`` made fast for every event of a run (``replay``'s text): the line in names
made once per event shape, the numbers written from their texts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
from stepgrad.engine.graph import Const, Graph
from stepgrad.explain.equation import bare_calls, edge_of, equation, grad_of, text
from stepgrad.explain.numbers import Value, digits, finite, fmt, rounded

Fill = Callable[[Sequence[str]], str]
"""Writes the numbers part of an event's line from its numbers' texts (``Describer.shape``)."""


def _rounding(n: int) -> Callable[[Any], str]:
    """``fmt`` of a float (a float64 too) to ``n`` digits; anything else raises TypeError
    (and takes ``fmt``), as ``float.__repr__`` does."""

    def write(v: Any) -> str:
        if not isinstance(v, float):
            raise TypeError(v)
        return rounded(v, n)

    return write


class _Parens(dict[str, str]):
    """``paren`` of a number's text, kept: a run's numbers come back step after step, and
    a lookup in C costs a third of a call (replay's text writes about 25 a step)."""

    def __missing__(self, t: str) -> str:
        if len(self) > 65536:  # a long run's numbers mostly never come back
            self.clear()
        got = self[t] = f"({t})" if t[0] == "-" else t
        return got


_p = _Parens().__getitem__


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
        holding: see the attribute.
    """

    def __init__(
        self,
        graph: Graph,
        *,
        track_forward: bool = False,
        frame: Callable[[Event, str], str] | None = None,
        holding: Callable[[int], bool] | None = None,
        to_none: bool = False,
    ):
        self.graph = graph
        self.to_none = to_none
        """``zero_grad`` leaves ``.grad`` None, as torch's optimizers do (``Program.grad_to_none``)."""
        self.holding = holding
        """Whether a step's params hold earlier passes' gradients (``Plan.holding``, no
        zero_grad): its backward_end and updates then name them ``w.grad``, the running
        sum (``equation``'s ``carried``). None: never."""
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
        n = digits()
        # float.__repr__ is fmt for a float64; with --digits, the rounding fmt does.
        self._repr: Callable[[Any], str] = float.__repr__ if n is None else _rounding(n)
        self._fast = self._repr
        """What ``_repr`` starts as: it raises on anything but a float (an array too)."""
        self._misses = 0
        # A local gradient or chain of an array op reads its rule, whatever its numbers.
        self._array_nodes = {m.name for m in graph.nodes if not m.is_leaf and m.rule.arrays_only}

    @staticmethod
    def key(ev: Event) -> tuple[Any, ...]:
        """What an event's line in names depends on: its class and its names."""
        match ev:
            case Forward() | BackwardStart() | Accumulate():
                return (type(ev), ev.node)
            case LocalGrad() | Chain():
                return (type(ev), ev.node, ev.arg)
            case AccumulateGrad() | ZeroGrad():
                return (type(ev), ev.param)
            case Update():  # its optimizer's state (if any) has keys of its own
                return (Update, ev.param, tuple(k for k, _ in ev.state))
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
        carried = self.holding is not None and self._carried(ev)  # a call only where it may be
        if carried:
            key = (*key, "carried")
        got = self._shapes.get(key)
        if got is None:
            eq = equation(self.graph, ev, numbers=False, carried=carried, to_none=self.to_none)
            head = f"{eq.context}{eq.lhs}{eq.rel}" + ("" if eq.replace else text(eq.names))
            if self.frame is not None:
                head = self.frame(ev, head)
            got = self._shapes[key] = (head, self._fill(ev, carried))
        return got

    def _carried(self, ev: Event) -> bool:
        """True for a backward_end or an update whose params hold earlier passes too."""
        return (
            self.holding is not None
            and isinstance(ev, (BackwardEnd, Update))
            and ev.step is not None
            and self.holding(ev.step)
        )

    def _fill(self, ev: Event, carried: bool = False) -> Fill:
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
                names = [grad_of(self.loss, p, carried) for p, _ in grads]
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
        if self._array_nodes and isinstance(ev, (LocalGrad, Chain)) and ev.node in self._array_nodes:
            return self._whole_line(ev, values, args, out)
        if type(ev) is Update and ev.state:  # an optimizer's state: its own words
            return self._whole_line(ev, values, args, out)
        fast = self._repr is self._fast
        try:
            # float.__repr__ reads a float64 (a float subclass) as fmt does, without the
            # conversion; anything else (float32, None, an array) raises and takes fmt.
            texts = list(map(self._repr, values))
        except TypeError:
            self._misses += 1
            if self._misses > 16:
                self._repr = fmt
            texts = list(map(fmt, values))
            fast = False
        joined = "".join(texts)
        # fmt writes an array "[…" or "(759, 6) …", never a number: its line is equation's.
        if not fast and ("[" in joined or "(" in joined):
            return self._whole_line(ev, values, args, out)
        head, fill = self.shape(ev)
        # repr of a float holds an "n" only for nan and inf: one search finds them.
        return head, fill(texts), "n" in joined

    def _whole_line(
        self, ev: Event, values: tuple[Value, ...], args: tuple[Value, ...] | None, out: Value | None
    ) -> tuple[str, str, bool]:
        """``line`` for an event on arrays (or with an optimizer's state): ``equation``'s
        line, made per event (its shapes may change from step to step: a last, smaller
        batch), split where its names end."""
        eq = equation(self.graph, ev, args=args, out=out, carried=self._carried(ev), to_none=self.to_none)
        whole = eq.line()
        head = f"{eq.context}{eq.lhs}{eq.rel}" + ("" if eq.replace else text(eq.names))
        if whole.startswith(head):
            numbers = whole[len(head) :]
        else:  # the line ends in names
            head, numbers = whole, ""
        if self.frame is not None:
            head = self.frame(ev, head)
        return head, numbers, not all(map(finite, values))

    def __call__(self, ev: Event, args: tuple[Value, ...] | None = None, out: Value | None = None) -> str:
        head, numbers, _ = self.line(ev, args, out)
        return head + numbers
