"""One element of a matrix, drilled into: how the event at the cursor made that one number.

A tensor lecture's event computes a whole matrix at once (``∂loss/∂W1 = xᵀ · upstream``,
8×6 numbers). The inspector writes the rule with shapes; this module takes one element
the student picks (``]`` / ``[`` step through them, ``o`` types an index) and writes the
sum of products that forms it, each product with its numbers, as the lecture does on the
blackboard::

    ∂loss/∂W1[2, 3] = Σₖ x[k, 2] × ∂loss/∂h1₁[k, 3]   (759 terms)
      = -5.28e-05   the sum of
      k=0  0.04389 × 6.436e-06 = 2.825e-07
      k=1  …
      … 756 more terms

The products are recomputed from the event's own arrays (upstream and local gradient, or
the forward arguments) and summed in float64 for the check; the event's number is the one
shown as the sum (the engine's, which torch's agrees with). A rule that mixes entries
(softmax, a mean's division) has no such sum of products: its element is given alone.

Pure: lines of (text, role) pieces, as ``explainer``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stepgrad.app.arrays import Shape, index_text, is_array
from stepgrad.app.trace import START, Trace
from stepgrad.engine.events import (
    Accumulate,
    AccumulateGrad,
    BackwardEnd,
    Chain,
    Event,
    Forward,
    LocalGrad,
    Update,
)
from stepgrad.engine.state import State
from stepgrad.explain import Piece, d, digits, num, pnum, rounded

Line = list[Piece]

TERMS = 3
"""Products written out one per line; the rest are counted."""

def _t(v: Any, *, factor: bool = True) -> Piece:
    """A factor or product as every number is written: exactly in exact mode, else to the
    d key's significant digits (the terms were cut to 4 digits even in exact mode, so a
    product did not read back to its factors); in parentheses when negative and a factor
    (a result after ``=`` stands bare)."""
    n = digits()
    x = float(v)
    text = repr(x) if n is None else rounded(x, n)
    bare = not factor or not text.startswith("-")
    return (text if bare else f"({text})", "num" if math.isfinite(x) else "bad")


@dataclass(frozen=True, slots=True)
class Drill:
    """The element drilled into at one position.

    Attributes:
        what: the matrix the element belongs to (``∂loss/∂W1``, ``h1₁``).
        shape: its shape.
        at: the element's index within it.
        lines: the inspector's lines for it.
    """

    what: str
    shape: Shape
    at: tuple[int, ...]
    lines: list[Line]


def clamp(at: tuple[int, ...] | None, shape: Shape) -> tuple[int, ...]:
    """``at`` within ``shape``: kept when it fits, else the first element (an index of
    another matrix's shape is not carried over to a different one)."""
    if at is not None and len(at) == len(shape) and all(0 <= i < n for i, n in zip(at, shape, strict=True)):
        return at
    return tuple(0 for _ in shape)


def step_index(at: tuple[int, ...], shape: Shape, by: int) -> tuple[int, ...]:
    """The element ``by`` places after ``at`` in reading order (row by row), wrapping."""
    size = 1
    for n in shape:
        size *= n
    flat = 0
    for i, n in zip(at, shape, strict=True):
        flat = flat * n + i
    flat = (flat + by) % max(size, 1)
    out = []
    for n in reversed(shape):
        out.append(flat % n)
        flat //= n
    return tuple(reversed(out))


def parse_index(text: str, shape: Shape) -> tuple[int, ...] | str:
    """An index typed by the student (``2, 3``, ``[2, 3]``, ``2 3``) checked against
    ``shape``; a message in the lecture's words when it does not fit."""
    cleaned = text.strip().strip("[]()").replace(",", " ").split()
    if not cleaned:
        return f"type {len(shape)} whole numbers, e.g. {index_text(tuple(0 for _ in shape))}"
    try:
        at = tuple(int(t) for t in cleaned)
    except ValueError:
        return f"not whole numbers: {text.strip()!r}"
    if len(at) != len(shape):
        axes = "1 number" if len(shape) == 1 else f"{len(shape)} numbers"
        return f"{index_text(at)}: a matrix of shape {tuple(shape)} takes {axes}"
    for axis, (i, n) in enumerate(zip(at, shape, strict=True)):
        if not 0 <= i < n:
            return f"{index_text(at)}: index {i} on axis {axis} is outside 0 to {n - 1}"
    return at


def _sub(name: str, at: Sequence[int | str]) -> str:
    return f"{name}[{', '.join(str(i) for i in at)}]"


def _factor(name: str, v: Any, idx: tuple[int | str, ...]) -> str:
    """A factor's entry at the full product's index ``idx``: ``upstream[r, 3]``; a number
    (a scalar upstream) by its name alone; an axis it was broadcast along at 0."""
    ndim = getattr(v, "ndim", 0)
    if ndim == 0:
        return name
    own = idx[len(idx) - ndim :]
    shape = v.shape
    return _sub(name, tuple(0 if shape[ax] == 1 and i != 0 else i for ax, i in enumerate(own)))


def _np() -> Any:
    import numpy as np

    return np


class Driller:
    """Builds the ``Drill`` at a position.

    Args:
        trace: the run.
    """

    def __init__(self, trace: Trace):
        self.trace = trace
        self.graph = trace.graph
        self.loss = self.graph.nodes[self.graph.loss].name

    def at(self, pos: int, state: State, at: tuple[int, ...] | None, node: int | None = None) -> Drill | None:
        """The element ``at`` of the matrix the event at ``pos`` computes (or of ``node``'s
        gradient, or value, when a node is inspected); None where there is no matrix."""
        if pos == START or not self.trace.program.arrays:
            return None
        if node is not None:
            return self._node(node, pos, state, at)
        return self._event(state.event, at)

    # ----- events ------------------------------------------------------------------------

    def _event(self, ev: Event, at: tuple[int, ...] | None) -> Drill | None:
        match ev:
            case Forward(value=value) if is_array(value):
                return self._forward(ev, at)
            case LocalGrad(value=value) if is_array(value):
                return self._local(ev, at)
            case Chain(product=product) if is_array(product):
                return self._chain(ev, at)
            case Accumulate(after=after) if is_array(after):
                return self._sum(d(self.loss, ev.node), ev.before, ev.add, after, at)
            case AccumulateGrad(after=after) if is_array(after):
                return self._sum(f"{ev.param}.grad", ev.before, ev.add, after, at)
            case Update(after=after) if is_array(after):
                return self._update(ev, at)
            case BackwardEnd(grads=grads):
                arrays = [(p, g) for p, g in grads if is_array(g)]
                if not arrays:
                    return None
                return self._param_grad(arrays[0][0], ev, at)
        return None

    def _plain(self, what: str, value: Any, at: tuple[int, ...] | None, note: str = "") -> Drill:
        shape = tuple(value.shape)
        k = clamp(at, shape)
        line: Line = [(f"{_sub(what, k)} = ", "formula"), num(value[k])]
        if note:
            line += [("  ", ""), (note, "dim")]
        return Drill(what, shape, k, [line])

    def _local(self, ev: LocalGrad, at: tuple[int, ...] | None) -> Drill:
        """A local gradient's element; a matmul's is the other operand's own entry (what
        the upstream is multiplied by), never an entry of a Jacobian."""
        node = self.graph[ev.node]
        if node.op == "matmul":
            other = node.args[1 - ev.arg]
            name = self.graph.nodes[other].name if isinstance(other, int) else "the other side"
            return self._plain(name, ev.value, at, f"∂{ev.node}/∂{ev.wrt} = {ev.formula}: {name} itself")
        what = f"local ∂{ev.node}/∂{ev.wrt}"
        if node.op == "cross_entropy" and ev.arg == 0:
            drill = self._cross_entropy(ev, what, at)
            if drill is not None:
                return drill
        if node.rule.shape is not None:
            # Softmax, a reduction: what the rule multiplies upstream by, as the rule says,
            # not an entry of a Jacobian.
            note = f"in the rule ∂{ev.node}/∂{ev.wrt} = {ev.formula}"
            return self._plain(what, ev.value, at, note)
        return self._plain(what, ev.value, at, f"= {ev.formula}")

    def _cross_entropy(self, ev: LocalGrad, what: str, at: tuple[int, ...] | None) -> Drill | None:
        """``local ∂loss/∂logits[i, j] = (softmax(logits)[i, j] − onehot(y)[i, j]) / N``
        with the numbers of that one element: row i's softmax at class j, and 1 or 0 as
        y[i] is j or not."""
        step = ev.step
        fwd = self.trace.index(step).forward.get(ev.node) if step is not None else None
        value = ev.value
        if not isinstance(fwd, Forward) or len(fwd.args) != 2 or not is_array(value):
            return None
        np = _np()
        logits, labels = (np.asarray(a) for a in fwd.args)
        if logits.shape != value.shape or logits.ndim not in (1, 2):
            return None
        shape = tuple(value.shape)
        k = clamp(at, shape)
        row = logits if logits.ndim == 1 else logits[k[0]]
        label = int(labels) if labels.ndim == 0 else int(labels[k[0]])
        z = row.astype(np.float64)
        e = np.exp(z - z.max())
        p = e[k[-1]] / e.sum()
        hot = 1 if label == k[-1] else 0
        g = self.graph
        node = g[ev.node]
        names = [g.nodes[a].name if isinstance(a, int) else "y" for a in node.args]
        zn, yn = names[0], names[1]
        mean = ev.formula.endswith("/N")
        n = 1 if logits.ndim == 1 else logits.shape[0]
        per = f" / {n}" if mean else ""
        rule = f"(softmax({zn}){index_text(k)} − onehot({yn}){index_text(k)}){per}"
        lines: list[Line] = [[(f"{_sub(what, k)} = ", "formula"), (rule, "formula")]]
        lines.append([("  = (", "dim"), _t(p, factor=False), (f" − {hot}){per}", "dim")])
        lines.append([("  = ", "dim"), num(value[k])])
        row_at = "" if logits.ndim == 1 else f"{k[0]}, "
        soft = f"  softmax({zn}){index_text(k)} = e^{zn}{index_text(k)} / Σⱼ e^{zn}[{row_at}j]"
        lines.append([(soft, "note")])
        said = f"{yn}[{k[0]}] = {label}" if logits.ndim == 2 else f"{yn} = {label}"
        lines.append([(f"  {said}, so onehot({yn}){index_text(k)} = {hot}", "note")])
        return Drill(what, shape, k, lines)

    def _forward(self, ev: Forward, at: tuple[int, ...] | None) -> Drill:
        g = self.graph
        node = g[ev.node]
        value = ev.value
        shape = tuple(value.shape)
        k = clamp(at, shape)
        names = [g.nodes[a].name if isinstance(a, int) else str(getattr(a, "text", a)) for a in node.args]
        if node.op == "matmul" and len(ev.args) == 2 and all(getattr(a, "ndim", 0) == 2 for a in ev.args):
            a, b = ev.args
            i, j = k
            terms = [(a[i, m], b[m, j]) for m in range(a.shape[1])]
            rule = f"Σₘ {_sub(names[0], (i, 'm'))} × {_sub(names[1], ('m', j))}"
            labels = [f"m={m}" for m in range(len(terms))]
            return Drill(ev.node, shape, k, self._terms(_sub(ev.node, k), rule, terms, labels, value[k]))
        if node.rule.shape is not None:
            # Not elementwise (softmax, a sum over an axis): the entry reads a whole row or
            # more, so no one entry of each argument makes it.
            return self._plain(ev.node, value, at, f"= {g.expression(node)}")
        # Elementwise (and broadcast) ops: the arguments' entries that make this one.
        lines: list[Line] = [[(f"{_sub(ev.node, k)} = ", "formula"), (g.expression(node), "formula")]]
        np = _np()
        parts: Line = []
        for name, v in zip(names, ev.args, strict=True):
            if not is_array(v) or v.ndim > len(shape):
                continue
            try:
                entry = np.broadcast_to(v, shape)[k]
            except ValueError:
                continue
            if parts:
                parts.append((", ", "dim"))
            parts += [(f"{name} here = ", "formula"), num(entry)]
        if parts:
            lines.append([("  with ", "dim"), *parts])
        lines.append([("  = ", "dim"), num(value[k])])
        return Drill(ev.node, shape, k, lines)

    def _chain(self, ev: Chain, at: tuple[int, ...] | None) -> Drill:
        """∂loss/∂wrt[k]: the products of upstream and local gradient that sum into it."""
        g = self.graph
        node = g[ev.node]
        what = d(self.loss, ev.wrt)
        product = ev.product
        shape = tuple(product.shape)
        k = clamp(at, shape)
        up, loc = ev.upstream, ev.local
        up_name = d(self.loss, ev.node)
        lhs = _sub(what, k)
        two_d = getattr(up, "ndim", 0) == 2 and getattr(loc, "ndim", 0) == 2 and len(k) == 2
        if node.op == "matmul" and two_d:
            i, j = k
            arg = node.args[1 - ev.arg]
            other = g.nodes[arg].name if isinstance(arg, int) else "the other side"
            if ev.arg == 1:  # X @ W, wrt W: Xᵀ · upstream, element [i, j] = Σₖ X[k, i] U[k, j]
                terms = [(loc[m, i], up[m, j]) for m in range(loc.shape[0])]
                rule = f"Σₖ {_sub(other, ('k', i))} × {_sub(up_name, ('k', j))}"
            else:  # wrt X: upstream · Wᵀ, element [i, j] = Σₖ U[i, k] W[j, k]
                terms = [(up[i, m], loc[j, m]) for m in range(loc.shape[1])]
                rule = f"Σₖ {_sub(up_name, (i, 'k'))} × {_sub(other, (j, 'k'))}"
            if self._matches(terms, product[k]):
                labels = [f"k={m}" for m in range(len(terms))]
                return Drill(what, shape, k, self._terms(lhs, rule, terms, labels, product[k]))
        terms_at = self._elementwise(up, loc, shape, k)
        if terms_at is not None and self._matches([t for t, _ in terms_at], product[k]):
            positions = [p for _, p in terms_at]
            summed = len(terms_at) > 1
            free = [ax for ax in range(len(positions[0])) if len({p[ax] for p in positions}) > 1]
            idx = tuple("r" if ax in free else i for ax, i in enumerate(positions[0]))
            # The local factor is one entry of the node over one entry of wrt, each at its
            # own index (b (3,) is b[0], never b[r, 0]), and is called local: at the loss
            # ∂loss/∂logits[0, 0] would otherwise be defined by itself.
            node_entry = _factor(ev.node, up, idx)
            local_name = f"local ∂{node_entry}/∂{_sub(ev.wrt, k)}"
            rule = f"{_factor(up_name, up, idx)} × {local_name}"
            if summed:
                rule = "Σᵣ " + rule
                note = "summed over the rows it was broadcast to on the way forward"
            else:
                note = ""
            labels = [f"r={p[free[0]]}" if summed and free else "" for p in positions] if summed else [""]
            lines = self._terms(lhs, rule, [t for t, _ in terms_at], labels, product[k])
            if note:
                lines.append([("  " + note, "note")])
            return Drill(what, shape, k, lines)
        # A rule that mixes entries (softmax): no one sum of products per element.
        line: Line = [(f"{lhs} = ", "formula"), num(product[k]), ("  ", "")]
        line.append(("this rule mixes the entries of upstream: no single product per element", "note"))
        return Drill(what, shape, k, [line])

    def _elementwise(
        self, up: Any, loc: Any, shape: Shape, k: tuple[int, ...]
    ) -> list[tuple[tuple[Any, Any], tuple[int, ...]]] | None:
        """For ``product = unbroadcast(upstream * local, shape)``: the (upstream, local)
        pairs at every position of the full product that sums into element ``k``."""
        np = _np()
        try:
            full = np.broadcast_shapes(np.shape(up), np.shape(loc))
        except ValueError:
            return None
        if len(full) < len(shape):
            return None
        lead = len(full) - len(shape)
        # An axis of the full product is summed when the gradient's shape lacks it or has 1.
        ranges = []
        for ax, n in enumerate(full):
            if ax < lead:
                ranges.append(range(n))
            else:
                m = shape[ax - lead]
                if m == n:
                    ranges.append(range(k[ax - lead], k[ax - lead] + 1))
                elif m == 1:
                    ranges.append(range(n))
                else:
                    return None
        U = np.broadcast_to(up, full)
        L = np.broadcast_to(loc, full)
        out = []
        for p in np.ndindex(*(len(r) for r in ranges)):
            pos = tuple(r[i] for r, i in zip(ranges, p, strict=True))
            out.append(((U[pos], L[pos]), pos))
        return out

    @staticmethod
    def _matches(terms: Sequence[tuple[Any, Any]], value: Any) -> bool:
        """True when the products sum to the event's number (to float32's precision):
        the sum of products is then the element's own story, not a guess."""
        np = _np()
        total = float(np.sum(np.array([float(a) * float(b) for a, b in terms], dtype=np.float64)))
        v = float(value)
        scale = max(abs(v), float(np.sum(np.abs([float(a) * float(b) for a, b in terms]))), 1e-30)
        return abs(total - v) <= 1e-4 * scale

    def _terms(
        self,
        lhs: str,
        rule: str,
        terms: Sequence[tuple[Any, Any]],
        labels: Sequence[str],
        value: Any,
    ) -> list[Line]:
        """``lhs = rule (n terms)``, its value (the event's own number: first, where a small
        panel still shows it), then the first products with their numbers and the count of
        the rest."""
        n = len(terms)
        count = f"   ({n} term{'s' if n != 1 else ''})" if n > 1 else ""
        lines: list[Line] = [[(f"{lhs} = ", "formula"), (rule, "formula"), (count, "dim")]]
        total: Line = [("  = ", "dim"), num(value)]
        # Said in full: "the sum of" alone ended the line with nothing after it.
        lines.append([*total, (f"   the sum of the {n} products below", "dim")] if n > 1 else total)
        width = max((len(lb) for lb in labels[:TERMS]), default=0)
        for (a, b), label in list(zip(terms, labels, strict=True))[:TERMS]:
            # In the run's dtype, as the engine multiplied them (float32 products round).
            lines.append(
                [(f"  {label.ljust(width)}  " if width else "  ", "dim"), _t(a), (" × ", "dim"), _t(b),
                 (" = ", "dim"), _t(a * b, factor=False)]
            )  # fmt: skip
        if n > TERMS:
            lines.append([(f"  … {n - TERMS} more term{'s' if n - TERMS != 1 else ''}", "dim")])
        return lines

    def _sum(self, what: str, before: Any, add: Any, after: Any, at: tuple[int, ...] | None) -> Drill:
        shape = tuple(after.shape)
        k = clamp(at, shape)
        np = _np()
        held = np.broadcast_to(before, shape)[k] if is_array(before) else before
        added = np.broadcast_to(add, shape)[k] if is_array(add) else add
        line: Line = [(f"{_sub(what, k)} = ", "formula"), num(held), (" + ", "dim"), pnum(added)]
        line += [(" = ", "dim"), num(after[k])]
        return Drill(what, shape, k, [line])

    def _update(self, ev: Update, at: tuple[int, ...] | None) -> Drill:
        after = ev.after
        shape = tuple(after.shape)
        k = clamp(at, shape)
        p = ev.param
        state = dict(ev.state)
        opt = self.trace.program.optimizer
        lines: list[Line] = []
        if not state:  # the lecture's step and plain SGD
            lines.append(
                [(f"{_sub(p, k)} ← ", "formula"), num(ev.before[k]), (" − ", "dim"), pnum(ev.lr),
                 (" × ", "dim"), pnum(ev.grad[k]), (" = ", "dim"), num(after[k])]
            )  # fmt: skip
        elif "velocity" in state:
            vel = state["velocity"]
            lines.append(
                [(f"velocity{index_text(k)} = ", "formula"),
                 (f"{opt.momentum:g} × velocity + grad", "formula"), (" = ", "dim"), num(vel[k])]
            )  # fmt: skip
            lines.append(
                [(f"{_sub(p, k)} ← ", "formula"), num(ev.before[k]), (" − ", "dim"), pnum(ev.lr),
                 (" × ", "dim"), pnum(vel[k]), (" = ", "dim"), num(after[k])]
            )  # fmt: skip
        else:  # Adam
            m, v = state.get("m"), state.get("v")
            bc1, bc2 = state.get("bias_correction1"), state.get("bias_correction2")
            if m is not None and v is not None:
                lines.append([(f"m{index_text(k)} = ", "formula"), num(m[k]), ("   ", ""),
                              (f"v{index_text(k)} = ", "formula"), num(v[k])])  # fmt: skip
            if bc1 is not None and bc2 is not None:
                lines.append([("bias corrections ", "dim"), num(bc1), (", ", "dim"), num(bc2)])
            lines.append(
                [(f"{_sub(p, k)} ← ", "formula"), num(ev.before[k]),
                 (" − lr/bc1 × m / (√(v/bc2) + eps) = ", "dim"), num(after[k])]
            )  # fmt: skip
        lines.append([(f"  {d(self.loss, p)}{index_text(k)} = ", "dim"), num(ev.grad[k])])
        return Drill(p, shape, k, lines)

    def _param_grad(self, p: str, ev: BackwardEnd, at: tuple[int, ...] | None) -> Drill | None:
        """A param's gradient at the end of the pass: the chain event that completed it, drilled."""
        tr = self.trace
        step = ev.step
        if step is None:
            return None
        seq = tr.grad_origin(step, p, ev.seq)
        if seq is None:
            return None
        src = tr.timeline[seq]
        drill = self._event(src, at)
        if drill is None:
            return None
        head: Line = [(f"from #{seq}:", "origin")]
        return Drill(drill.what, drill.shape, drill.at, [head, *drill.lines])

    # ----- a node ------------------------------------------------------------------------

    def _node(self, node_id: int, pos: int, state: State, at: tuple[int, ...] | None) -> Drill | None:
        """A selected node: its gradient's element as the event that set it made it, else
        its value's element."""
        tr = self.trace
        node = self.graph.nodes[node_id]
        step = tr.step_of(pos)
        gv = state.grads[node_id]
        if is_array(gv) and step is not None:
            seq = tr.grad_origin(step, node.name, state.seq + 1)
            if seq is not None:
                drill = self._event(tr.timeline[seq], at)
                if drill is not None:
                    head: Line = [(f"from #{seq}:", "origin")]
                    return Drill(drill.what, drill.shape, drill.at, [head, *drill.lines])
        v = state.values[node_id]
        if is_array(v):
            if step is not None and not node.is_leaf:
                fwd = tr.index(step).forward.get(node.name)
                if fwd is not None and fwd.seq <= state.seq:
                    drill = self._event(fwd, at)
                    if drill is not None:
                        return drill
            return self._plain(node.name, v, at)
        return None


def hint(drill: Drill) -> Line:
    """The one line the inspector gives a matrix before an element is picked (under its
    title, where a small panel still shows it): ``] [ o: one element of ∂loss/∂W1 (8, 6)``."""
    return [("]", "key"), (" ", ""), ("[", "key"), (" ", ""), ("o", "key"), (": one element of ", "note"),
            (f"{drill.what} {tuple(drill.shape)}", "formula")]  # fmt: skip


def section(drill: Drill) -> list[Line]:
    """The drilled element's lines under a title naming it."""
    title: Line = [("one element · ", "phase"), (_sub(drill.what, drill.at), "title"),
                   (f" of {tuple(drill.shape)}", "dim")]  # fmt: skip
    return [title, *drill.lines]


__all__ = ["Drill", "Driller", "clamp", "hint", "parse_index", "section", "step_index"]
