"""sympy and back: a model written out as one formula, differentiated, and each
derivative turned into the evaluator's numeric tree (``language.formula.Tree``).

How each op is written in sympy, which custom sympy functions to make (``sigmoid``,
``relu``, ``softplus``, ``log1p``: kept whole so that their derivatives read as a lecture
writes them) and which sympy function reads back as which op all come from the registry
(``engine.ops.RULES``). sympy is imported inside the functions only.
"""

from __future__ import annotations

import ast
import math
import threading
import types
from typing import Any

from stepgrad.engine.graph import Const, Graph
from stepgrad.engine.ops import FUNCTIONS, RULES, OpRule, SympyFunction
from stepgrad.language.expr import binary_rule
from stepgrad.language.formula import Formula, FormulaError, Tree
from stepgrad.symbolic.result import Derivation, TooLarge

#: Operations a derivative may have, as sympy first writes it, to be shown (and simplified).
MAX_SHOWN_OPS = 120
#: Derivatives with more operations than this (or with any function call) are only
#: factored: ``sympy.simplify`` takes seconds to minutes on them, and rarely shortens them.
SIMPLIFY_OPS = 40

_SYMPY_FUNCS: dict[str, Any] = {}
_FUNCS_LOCK = threading.Lock()


def sympy_functions() -> dict[str, Any]:
    """The custom sympy functions of the registry's ops, by op name (made once)."""
    with _FUNCS_LOCK:
        if not _SYMPY_FUNCS:
            _SYMPY_FUNCS.update(_make_sympy_functions())
    return _SYMPY_FUNCS


def _make_sympy_functions() -> dict[str, Any]:
    import sympy as sp

    made: dict[str, Any] = {}
    for rule in RULES.values():
        if rule.sympy_function is not None:
            made[rule.name] = _custom_function(sp, rule.name, rule.sympy_function, made)
    return made


def _custom_function(sp: Any, name: str, spec: SympyFunction, made: dict[str, Any]) -> Any:
    """A sympy Function subclass named ``name`` whose derivative is ``spec.fdiff``'s."""

    def fdiff(self: Any, argindex: int = 1) -> Any:
        return spec.fdiff(sp, made, self.args[0], self)

    body: dict[str, Any] = {"__doc__": spec.doc, "fdiff": fdiff}
    if spec.sign is not None:
        # Without this, abs(sigmoid(...)) differentiates into re() and im() parts.
        def _eval_is_extended_real(self: Any) -> bool | None:
            return self.args[0].is_extended_real

        def _eval_sign(self: Any) -> bool | None:
            return True if self.args[0].is_extended_real else None

        body["_eval_is_extended_real"] = _eval_is_extended_real
        body[f"_eval_is_{spec.sign}"] = _eval_sign
    return types.new_class(name, (sp.Function,), exec_body=lambda ns: ns.update(body))


def _sympy_number(c: Const) -> Any:
    """A constant exactly as written when it is a plain number (``0.1`` is 1/10, ``sqrt(2)``
    is √2), else its value."""
    import sympy as sp

    text = c.text.strip()
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        return sp.Float(c.value)
    exact = _exact(tree)
    try:
        same = exact is not None and float(exact) == c.value
    except (TypeError, ValueError):  # a custom function sympy cannot evaluate (sigmoid(1))
        same = False
    if not same:
        return sp.Float(c.value) if not float(c.value).is_integer() else sp.Integer(int(c.value))
    return exact


def _exact(t: ast.expr) -> Any:
    """A constant's text as an exact sympy number, or None when it is not plain arithmetic
    (of numbers and the model's functions)."""
    import sympy as sp

    if isinstance(t, ast.Constant) and type(t.value) in (int, float):
        return sp.Integer(t.value) if isinstance(t.value, int) else sp.Rational(repr(t.value))
    if isinstance(t, ast.UnaryOp) and isinstance(t.op, ast.USub):
        inner = _exact(t.operand)
        return None if inner is None else -inner
    rule = binary_rule(t.op) if isinstance(t, ast.BinOp) else None
    if isinstance(t, ast.BinOp) and rule is not None and rule.name != "pow":  # 2 ** 0.5 is no rational
        a, b = _exact(t.left), _exact(t.right)
        if a is None or b is None or (rule.name == "div" and b == 0):
            return None
        return _in_sympy(rule, sp)(a, b)
    if (
        isinstance(t, ast.Call) and isinstance(t.func, ast.Name) and t.func.id in FUNCTIONS
        and len(t.args) == 1 and not t.keywords
    ):
        inner = _exact(t.args[0])
        if inner is None or RULES[t.func.id].sympy is None:
            return None
        return _in_sympy(RULES[t.func.id], sp)(inner)
    return None


def _in_sympy(rule: OpRule, sp: Any) -> Any:
    assert rule.sympy is not None, rule.name
    return rule.sympy(sp, sympy_functions())


