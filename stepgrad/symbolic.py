"""Closed-form gradients: the loss differentiated by hand, as lecture 3 does, with sympy.

For a scalar model the loss is written out as one formula of the inputs and params
(intermediate nodes substituted), differentiated with respect to every param, and
simplified to the form a lecture writes: for lecture 4's graph ``∂loss/∂w`` reads
``2*x*(w*x - y)``.

sympy is imported lazily, inside a worker thread, and only for models small enough.
``derive`` answers ``TooLarge`` (shown as "too large to show symbolically: <reason>")
when the graph has more than ``MAX_NODES`` operations or its written-out loss more than
``MAX_SIZE`` (both checked at once, without sympy), when a derivative comes out longer
than ``MAX_SHOWN_OPS`` operations (checked before it is printed or simplified), and when
sympy has not finished after ``TIMEOUT_S`` seconds: the worker is then stopped, so a
caller never waits longer than the bound (plus, on the first call in a process, the
one-time import of sympy, about 0.3 s). ``cached`` never waits at all.

Formulas (a closed form, or a student's hand derivation from a scenario's ``manual:``)
are evaluated without ``eval``: both are turned into one small tree of numeric
operations (``Formula``) that is walked with NumPy in the scenario's dtype. Beside each
value the walk returns a first-order rounding-error bound, which makes the agreement
test (``agree``) tight where the arithmetic is benign and tolerant where it cancels.
"""

from __future__ import annotations

import ast
import ctypes
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stepgrad.engine.graph import Const, Graph
from stepgrad.engine.ops import FUNCTIONS, RULES, pow_scalar

Value = Any  # a NumPy scalar of the scenario's dtype

#: Op nodes a graph may have for ``derive`` to try sympy at all.
MAX_NODES = 100
#: Operations the loss may have when written out as one formula (shared nodes repeated).
MAX_SIZE = 400
#: Operations a derivative may have, as sympy first writes it, to be shown (and simplified).
MAX_SHOWN_OPS = 120
#: Seconds of sympy work before ``derive`` gives up (not counting sympy's first import).
TIMEOUT_S = 2.0
#: Derivatives with more operations than this (or with any function call) are only
#: factored: ``sympy.simplify`` takes seconds to minutes on them, and rarely shortens them.
SIMPLIFY_OPS = 40

#: Relative tolerance of ``agree`` per dtype.
RTOL: dict[str, float] = {"float64": 1e-12, "float32": 1e-5}
#: How many machine epsilons of the rounding-error bound two correct values may differ by.
ERR_ULPS = 8.0

TOO_LARGE = "too large to show symbolically"


# ----- results --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TooLarge:
    """``derive``'s answer for a model it will not (or could not in time) derive.

    Attributes:
        reason: why, one line: ``the model has 243 operations (at most 100)``.
    """

    reason: str

    def __str__(self) -> str:
        return f"{TOO_LARGE}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Derivation:
    """Every param's closed-form gradient.

    Attributes:
        loss: the loss written out in the inputs and params (``(w*x - y)**2``).
        texts: each param's ∂loss/∂param as sympy writes it (``2*x*(w*x - y)``), in the
            graph's param order. A param the loss does not depend on gets ``0``.
        formulas: the same, compiled for evaluation (``Formula.evaluate``).
        seconds: how long sympy took (import excluded).
    """

    loss: str
    texts: dict[str, str]
    formulas: dict[str, Formula] = field(repr=False)
    seconds: float = 0.0


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


# ----- the numeric tree -----------------------------------------------------------------

# A node is a tuple: ("const", float) | ("name", str) | ("add", (nodes...)) |
# ("sub", a, b) | ("mul", (nodes...)) | ("div", a, b) | ("neg", a) | ("pow", a, b) |
# ("call", fname, a) | ("heaviside", a, float)
Tree = tuple[Any, ...]

