"""Formulas evaluated without ``eval``: a closed form, or a student's hand derivation.

Both are turned into one small tree of numeric operations (``Formula``) that is walked
with NumPy in the scenario's dtype. Beside each value the walk returns a first-order
rounding-error bound, which makes the agreement test (``symbolic.agree``) tight where the
arithmetic is benign and tolerant where it cancels.

A hand derivation is written in the model's expression language (``parse_expression``);
a closed form comes from sympy (``stepgrad.symbolic``). The functions a formula may call,
their values and their derivatives (for the error bound) are the registry's
(``engine.ops.RULES``).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stepgrad.engine.ops import RULES, SCALAR_FUNCTIONS, pow_scalar
from stepgrad.language.expr import ExprError, binary_rule, parse_expression
from stepgrad.language.suggest import did_you_mean
from stepgrad.lazy import LazyModule

# NumPy is imported by the first evaluation: the loader compiles a ``manual:`` formula
# to check it, which needs no number.
np: Any = LazyModule("numpy", globals(), "np")

Value = Any  # a NumPy scalar of the scenario's dtype

# A node is a tuple: ("const", float) | ("name", str) | ("add", (nodes...)) |
# ("sub", a, b) | ("mul", (nodes...)) | ("div", a, b) | ("neg", a) | ("pow", a, b) |
# ("call", fname, a) | ("heaviside", a, float)
Tree = tuple[Any, ...]

#: What a hand derivation may call: the model's own functions of a number (the same
#: allow-list, without the array ops: a derivation is evaluated on numbers).
MANUAL_FUNCS: tuple[str, ...] = SCALAR_FUNCTIONS


class FormulaError(Exception):
    """A formula that cannot be evaluated: an unknown name, a call not allowed, ...

    Args:
        message: what is wrong, one line.
        offset: 0-based character offset into the formula text (0 when unknown).
    """

    def __init__(self, message: str, offset: int = 0):
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True)
class Formula:
    """A formula ready to evaluate in any dtype, without ``eval``.

    Attributes:
        text: the formula as shown.
        names: the names it reads.
        tree: the numeric tree (see the module's ``Tree`` comment).
    """

    text: str
    names: frozenset[str]
    tree: Tree = field(repr=False)

    def evaluate(self, env: Mapping[str, Value], dtype: Any) -> tuple[Value, float]:
        """The formula's value in ``dtype``, and a bound on its rounding error.

        Every operation runs on NumPy scalars of ``dtype`` in the order the text reads
        (sums and products left to right), so a formula that repeats the chain rule's
        arithmetic gives its very bits.

        Args:
            env: a value for every name in ``names`` (cast to ``dtype`` if it is not).
            dtype: ``float64`` or ``float32``.

        Returns:
            ``(value, err)``: the value as a NumPy scalar of ``dtype``; ``err`` (a Python
            float) such that the rounding error is at most about ``err * eps / 2``, to
            first order (the running error bound of forward error analysis).
        """
        dt = np.dtype(dtype).type
        with np.errstate(all="ignore"):
            return _eval(self.tree, env, dt)


def _eval(t: Tree, env: Mapping[str, Value], dt: Any) -> tuple[Value, float]:
    kind = t[0]
    if kind == "name":
        v = env[t[1]]
        if not isinstance(v, dt):
            v = dt(v)
        return v, 0.0
    if kind == "const":
        v = dt(t[1])
        # A constant that is not exactly representable is rounded once.
        return v, 0.0 if float(v) == t[1] else abs(float(v))
    if kind == "add" or kind == "mul":
        v, e = _eval(t[1][0], env, dt)
        for c in t[1][1:]:
            cv, ce = _eval(c, env, dt)
            if kind == "add":
                v2 = v + cv
                e = e + ce + _mag(v2)
            else:
                v2 = v * cv
                e = _mag(cv) * e + _mag(v) * ce + _mag(v2)
            v = v2
        return v, e
    if kind == "sub":
        a, ea = _eval(t[1], env, dt)
        b, eb = _eval(t[2], env, dt)
        v = a - b
        return v, ea + eb + _mag(v)
    if kind == "neg":
        a, ea = _eval(t[1], env, dt)
        return -a, ea
    if kind == "div":
        a, ea = _eval(t[1], env, dt)
        b, eb = _eval(t[2], env, dt)
        v = a / b
        if b == 0:
            return v, math.inf
        return v, (ea + _mag(v) * eb) / _mag(b) + _mag(v)
    if kind == "pow":
        a, ea = _eval(t[1], env, dt)
        if t[2][0] == "const":
            n = t[2][1]
            if n == 2:
                v = a * a  # as the engine squares: correctly rounded, like torch's pow(x, 2)
            elif n == 1:
                return a, ea
            elif n == 0.5:
                v = np.sqrt(a)
            elif n == -1:
                v = dt(1) / a
            else:
                v = pow_scalar(a, n, dt)  # as the engine and torch raise to a written constant
            d = abs(n) * _mag(v) / _mag(a) if a != 0 else (0.0 if n >= 1 else math.inf)
            return v, d * ea + _mag(v)
        b, eb = _eval(t[2], env, dt)
        v = np.power(a, b)
        da = _mag(b * v / a) if a != 0 else math.inf
        db = _mag(np.log(np.abs(a)) * v) if a != 0 else 0.0
        return v, da * ea + db * eb + _mag(v)
    if kind == "call":
        rule = RULES[t[1]]
        a, ea = _eval(t[2], env, dt)
        v = rule.forward(a)
        assert rule.slope is not None, t[1]
        return v, _mag(rule.slope(a, v)) * ea + _mag(v)
    if kind == "heaviside":
        a, _ea = _eval(t[1], env, dt)
        v = dt(1) if a > 0 else (dt(0) if a < 0 else dt(t[2]))
        return v, 0.0
    raise AssertionError(f"unknown formula node {kind!r}")  # pragma: no cover


def _mag(v: Any) -> float:
    return abs(float(v))


# ----- hand derivations: the safe parser's tree -----------------------------------------


def compile_formula(text: str, names: Mapping[str, object] | set[str] | frozenset[str]) -> Formula:
    """Compile a formula written in the model's expression language.

    The text is parsed by the model's parser (``parse_expression``: the ``ast``
    allow-list, never ``eval``) and checked here: numbers, the given names, ``+ - * /
    **``, unary minus, parentheses and the model's functions.

    Args:
        text: e.g. ``2 * x * (x * w - y)``.
        names: the names the formula may use (e.g. inputs, params and named model nodes).

    Raises:
        FormulaError: a syntax error, an unknown name, anything not allowed.
    """
    try:
        tree = parse_expression(text)
    except ExprError as e:
        raise FormulaError(e.message, e.offset) from None
    used: set[str] = set()
    compiled = _from_ast(tree, set(names), used)
    return Formula(" ".join(text.split()), frozenset(used), compiled)


def _from_ast(t: ast.expr, allowed: set[str], used: set[str]) -> Tree:
    off = getattr(t, "stepgrad_off", 0)
    if isinstance(t, ast.Constant):
        if isinstance(t.value, bool) or not isinstance(t.value, (int, float)):
            raise FormulaError(f"'{ast.unparse(t)}' is not a number", off)
        try:
            v = float(t.value)
        except OverflowError:
            raise FormulaError("a number in the formula is too large", off) from None
        return ("const", v)
    if isinstance(t, ast.Name):
        if t.id not in allowed:
            raise FormulaError(f"unknown name '{t.id}'{did_you_mean(t.id, sorted(allowed))}", off)
        used.add(t.id)
        return ("name", t.id)
    if isinstance(t, ast.UnaryOp) and isinstance(t.op, (ast.USub, ast.UAdd)):
        inner = _from_ast(t.operand, allowed, used)
        if isinstance(t.op, ast.UAdd):
            return inner
        return ("const", -inner[1]) if inner[0] == "const" else ("neg", inner)
    if isinstance(t, ast.BinOp):
        rule = binary_rule(t.op)
        if rule is None:
            raise FormulaError("only + - * / ** are allowed", off)
        a = _from_ast(t.left, allowed, used)
        b = _from_ast(t.right, allowed, used)
        if rule.name in ("add", "mul"):
            return (rule.name, (a, b))
        return (rule.name, a, b)
    if isinstance(t, ast.Call):
        fname = t.func.id if isinstance(t.func, ast.Name) else None
        if fname not in MANUAL_FUNCS:
            raise FormulaError(f"only these functions may be called: {', '.join(MANUAL_FUNCS)}", off)
        if t.keywords or len(t.args) != 1:
            raise FormulaError(f"{fname}() takes exactly one argument", off)
        return ("call", fname, _from_ast(t.args[0], allowed, used))
    raise FormulaError(
        f"'{type(t).__name__}' is not allowed in a formula; use numbers, names, + - * / ** and "
        + ", ".join(MANUAL_FUNCS),
        off,
    )
