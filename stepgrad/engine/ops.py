"""The op registry: everything about an operation, in one record per op.

Each ``OpRule`` holds an op's forward rule beside its local gradients, and everything
else any part of stepgrad needs to know about it: the formula text, a vector-Jacobian
form, how torch computes it, how sympy writes it, the derivative the closed-form
evaluator's error bound uses, and how a constant argument is folded. The expression
compiler, the symbolic road, the oracle, the explainer and the graph all read
``RULES``; none keeps a list of its own. Adding an op is adding one record here (its
numbers, the forward, local and vjp functions, live in ``engine.rules``; its torch and
sympy forms in ``engine.forms``; its slope in ``engine.slopes``).

Every rule works on NumPy values of the scenario's dtype and uses only ufuncs or
operators, so the same code serves 0-d scalars now and arrays later. Formulas are
templates over the op's arguments (``{0}``, ``{1}``) and its output (``{out}``), so
the same text can be shown with names (``2*s``) or with numbers substituted.

The engine imports neither torch nor sympy: their forms are functions that receive the
module (``torch=lambda t: t.sigmoid``), called only by the oracle and the symbolic road.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from stepgrad.engine import array_rules as ar
from stepgrad.engine import forms as fm
from stepgrad.engine import rules as r
from stepgrad.engine import shapes as sh
from stepgrad.engine import slopes as sl
from stepgrad.engine.forms import pow_formula as pow_formula
from stepgrad.engine.forms import pow_zero_text as pow_zero_text
from stepgrad.engine.rules import pow_scalar as pow_scalar
from stepgrad.engine.shapes import ShapeError as ShapeError

Value = Any  # a NumPy scalar or array of the scenario's dtype

# local(k, args, out, dtype) -> ∂out/∂args[k]
LocalRule = Callable[[int, tuple[Value, ...], Value, Any], Value]
# vjp(k, args, out, upstream) -> upstream · ∂out/∂args[k], as torch's backward forms it
VjpRule = Callable[[int, tuple[Value, ...], Value, Value], Value]
# torch's form: torch module -> the function that computes the op on tensors
TorchForm = Callable[[Any], Callable[..., Any]]
# sympy's form: (sympy module, the custom sympy functions by op name) -> a builder of the expression
SympyForm = Callable[[Any, Mapping[str, Any]], Callable[..., Any]]
# slope(a, out) -> |f'(a)|'s size, for the closed-form evaluator's rounding-error bound
Slope = Callable[[Value, Value], Any]
# A local gradient's text: (k, argument texts, output text) -> text, or None for the template
TextRule = Callable[[int, list[str], str], str | None]
# shape(argument shapes) -> the output's shape; raises ShapeError when they do not fit
Shape = tuple[int, ...]
ShapeRule = Callable[[tuple[Shape, ...]], Shape]



#: ``OpRule.role`` of the arithmetic a model writes with symbols (``+``, ``**``, unary ``-``).
OPERATOR = "operator"
#: ``OpRule.role`` of a function a model calls by name (``sigmoid(z)``).
FUNCTION = "function"
#: ``OpRule.role`` of a function only sympy's derivatives bring in (``sign``, ``cosh``): the
#: closed-form evaluator reads it, a model cannot call it.
DERIVATIVE = "derivative"


@dataclass(frozen=True, slots=True)
class SympyFunction:
    """A custom sympy function for an op sympy does not have (``sigmoid``, ``relu``), kept
    whole so that its derivative reads as the lecture writes it (``σ·(1 − σ)``).

    Attributes:
        fdiff: (sympy, custom functions, the argument, the call itself) -> the derivative.
        sign: ``positive`` or ``nonnegative`` for a real argument, or None.
        doc: the function's docstring (what it is).
    """

    fdiff: Callable[[Any, Mapping[str, Any], Any, Any], Any]
    sign: str | None = None
    doc: str = ""


@dataclass(frozen=True, slots=True)
class OpRule:
    """Everything about one operation.

    Attributes:
        name: the op's name in events, JSON and (for a function) expressions (``mul``).
        symbol: how the graph draws it (``×``).
        arity: number of arguments.
        forward: computes the output from the argument values.
        local: computes ∂out/∂arg_k.
        formulas: one template per argument for the local gradient's text.
        infix: template that writes the whole expression (``{0} × {1}``).
        role: ``OPERATOR``, ``FUNCTION`` (a model may call it) or ``DERIVATIVE``.
        written: how the expression language writes an operator (``*``, ``**``; unary
            minus ``-x``); "" for a function, written by its name.
        vjp: ``upstream · ∂out/∂arg_k`` as torch's backward forms it, ready for arrays:
            where torch puts an exact 0 (relu where the output is ≤ 0, pow's masks,
            ``w ** 0``) it is +0.0 whatever the upstream's sign, where ``upstream × 0``
            would give -0.0. None: ``upstream * local``.
        text: the local gradient's text where the template does not say it (pow's zeros),
            else None.
        torch: how torch computes it (receives the torch module).
        sympy: how sympy writes it (receives sympy and the custom functions by op name).
        sympy_function: for an op sympy has no function for, the custom function to make.
        sympy_names: the sympy function names read back as this op in a derivative.
        slope: the derivative's value for the closed-form evaluator's error bound (unary).
        fold: the value of the op on constants (Python floats, in double; None: the
            forward rule in float64). The engine rounds it to the dtype once, as torch
            rounds a Python number it meets.
        shape: the output's shape from the arguments' shapes (``()`` for a scalar); raises
            ``ShapeError`` with the lecture's words when they do not fit. None: elementwise,
            NumPy's (and torch's) broadcasting.
        keywords: the keyword arguments a model may write (``axis``, ``reduction``), each
            with the values it may take; a node that writes some gets ``specialize(attrs)``.
        specialize: attrs -> this op's rule for them (the axis closed over, as pow's
            exponent is); None for an op without keywords.
        arrays_only: True for an op that only makes sense on arrays (``@``, ``softmax``,
            the losses): its vjp is its backward, and its local value is what the vjp
            multiplies by, never a full Jacobian.
        local_is_vjp_at_one: the local value is ``vjp(k, args, out, 1)`` (the losses): at
            the loss, whose upstream is that 1, the chain's product is the local itself,
            not computed a second time.
    """

    name: str
    symbol: str
    arity: int
    forward: Callable[..., Value]
    local: LocalRule
    formulas: tuple[str, ...]
    infix: str
    role: str = OPERATOR
    written: str = ""
    vjp: VjpRule | None = None
    text: TextRule | None = None
    torch: TorchForm | None = None
    sympy: SympyForm | None = None
    sympy_function: SympyFunction | None = None
    sympy_names: tuple[str, ...] = ()
    slope: Slope | None = None
    fold: Callable[..., float] | None = None
    shape: ShapeRule | None = None
    keywords: Mapping[str, tuple[int | str, ...]] | None = None
    specialize: Callable[[tuple[tuple[str, int | str], ...]], OpRule] | None = None
    arrays_only: bool = False
    local_is_vjp_at_one: bool = False

    def local_text(self, k: int, texts: list[str], out: str) -> str:
        """The text of ∂out/∂arg_k with ``texts`` for the arguments and ``out`` for the output."""
        if self.text is not None:
            said = self.text(k, texts, out)
            if said is not None:
                return said
        return self.formulas[k].format(*texts, out=out)

    def backward(self, k: int, args: tuple[Value, ...], out: Value, upstream: Value) -> Value:
        """``upstream · ∂out/∂arg_k`` as torch's backward computes it (see ``vjp``)."""
        if self.vjp is not None:
            return self.vjp(k, args, out, upstream)
        return upstream * self.local(k, args, out, r.dtype_of(upstream))

    def value_of_constants(self, *args: float) -> float:
        """The op applied to constants, in double (the engine rounds it to the dtype).

        Raises:
            ArithmeticError, ValueError: no value (a division by zero, an overflow).
        """
        if self.fold is not None:
            return float(self.fold(*args))
        return r.in_double(self.forward, args)


