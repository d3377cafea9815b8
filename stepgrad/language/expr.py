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
from collections.abc import Callable

from stepgrad.engine.graph import Arg, Const, Node
from stepgrad.engine.ops import FUNCTIONS, OPERATORS, RULES, OpRule
from stepgrad.language.suggest import did_you_mean
from stepgrad.language.syntax import student_words

MAX_CHARS = 1000
MAX_DEPTH = 64
MAX_NODES = 5000

# Python's syntax, not a list of ops: how each ``ast`` operator is written. The registry
# says which of them is an op (``OPERATORS``); the others are refused below.
PYTHON_OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.FloorDiv: "//",
    ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>", ast.BitAnd: "&",
    ast.BitOr: "|", ast.BitXor: "^",
}


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
_ALLOWED = "numbers, names, + - * / **, unary -, parentheses and " + ", ".join(FUNCTIONS)
_FUNCS = ", ".join(FUNCTIONS)

# Set on every parsed node: its start and end as character offsets into the text as
# written, and that text, so that a message can quote it and point into it.
_OFF = "stepgrad_off"
_END = "stepgrad_end"
_TEXT = "stepgrad_text"


class ExprError(Exception):
    """A problem inside one expression.

    Args:
        message: what is wrong, one line.
        offset: 0-based character offset into the expression text as written.
    """

    def __init__(self, message: str, offset: int = 0):
        super().__init__(message)
        self.message = message
        self.offset = offset


def _off(t: ast.AST) -> int:
    return getattr(t, _OFF, 0)


def _end(t: ast.AST) -> int:
    return getattr(t, _END, _off(t))


def _snippet(t: ast.AST, limit: int = 30) -> str:
    """The user's own text of a sub-expression, shortened for a one-line message."""
    text = " ".join(getattr(t, _TEXT, "")[_off(t) : _end(t)].split())
    if not text:
        text = ast.unparse(t) if _depth(t)[0] < 20 else type(t).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(node: ast.AST) -> tuple[str, int]:
    """Why a node is refused, and where to point."""
    where = _off(node)
    if isinstance(node, ast.Attribute):
        dot = _after(node.value, ".")
        return f"attribute access ('.{node.attr}') is not allowed; a model may use {_ALLOWED}", dot
    if isinstance(node, ast.Lambda):
        return "lambdas are not allowed", where
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        return "comprehensions are not allowed", where
    if isinstance(node, ast.Subscript):
        return f"subscripts like '{_snippet(node)}' are not allowed", _after(node.value, "[")
    if isinstance(node, ast.Slice):
        return "slices are not allowed", where
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        return f"strings ({_snippet(node)}) are not allowed in a model", where
    if isinstance(node, ast.JoinedStr):
        return f"strings ({_snippet(node)}) are not allowed in a model", where
    if isinstance(node, ast.Constant) and (isinstance(node.value, bool) or node.value is None):
        return f"'{node.value}' is not a number", where
    if isinstance(node, ast.Constant) and isinstance(node.value, complex):
        return f"complex numbers ('{_snippet(node)}') are not supported", where
    if isinstance(node, ast.Constant):
        return f"'{_snippet(node)}' is not a number", where
    if isinstance(node, (ast.Compare, ast.BoolOp)):
        return f"comparisons and logic ('{_snippet(node)}') are not allowed", where
    if isinstance(node, ast.IfExp):
        return "conditional expressions (if/else) are not allowed", where
    if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
        return f"'{_snippet(node)}' is not allowed: a model works on numbers", where
    if isinstance(node, ast.NamedExpr):
        return "assignment expressions (:=) are not allowed", where
    if isinstance(node, (ast.Await, ast.Yield, ast.YieldFrom, ast.Starred)):
        return f"'{_snippet(node)}' is not allowed", where
    return f"'{type(node).__name__}' is not allowed; a model may use {_ALLOWED}", where


def _after(t: ast.AST, token: str) -> int:
    """The offset of ``token`` after sub-expression ``t`` (skipping spaces and ``)``)."""
    text: str = getattr(t, _TEXT, "")
    i = _end(t)
    while i < len(text) and (text[i].isspace() or text[i] == ")"):
        i += 1
    return i if text.startswith(token, i) else _off(t)


def _operator(t: ast.BinOp) -> int:
    """The offset of a binary operator's symbol."""
    text: str = getattr(t, _TEXT, "")
    i = _end(t.left)
    while i < _off(t.right) and (text[i].isspace() or text[i] == ")"):
        i += 1
    return i if i < _off(t.right) else _off(t)


