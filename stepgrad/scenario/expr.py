"""The model's expression language: parsed with ``ast``, checked against an allow-list.

Nothing is ever passed to ``eval`` or ``exec``: the parse tree is walked and turned into
graph nodes directly, one node per operation.
"""

from __future__ import annotations

import ast
import difflib
import math
from collections.abc import Callable

from stepgrad.engine.graph import Arg, Const, Node
from stepgrad.engine.ops import FUNCTIONS

MAX_CHARS = 1000
MAX_DEPTH = 48
MAX_NODES = 5000

_BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow",
}
_BAD_BINOPS: dict[type[ast.operator], str] = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
    ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
}
_ALLOWED = "numbers, names, + - * / **, unary -, parentheses and " + ", ".join(FUNCTIONS)


class ExprError(Exception):
    """A problem inside one expression, at a 1-based line and 0-based column within it."""

    def __init__(self, message: str, line: int = 1, col: int = 0):
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"attribute access '{ast.unparse(node)}' is not allowed"
    if isinstance(node, ast.Lambda):
        return "lambdas are not allowed"
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        return "comprehensions are not allowed"
    if isinstance(node, (ast.Subscript, ast.Slice)):
        return f"subscripts like '{ast.unparse(node)}' are not allowed"
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        return "strings are not allowed in a model"
    if isinstance(node, ast.JoinedStr):
        return "strings are not allowed in a model"
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return f"'{node.value}' is not a number"
    if isinstance(node, ast.Constant) and isinstance(node.value, complex):
        return "complex numbers are not supported"
    if isinstance(node, (ast.Compare, ast.BoolOp)):
        return f"comparisons and logic ('{ast.unparse(node)}') are not allowed"
    if isinstance(node, ast.IfExp):
        return "conditional expressions are not allowed"
    if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
        return f"'{ast.unparse(node)}' is not allowed: a model works on numbers"
    if isinstance(node, ast.NamedExpr):
        return "assignment expressions are not allowed"
    if isinstance(node, (ast.Await, ast.Yield, ast.YieldFrom, ast.Starred)):
        return f"'{ast.unparse(node)}' is not allowed"
    return f"'{type(node).__name__}' is not allowed; a model may use {_ALLOWED}"