def _pow_scalar_rule(c: float) -> OpRule:
    """``pow`` for a node whose exponent is the constant ``c``: torch's pow(tensor, number)
    forward, and its pow_backward: 0 when ``c`` is 0, else ``c * base ** (c - 1)``, the power
    again as torch takes it."""

    def forward(a: Value, b: Value) -> Value:
        return r.pow_scalar(a, c, a.dtype.type)

    def local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
        if c == 0:
            return r.zero_like(dt, a[0])
        return dt(c) * r.pow_scalar(a[0], c - 1, dt)

    def vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
        # torch's pow_backward: zeros_like(grad) for the exponent 0, never grad × 0.
        dt = r.dtype_of(up)
        return r.zero_like(dt, up) if c == 0 else up * local(k, a, out, dt)

    def text(k: int, texts: list[str], out: str) -> str:
        return fm.pow_formula(texts[1], texts[0])

    if c == 2:
        # d(s**2)/ds = 2*s, the product torch's pow backward forms (s + s: the same bits, exactly).
        def local2(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
            return a[0] + a[0]

        return _replace(RULES["pow"], forward=r.square, local=local2, vjp=None, text=text)
    return _replace(RULES["pow"], forward=forward, local=local, vjp=vjp, text=text)


def _rdiv_rule() -> OpRule:
    """``div`` for a constant over a node: Python's ``c / w`` on a tensor is torch's
    ``w.reciprocal() * c``, and its gradient flows back through MulBackward0 then
    ReciprocalBackward0: ``-(grad * c) * (r * r)`` with ``r = 1 / w``. A true division
    differs from it in the last bit for most ``w``."""

    def forward(a: Value, b: Value) -> Value:
        return (b.dtype.type(1) / b) * a

    def local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
        if k == 0:
            return r.div_local(k, a, out, dt)
        rec = dt(1) / a[1]
        return -a[0] * (rec * rec)

    def vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
        if k == 0:
            return r.div_vjp(k, a, out, up)
        rec = a[1].dtype.type(1) / a[1]
        return -(up * a[0]) * (rec * rec)

    return _replace(RULES["div"], forward=forward, local=local, vjp=vjp)


def _replace(rule: OpRule, **changes: Any) -> OpRule:
    import dataclasses

    return dataclasses.replace(rule, **changes)


_POW_SCALAR: dict[float, OpRule] = {}


_SPECIALIZED: dict[tuple[str, tuple[tuple[str, int | str], ...]], OpRule] = {}


def specialized_rule(op: str, attrs: tuple[tuple[str, int | str], ...]) -> OpRule:
    """The rule of ``op`` for a node that writes keyword arguments ``attrs`` (made once per pair)."""
    key = (op, attrs)
    rule = _SPECIALIZED.get(key)
    if rule is None:
        base = RULES[op]
        if base.specialize is None:
            raise ValueError(f"{op} takes no keyword arguments")
        rule = _SPECIALIZED.setdefault(key, base.specialize(attrs))
    return rule


def rdiv_rule() -> OpRule:
    """The rule of a division of a constant by a node (made once)."""
    global _RDIV
    if _RDIV is None:
        _RDIV = _rdiv_rule()
    return _RDIV


_RDIV: OpRule | None = None


def pow_scalar_rule(c: float) -> OpRule:
    """The rule of a power whose exponent is the constant ``c`` (one per constant)."""
    rule = _POW_SCALAR.get(c)
    if rule is None:
        rule = _POW_SCALAR.setdefault(c, _pow_scalar_rule(c))
    return rule


# Short names for the table: how torch and sympy write an op, by name.
_torch, _sympy, _custom, _operator = fm.torch_function, fm.sympy_own, fm.sympy_custom, fm.operator_form
_R = OpRule
_RULES = (
    _R("add", "+", 2, operator.add, r.add_local, ("1", "1"), "{0} + {1}", written="+",
       torch=_operator(operator.add), sympy=_operator(operator.add), fold=operator.add),
    _R("sub", "−", 2, operator.sub, r.sub_local, ("1", "-1"), "{0} − {1}", written="-",
       torch=_operator(operator.sub), sympy=_operator(operator.sub), fold=operator.sub),
    _R("mul", "×", 2, operator.mul, r.mul_local, ("{1}", "{0}"), "{0} × {1}", written="*",
       torch=_operator(operator.mul), sympy=_operator(operator.mul), fold=operator.mul),
    _R("div", "÷", 2, operator.truediv, r.div_local, ("1/{1}", "-{0}/{1}**2"), "{0} ÷ {1}", written="/",
       vjp=r.div_vjp, torch=_operator(operator.truediv), sympy=_operator(operator.truediv),
       fold=operator.truediv),
    _R("pow", "^", 2, r.pow_forward, r.pow_local, ("{1}*{0}**({1}-1)", "log({0})*{out}"), "{0}^{1}",
       written="**", vjp=r.pow_vjp, text=fm.pow_text, torch=_operator(operator.pow),
       sympy=_operator(operator.pow), fold=fm.fold_pow),
    _R("neg", "−x", 1, operator.neg, r.neg_local, ("-1",), "−{0}", written="-x",
       torch=_operator(operator.neg), sympy=_operator(operator.neg), fold=operator.neg),
    _R("exp", "exp", 1, r.exp_forward, r.exp_local, ("{out}",), "exp({0})", role=FUNCTION,
       torch=_torch("exp"), sympy=_sympy("exp"), sympy_names=("exp",), slope=sl.exp_slope),
    _R("log", "log", 1, r.log_forward, r.log_local, ("1/{0}",), "log({0})", role=FUNCTION,
       vjp=r.log_vjp, torch=_torch("log"), sympy=_sympy("log"), sympy_names=("log",),
       slope=sl.log_slope),
    _R("sqrt", "√", 1, r.sqrt_forward, r.sqrt_local, ("1/(2*{out})",), "sqrt({0})", role=FUNCTION,
       vjp=r.sqrt_vjp, torch=_torch("sqrt"), sympy=_sympy("sqrt"), slope=sl.sqrt_slope),
    _R("sigmoid", "σ", 1, r.sigmoid_forward, r.sigmoid_local, ("{out}*(1-{out})",), "sigmoid({0})",
       role=FUNCTION, vjp=r.sigmoid_vjp, torch=_torch("sigmoid"), sympy=_custom("sigmoid"),
       sympy_function=SympyFunction(
           fm.sigmoid_fdiff, "positive", "σ(x) = 1 / (1 + exp(-x)), kept whole so that σ' reads σ·(1 − σ)."
       ),
       sympy_names=("sigmoid",), slope=sl.sigmoid_slope),
    _R("tanh", "tanh", 1, r.tanh_forward, r.tanh_local, ("1-{out}**2",), "tanh({0})", role=FUNCTION,
       torch=_torch("tanh"), sympy=_sympy("tanh"), sympy_names=("tanh",), slope=sl.tanh_slope),
    _R("relu", "relu", 1, r.relu_forward, r.relu_local, ("({0} > 0)",), "relu({0})", role=FUNCTION,
       vjp=r.relu_vjp, torch=_torch("relu"), sympy=_custom("relu"),
       sympy_function=SympyFunction(
           fm.relu_fdiff, "nonnegative", "max(0, x); its derivative is 0 at 0, as in the engine and torch."
       ),
       sympy_names=("relu",), slope=sl.relu_slope),
    _R("sin", "sin", 1, r.sin_forward, r.sin_local, ("cos({0})",), "sin({0})", role=FUNCTION,
       torch=_torch("sin"), sympy=_sympy("sin"), sympy_names=("sin",), slope=sl.sin_slope),
    _R("cos", "cos", 1, r.cos_forward, r.cos_local, ("-sin({0})",), "cos({0})", role=FUNCTION,
       torch=_torch("cos"), sympy=_sympy("cos"), sympy_names=("cos",), slope=sl.cos_slope),
    _R("abs", "abs", 1, r.abs_forward, r.abs_local, ("sign({0})",), "abs({0})", role=FUNCTION,
       torch=_torch("abs"), sympy=_sympy("Abs"), sympy_names=("Abs",), slope=sl.unit_slope),
    _R("id", "=", 1, fm.identity, r.id_local, ("1",), "{0}",
       torch=lambda t: fm.torch_clone, sympy=lambda sp, f: fm.identity, fold=fm.identity),
    # Added to the registry alone: every other part of stepgrad learns them from here.
    _R("softplus", "softplus", 1, r.softplus_forward, r.softplus_local, ("sigmoid({0})",), "softplus({0})",
       role=FUNCTION, vjp=r.softplus_vjp, torch=lambda t: t.nn.functional.softplus,
       sympy=_custom("softplus"),
       sympy_function=SympyFunction(
           fm.softplus_fdiff, "positive", "log(1 + exp(x)); its derivative is sigmoid(x)."
       ),
       sympy_names=("softplus",), slope=sl.unit_slope),
    _R("log1p", "log1p", 1, r.log1p_forward, r.log1p_local, ("1/(1+{0})",), "log1p({0})", role=FUNCTION,
       vjp=r.log1p_vjp, torch=_torch("log1p"), sympy=_custom("log1p"),
       sympy_function=SympyFunction(fm.log1p_fdiff, None, "log(1 + x), exact for small x."),
       sympy_names=("log1p",), slope=sl.log1p_slope),
    # Brought in by sympy's derivatives only (d|x|/dx = sign(x), ...): the closed-form
    # evaluator reads them; a model cannot call them.
    _R("sign", "sign", 1, r.sign_forward, r.zero_local, ("0",), "sign({0})", role=DERIVATIVE,
       torch=_torch("sign"), sympy=_sympy("sign"), sympy_names=("sign",), slope=sl.zero_slope),
    _R("tan", "tan", 1, r.tan_forward, r.tan_local, ("1+{out}**2",), "tan({0})", role=DERIVATIVE,
       torch=_torch("tan"), sympy=_sympy("tan"), sympy_names=("tan",), slope=sl.tan_slope),
    _R("sinh", "sinh", 1, r.sinh_forward, r.sinh_local, ("cosh({0})",), "sinh({0})", role=DERIVATIVE,
       torch=_torch("sinh"), sympy=_sympy("sinh"), sympy_names=("sinh",), slope=sl.sinh_slope),
    _R("cosh", "cosh", 1, r.cosh_forward, r.cosh_local, ("sinh({0})",), "cosh({0})", role=DERIVATIVE,
       torch=_torch("cosh"), sympy=_sympy("cosh"), sympy_names=("cosh",), slope=sl.cosh_slope),
)  # fmt: skip



# ----- the array ops (lectures 5 to 9): their numbers in ``engine.array_rules`` ------------

#: The axes ``sum``, ``mean``, ``softmax`` and ``log_softmax`` may be given (an axis the
#: argument does not have is refused by the shape rule, which says which it has).
_AXES: tuple[int | str, ...] = (0, 1, 2, 3, -1, -2, -3, -4)
_REDUCTIONS: tuple[int | str, ...] = ("mean", "sum")
Attrs = tuple[tuple[str, int | str], ...]


def _axis(attrs: Attrs, default: int | None) -> int | None:
    value = dict(attrs).get("axis", default)
    return None if value is None else int(value)


def _reduce_rule(name: str, axis: int | None) -> OpRule:
    """``sum``/``mean`` over every element (``axis`` None) or over ``axis``."""
    mean = name == "mean"
    forward, local, vjp = ar.reduce_rules(axis, mean)
    keyword = "" if axis is None else f", axis={axis}"
    formula = "1" if not mean else "1/n" if axis is None else f"1/n (n: the length of axis {axis})"
    return OpRule(
        name, "mean" if mean else "Σ", 1, forward, local, (formula,), f"{name}({{0}}{keyword})",
        role=FUNCTION, vjp=vjp, torch=fm.torch_reduce(name, axis), shape=sh.reduce_shape(axis),
        keywords={"axis": _AXES}, specialize=lambda attrs: _reduce_rule(name, _axis(attrs, None)),
        arrays_only=True,
    )


def _softmax_rule(name: str, axis: int) -> OpRule:
    """``softmax``/``log_softmax`` over ``axis`` (the last by default, as in the lecture)."""
    log = name == "log_softmax"
    forward, local, vjp = ar.softmax_rules(axis, log)
    keyword = "" if axis == -1 else f", axis={axis}"
    formula = "upstream − exp({out})·Σ upstream" if log else "{out}·(upstream − Σ upstream·{out})"
    return OpRule(
        name, name, 1, forward, local, (formula,), f"{name}({{0}}{keyword})", role=FUNCTION, vjp=vjp,
        torch=fm.torch_softmax(name, axis), shape=sh.softmax_shape(axis), keywords={"axis": _AXES},
        specialize=lambda attrs: _softmax_rule(name, int(dict(attrs).get("axis", -1))),
        arrays_only=True,
    )


# Each loss: its symbol, torch's function, its rules, and the local gradients' texts (the
# gradient at upstream 1, with /n for the mean reduction).
_LOSSES: dict[str, tuple[str, str, Any, tuple[str, str], Any]] = {
    "mse": ("MSE", "mse_loss", ar.mse_rules, ("2*({0}-{1})", "-2*({0}-{1})"), sh.pair_loss_shape),
    "bce": ("BCE", "binary_cross_entropy", ar.bce_rules, ("({0}-{1})/({0}*(1-{0}))", "-log({0}/(1-{0}))"),
            sh.pair_loss_shape),
    "cross_entropy": ("CE", "cross_entropy", ar.cross_entropy_rules, ("softmax({0})-onehot({1})", "0"),
                      sh.cross_entropy_shape),
}  # fmt: skip


def _loss_rule(name: str, reduction: str) -> OpRule:
    """A loss with torch's ``reduction`` (``mean``, the default, or ``sum``)."""
    symbol, torch_name, rules, written, shape = _LOSSES[name]
    mean = reduction == "mean"
    forward, local, vjp = rules(mean)
    texts: tuple[str, ...] = written
    if mean:  # divided by the count: n elements, or N samples for the classifier's loss
        per = "({})/N" if name == "cross_entropy" else "{}/n"
        texts = tuple(t if t == "0" else per.format(t) for t in written)
    keyword = "" if mean else f', reduction="{reduction}"'
    return OpRule(
        name, symbol, 2, forward, local, texts, f"{name}({{0}}, {{1}}{keyword})", role=FUNCTION, vjp=vjp,
        torch=fm.torch_loss(torch_name, reduction), shape=shape, keywords={"reduction": _REDUCTIONS},
        specialize=lambda attrs: _loss_rule(name, str(dict(attrs).get("reduction", "mean"))),
        arrays_only=True, local_is_vjp_at_one=True,
    )


_ARRAY_RULES = (
    OpRule("matmul", "@", 2, ar.matmul_forward, ar.matmul_local, ("upstream · {1}ᵀ", "{0}ᵀ · upstream"),
           "{0} @ {1}", written="@", vjp=ar.matmul_vjp, torch=fm.operator_form(operator.matmul),
           shape=sh.matmul_shape, arrays_only=True),
    # `x.T` (or `transpose(x)`): its written form is the attribute, never an operator's.
    OpRule("transpose", "ᵀ", 1, ar.transpose_forward, ar.transpose_local, ("upstreamᵀ",), "{0}ᵀ",
           role=FUNCTION, written=".T", vjp=ar.transpose_vjp, torch=fm.torch_transpose,
           shape=sh.transpose_shape, arrays_only=True),
    _reduce_rule("sum", None),
    _reduce_rule("mean", None),
    _softmax_rule("softmax", -1),
    _softmax_rule("log_softmax", -1),
    *(_loss_rule(name, "mean") for name in _LOSSES),
)  # fmt: skip
_ALL: tuple[OpRule, ...] = (*_RULES, *_ARRAY_RULES)

RULES: dict[str, OpRule] = {rule.name: rule for rule in _ALL}

#: The functions a model may call, by the name it writes.
FUNCTIONS: tuple[str, ...] = tuple(r.name for r in _ALL if r.role == FUNCTION)

#: The binary operators by how the expression language writes them (``**`` -> pow).
OPERATORS: dict[str, OpRule] = {r.written: r for r in _ALL if r.written and r.arity == 2}

#: The functions of a number (the roads' formulas, a hand derivation may call them): every
#: function of one argument that is not for arrays only.
SCALAR_FUNCTIONS: tuple[str, ...] = tuple(
    r.name for r in _ALL if r.role == FUNCTION and r.arity == 1 and not r.arrays_only
)

#: Every op the closed-form evaluator may call by name: the model's functions and the
#: functions sympy's derivatives bring in.
CALLABLE: tuple[str, ...] = tuple(r.name for r in _ALL if r.role != OPERATOR and not r.arrays_only)