# fname -> (value, derivative) on NumPy values; derivatives only feed the error bound.
_FUNCS: dict[str, tuple[Callable[[Any], Any], Callable[[Any, Any], Any]]] = {
    "exp": (np.exp, lambda a, v: v),
    "log": (np.log, lambda a, v: 1.0 / a),
    "sqrt": (np.sqrt, lambda a, v: 0.5 / v),
    "sigmoid": (RULES["sigmoid"].forward, lambda a, v: v * (1 - v)),
    "tanh": (np.tanh, lambda a, v: 1 - v * v),
    "relu": (RULES["relu"].forward, lambda a, v: float(a > 0)),
    "sin": (np.sin, lambda a, v: np.cos(a)),
    "cos": (np.cos, lambda a, v: -np.sin(a)),
    "abs": (np.abs, lambda a, v: 1.0),
    "sign": (np.sign, lambda a, v: 0.0),
    "tan": (np.tan, lambda a, v: 1 + v * v),
    "sinh": (np.sinh, lambda a, v: np.cosh(a)),
    "cosh": (np.cosh, lambda a, v: np.sinh(a)),
}

# What a hand derivation may call: the model's own functions (the same allow-list).
MANUAL_FUNCS: tuple[str, ...] = FUNCTIONS


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

    def evaluate(self, env: Mapping[str, Value], dtype: str | np.dtype[Any]) -> tuple[Value, float]:
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
        f, df = _FUNCS[t[1]]
        a, ea = _eval(t[2], env, dt)
        v = f(a)
        return v, _mag(df(a, v)) * ea + _mag(v)
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

    The text is parsed by the scenario loader's parser (``parse_expression``: the ``ast``
    allow-list, never ``eval``) and checked here: numbers, the given names, ``+ - * /
    **``, unary minus, parentheses and the model's functions.

    Args:
        text: e.g. ``2 * x * (x * w - y)``.
        names: the names the formula may use (e.g. inputs, params and named model nodes).

    Raises:
        FormulaError: a syntax error, an unknown name, anything not allowed.
    """
    from stepgrad.scenario.expr import ExprError, parse_expression

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
            import difflib

            close = difflib.get_close_matches(t.id, sorted(allowed), n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise FormulaError(f"unknown name '{t.id}'{hint}", off)
        used.add(t.id)
        return ("name", t.id)
    if isinstance(t, ast.UnaryOp) and isinstance(t.op, (ast.USub, ast.UAdd)):
        inner = _from_ast(t.operand, allowed, used)
        if isinstance(t.op, ast.UAdd):
            return inner
        return ("const", -inner[1]) if inner[0] == "const" else ("neg", inner)
    if isinstance(t, ast.BinOp):
        ops = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
        kind = ops.get(type(t.op))
        if kind is None:
            raise FormulaError("only + - * / ** are allowed", off)
        a = _from_ast(t.left, allowed, used)
        b = _from_ast(t.right, allowed, used)
        if kind in ("add", "mul"):
            return (kind, (a, b))
        return (kind, a, b)
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


# ----- closed forms with sympy ----------------------------------------------------------

_LOCK = threading.Lock()
_DONE: OrderedDict[tuple[Any, ...], Derivation | TooLarge] = OrderedDict()
_RUNNING: dict[tuple[Any, ...], _Job] = {}
_CACHE_SIZE = 64


_STOPPED = TooLarge("stopped")


class _Cancelled(BaseException):
    """Raised inside an abandoned sympy worker to stop it (BaseException: sympy catches Exception)."""


@dataclass
class _Job:
    thread: threading.Thread | None = None
    imported: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    result: Derivation | TooLarge | None = None
    cancelled: bool = False


def _structure(graph: Graph) -> tuple[Any, ...]:
    """A hashable key that two graphs share exactly when they are the same model."""
    nodes = tuple(
        (n.name, n.op, tuple(("c", a.text, a.value) if isinstance(a, Const) else a for a in n.args))
        for n in graph.nodes
    )
    return (nodes, graph.loss)


def _tree_size(graph: Graph, cap: int) -> int:
    """Operations in the loss written out as one formula, counted up to ``cap + 1``."""
    size = [0] * len(graph.nodes)
    for i in graph.order:
        size[i] = min(cap + 1, 1 + sum(size[a] for a in graph.nodes[i].inputs))
    return size[graph.loss]


def derive(
    graph: Graph,
    *,
    timeout_s: float = TIMEOUT_S,
    max_nodes: int = MAX_NODES,
    max_size: int = MAX_SIZE,
) -> Derivation | TooLarge:
    """Every param's closed-form ∂loss/∂param, or why there is none.

    Cached per model (two graphs of the same model share the answer); safe to call
    from several threads. The size checks are instant; the sympy work runs in a
    daemon thread that is stopped (by an asynchronous exception) once ``timeout_s`` has
    passed, so the call returns within ``timeout_s`` of sympy work, plus, once per
    process, sympy's import (about 0.3 s).

    Args:
        graph: a compiled model (scalar values).
        timeout_s: seconds of sympy work allowed.
        max_nodes: op nodes the graph may have.
        max_size: operations the written-out loss may have (shared nodes repeated).

    Returns:
        A ``Derivation``, or ``TooLarge`` with the reason.
    """
    n_ops = len(graph.order)
    if n_ops > max_nodes:
        return TooLarge(f"the model has {n_ops} operations (at most {max_nodes})")
    size = _tree_size(graph, max_size)
    if size > max_size:
        return TooLarge(f"written out as one formula, the loss has more than {max_size} operations")
    key = _structure(graph)
    limits = (timeout_s,)
    with _LOCK:
        hit = _DONE.get(key) or _DONE.get((*key, limits))
        if hit is not None:
            return hit
        job = _RUNNING.get(key)
        if job is None:
            job = _Job()
            job.thread = threading.Thread(
                target=_work, args=(graph, job), name="stepgrad-sympy", daemon=True
            )
            _RUNNING[key] = job
            job.thread.start()
    job.imported.wait()
    if job.done.wait(timeout_s):
        result = job.result
        assert result is not None
        with _LOCK:
            _RUNNING.pop(key, None)
            if result != _STOPPED:  # every other answer is what sympy gives every time
                _remember(key, result)
        return result
    out = TooLarge(f"sympy did not finish within {timeout_s:g} s")
    with _LOCK:
        if _RUNNING.get(key) is job:
            del _RUNNING[key]
        _remember((*key, limits), out)
        if not job.done.is_set() and not job.cancelled:
            job.cancelled = True
            _interrupt(job.thread)
    return out


def cached(
    graph: Graph,
    *,
    timeout_s: float = TIMEOUT_S,
    max_nodes: int = MAX_NODES,
    max_size: int = MAX_SIZE,
) -> Derivation | TooLarge | None:
    """``derive``'s answer if it is known already (or instant), else None; never blocks.

    For a UI thread: show "deriving…" on None and call ``derive`` (same limits) in a worker.
    """
    if len(graph.order) > max_nodes or _tree_size(graph, max_size) > max_size:
        # Refused by size, at once.
        return derive(graph, timeout_s=timeout_s, max_nodes=max_nodes, max_size=max_size)
    key = _structure(graph)
    with _LOCK:
        return _DONE.get(key) or _DONE.get((*key, (timeout_s,)))


def _remember(key: tuple[Any, ...], value: Derivation | TooLarge) -> None:
    _DONE[key] = value
    _DONE.move_to_end(key)
    while len(_DONE) > _CACHE_SIZE:
        _DONE.popitem(last=False)


def _interrupt(thread: threading.Thread | None) -> None:
    """Raise ``_Cancelled`` inside ``thread`` at its next bytecode (CPython)."""
    if thread is None or thread.ident is None or not thread.is_alive():
        return
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(_Cancelled))


def clear_cache() -> None:
    """Forget every derivation (for tests and benchmarks)."""
    with _LOCK:
        _DONE.clear()


def _work(graph: Graph, job: _Job) -> None:
    # The caller interrupts only while ``done`` is unset, checked under _LOCK; the result is
    # published under the same lock, so the interruption always lands inside this try.
    try:
        result: Derivation | TooLarge | None = None
        try:
            # Never interrupted here: a half-finished import would leave sympy broken.
            import sympy  # noqa: F401
        except ImportError:
            result = TooLarge("sympy is not installed")
        finally:
            job.imported.set()
        if result is None:
            result = _compute(graph)
        with _LOCK:
            job.result = result
            job.done.set()
    except _Cancelled:
        with _LOCK:
            job.result = _STOPPED
            job.done.set()


def _compute(graph: Graph) -> Derivation | TooLarge:
    start = time.perf_counter()
    try:
        result = _derive_sympy(graph)
    except RecursionError:
        return TooLarge("the formula is nested too deeply for sympy")
    except Exception as e:  # sympy failing is not the caller's problem: say so, don't crash
        first = (str(e).splitlines() or [""])[0][:80]
        what = f"{type(e).__name__}: {first}" if first else type(e).__name__
        return TooLarge(f"sympy failed ({what})")
    if isinstance(result, Derivation):
        result = Derivation(result.loss, result.texts, result.formulas, time.perf_counter() - start)
    return result


_SYMPY_FUNCS: dict[str, Any] = {}
_FUNCS_LOCK = threading.Lock()


def _sympy_functions() -> dict[str, Any]:
    """sympy functions for the model's ops; sigmoid and relu keep their names."""
    with _FUNCS_LOCK:
        if not _SYMPY_FUNCS:
            _SYMPY_FUNCS.update(_make_sympy_functions())
    return _SYMPY_FUNCS


