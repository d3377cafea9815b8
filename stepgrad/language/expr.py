"""The model's expression language: parsed with ``ast``, checked against an allow-list.

Shared by the scenario loader (a model's expressions, a ``manual:`` formula) and the
symbolic road (``stepgrad.language.formula``); it knows the ops only from the engine's
registry (``engine.ops.RULES``): which functions a model may call, how an operator is
written, and how an op folds constants.

Nothing is ever passed to ``eval`` or ``exec``: the parse tree is walked and turned into
graph nodes directly, one node per operation.

Every error carries a character offset into the expression text as written, so that the
loader can point at the offending token in the file.
"""

from __future__ import annotations

import ast
import math

from stepgrad.engine.graph import Arg, Const, Node
from stepgrad.engine.ops import FUNCTIONS, OPERATORS, RULES, OpRule
from stepgrad.language.keywords import Attrs, keyword_attrs
from stepgrad.language.parse import (
    ALLOWED,
    FUNCS,
    MAX_CHARS,
    MAX_DEPTH,
    PYTHON_OPERATORS,
    ExprError,
    after,
    describe,
    end,
    off,
    operator_at,
    parse_expression,
    snippet,
)
from stepgrad.language.suggest import did_you_mean

__all__ = [
    "ALLOWED",
    "MAX_CHARS",
    "MAX_DEPTH",
    "MAX_NODES",
    "ExprError",
    "ModelBuilder",
    "binary_rule",
    "intermediate_name",
    "line_of",
    "parse_expression",
    "referenced_names",
]

MAX_NODES = 5000

# A generated name is its line's name with a subscript count: ``y_hat₁``, ``y_hat₂``, ... for
# the operations inside ``y_hat: x ** 2 * w2 + x * w1 + b``, in the order they are
# computed. Not ``y_hat.2``, which reads as an attribute or a decimal: subscripts are the
# lecture's own notation for "the first, the second ...", and no name a user writes can
# hold one (a model name must be a Python identifier, and ``y_hat₁`` is not), so a
# generated name never clashes with a user's. ASCII output spells it ``y_hat~1``
# (``stepgrad.streams``).
SUBSCRIPT_DIGITS = "₀₁₂₃₄₅₆₇₈₉"
_TO_SUBSCRIPT = str.maketrans("0123456789", SUBSCRIPT_DIGITS)


def intermediate_name(line: str, count: int) -> str:
    """The generated name of the ``count``-th operation inside line ``line``: ``y_hat₂``."""
    return line + str(count).translate(_TO_SUBSCRIPT)


def line_of(name: str) -> str:
    """The model line a node's name belongs to: ``y_hat₂`` -> ``y_hat``, ``s`` -> ``s``."""
    return name.rstrip(SUBSCRIPT_DIGITS)


def binary_rule(op: ast.operator) -> OpRule | None:
    """The registry's rule for a binary operator as written (``*`` -> mul), or None."""
    return OPERATORS.get(PYTHON_OPERATORS.get(type(op), ""))