def parse_expression(text: str) -> ast.expr:
    """Parse one model expression and check its size.

    The text may span several lines (a YAML block scalar): line breaks count as spaces.
    Every node of the returned tree knows its offsets in ``text`` (see ``ExprError``).

    Raises:
        ExprError: a syntax error, or an expression too long or too deep.
    """
    depth, at = _paren_depth(text)
    if depth > MAX_DEPTH:
        raise ExprError(
            f"expression is nested too deeply (more than {MAX_DEPTH} parentheses inside each other)",
            at,
        )
    if len(text) > MAX_CHARS:
        raise ExprError(
            f"expression is too long ({len(text)} characters; at most {MAX_CHARS}); "
            "split it into named steps"
        )
    if not text.strip():
        raise ExprError("the expression is empty")
    hash_at = text.find("#")
    if hash_at >= 0:
        raise ExprError(
            "'#' is not allowed in an expression (a YAML comment needs a space before it)", hash_at
        )
    for i, ch in enumerate(text):
        # ast.parse cannot encode one, and would call it a NUL byte.
        if "\ud800" <= ch <= "\udfff":
            raise ExprError(
                f"the expression contains a lone surrogate U+{ord(ch):04X} "
                "(half of a UTF-16 pair, not a character)",
                i,
            )
    # Same length, so every offset still points into the text as written.
    flat = "".join(" " if ch in "\r\n\x0b\x0c" else ch for ch in text)
    lead = len(flat) - len(flat.lstrip())
    body = flat.strip()
    try:
        tree = ast.parse(body, mode="eval")
    except SyntaxError as e:
        msg = e.msg
        if "too many nested parentheses" in msg:
            msg = f"expression is nested too deeply (at most {MAX_DEPTH} levels)"
        elif "null bytes" in msg:
            raise ExprError("the expression contains a NUL character", text.find("\0")) from None
        else:
            msg, at = student_words(body, msg, (e.offset or 1) - 1, _ALLOWED)
            raise ExprError(msg, lead + at) from None
        raise ExprError(msg, lead + max((e.offset or 1) - 1, 0)) from None
    except ValueError:  # NUL bytes on some Python versions
        raise ExprError("the expression contains a NUL character", max(text.find("\0"), 0)) from None
    except (RecursionError, MemoryError):
        raise ExprError(f"expression is nested too deeply (at most {MAX_DEPTH} levels)", lead) from None
    chars = _char_offsets(body)
    for n in ast.walk(tree):
        if isinstance(n, (ast.expr, ast.keyword, ast.arg)):
            setattr(n, _OFF, lead + chars(n.col_offset))
            setattr(n, _END, lead + chars(n.end_col_offset or n.col_offset))
            setattr(n, _TEXT, text)
    depth, past = _depth(tree.body)
    if depth > MAX_DEPTH:
        raise ExprError(
            f"expression is too deep ({depth} operations inside each other; at most {MAX_DEPTH}); "
            "split it into named steps",
            _off(past),
        )
    return tree.body


def _paren_depth(text: str) -> tuple[int, int]:
    """The deepest bracket nesting, and where it first goes past ``MAX_DEPTH``."""
    depth = best = at = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
            if depth > best:
                best = depth
                if depth == MAX_DEPTH + 1:
                    at = i
        elif ch in ")]}":
            depth -= 1
    return best, at


def _char_offsets(line: str) -> Callable[[int], int]:
    """A function from UTF-8 byte offsets (as ``ast`` gives them) to character offsets."""
    if line.isascii():
        return lambda b: b
    data = line.encode("utf-8")
    return lambda b: len(data[:b].decode("utf-8", errors="ignore"))