def _make_sympy_functions() -> dict[str, Any]:
    import sympy as sp

    class sigmoid(sp.Function):
        """σ(x) = 1 / (1 + exp(-x)), kept whole so that σ' reads σ·(1 − σ)."""

        def fdiff(self, argindex: int = 1) -> Any:
            s = sigmoid(self.args[0])
            return s * (1 - s)

        def _eval_is_extended_real(self) -> bool | None:
            # Without this, abs(sigmoid(...)) differentiates into re() and im() parts.
            return self.args[0].is_extended_real

        def _eval_is_positive(self) -> bool | None:
            return True if self.args[0].is_extended_real else None

    class relu(sp.Function):
        """max(0, x); its derivative is 0 at 0, as in the engine and torch."""

        def fdiff(self, argindex: int = 1) -> Any:
            return sp.Heaviside(self.args[0], 0)

        def _eval_is_extended_real(self) -> bool | None:
            return self.args[0].is_extended_real

        def _eval_is_nonnegative(self) -> bool | None:
            return True if self.args[0].is_extended_real else None

    return {
        "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "sigmoid": sigmoid, "tanh": sp.tanh,
        "relu": relu, "sin": sp.sin, "cos": sp.cos, "abs": sp.Abs,
    }


def _sympy_number(c: Const) -> Any:
    """A constant exactly as written when it is a plain number (``0.1`` is 1/10)."""
    import sympy as sp

    text = c.text.strip()
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        return sp.Float(c.value)
    exact = _exact(tree)
    if exact is None or float(exact) != c.value:
        return sp.Float(c.value) if not float(c.value).is_integer() else sp.Integer(int(c.value))
    return exact


