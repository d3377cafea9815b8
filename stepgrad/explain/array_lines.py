"""Events on arrays in the lecture's words (``equation``'s array cases): a local gradient
of an array op as its rule with the shapes it works on (``local ∂z/∂W: xᵀ · upstream,
(759, 8)ᵀ · (759, 6) → (8, 6)``), never a full Jacobian; the chain rule with the product's
compact form, saying when it was summed back over broadcast axes; an update by an
optimizer that keeps state (momentum's velocity, Adam's moments and bias corrections).
"""

from __future__ import annotations

from stepgrad.engine.events import Chain, LocalGrad, Update
from stepgrad.engine.graph import Const, Graph
from stepgrad.explain.arrays import (
    NORM,
    PREVIEW_DIGITS,
    SMALL,
    axes_text,
    is_array,
    norm,
    shape_of,
    shape_text,
    summed_axes,
)
from stepgrad.explain.equation import Equation, d, edge_of, local, mid, via
from stepgrad.explain.numbers import Row, Value, bare_calls, fmt, num, operand, rounded

_EQ = (" = ", "dim")


def _upstream_terms(formula: str) -> int:
    """How many values an array rule's text names (``{0}ᵀ · upstream``: 2)."""
    return formula.count("upstream") + formula.count("{")


def array_local(
    graph: Graph, ev: LocalGrad, numbers: bool, args: tuple[Value, ...] | None, out: Value | None
) -> Equation:
    """A local gradient on arrays: an elementwise op's formula and its value (compact); an
    array op's rule with the shapes it works on, never a full Jacobian:
    ``local ∂z/∂W: xᵀ · upstream, (3, 2)ᵀ · (3, 1) → (2, 1)``."""
    head, formula = local(ev.node, ev.wrt), ev.formula
    edge = edge_of(graph, ev.node, ev.arg)
    rule_text = graph[ev.node].rule.formulas[ev.arg]
    if "upstream" not in rule_text:
        terms: Row = ()
        if numbers:
            counted = _counted(graph, ev, args)
            if counted is not None:  # a mean's n, as the numbers show it: 2*(y_hat-y)/n = 2*(y_hat-y)/759
                terms = ((counted, "num"), _EQ)
            if formula != fmt(ev.value):
                terms += (num(ev.value),)
            elif terms:
                terms = terms[:1]
        return Equation(head, " = ", ((formula, "formula"),), terms)
    nums: Row = ()
    if numbers and args is not None:
        up = shape_text(shape_of(out))
        if _upstream_terms(rule_text) <= 2:
            n = graph[ev.node]
            texts = [
                a.text if isinstance(a, Const) else shape_text(shape_of(v))
                for a, v in zip(n.args, args, strict=True)
            ]
            worked = graph.local_formula(edge, texts, up).replace("upstream", up)
        else:
            worked = f"upstream {up}"
        nums = ((f"{worked} → {shape_text(shape_of(args[ev.arg]))}", "num"),)
    return Equation(head, ": ", ((formula, "formula"),), nums, sep=", ")


def _counted(graph: Graph, ev: LocalGrad, args: tuple[Value, ...] | None) -> str | None:
    """A mean's local gradient with its count written in: ``1/n`` -> ``1/759``,
    ``2*(y_hat-y)/n`` -> ``2*(y_hat-y)/759`` (mse and bce divide by every element,
    cross_entropy by the rows N, mean by what it averages); None for any other."""
    n = graph[ev.node]
    if args is None or ev.arg != 0 or not ev.formula.endswith(("/n", "/N", ")")):
        return None
    x = args[0]
    shape = shape_of(x)
    if n.op == "mean":
        axis = dict(n.attrs).get("axis")
        count = int(getattr(x, "size", 1)) if axis is None else shape[int(axis)]
        return f"1/{count}"
    if n.op in ("mse", "bce") and ev.formula.endswith("/n"):
        return f"{ev.formula[:-2]}/{int(getattr(x, 'size', 1))}"
    if n.op == "cross_entropy" and ev.formula.endswith("/N"):
        return f"{ev.formula[:-2]}/{shape[0] if len(shape) == 2 else 1}"
    return None