def _depth(root: ast.AST) -> tuple[int, ast.AST]:
    """How many expressions sit inside each other at most, and on that deepest path, the
    one that goes past ``MAX_DEPTH`` (the root when none does)."""
    best, past = 0, root
    stack: list[tuple[ast.AST, int, ast.AST]] = [(root, 1, root)]
    while stack:
        node, d, mark = stack.pop()
        if d == MAX_DEPTH + 1:
            mark = node
        if d > best:
            best, past = d, mark
        stack.extend((c, d + 1, mark) for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr))
    return best, past


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
            raise ExprError(f"'{target}' is a constant; declare it under inputs instead", _off(tree))
        arg = self._walk(tree, top=True)
        if isinstance(arg, Const):
            raise ExprError(
                f"'{target}' is a constant ({arg.value!r}); declare it under inputs instead", _off(tree)
            )
        if self.nodes[arg].name == target:
            return arg
        # A bare name (`z: y_hat`): keep the assignment visible as its own node.
        return self._make("id", (arg,), tree, top=True)

    def _make(self, op: str, args: tuple[Arg, ...], t: ast.AST, *, top: bool) -> int:
        if len(self.nodes) >= MAX_NODES:
            raise ExprError(f"the model is too large (more than {MAX_NODES} operations)", _off(t))
        if top:
            name, named = self._target, True
        else:
            self._count += 1
            name, named = intermediate_name(self._target, self._count), False
        node = Node(len(self.nodes), name, op, args, named)
        self.nodes.append(node)
        self.offsets[name] = _off(t)
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
                raise ExprError(f"operator '{sym}' is not supported{hint}", _operator(t))
            left = self._walk(t.left)
            right = self._walk(t.right)
            op = rule.name
            if op == "div" and isinstance(right, Const) and right.value == 0:
                raise ExprError(f"division by zero in '{_snippet(t)}'", _operator(t))
            if isinstance(left, Const) and isinstance(right, Const):
                return self._fold(rule, (left, right), t, _operator(t))
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
            raise ExprError(f"'{sym}' is not allowed; only unary minus is", _off(t))
        if isinstance(t, ast.Call):
            return self._call(t, top)
        msg, where = _describe(t)
        raise ExprError(msg, where)

    def _constant(self, t: ast.Constant) -> Const:
        value = t.value
        if not _is_number(value) or not isinstance(value, (int, float)):
            msg, where = _describe(t)
            raise ExprError(msg, where)
        try:
            v = float(value)
        except OverflowError:
            raise ExprError(f"the number '{_snippet(t, 20)}' is too large", _off(t)) from None
        if not math.isfinite(v):
            raise ExprError(f"'{_snippet(t)}' is not a finite number", _off(t))
        self._fits(v, t)
        return Const(v, ast.unparse(t))

    def _fits(self, v: float, t: ast.AST) -> None:
        if abs(v) > self._largest:
            raise ExprError(
                f"'{_snippet(t)}' = {v:g} does not fit in {self._dtype} "
                f"(largest {self._largest:.4g})",
                _off(t),
            )

    def _call(self, t: ast.Call, top: bool) -> Arg:
        if not isinstance(t.func, ast.Name):
            if isinstance(t.func, (ast.Attribute, ast.Subscript, ast.Lambda)):
                msg, where = _describe(t.func)
                raise ExprError(msg, where)
            if isinstance(t.func, (ast.Constant, ast.Call, ast.BinOp, ast.UnaryOp)) and (
                len(t.args) == 1 and not t.keywords
            ):
                # `2(x)`, `(x)(w)`: algebra's juxtaposition, which Python reads as a call.
                factor, arg = _snippet(t.func), _snippet(t.args[0])
                raise ExprError(
                    f"write {factor} * ({arg}) for a product; '(' right after a value is read as a call",
                    _after(t.func, "("),
                )
            raise ExprError(f"only these functions may be called: {_FUNCS}", _off(t))
        fname = t.func.id
        if fname not in FUNCTIONS:
            if fname in self.names or fname in self._later:
                raise ExprError(f"'{fname}' is not a function; write '*' to multiply", _end(t.func))
            raise ExprError(
                f"unknown function '{fname}'{did_you_mean(fname, list(FUNCTIONS))} (allowed: {_FUNCS})",
                _off(t),
            )
        if t.keywords or len(t.args) != 1:
            raise ExprError(f"{fname}() takes exactly one argument", _off(t))
        inner = self._walk(t.args[0])
        if isinstance(inner, Const):
            # sqrt(2) is the number torch gives for it (see ``_fold``), not a node.
            return self._fold(RULES[fname], (inner,), t, _off(t))
        return self._make(fname, (inner,), t, top=top)

    def _name(self, t: ast.Name) -> int:
        name = t.id
        if name in self.names:
            return self.names[name]
        if name == self._target:
            raise ExprError(f"'{name}' refers to itself", _off(t))
        if name in self._later:
            cycle = self._cycle(name)
            if cycle:
                msg = (
                    f"cycle: {' → '.join(cycle)}; each name must be assigned from names above it"
                )
            else:
                msg = f"'{name}' is used before it is assigned; move '{name}' above '{self._target}'"
            raise ExprError(msg, _off(t))
        if name in FUNCTIONS:
            raise ExprError(f"'{name}' is a function; call it as {name}(...)", _off(t))
        known = [n for n in self.names if line_of(n) == n]
        hint = did_you_mean(name, known) or (
            "; declare it under inputs, params or data, or assign it in model above this line"
        )
        raise ExprError(f"unknown name '{name}'{hint}", _off(t))

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
            raise ExprError(f"'{_snippet(t)}' has no finite value", where)
        self._fits(float(v), t)
        return Const(float(v), ast.unparse(t))


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def referenced_names(tree: ast.expr) -> set[str]:
    """Every bare name an expression mentions (functions excluded)."""
    funcs = {id(c.func) for c in ast.walk(tree) if isinstance(c, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in funcs}
