"""The inspector's text: the current event in the lecture's words, numbers substituted, and
where every factor came from (the event number that produced it).

Pure: returns lines of (text, role) pieces; the inspector widget maps roles to styles.
Roles: ``title``, ``phase``, ``formula``, ``num``, ``bad``, ``dim``, ``origin``, ``note``, "".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from stepgrad.app.trace import START, Trace
from stepgrad.engine.events import Event
from stepgrad.engine.state import State
from stepgrad.explain import d, edge_of, finite, fmt, forward_numbers, local_numbers, paren

MAX_PATH = 6
"""Longest path (in local gradients) written out factor by factor."""

Piece = tuple[str, str]
Line = list[Piece]


def _num(v: Any) -> Piece:
    return (fmt(v), "num" if finite(v) else "bad")


def _pnum(v: Any) -> Piece:
    return (paren(v), "num" if finite(v) else "bad")


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
        out.append([*head, (" = ", "dim"), *row])
    return out


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

    # ----- events ------------------------------------------------------------------------

    def event(self, pos: int, state: State) -> list[Line]:
        """The explanation of the event at ``pos``."""
        if pos == START:
            return self.start()
        ev = state.event
        k = ev.kind
        head = self._head(ev)
        body = getattr(self, f"_{k}")(ev, state)
        return [head, *body]

    def _head(self, ev: Event) -> Line:
        g = getattr
        what = {
            "forward": ("forward pass", f"compute {g(ev, 'node', '')}"),
            "local_grad": ("local gradient", d(g(ev, "node", ""), g(ev, "wrt", ""))),
            "backward_start": ("backward pass", "start at the loss"),
            "chain": ("backward pass", "chain rule"),
            "accumulate": ("backward pass", "gradients add up"),
            "accumulate_grad": ("backward pass", f"add this pass to {g(ev, 'param', '')}.grad"),
            "backward_end": ("backward pass", "done"),
            "update": ("update", f"gradient descent on {g(ev, 'param', '')}"),
            "zero_grad": ("update", f"zero {g(ev, 'param', '')}'s gradient"),
            "predict": ("prediction", f"{g(ev, 'when', '')} training"),
        }[ev.kind]
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

    def _forward(self, ev: Event, state: State) -> list[Line]:
        g = self.graph
        node = g[ev.node]  # type: ignore[union-attr]
        nums = forward_numbers(g, node.name, ev.args)  # type: ignore[union-attr]
        lines = _equation(
            ev.node, [[(g.expression(node), "formula")], [(nums, "num"), (" = ", "dim"), _num(ev.value)]]
        )  # type: ignore[union-attr]
        lines.append([])
        for a, v in zip(node.args, ev.args, strict=True):  # type: ignore[union-attr]
            if not isinstance(a, int):
                continue
            src = g.nodes[a]
            lines.append(
                [(f"{src.name} = ", "formula"), _num(v), ("  ", ""), *self._value_from(ev.step, src.name)]
            )
        return lines

    def _value_from(self, step: int | None, name: str) -> Line:
        node = self.graph[name]
        t = self.trace.timeline
        if node.op == "input":
            if step is not None and t.sample_of(step) is not None and name in (t.program.data or {}):
                return [(f"input, sample {t.sample_of(step)} of the data", "origin")]
            return [("input", "origin")]
        if node.op == "param":
            seq = self.trace.value_origin(step or 0, name)
            if seq is None:
                return [("param, initial value", "origin")]
            return [_from(seq, "(last update)")]
        seq = self.trace.value_origin(step or 0, name)
        return [_from(seq)]

    def _local_grad(self, ev: Event, state: State) -> list[Line]:
        g = self.graph
        node = g[ev.node]  # type: ignore[union-attr]
        idx = self.trace.index(ev.step)  # type: ignore[arg-type]
        fwd = idx.forward[ev.node]  # type: ignore[union-attr]
        edge = edge_of(g, ev.node, ev.arg)  # type: ignore[union-attr]
        rows: list[Line] = [[(ev.formula, "formula")]]  # type: ignore[union-attr]
        with_numbers = local_numbers(g, edge, fwd.args, fwd.value)  # type: ignore[union-attr]
        tail: Line = []
        if with_numbers not in (ev.formula, fmt(ev.value)):  # type: ignore[union-attr]
            tail = [(with_numbers, "num"), (" = ", "dim")]
        if ev.formula != fmt(ev.value):  # type: ignore[union-attr]
            rows.append([*tail, _num(ev.value)])  # type: ignore[union-attr]
        lines: list[Line] = [
            [("how ", "note"), (ev.node, "formula"), (" = ", "dim"), (g.expression(node), "formula"),  # type: ignore[union-attr]
             (" changes with ", "note"), (ev.wrt, "formula"), (":", "note")],  # type: ignore[union-attr]
            *_equation(d(ev.node, ev.wrt), rows),  # type: ignore[union-attr]
            [],
        ]  # fmt: skip
        # The numbers the formula reads: the node's arguments and, for exp or sigmoid, itself.
        used = re.findall(r"[A-Za-z_][A-Za-z_0-9.]*", ev.formula)  # type: ignore[union-attr]
        seen: set[str] = set()
        for k, a in enumerate(node.args):
            name = g.nodes[a].name if isinstance(a, int) else None
            if name is not None and name in used and name not in seen:
                seen.add(name)
                lines.append(
                    [
                        (f"{name} = ", "formula"),
                        _num(fwd.args[k]),
                        ("  ", ""),
                        *self._value_from(ev.step, name),
                    ]
                )  # type: ignore[union-attr]
        if node.name in used:
            lines.append([(f"{node.name} = ", "formula"), _num(fwd.value), ("  ", ""), _from(fwd.seq)])  # type: ignore[union-attr]
        lines.append([("it waits on the edge until the backward pass multiplies it in", "note")])
        return lines

    def _backward_start(self, ev: Event, state: State) -> list[Line]:
        return [
            [(d(self.loss, self.loss), "formula"), (" = ", "dim"), _num(ev.value)],  # type: ignore[union-attr]
            [],
            [
                ("the backward pass starts at the loss and walks the graph right to left,", "note"),
                (" multiplying the local gradients on its way (the chain rule)", "note"),
            ],
        ]

    def _chain(self, ev: Event, state: State) -> list[Line]:
        tr = self.trace
        step = ev.step
        assert step is not None
        lhs = d(self.loss, ev.wrt)  # type: ignore[union-attr]
        up_name = d(self.loss, ev.node)  # type: ignore[union-attr]
        loc_name = d(ev.node, ev.wrt)  # type: ignore[union-attr]
        lines = _equation(
            lhs,
            [
                [(f"{up_name} · {loc_name}", "formula")],
                [_pnum(ev.upstream), (" × ", "dim"), _pnum(ev.local), (" = ", "dim"), _num(ev.product)],  # type: ignore[union-attr]
            ],
        )
        idx = tr.index(step)
        up_seq = tr.grad_origin(step, ev.node, ev.seq)  # type: ignore[union-attr]
        local_ev = idx.local[(ev.node, ev.arg)]  # type: ignore[union-attr]
        lines.append(
            [("upstream ", "dim"), (f"{up_name} = ", "formula"), _num(ev.upstream), ("  ", ""), _from(up_seq)]
        )  # type: ignore[union-attr]
        lines.append(
            [("local    ", "dim"), (f"{loc_name} = {local_ev.formula} = ", "formula"),  # type: ignore[union-attr]
             _num(ev.local), ("  ", ""), _from(local_ev.seq)]  # type: ignore[union-attr]
        )  # fmt: skip
        factors = tr.path_factors(ev.seq)
        if factors is not None and 1 < len(factors) <= MAX_PATH:
            path = " → ".join([self.loss, *(f.wrt for f in factors)])  # type: ignore[union-attr]
            lines.append([("along the path ", "note"), (path, "formula"), (":", "note")])
            names = " · ".join(d(f.node, f.wrt) for f in factors)  # type: ignore[union-attr]
            nums: Line = []
            for k, f in enumerate(factors):
                if k:
                    nums.append((" × ", "dim"))
                nums.append(_pnum(f.value))  # type: ignore[union-attr]
            lines.extend(_equation(lhs, [[(names, "formula")], [*nums, (" = ", "dim"), _num(ev.product)]]))  # type: ignore[union-attr]
        nxt = self._next_event(ev)
        if nxt is not None and nxt.kind == "accumulate":
            lines.append([])
            lines.append([(f"{ev.wrt} already holds a gradient: the next event adds this one", "note")])  # type: ignore[union-attr]
        elif nxt is not None and nxt.kind == "accumulate_grad":
            lines.append([])
            lines.append(
                [(f"this pass's {lhs} is complete: the next event adds it to {ev.wrt}.grad", "note")]  # type: ignore[union-attr]
            )
        return lines

    def _next_event(self, ev: Event) -> Event | None:
        if ev.seq + 1 >= self.trace.length:
            return None
        return self.trace.timeline[ev.seq + 1]

    def _prev_event(self, ev: Event) -> Event | None:
        return self.trace.timeline[ev.seq - 1] if ev.seq > 0 else None

    def _accumulate(self, ev: Event, state: State) -> list[Line]:
        tr = self.trace
        step = ev.step
        assert step is not None
        held_seq = tr.grad_origin(step, ev.node, ev.seq - 1)  # type: ignore[union-attr]
        carried = held_seq is not None and tr.timeline.locate(held_seq) != step
        # Held over from earlier passes, the sum is what torch's .grad holds, not ∂loss/∂w.
        lhs = f"{ev.node}.grad" if carried else d(self.loss, ev.node)  # type: ignore[union-attr]
        prev = self._prev_event(ev)
        if prev is not None and prev.kind == "chain":
            edge = f"{d(self.loss, prev.node)} · {d(prev.node, prev.wrt)}"  # type: ignore[union-attr]
        else:
            edge = "this edge's product"
        lines: list[Line] = [
            [(f"{ev.node} already holds a gradient, so this edge's product is added to it:", "note")],  # type: ignore[union-attr]
        ]
        lines += _equation(
            lhs,
            [
                [("held + ", "formula"), (edge, "formula")],
                [_num(ev.before), (" + ", "dim"), _pnum(ev.add), (" = ", "dim"), _num(ev.after)],
            ],  # type: ignore[union-attr]
        )
        lines.append([])
        why = "  (carried over: the gradient was not zeroed)" if carried else ""
        lines.append([("held   ", "dim"), _num(ev.before), ("  ", ""), _from(held_seq), (why, "note")])  # type: ignore[union-attr]
        lines.append([("added  ", "dim"), _num(ev.add), ("  ", ""), _from(ev.seq - 1, "(chain rule)")])  # type: ignore[union-attr]
        lines.append([])
        lines.append([("gradients add up: torch's .grad does the same (+=)", "note")])
        return lines

    def _accumulate_grad(self, ev: Event, state: State) -> list[Line]:
        tr = self.trace
        step = ev.step
        assert step is not None
        p = ev.param  # type: ignore[union-attr]
        grad = d(self.loss, p)
        # What .grad held when this pass began: set by the previous step.
        held_seq = tr.grad_origin(step, p, tr.index(step).events[0].seq)
        lines: list[Line] = [
            [(f"gradients were not zeroed: {p}.grad still holds the earlier passes, so this", "note")],
            [(f"pass's {grad} is added to it, once, after its last contribution:", "note")],
        ]
        lines += _equation(
            f"{p}.grad",
            [
                [(f"{p}.grad + {grad}", "formula")],
                [_num(ev.before), (" + ", "dim"), _pnum(ev.add), (" = ", "dim"), _num(ev.after)],  # type: ignore[union-attr]
            ],
        )
        lines.append([])
        lines.append(
            [("held   ", "dim"), _num(ev.before), ("  ", ""), _from(held_seq),  # type: ignore[union-attr]
             ("  (carried over: the gradient was not zeroed)", "note")]
        )  # fmt: skip
        lines.append([("added  ", "dim"), _num(ev.add), ("  ", ""), _from(ev.seq - 1, "(this pass)")])  # type: ignore[union-attr]
        lines.append([])
        lines.append(
            [("torch does the same: a pass's contributions are summed first, then added to .grad "
              "(old + (c1 + c2))", "note")]
        )  # fmt: skip
        return lines

    def _backward_end(self, ev: Event, state: State) -> list[Line]:
        tr = self.trace
        lines: list[Line] = []
        for p, gv in ev.grads:  # type: ignore[union-attr]
            seq = tr.grad_origin(ev.step, p, ev.seq)  # type: ignore[arg-type]
            # Where the gradient is one product along one path, write the product out: f and
            # b jump here, past the chain-rule event that built it.
            factors = tr.path_factors(seq) if seq is not None else None
            if factors is not None and 1 < len(factors) <= MAX_PATH:
                names = " · ".join(d(f.node, f.wrt) for f in factors)  # type: ignore[union-attr]
                nums: Line = []
                for k, f in enumerate(factors):
                    nums += [(" × ", "dim")] if k else []
                    nums.append(_pnum(f.value))  # type: ignore[union-attr]
                # With several params, their numbers only (one line each): the names of
                # every factor would push the rest out of the panel.
                rows: list[Line] = [[(names, "formula")]] if len(ev.grads) == 1 else []  # type: ignore[union-attr]
                rows.append([*nums, (" = ", "dim"), _num(gv), ("  ", ""), _from(seq)])
                lines += _equation(self._grad_name(p, ev.step), rows)
            else:
                name = self._grad_name(p, ev.step)
                lines.append([(f"{name} = ", "formula"), _num(gv), ("  ", ""), _from(seq)])
        lines.append([])
        holders = ", ".join(f"{p}.grad" for p, _ in ev.grads)  # type: ignore[union-attr]
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

    def _update(self, ev: Event, state: State) -> list[Line]:
        tr = self.trace
        p = ev.param  # type: ignore[union-attr]
        gname = self._grad_name(p, ev.step)
        lines = _equation(
            p,
            [
                [(f"{p} − lr·{gname}", "formula")],
                [
                    _num(ev.before),
                    (" − ", "dim"),
                    _num(ev.lr),
                    (" × ", "dim"),
                    _pnum(ev.grad),
                    (" = ", "dim"),
                    _num(ev.after),
                ],  # type: ignore[union-attr]
            ],
        )
        lines[0][1] = (" ← ", "dim")
        lines.append([])
        lines.append([(f"{p} = ", "formula"), _num(ev.before), ("  ", ""), *self._value_from(ev.step, p)])  # type: ignore[union-attr]
        g_seq = tr.grad_origin(ev.step, p, ev.seq)  # type: ignore[arg-type]
        lines.append([(f"{gname} = ", "formula"), _num(ev.grad), ("  ", ""), _from(g_seq)])  # type: ignore[union-attr]
        lines.append([("lr = ", "formula"), _num(ev.lr), ("  ", ""), ("from the scenario", "origin")])  # type: ignore[union-attr]
        lines.append([])
        if self._carries(ev.step):
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

    def _zero_grad(self, ev: Event, state: State) -> list[Line]:
        p = ev.param  # type: ignore[union-attr]
        return [
            [(f"{p}.grad ← 0", "formula"), ("   was ", "dim"), _num(ev.before)],  # type: ignore[union-attr]
            [],
            [("so the next backward pass starts from zero instead of adding to this one", "note")],
        ]

    def _predict(self, ev: Event, state: State) -> list[Line]:
        g = self.graph
        pred = self.trace.timeline.program.predict or {}
        given = ", ".join(f"{k} = {fmt(v)}" for k, v in pred.items())
        params = ", ".join(f"{g.nodes[p].name} = {fmt(state.values[p])}" for p in g.params)
        return [
            [(f"{ev.node} = ", "formula"), _num(ev.value)],  # type: ignore[union-attr]
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
        label_w = max(len("value"), len(d(self.loss, node.name))) + 2 if g.requires_grad[node_id] else 11
        lines.append([("value".ljust(label_w), "dim"), _num(v), ("  ", ""), *v_from])
        if g.requires_grad[node_id]:
            gv = state.grads[node_id]
            g_from: Line = []
            if gv is not None and step is not None and pos != START:
                g_from = [_from(tr.grad_origin(step, node.name, seq_ref + 1))]
            lines.append([(d(self.loss, node.name).ljust(label_w), "dim"), _num(gv), ("  ", ""), *g_from])
        else:
            lines.append([("no gradient: nothing to learn upstream of it", "dim")])
        if step is not None and pos != START and node.inputs:
            idx = tr.index(step)
            for k, a in enumerate(node.args):
                if not isinstance(a, int) or (node.name, k) not in idx.local:
                    continue
                lev = idx.local[(node.name, k)]
                known = state.local.get((node_id, k))
                lines.append(
                    [(f"{d(node.name, g.nodes[a].name)} = {lev.formula} = ", "formula"), _num(known),  # type: ignore[union-attr]
                     ("  ", ""), _from(lev.seq) if known is not None else ("", "")]
                )  # fmt: skip
        lines.append([])
        mark = "on: play and f/b/e stop at its events" if breakpoint else "off"
        lines.append(
            [("breakpoint ", "dim"), (mark, "note"), ("   x toggles · Esc back to the event", "dim")]
        )
        return lines