def _exact(t: ast.expr) -> Any:
    """A constant's text as an exact sympy number, or None when it is not plain arithmetic."""
    import sympy as sp

    if isinstance(t, ast.Constant) and type(t.value) in (int, float):
        return sp.Integer(t.value) if isinstance(t.value, int) else sp.Rational(repr(t.value))
    if isinstance(t, ast.UnaryOp) and isinstance(t.op, ast.USub):
        inner = _exact(t.operand)
        return None if inner is None else -inner
    if isinstance(t, ast.BinOp) and isinstance(t.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        a, b = _exact(t.left), _exact(t.right)
        if a is None or b is None:
            return None
        if isinstance(t.op, ast.Add):
            return a + b
        if isinstance(t.op, ast.Sub):
            return a - b
        if isinstance(t.op, ast.Mult):
            return a * b
        return None if b == 0 else a / b
    return None


def _derive_sympy(graph: Graph) -> Derivation | TooLarge:
    import sympy as sp

    funcs = _sympy_functions()
    expr: list[Any] = [None] * len(graph.nodes)
    for n in graph.nodes:
        if n.is_leaf:
            expr[n.id] = sp.Symbol(n.name, real=True)
    for i in graph.order:
        n = graph.nodes[i]
        a = [_sympy_number(x) if isinstance(x, Const) else expr[x] for x in n.args]
        op = n.op
        if op == "add":
            e = a[0] + a[1]
        elif op == "sub":
            e = a[0] - a[1]
        elif op == "mul":
            e = a[0] * a[1]
        elif op == "div":
            e = a[0] / a[1]
        elif op == "pow":
            e = a[0] ** a[1]
        elif op == "neg":
            e = -a[0]
        elif op == "id":
            e = a[0]
        else:
            e = funcs[op](a[0])
        expr[i] = e
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


_SYMPY_CALLS = {
    "exp": "exp", "log": "log", "sin": "sin", "cos": "cos", "tan": "tan", "sinh": "sinh",
    "cosh": "cosh", "tanh": "tanh", "Abs": "abs", "sign": "sign", "sigmoid": "sigmoid", "relu": "relu",
}


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


def closed_forms(graph: Graph, **limits: Any) -> dict[str, str] | TooLarge:
    """Each param's closed-form ∂loss/∂param as text, or ``TooLarge``.

    Args:
        graph: a compiled model.
        **limits: ``timeout_s``, ``max_nodes``, ``max_size`` as for ``derive``.
    """
    d = derive(graph, **limits)
    return d if isinstance(d, TooLarge) else dict(d.texts)


# ----- agreement ------------------------------------------------------------------------


#: ``Agreement.status`` where a formula and the chain rule cannot be compared at a point:
#: the dtype cannot hold the value (both agree once evaluated wider), or the closed form
#: is undefined there (``0*log(0)``) where torch's rule gives a number. Not a disagreement.
NOT_COMPARABLE = "not_comparable"


@dataclass(frozen=True, slots=True)
class Agreement:
    """How two values of one gradient compare.

    Attributes:
        status: ``equal`` (the same bits), ``close`` (within tolerance), ``differs``,
            ``missing`` (one side has no number) or ``not_comparable`` (``NOT_COMPARABLE``).
        diff: ``|a - b|`` (NaN when missing or not comparable).
        tol: the tolerance used.
        note: why, when the verdict needed more than the dtype's arithmetic (a formula
            evaluated wider, or not comparable); None otherwise.
    """

    status: str
    diff: float
    tol: float
    note: str | None = None

    @property
    def ok(self) -> bool:
        """True for ``equal``, ``close`` and ``not_comparable``: nothing says they differ."""
        return self.status in ("equal", "close", NOT_COMPARABLE)


def agree(a: Value | None, b: Value | None, dtype: str, err: float = 0.0) -> Agreement:
    """Do two values of the same gradient agree, in ``dtype``?

    They agree when ``|a - b| <= RTOL[dtype] * max(|a|, |b|) + ERR_ULPS * eps * err``:
    a relative part (float64 ``1e-12``, float32 ``1e-5``) and a part for cancellation,
    from ``err``, the first-order rounding-error bound ``Formula.evaluate`` returns
    (when ``y_hat - y`` cancels, both sides lose the same absolute accuracy, which no
    relative tolerance on the small result covers). Two NaNs agree; an infinity agrees
    only with the same infinity; None on one side only is ``missing``.

    Args:
        a: one value (e.g. the chain rule's).
        b: the other (e.g. the closed form's).
        dtype: ``float64`` or ``float32``.
        err: the larger of the two sides' error bounds (0 when unknown).
    """
    if a is None or b is None:
        if a is None and b is None:
            return Agreement("equal", 0.0, 0.0)
        return Agreement("missing", math.nan, 0.0)
    fa, fb = float(a), float(b)
    if math.isnan(fa) or math.isnan(fb):
        return Agreement("equal" if math.isnan(fa) and math.isnan(fb) else "differs", math.nan, 0.0)
    if fa == fb and math.copysign(1.0, fa) == math.copysign(1.0, fb):
        return Agreement("equal", 0.0, 0.0)
    if math.isinf(fa) or math.isinf(fb):
        return Agreement("differs", math.inf, 0.0)
    rtol = RTOL.get(str(np.dtype(dtype)), RTOL["float64"])
    eps = float(np.finfo(np.dtype(dtype)).eps)
    tol = rtol * max(abs(fa), abs(fb))
    if math.isfinite(err):
        tol += ERR_ULPS * eps * err
    diff = abs(fa - fb)
    return Agreement("close" if diff <= tol else "differs", diff, tol)