def _suggest(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def parse_expression(text: str) -> ast.expr:
    """Parse one model expression and check its size.

    Raises:
        ExprError: a syntax error, or an expression too long or too deep.
    """
    if len(text) > MAX_CHARS:
        raise ExprError(f"expression is too long ({len(text)} characters; at most {MAX_CHARS})")
    if not text.strip():
        raise ExprError("the expression is empty")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        msg = e.msg
        if "too many nested parentheses" in msg:
            msg = f"expression is nested too deeply (at most {MAX_DEPTH} levels)"
        else:
            msg = f"invalid expression: {msg}"
        lead = len(text) - len(text.lstrip())
        raise ExprError(msg, e.lineno or 1, lead + max((e.offset or 1) - 1, 0)) from None
    except (RecursionError, MemoryError):
        raise ExprError(f"expression is nested too deeply (at most {MAX_DEPTH} levels)") from None
    depth = _depth(tree.body)
    if depth > MAX_DEPTH:
        raise ExprError(f"expression is nested too deeply ({depth} levels; at most {MAX_DEPTH})")
    lead = len(text) - len(text.lstrip())
    if lead:
        for n in ast.walk(tree):
            if hasattr(n, "col_offset") and getattr(n, "lineno", 1) == 1:
                n.col_offset += lead  # type: ignore[attr-defined]
    return tree.body


def _depth(root: ast.AST) -> int:
    best = 0
    stack = [(root, 1)]
    while stack:
        node, d = stack.pop()
        best = max(best, d)
        stack.extend((c, d + 1) for c in ast.iter_child_nodes(node))
    return best


class ModelBuilder:
    """Turns named expressions into graph nodes, in order.

    Args:
        leaves: the inputs and params, already nodes (ids 0..n-1).
        later: every model name in file order, to explain use-before-assignment.
        references: for cycle messages, the names each later expression mentions.
    """

    def __init__(self, leaves: list[Node], later: list[str], references: dict[str, set[str]]):
        self.nodes: list[Node] = list(leaves)
        self.names: dict[str, int] = {n.name: n.id for n in leaves}
        self._later = later
        self._refs = references

    def add(self, target: str, tree: ast.expr) -> int:
        """Compile ``target = tree``; returns the new node's id.

        Raises:
            ExprError: anything not allowed, unknown names, use before assignment, cycles.
        """
        self._target = target
        self._count = 0
        if isinstance(tree, ast.Constant) and _is_number(tree.value) or (
            isinstance(tree, ast.UnaryOp) and isinstance(tree.operand, ast.Constant)
            and _is_number(tree.operand.value)
        ):
            raise ExprError(
                f"'{target}' is a constant; declare it under inputs instead",
                tree.lineno, tree.col_offset,
            )
        arg = self._walk(tree, top=True)
        if isinstance(arg, int) and self.nodes[arg].name == target:
            return arg
        # A bare name (`z: y_hat`): keep the assignment visible as its own node.
        return self._make("id", (arg,), top=True)

    def _make(self, op: str, args: tuple[Arg, ...], *, top: bool) -> int:
        if len(self.nodes) >= MAX_NODES:
            raise ExprError(f"the model is too large (more than {MAX_NODES} operations)")
        if top:
            name, named = self._target, True
        else:
            self._count += 1
            name, named = f"{self._target}.{self._count}", False
        node = Node(len(self.nodes), name, op, args, named)
        self.nodes.append(node)
        if top:
            self.names[name] = node.id
        return node.id

    def _walk(self, t: ast.expr, *, top: bool = False) -> Arg:
        if isinstance(t, ast.Constant):
            if _is_number(t.value):
                v = float(t.value)
                if not math.isfinite(v):
                    raise ExprError(f"'{ast.unparse(t)}' is not a finite number", t.lineno, t.col_offset)
                return Const(v, ast.unparse(t))
            raise ExprError(_describe(t), t.lineno, t.col_offset)
        if isinstance(t, ast.Name):
            return self._name(t)
        if isinstance(t, ast.BinOp):
            kind = type(t.op)
            if kind in _BAD_BINOPS:
                raise ExprError(
                    f"operator '{_BAD_BINOPS[kind]}' is not supported; use + - * / **",
                    t.lineno, t.col_offset,
                )
            left = self._walk(t.left)
            right = self._walk(t.right)
            op = _BINOPS[kind]
            if isinstance(left, Const) and isinstance(right, Const):
                return _fold(op, left, right, t)
            return self._make(op, (left, right), top=top)
        if isinstance(t, ast.UnaryOp):
            if isinstance(t.op, ast.UAdd):
                return self._walk(t.operand, top=top)
            if isinstance(t.op, ast.USub):
                inner = self._walk(t.operand)
                if isinstance(inner, Const):
                    return Const(-inner.value, "-" + inner.text)
                return self._make("neg", (inner,), top=top)
            raise ExprError(f"'{ast.unparse(t)}' is not allowed; only unary minus is", t.lineno, t.col_offset)
        if isinstance(t, ast.Call):
            return self._call(t, top)
        raise ExprError(_describe(t), getattr(t, "lineno", 1), getattr(t, "col_offset", 0))

    def _call(self, t: ast.Call, top: bool) -> Arg:
        if not isinstance(t.func, ast.Name):
            raise ExprError(
                f"only these functions may be called: {', '.join(FUNCTIONS)}", t.lineno, t.col_offset
            )
        fname = t.func.id
        if fname not in FUNCTIONS:
            raise ExprError(
                f"unknown function '{fname}'{_suggest(fname, list(FUNCTIONS))} "
                f"(allowed: {', '.join(FUNCTIONS)})",
                t.lineno, t.col_offset,
            )
        if t.keywords or len(t.args) != 1:
            raise ExprError(f"{fname}() takes exactly one argument", t.lineno, t.col_offset)
        inner = self._walk(t.args[0])
        if isinstance(inner, Const):
            raise ExprError(
                f"{fname}() of a constant is a constant; write the number instead",
                t.lineno, t.col_offset,
            )
        return self._make(fname, (inner,), top=top)

    def _name(self, t: ast.Name) -> int:
        name = t.id
        if name in self.names:
            return self.names[name]
        if name == self._target:
            raise ExprError(f"'{name}' refers to itself", t.lineno, t.col_offset)
        if name in self._later:
            cycle = self._cycle(name)
            if cycle:
                msg = "cycle: " + " → ".join(cycle)
            else:
                msg = f"'{name}' is used before it is assigned; move '{name}' above '{self._target}'"
            raise ExprError(msg, t.lineno, t.col_offset)
        if name in FUNCTIONS:
            raise ExprError(f"'{name}' is a function; call it as {name}(...)", t.lineno, t.col_offset)
        known = [n for n in self.names if "." not in n]
        raise ExprError(f"unknown name '{name}'{_suggest(name, known)}", t.lineno, t.col_offset)

    def _cycle(self, start: str) -> list[str] | None:
        """A path start → … → current target through later definitions, if one exists."""
        goal = self._target
        stack: list[tuple[str, list[str]]] = [(start, [goal, start])]
        seen = {start}
        while stack:
            name, path = stack.pop()
            for ref in sorted(self._refs.get(name, ())):
                if ref == goal:
                    return [*path, goal]
                if ref in self._refs and ref not in seen:
                    seen.add(ref)
                    stack.append((ref, [*path, ref]))
        return None


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_FOLD: dict[str, Callable[[float, float], float]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
}


def _fold(op: str, a: Const, b: Const, t: ast.BinOp) -> Const:
    try:
        v = _FOLD[op](a.value, b.value)
    except (ZeroDivisionError, OverflowError, ValueError):
        raise ExprError(f"'{ast.unparse(t)}' has no finite value", t.lineno, t.col_offset) from None
    if isinstance(v, complex) or not math.isfinite(v):
        raise ExprError(f"'{ast.unparse(t)}' has no finite value", t.lineno, t.col_offset)
    return Const(float(v), ast.unparse(t))


def referenced_names(tree: ast.expr) -> set[str]:
    """Every bare name an expression mentions (functions excluded)."""
    funcs = {id(c.func) for c in ast.walk(tree) if isinstance(c, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in funcs}