def array_chain(graph: Graph, ev: Chain, numbers: bool, loss: str) -> Equation:
    """The chain rule on arrays: ``∂loss/∂W (2, 1) = xᵀ · ∂loss/∂z = … = [[-13.0], [-5.7]]``
    for an array op (its rule, the upstream named), ``upstream × local`` for an
    elementwise one, saying when the product was summed back over broadcast axes."""
    node, wrt = ev.node, ev.wrt
    lhs = d(loss, wrt)
    if is_array(ev.product):  # the shape of what it is the gradient of: ∂loss/∂W1 (8, 6)
        lhs += " " + shape_text(ev.product.shape)
    lhs += via(graph, node, wrt, ev.arg)
    edge = edge_of(graph, node, ev.arg)
    n = graph[node]
    rule_text = n.rule.formulas[ev.arg]
    upstream = d(loss, node)
    nums: Row = ()
    if "upstream" in rule_text:
        names = graph.local_formula(edge).replace("upstream", upstream)
        if numbers:
            nums = (num(ev.product),)
            if _upstream_terms(rule_text) <= 2:
                # Each value the rule names is the local one (X for ∂(X@W)/∂W, the output for softmax).
                loc = operand(ev.local)
                worked = graph.local_formula(edge, [loc] * len(n.args), loc).replace(
                    "upstream", operand(ev.upstream)
                )
                nums = ((bare_calls(worked), "num"), _EQ, *nums)
        return Equation(lhs, " = ", ((names, "formula"),), nums)
    if numbers:
        nums = (mid(ev.upstream), (" × ", "dim"), mid(ev.local))
        if is_array(ev.product):
            import numpy as np

            try:
                made = np.broadcast_shapes(shape_of(ev.upstream), shape_of(ev.local))
            except ValueError:  # sum or mean over an axis: the upstream lacks it
                axis = dict(n.attrs).get("axis")
                nums += ((f", the upstream spread along axis {axis}", "note"),)
            else:
                axes = summed_axes(made, ev.product.shape)
                if axes:
                    nums += ((", " + axes_text(axes), "note"),)
        nums += (_EQ, num(ev.product))
    return Equation(lhs, " = ", ((f"{upstream} · {local(node, wrt)}", "formula"),), nums)


def stateful_update(ev: Update, numbers: bool, gname: str) -> Equation:
    """An update by an optimizer that keeps state, in torch's words: SGD with momentum
    (``w ← w − lr·velocity``, ``velocity ← momentum·velocity + ∂loss/∂w``) or Adam
    (``w ← w − lr·m̂/(√v̂ + ε)``, its moments and bias corrections after)."""
    p, state = ev.param, dict(ev.state)
    adam = "m" in state
    step = "m̂/(√v̂ + ε)" if adam else "velocity"
    nums: Row = ()
    note: Row = ()
    if numbers:
        by = ((step, "formula"),) if adam else (mid(state.get("velocity")),)
        nums = (mid(ev.before, False), (" − ", "dim"), num(ev.lr), (" × ", "dim"), *by, _EQ, num(ev.after))
        if adam:
            note = (
                (f"m ← β1·m + (1 − β1)·{gname}: ", "formula"), num(state["m"]),
                (f"; v ← β2·v + (1 − β2)·({gname})²: ", "formula"), num(state["v"]),
                ("; m̂ ← m/(1 − β1ᵗ), 1 − β1ᵗ: ", "formula"), num(state["bias_correction1"]),
                ("; v̂ ← v/(1 − β2ᵗ), 1 − β2ᵗ: ", "formula"), num(state["bias_correction2"]),
            )  # fmt: skip
        else:
            note = ((f"velocity ← momentum·velocity + {gname}: ", "formula"), num(state.get("velocity")))
    return Equation(p, " ← ", ((f"{p} − lr·{step}", "formula"),), nums, note=note)


def array_label(v: Value) -> tuple[str, ...]:
    """An array on an edge, longest first: its compact form, its shape and norm, its shape."""
    shape = shape_text(v.shape)
    if v.size <= SMALL:
        return (fmt(v), shape)
    return (fmt(v), f"{shape} {NORM} {rounded(norm(v), PREVIEW_DIGITS)}", shape)