def derive_sympy(graph: Graph) -> Derivation | TooLarge:
    """Every param's closed form, by sympy, in the calling thread (no bound: see ``derive``)."""
    import sympy as sp

    arrays = sorted({n.op for n in graph.nodes if not n.is_leaf and RULES[n.op].sympy is None})
    if arrays:
        # The array ops (@, mean, the losses) have no closed form here: the road is for
        # scalar models, and says so instead of failing.
        verb = "works" if len(arrays) == 1 else "work"
        return TooLarge(f"closed forms are for scalar models ({' and '.join(arrays)} {verb} on arrays)")
    expr: list[Any] = [None] * len(graph.nodes)
    for n in graph.nodes:
        if n.is_leaf:
            expr[n.id] = sp.Symbol(n.name, real=True)
    for i in graph.order:
        n = graph.nodes[i]
        a = [_sympy_number(x) if isinstance(x, Const) else expr[x] for x in n.args]
        expr[i] = _in_sympy(RULES[n.op], sp)(*a)
    loss = expr[graph.loss]
    texts: dict[str, str] = {}
    formulas: dict[str, Formula] = {}
    derivatives = {}
    for p in graph.params:
        d = sp.diff(loss, expr[p])
        ops = sp.count_ops(d)
        if ops > MAX_SHOWN_OPS:
            # Longer than anyone reads, and printing alone would take seconds.
            return TooLarge(
                f"∂loss/∂{graph.nodes[p].name} has {ops} operations (at most {MAX_SHOWN_OPS})"
            )
        derivatives[p] = d
    for p, d in derivatives.items():
        best, tree = _lecture_form(d)
        texts[graph.nodes[p].name] = str(best)
        formulas[graph.nodes[p].name] = Formula(
            str(best), frozenset(s.name for s in best.free_symbols), tree
        )
    return Derivation(str(loss), texts, formulas)


def _lecture_form(d: Any) -> tuple[Any, Tree]:
    """The shortest of factor(d), simplify(d) and d by ``count_ops`` (ties: in that order),
    among those the evaluator understands; simplify only for small algebraic ``d``."""
    import sympy as sp

    candidates = [sp.factor(d)]
    # simplify() only where it helps and is quick: small algebraic formulas. With
    # functions it takes seconds and trades the lecture's 1 - tanh**2 for 1/cosh**2.
    if sp.count_ops(d) <= SIMPLIFY_OPS and not d.atoms(sp.Function):
        candidates.append(sp.simplify(d))
    candidates.append(d)
    best: tuple[int, int, Any, Tree] | None = None
    for k, c in enumerate(candidates):
        try:
            tree = _from_sympy(c)
        except FormulaError:
            continue
        score = (sp.count_ops(c), k)
        if best is None or score < best[:2]:
            best = (score[0], score[1], c, tree)
    if best is None:  # d itself only uses the model's functions and their derivatives
        raise AssertionError("no evaluable form")  # pragma: no cover
    return best[2], best[3]


def _sympy_calls() -> dict[str, str]:
    """Each sympy function name that reads back as one of the registry's ops (``Abs``: abs)."""
    return {s: rule.name for rule in RULES.values() for s in rule.sympy_names}


_SYMPY_CALLS = _sympy_calls()


def _from_sympy(e: Any) -> Tree:
    """The numeric tree of a sympy expression, in the order its text reads."""
    import sympy as sp

    if e.is_Symbol:
        return ("name", e.name)
    if e.is_Number or e.is_NumberSymbol:
        if e.is_Rational and e.q != 1:
            return ("div", ("const", float(e.p)), ("const", float(e.q)))
        try:
            v = float(e)
        except TypeError:  # zoo, nan
            v = math.nan
        if not math.isfinite(v):
            raise FormulaError(f"'{e}' is not a finite number")
        return ("const", v)
    if e.is_Add:
        terms = e.as_ordered_terms()
        out = _from_sympy(terms[0])
        for term in terms[1:]:
            if term.could_extract_minus_sign():
                out = ("sub", out, _from_sympy(-term))
            else:
                out = ("add", (out, _from_sympy(term)))
        return out
    if e.is_Mul:
        if e.could_extract_minus_sign() and e.as_coeff_Mul()[0] == -1:
            return ("neg", _from_sympy(-e))
        num, den = sp.fraction(e)
        if den != 1:
            return ("div", _from_sympy(num), _from_sympy(den))
        factors = e.as_ordered_factors()
        if len(factors) == 1:
            return _from_sympy(factors[0])
        return ("mul", tuple(_from_sympy(f) for f in factors))
    if e.is_Pow:
        base, ex = e.args
        if ex.is_Rational and ex < 0:
            return ("div", ("const", 1.0), _from_sympy(base ** (-ex)))
        if ex == sp.S.Half:
            return ("call", "sqrt", _from_sympy(base))
        return ("pow", _from_sympy(base), _from_sympy(ex))
    if isinstance(e, sp.Heaviside):
        h0 = e.args[1] if len(e.args) > 1 else sp.S.Half
        return ("heaviside", _from_sympy(e.args[0]), float(h0))
    name = type(e).__name__
    if e.is_Function and name in _SYMPY_CALLS and len(e.args) == 1:
        return ("call", _SYMPY_CALLS[name], _from_sympy(e.args[0]))
    raise FormulaError(f"cannot evaluate '{name}'")