class ModelBuilder:
    """Turns named expressions into graph nodes, in order.

    Args:
        leaves: the inputs and params, already nodes (ids 0..n-1).
        later: every model name in file order, to explain use-before-assignment.
        references: for cycle messages, the names each later expression mentions.
        dtype: the scenario's dtype name, to name it when a constant does not fit.
        largest: the largest finite magnitude of the dtype.

    Attributes:
        offsets: each node made so far by name: the offset of its sub-expression in the
            text of the assignment that made it.
        texts: each node made so far by name: its sub-expression as written (shortened),
            for a message about the node that is found later (its shapes do not fit).
    """

    def __init__(
        self,
        leaves: list[Node],
        later: list[str],
        references: dict[str, set[str]],
        *,
        dtype: str = "float64",
        largest: float = 1.7976931348623157e308,
    ):
        self.nodes: list[Node] = list(leaves)
        self.names: dict[str, int] = {n.name: n.id for n in leaves}
        self.offsets: dict[str, int] = {}
        self.texts: dict[str, str] = {}
        self._later = later
        self._refs = references
        self._dtype = dtype
        self._largest = largest
        self._target = ""
        self._count = 0

    def add(self, target: str, tree: ast.expr) -> int:
        """Compile ``target = tree``; returns the new node's id.

        Raises:
            ExprError: anything not allowed, unknown names, use before assignment, cycles.
        """
        self._target = target
        self._count = 0
        if (isinstance(tree, ast.Constant) and _is_number(tree.value)) or (
            isinstance(tree, ast.UnaryOp) and isinstance(tree.operand, ast.Constant)
            and _is_number(tree.operand.value)
        ):
            raise ExprError(f"'{target}' is a constant; declare it under inputs instead", off(tree))
        arg = self._walk(tree, top=True)
        if isinstance(arg, Const):
            raise ExprError(
                f"'{target}' is a constant ({arg.value!r}); declare it under inputs instead", off(tree)
            )
        if self.nodes[arg].name == target:
            return arg
        # A bare name (`z: y_hat`): keep the assignment visible as its own node.
        return self._make("id", (arg,), tree, top=True)

    def _make(
        self, op: str, args: tuple[Arg, ...], t: ast.AST, *, top: bool, attrs: Attrs = ()
    ) -> int:
        if len(self.nodes) >= MAX_NODES:
            raise ExprError(f"the model is too large (more than {MAX_NODES} operations)", off(t))
        if top:
            name, named = self._target, True
        else:
            self._count += 1
            name, named = intermediate_name(self._target, self._count), False
        node = Node(len(self.nodes), name, op, args, named, attrs)
        self.nodes.append(node)
        self.offsets[name] = off(t)
        self.texts[name] = snippet(t, 40)
        if top:
            self.names[name] = node.id
        return node.id

    def _walk(self, t: ast.expr, *, top: bool = False) -> Arg:
        if isinstance(t, ast.Constant):
            return self._constant(t)
        if isinstance(t, ast.Name):
            return self._name(t)
        if isinstance(t, ast.BinOp):
            rule = binary_rule(t.op)
            if rule is None:
                sym = PYTHON_OPERATORS[type(t.op)]
                hint = "; use ** for powers" if sym == "^" else "; use + - * / **"
                raise ExprError(f"operator '{sym}' is not supported{hint}", operator_at(t))
            left = self._walk(t.left)
            right = self._walk(t.right)
            op = rule.name
            if rule.arrays_only and isinstance(left, Const) and isinstance(right, Const):
                raise ExprError(
                    f"'{snippet(t)}' works on arrays; give it a name, not only numbers", operator_at(t)
                )
            if op == "div" and isinstance(right, Const) and right.value == 0:
                raise ExprError(f"division by zero in '{snippet(t)}'", operator_at(t))
            if isinstance(left, Const) and isinstance(right, Const):
                return self._fold(rule, (left, right), t, operator_at(t))
            return self._make(op, (left, right), t, top=top)
        if isinstance(t, ast.UnaryOp):
            if isinstance(t.op, ast.UAdd):
                return self._walk(t.operand, top=top)
            if isinstance(t.op, ast.USub):
                inner = self._walk(t.operand)
                if isinstance(inner, Const):
                    return Const(RULES["neg"].value_of_constants(inner.value), "-" + inner.text)
                return self._make("neg", (inner,), t, top=top)
            sym = "not" if isinstance(t.op, ast.Not) else "~"
            raise ExprError(f"'{sym}' is not allowed; only unary minus is", off(t))
        if isinstance(t, ast.Call):
            return self._call(t, top)
        if isinstance(t, ast.Attribute) and t.attr == "T" and "transpose" in RULES:
            # `x.T`, as the lecture writes a transposed matrix: the only attribute allowed.
            inner = self._walk(t.value)
            if isinstance(inner, Const):
                raise ExprError(f"'{snippet(t)}': .T transposes an array, not a number", after(t.value, "."))
            return self._make("transpose", (inner,), t, top=top)
        msg, where = describe(t)
        raise ExprError(msg, where)

    def _constant(self, t: ast.Constant) -> Const:
        value = t.value
        if not _is_number(value) or not isinstance(value, (int, float)):
            msg, where = describe(t)
            raise ExprError(msg, where)
        try:
            v = float(value)
        except OverflowError:
            raise ExprError(f"the number '{snippet(t, 20)}' is too large", off(t)) from None
        if not math.isfinite(v):
            raise ExprError(f"'{snippet(t)}' is not a finite number", off(t))
        self._fits(v, t)
        return Const(v, ast.unparse(t))

    def _fits(self, v: float, t: ast.AST) -> None:
        if abs(v) > self._largest:
            raise ExprError(
                f"'{snippet(t)}' = {v:g} does not fit in {self._dtype} "
                f"(largest {self._largest:.4g})",
                off(t),
            )

    def _call(self, t: ast.Call, top: bool) -> Arg:
        if not isinstance(t.func, ast.Name):
            if isinstance(t.func, (ast.Attribute, ast.Subscript, ast.Lambda)):
                msg, where = describe(t.func)
                raise ExprError(msg, where)
            if isinstance(t.func, (ast.Constant, ast.Call, ast.BinOp, ast.UnaryOp)) and (
                len(t.args) == 1 and not t.keywords
            ):
                # `2(x)`, `(x)(w)`: algebra's juxtaposition, which Python reads as a call.
                factor, arg = snippet(t.func), snippet(t.args[0])
                raise ExprError(
                    f"write {factor} * ({arg}) for a product; '(' right after a value is read as a call",
                    after(t.func, "("),
                )
            raise ExprError(f"only these functions may be called: {FUNCS}", off(t))
        fname = t.func.id
        if fname not in FUNCTIONS:
            if fname in self.names or fname in self._later:
                raise ExprError(f"'{fname}' is not a function; write '*' to multiply", end(t.func))
            raise ExprError(
                f"unknown function '{fname}'{did_you_mean(fname, list(FUNCTIONS))} (allowed: {FUNCS})",
                off(t),
            )
        rule = RULES[fname]
        if len(t.args) != rule.arity or any(isinstance(a, ast.Starred) for a in t.args):
            raise ExprError(f"{fname}() takes exactly {_COUNT.get(rule.arity, rule.arity)}", off(t))
        attrs = keyword_attrs(fname, rule, t.keywords)
        args = tuple(self._walk(a) for a in t.args)
        consts = tuple(a for a in args if isinstance(a, Const))
        if len(consts) == len(args):
            if rule.arrays_only or attrs:
                raise ExprError(f"{fname}() works on arrays; give it a name, not only numbers", off(t))
            # sqrt(2) is the number torch gives for it (see ``_fold``), not a node.
            return self._fold(rule, consts, t, off(t))
        return self._make(fname, args, t, top=top, attrs=attrs)

    def _name(self, t: ast.Name) -> int:
        name = t.id
        if name in self.names:
            return self.names[name]
        if name == self._target:
            raise ExprError(f"'{name}' refers to itself", off(t))
        if name in self._later:
            cycle = self._cycle(name)
            if cycle:
                msg = (
                    f"cycle: {' → '.join(cycle)}; each name must be assigned from names above it"
                )
            else:
                msg = f"'{name}' is used before it is assigned; move '{name}' above '{self._target}'"
            raise ExprError(msg, off(t))
        if name in FUNCTIONS:
            raise ExprError(f"'{name}' is a function; call it as {name}(...)", off(t))
        known = [n for n in self.names if line_of(n) == n]
        hint = did_you_mean(name, known) or (
            "; declare it under inputs, params or data, or assign it in model above this line"
        )
        raise ExprError(f"unknown name '{name}'{hint}", off(t))

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

    def _fold(self, rule: OpRule, args: tuple[Const, ...], t: ast.expr, where: int) -> Const:
        """An op of constants, folded to one constant by the registry's rule.

        In double precision, as the lecture's PyTorch code computes ``math.sqrt(2)`` or
        ``2 ** 0.5`` (torch.sqrt refuses a Python number); the engine, like torch meeting a
        Python number, rounds it to the scenario's dtype once. In float64 this is
        ``torch.sqrt(torch.tensor(2.0, dtype=torch.float64))``'s value wherever the engine's
        forward rule agrees with torch's.
        """
        try:
            v = rule.value_of_constants(*(a.value for a in args))
        except (ZeroDivisionError, OverflowError, ValueError, TypeError):
            v = math.nan
        if isinstance(v, complex) or not math.isfinite(v):
            raise ExprError(f"'{snippet(t)}' has no finite value", where)
        self._fits(float(v), t)
        return Const(float(v), ast.unparse(t))


_COUNT = {1: "one argument", 2: "two arguments", 3: "three arguments"}


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def referenced_names(tree: ast.expr) -> set[str]:
    """Every bare name an expression mentions (functions excluded)."""
    funcs = {id(c.func) for c in ast.walk(tree) if isinstance(c, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in funcs}
