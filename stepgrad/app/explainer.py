"""The inspector's text: the current event in the lecture's words, numbers substituted, and
where every factor came from (the event number that produced it).

Pure: returns lines of (text, role) pieces; the inspector widget maps roles to styles.
Roles: ``title``, ``phase``, ``formula``, ``num``, ``bad``, ``dim``, ``origin``, ``note``, "".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from stepgrad.app.arrays import as_written, batch_words, is_array, label_nodes, label_text
from stepgrad.app.trace import START, Trace
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
from stepgrad.engine.state import State
from stepgrad.explain import Equation, Piece, d, equation, fmt, local, sum_row, text
from stepgrad.explain import num as _num
from stepgrad.explain import pnum as _pnum

MAX_PATH = 6
"""Longest path (in local gradients) written out factor by factor."""

Line = list[Piece]


_EQ: Piece = (" = ", "dim")


def _from(seq: int | None, what: str = "") -> Piece:
    if seq is None:
        return (what, "origin") if what else ("", "")
    return (f"← #{seq}" + (f" {what}" if what else ""), "origin")


def _equation(lhs: str, rows: Sequence[Line]) -> list[Line]:
    """``lhs = row0`` then ``= row1`` ... aligned under the first ``=``."""
    pad = " " * len(lhs)
    out: list[Line] = []
    for k, row in enumerate(rows):
        head: Line = [(lhs, "formula")] if k == 0 else [(pad, "")]
        # A note (what an optimizer keeps) is no further form of the value: no "=".
        joiner = ("   ", "note") if row[:1] == [_NOTE] else (" = ", "dim")
        out.append([*head, joiner, *row])
    return out


_NOTE = ("", "note")
"""Leads a row that is a note under an equation, not another form of its value."""


def _rows(eq: Equation) -> list[Line]:
    """The equation's right side as the rows under its left side: names, then numbers."""
    rows: list[Line] = [list(eq.names)]
    if eq.numbers:
        rows.append(list(eq.numbers))
        if eq.note:  # an optimizer's state (velocity; Adam's m, v, m̂, v̂), a row of its own
            rows.append([_NOTE, *eq.note])
    return rows


def _factor(formula: str) -> str:
    """A local gradient's formula as a factor of a product: in parentheses when it is a sum
    or a difference (``(1 - y)``), as it is otherwise (``2*s``, ``cos(a)``, ``-1``)."""
    depth = 0
    for k, ch in enumerate(formula):
        depth += (ch == "(") - (ch == ")")
        # A sign after an operator or an exponent's e (``2*-1``, ``1e-3``) is no difference.
        if depth == 0 and k > 0 and ch in "+-−" and formula[k - 1] not in "*/^e(":
            return f"({formula})"
    return formula


def plain(lines: Sequence[Line]) -> str:
    """The lines as plain text (for tests and the headless check)."""
    return "\n".join("".join(t for t, _ in line) for line in lines)


class Explainer:
    """Builds the inspector's lines for a position or a node.

    Args:
        trace: the run.
        name: the scenario's display name.
        description: the scenario's description.
    """

    def __init__(self, trace: Trace, name: str, description: str):
        self.trace = trace
        self.graph = trace.graph
        self.name = name
        self.description = description
        self.loss = self.graph.nodes[self.graph.loss].name
        self._labels = {self.graph.nodes[i].name for i in label_nodes(self.graph)}
        """Nodes holding class labels (lecture9's y): stored as floats, written as labels."""

    def _value(self, name: str, v: Any) -> Piece:
        """A node's value; class labels as the labels they are (``(60,) labels [2, 1, 1,
        2, 0, …]``, was ``[2.0, 1.0, 1.0, …] ‖·‖ 10.0``: a norm of labels means nothing)."""
        if name in self._labels and is_array(v):
            return (f"{tuple(v.shape)} labels {label_text(v, 5)}", "num")
        return _num(v)

    # ----- events ------------------------------------------------------------------------

    def event(self, pos: int, state: State) -> list[Line]:
        """The explanation of the event at ``pos``."""
        if pos == START:
            return self.start()
        ev = state.event
        body: list[Line]
        match ev:
            case Forward():
                body = self._forward(ev)
            case LocalGrad():
                body = self._local_grad(ev)
            case BackwardStart():
                body = self._backward_start(ev)
            case Chain():
                body = self._chain(ev)
            case Accumulate():
                body = self._accumulate(ev)
            case AccumulateGrad():
                body = self._accumulate_grad(ev)
            case BackwardEnd():
                body = self._backward_end(ev)
            case Update():
                body = self._update(ev)
            case ZeroGrad():
                body = self._zero_grad(ev)
            case Predict():
                body = self._predict(ev, state)
        return [self._head(ev), *body]

    def _head(self, ev: Event) -> Line:
        match ev:
            case Forward(node=node):
                what = ("forward pass", f"compute {node}")
            case LocalGrad(node=node, wrt=wrt):
                what = ("local gradient", d(node, wrt))
            case BackwardStart():
                what = ("backward pass", "start at the loss")
            case Chain():
                what = ("backward pass", "chain rule")
            case Accumulate():
                what = ("backward pass", "gradients add up")
            case AccumulateGrad(param=p):
                what = ("backward pass", f"add this pass to {p}.grad")
            case BackwardEnd():
                what = ("backward pass", "done")
            case Update(param=p):
                what = ("update", f"gradient descent on {p}")
            case ZeroGrad(param=p):
                what = ("update", f"zero {p}'s gradient")
            case Predict(when=when):
                what = ("prediction", f"{when} training")
        return [(what[0], "phase"), (" · ", "dim"), (what[1], "title"), (f"   #{ev.seq}", "dim")]

    def start(self) -> list[Line]:
        """Before the first event: what the scenario is and how to begin."""
        t = self.trace.plan
        lines: list[Line] = [[(self.name, "title")]]
        lines.append(
            [("press ", "note"), ("n", "key"), (" or ", "note"), ("→", "key"),
             (" to step, ", "note"), ("?", "key"), (" to learn the screen", "note")]
        )  # fmt: skip
        lines.append([])
        for para in " ".join(ln.strip() or "\n" for ln in self.description.strip().splitlines()).split("\n"):
            if para.strip():
                lines.append([(para.strip(), "")])
        lines.append([])
        plan = f"{t.n_steps} step{'s' if t.n_steps != 1 else ''}"
        if t.training:
            plan += f", {t.program.epochs} epoch{'s' if t.program.epochs != 1 else ''}"
            plan += f", lr {t.program.lr}"
            if not t.program.zero_grad:
                plan += ", gradients never zeroed"
        lines.append(
            [("run: ", "dim"), (plan, ""), (f", {self.trace.length} events, {t.program.dtype}", "dim")]
        )
        return lines

    def _forward(self, ev: Forward) -> list[Line]:
        g = self.graph
        node = g[ev.node]
        lines = _equation(ev.node, _rows(equation(g, ev)))
        lines.append([])
        for a, v in zip(node.args, ev.args, strict=True):
            if not isinstance(a, int):
                continue
            src = g.nodes[a]
            lines.append(
                [(f"{src.name} = ", "formula"), self._value(src.name, v), ("  ", ""),
                 *self._value_from(ev.step, src.name)]
            )
        return lines

    def _value_from(self, step: int | None, name: str) -> Line:
        node = self.graph[name]
        t = self.trace.timeline
        if node.op == "input":
            if step is not None and t.sample_of(step) is not None and name in (t.program.data or {}):
                if t.program.batch_size is not None:  # a tensor lecture: rows stacked
                    return [(batch_words(t.program, step), "origin")]
                return [(f"input, sample {t.sample_of(step)} of the data", "origin")]
            return [("input", "origin")]
        if node.op == "param":
            seq = self.trace.value_origin(step or 0, name)
            if seq is None:
                return [("param, initial value", "origin")]
            return [_from(seq, "(last update)")]
        seq = self.trace.value_origin(step or 0, name)
        return [_from(seq)]

    def _array_rule(self, ev: LocalGrad) -> list[Piece] | None:
        """An array rule's local gradient as its own event says it, with the shapes it works
        on, after its name (``: xᵀ · upstream, (3, 1)ᵀ · (3, 1) → (1, 1)``); None for a
        local gradient that is a value. What the rule multiplies the upstream by (x) is no
        value of the local gradient: ``= xᵀ · upstream = x`` read as an equality."""
        fwd = self._forward_of(ev)
        eq = equation(self.graph, ev, args=fwd.args, out=fwd.value)
        if eq.sep == " = ":
            return None
        return [(f": {text(eq.names)}", "formula"), (eq.sep, "dim"), *eq.numbers]

    def _forward_of(self, ev: LocalGrad) -> Forward:
        assert ev.step is not None
        fwd = self.trace.index(ev.step).forward[ev.node]
        assert isinstance(fwd, Forward)
        return fwd

    def _local_grad(self, ev: LocalGrad) -> list[Line]:
        g = self.graph
        node = g[ev.node]
        fwd = self._forward_of(ev)
        eq = equation(g, ev, args=fwd.args, out=fwd.value)
        lines: list[Line] = [
            [("how ", "note"), (ev.node, "formula"), (" = ", "dim"), (g.expression(node), "formula"),
             (" changes with ", "note"), (ev.wrt, "formula"), (":", "note")],
            *_equation(eq.lhs, _rows(eq)),
            [],
        ]  # fmt: skip
        # The numbers the formula reads: the node's arguments and, for exp or sigmoid, itself.
        used = re.findall(r"[A-Za-z_][A-Za-z_0-9.]*", ev.formula)
        seen: set[str] = set()
        for k, a in enumerate(node.args):
            name = g.nodes[a].name if isinstance(a, int) else None
            if name is not None and name in used and name not in seen:
                seen.add(name)
                lines.append(
                    [
                        (f"{name} = ", "formula"),
                        self._value(name, fwd.args[k]),
                        ("  ", ""),
                        *self._value_from(ev.step, name),
                    ]
                )
        if node.name in used:
            lines.append([(f"{node.name} = ", "formula"), _num(fwd.value), ("  ", ""), _from(fwd.seq)])
        lines.append([("it waits on the edge until the backward pass multiplies it in", "note")])
        return lines

    def _backward_start(self, ev: BackwardStart) -> list[Line]:
        eq = equation(self.graph, ev)
        return [
            [(eq.lhs, "formula"), _EQ, *eq.numbers],
            [],
            [
                ("the backward pass starts at the loss and walks the graph right to left,", "note"),
                (" multiplying the local gradients on its way (the chain rule)", "note"),
            ],
        ]

    def _path(self, factors: Sequence[LocalGrad]) -> tuple[Line, Line]:
        """A single path's gradient as the product of its local gradients, as the lecture
        writes it (``2*s · 1 · x``): their formulas (short, and never mistaken for a total
        gradient), and their values."""
        names = " · ".join(_factor(f.formula) for f in factors)
        nums: Line = []
        for k, f in enumerate(factors):
            if k:
                nums.append((" × ", "dim"))
            nums.append(_pnum(f.value))
        return [(names, "formula")], nums

    def _factors(self, seq: int) -> list[LocalGrad] | None:
        """The local gradients along the single path to chain event ``seq`` (``Trace.path_factors``);
        None in a tensor lecture: matrices along a path are not multiplied entry by entry
        (a matmul's is a product of matrices), so their product would read wrong."""
        if self.trace.program.arrays:
            return None
        factors = self.trace.path_factors(seq)
        if factors is None:
            return None
        return [f for f in factors if isinstance(f, LocalGrad)]

    def _chain(self, ev: Chain) -> list[Line]:
        tr = self.trace
        step = ev.step
        assert step is not None
        eq = equation(self.graph, ev)
        up_name = d(self.loss, ev.node)
        loc_name = d(ev.node, ev.wrt)
        lines = _equation(eq.lhs, _rows(eq))
        idx = tr.index(step)
        up_seq = tr.grad_origin(step, ev.node, ev.seq)
        local_ev = idx.local[(ev.node, ev.arg)]
        assert isinstance(local_ev, LocalGrad)
        lines.append(
            [("upstream ", "dim"), (f"{up_name} = ", "formula"), _num(ev.upstream), ("  ", ""), _from(up_seq)]
        )
        rule = self._array_rule(local_ev)
        if rule is not None:
            origin = _from(local_ev.seq)
            lines.append([("local    ", "dim"), (loc_name, "formula"), *rule, ("  ", ""), origin])
        else:
            lines.append(
                [("local    ", "dim"), (f"{loc_name} = {local_ev.formula} = ", "formula"),
                 _num(ev.local), ("  ", ""), _from(local_ev.seq)]
            )  # fmt: skip
        factors = self._factors(ev.seq)
        if factors is not None and 1 < len(factors) <= MAX_PATH:
            path = " → ".join([self.loss, *(f.wrt for f in factors)])
            lines.append([("the local gradients along the path ", "note"), (path, "formula"), (":", "note")])
            names, nums = self._path(factors)
            lines.extend(_equation(eq.lhs, [names, [*nums, _EQ, _num(ev.product)]]))
        nxt = self._next_event(ev)
        if isinstance(nxt, Accumulate):
            lines.append([])
            lines.append([(f"{ev.wrt} already holds a gradient: the next event adds this one", "note")])
        elif " via " in eq.lhs:
            lines.append([])
            lines.append(
                [(f"one of several paths to {ev.wrt}: the products along the others are added to it (+=)",
                  "note")]
            )  # fmt: skip
        elif isinstance(nxt, AccumulateGrad):
            lines.append([])
            lines.append(
                [
                    (
                        f"this pass's {d(self.loss, ev.wrt)} is complete: "
                        f"the next event adds it to {ev.wrt}.grad",
                        "note",
                    )
                ]
            )
        return lines

    def _next_event(self, ev: Event) -> Event | None:
        if ev.seq + 1 >= self.trace.length:
            return None
        return self.trace.timeline[ev.seq + 1]

    def _prev_event(self, ev: Event) -> Event | None:
        return self.trace.timeline[ev.seq - 1] if ev.seq > 0 else None

    def _accumulate(self, ev: Accumulate) -> list[Line]:
        tr = self.trace
        step = ev.step
        assert step is not None
        held_seq = tr.grad_origin(step, ev.node, ev.seq - 1)
        carried = held_seq is not None and tr.timeline.locate(held_seq) != step
        # Held over from earlier passes, the sum is what torch's .grad holds, not ∂loss/∂w.
        lhs = f"{ev.node}.grad" if carried else d(self.loss, ev.node)
        prev = self._prev_event(ev)
        if isinstance(prev, Chain):
            edge = f"{d(self.loss, prev.node)} · {local(prev.node, prev.wrt)}"
        else:
            edge = "this edge's product"
        lines: list[Line] = [
            [(f"{ev.node} already holds a gradient, so this edge's product is added to it:", "note")],
        ]
        lines += _equation(lhs, [[("held + ", "formula"), (edge, "formula")], list(sum_row(ev))])
        lines.append([])
        why = "  (carried over: the gradient was not zeroed)" if carried else ""
        lines.append([("held   ", "dim"), _num(ev.before), ("  ", ""), _from(held_seq), (why, "note")])
        lines.append([("added  ", "dim"), _num(ev.add), ("  ", ""), _from(ev.seq - 1, "(chain rule)")])
        lines.append([])
        lines.append([("gradients add up: torch's .grad does the same (+=)", "note")])
        return lines

    def _accumulate_grad(self, ev: AccumulateGrad) -> list[Line]:
        tr = self.trace
        step = ev.step
        assert step is not None
        p = ev.param
        grad = d(self.loss, p)
        # What .grad held when this pass began: set by the previous step.
        held_seq = tr.grad_origin(step, p, tr.index(step).events[0].seq)
        eq = equation(self.graph, ev)
        lines: list[Line] = [
            [(f"gradients were not zeroed: {p}.grad still holds the earlier passes, so this", "note")],
            [(f"pass's {grad} is added to it, once, after its last contribution:", "note")],
        ]
        # Written with "=" under the "=" of the numbers, where the one-line text has "←".
        lines += _equation(eq.lhs, _rows(eq))
        lines.append([])
        lines.append(
            [("held   ", "dim"), _num(ev.before), ("  ", ""), _from(held_seq),
             ("  (carried over: the gradient was not zeroed)", "note")]
        )  # fmt: skip
        lines.append([("added  ", "dim"), _num(ev.add), ("  ", ""), _from(ev.seq - 1, "(this pass)")])
        lines.append([])
        lines.append(
            [("torch does the same: a pass's contributions are summed first, then added to .grad "
              "(old + (c1 + c2))", "note")]
        )  # fmt: skip
        return lines

    def _backward_end(self, ev: BackwardEnd) -> list[Line]:
        tr = self.trace
        step = ev.step
        assert step is not None
        lines: list[Line] = []
        for p, gv in ev.grads:
            seq = tr.grad_origin(step, p, ev.seq)
            # Where the gradient is one product along one path, write the product out: f and
            # b jump here, past the chain-rule event that built it.
            factors = self._factors(seq) if seq is not None else None
            if factors is not None and 1 < len(factors) <= MAX_PATH:
                names, nums = self._path(factors)
                # With several params, their numbers only (one line each): the names of
                # every factor would push the rest out of the panel.
                rows: list[Line] = [names] if len(ev.grads) == 1 else []
                rows.append([*nums, _EQ, _num(gv), ("  ", ""), _from(seq)])
                lines += _equation(self._grad_name(p, step), rows)
            else:
                name = self._grad_name(p, step)
                lines.append([(f"{name} = ", "formula"), _num(gv), ("  ", ""), _from(seq)])
        lines.append([])
        holders = ", ".join(f"{p}.grad" for p, _ in ev.grads)
        lines.append(
            [
                ("this is what torch holds in ", "note"),
                (holders, "formula"),
                (" after loss.backward()", "note"),
            ]
        )
        return lines

    def _carries(self, step: int | None) -> bool:
        """True when a gradient at ``step`` holds earlier passes too (no zero_grad)."""
        t = self.trace.plan
        return t.training and not self.trace.program.zero_grad and step is not None and step > 0

    def _grad_name(self, p: str, step: int | None) -> str:
        """``∂loss/∂w``, or ``w.grad`` where it holds earlier passes too (no zero_grad)."""
        return f"{p}.grad" if self._carries(step) else d(self.loss, p)

    def _update(self, ev: Update) -> list[Line]:
        tr = self.trace
        step = ev.step
        assert step is not None
        p = ev.param
        gname = self._grad_name(p, step)
        eq = equation(self.graph, ev, grad_name=gname)
        lines = _equation(eq.lhs, _rows(eq))
        lines[0][1] = (eq.rel, "dim")
        lines.append([])
        lines.append([(f"{p} = ", "formula"), _num(ev.before), ("  ", ""), *self._value_from(step, p)])
        g_seq = tr.grad_origin(step, p, ev.seq)
        lines.append([(f"{gname} = ", "formula"), _num(ev.grad), ("  ", ""), _from(g_seq)])
        written = self.trace.timeline.program.lr
        # float32 stores 0.01 as 0.009999999776482582: say which number the file wrote.
        source = "from the scenario" if written is None or float(ev.lr) == written else (
            f"the scenario's {written:g} in {self.trace.timeline.program.dtype}"
        )
        lines.append([("lr = ", "formula"), _num(ev.lr), ("  ", ""), (source, "origin")])
        lines.append([])
        if self._carries(step):
            # The trap the no-zero-grad scenario shows: the step follows the running sum.
            lines.append(
                [
                    (f"{p}.grad holds every pass's gradient so far (no zero_grad): the step follows "
                     "that sum, not this sample's gradient, and may make this sample's loss larger",
                     "note"),
                ]
            )  # fmt: skip
        else:
            lines.append([("a step against the gradient makes the loss smaller", "note")])
        return lines

    def _zero_grad(self, ev: ZeroGrad) -> list[Line]:
        to_none = self.trace.program.grad_to_none
        eq = equation(self.graph, ev, to_none=to_none)
        assert eq.was is not None
        why = (
            "optimizer.zero_grad() sets .grad to None (torch ≥ 2.0): the next backward pass "
            "starts afresh instead of adding to this one"
            if to_none
            else "so the next backward pass starts from zero instead of adding to this one"
        )
        return [
            [(f"{eq.lhs}{eq.rel}{text(eq.names)}", "formula"), ("   was ", "dim"), eq.was],
            [],
            [(why, "note")],
        ]

    def _predict(self, ev: Predict, state: State) -> list[Line]:
        g = self.graph
        pred = self.trace.timeline.program.predict or {}
        dtype = self.trace.program.dtype
        given = ", ".join(f"{k} = {fmt(as_written(v, dtype))}" for k, v in pred.items())
        params = ", ".join(f"{g.nodes[p].name} = {fmt(state.values[p])}" for p in g.params)
        # The title says before or after training: the equation without its lead.
        eq = equation(g, ev)
        return [
            [(f"{eq.lhs} = ", "formula"), *eq.numbers],
            [],
            [("with ", "dim"), (given, "num")],
            [("and  ", "dim"), (params, "num")],
        ]

    # ----- a node ------------------------------------------------------------------------

    def node(self, node_id: int, pos: int, state: State, breakpoint: bool) -> list[Line]:
        """What is known about one node at ``pos`` (after a click)."""
        g = self.graph
        tr = self.trace
        node = g.nodes[node_id]
        kind = node.op if node.is_leaf else f"op {node.op}"
        lines: list[Line] = [[("node ", "phase"), (node.name, "title"), (f"   {kind}", "dim")]]
        if not node.is_leaf:
            lines.append([(f"{node.name} = ", "formula"), (g.expression(node), "formula")])
        step = tr.step_of(pos)
        seq_ref = state.seq if pos != START else -1
        v = state.values[node_id]
        v_from: Line = []
        if v is not None and step is not None:
            v_from = self._value_from(step, node.name)
        # "value" and "∂loss/∂name" in one column, as long as the longer of the two.
        # A param's gradient is w.grad where it holds earlier passes too (no zero_grad).
        gname = self._grad_name(node.name, step) if node.op == "param" else d(self.loss, node.name)
        label_w = max(len("value"), len(gname)) + 2 if g.requires_grad[node_id] else 11
        lines.append([("value".ljust(label_w), "dim"), self._value(node.name, v), ("  ", ""), *v_from])
        if g.requires_grad[node_id]:
            gv = state.grads[node_id]
            g_from: Line = []
            if gv is not None and step is not None and pos != START:
                g_from = [_from(tr.grad_origin(step, node.name, seq_ref + 1))]
            lines.append([(gname.ljust(label_w), "dim"), _num(gv), ("  ", ""), *g_from])
        else:
            lines.append([("no gradient: nothing to learn upstream of it", "dim")])
        if step is not None and pos != START and node.inputs:
            idx = tr.index(step)
            for k, a in enumerate(node.args):
                if not isinstance(a, int) or (node.name, k) not in idx.local:
                    continue
                lev = idx.local[(node.name, k)]
                assert isinstance(lev, LocalGrad)
                known = state.local.get((node_id, k))
                rule = self._array_rule(lev) if known is not None else None
                if rule is not None:
                    name = local(node.name, g.nodes[a].name)
                    lines.append([(name, "formula"), *rule, ("  ", ""), _from(lev.seq)])
                    continue
                lines.append(
                    [(f"{local(node.name, g.nodes[a].name)} = {lev.formula} = ", "formula"), _num(known),
                     ("  ", ""), _from(lev.seq) if known is not None else ("", "")]
                )  # fmt: skip
        lines.append([])
        mark = "on: play and f/b/e stop at its events" if breakpoint else "off"
        lines.append(
            [("breakpoint ", "dim"), (mark, "note"), ("   x toggles · Esc back to the event", "dim")]
        )
        return lines
