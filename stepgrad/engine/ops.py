"""The op registry: everything about an operation, in one record per op.

Each ``OpRule`` holds an op's forward rule beside its local gradients, and everything
else any part of stepgrad needs to know about it: the formula text, a vector-Jacobian
form, how torch computes it, how sympy writes it, the derivative the closed-form
evaluator's error bound uses, and how a constant argument is folded. The expression
compiler, the symbolic road, the oracle, the explainer and the graph all read
``RULES``; none keeps a list of its own. Adding an op is adding one record here.

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

from stepgrad.lazy import LazyModule

# NumPy is imported by the first rule that runs: loading a scenario and laying out its
# graph need only the table's names and formulas.
np: Any = LazyModule("numpy", globals(), "np")

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
        return upstream * self.local(k, args, out, _dtype_of(upstream))

    def value_of_constants(self, *args: float) -> float:
        """The op applied to constants, in double (the engine rounds it to the dtype).

        Raises:
            ArithmeticError, ValueError: no value (a division by zero, an overflow).
        """
        if self.fold is not None:
            return float(self.fold(*args))
        with np.errstate(all="ignore"):
            return float(self.forward(*(np.float64(a) for a in args)))


def _dtype_of(v: Value) -> Any:
    return v.dtype.type if hasattr(v, "dtype") else type(v)


def _one(dt: Any, like: Value) -> Value:
    if isinstance(like, np.ndarray):
        return np.ones_like(like, dtype=dt)
    return dt(1)


def _zero_like(dt: Any, like: Value) -> Value:
    if isinstance(like, np.ndarray):
        return np.zeros_like(like, dtype=dt)
    return dt(0)


# ----- arithmetic -----------------------------------------------------------------------


def _add_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return _one(dt, out)


def _sub_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return _one(dt, out) if k == 0 else -_one(dt, out)


def _mul_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return a[1] if k == 0 else a[0]


def _div_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    if k == 0:
        return _one(dt, out) / a[1]
    return -a[0] / (a[1] * a[1])


def _div_vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
    # torch: grad / other, and -grad * ((self / other) / other).
    if k == 0:
        return up / a[1]
    return -up * ((a[0] / a[1]) / a[1])


def _is_two(b: Value) -> bool:
    return bool(np.ndim(b) == 0 and b == 2)


def _pow(a: Value, b: Value) -> Value:
    # x**2 as x*x: the correctly rounded square, as torch computes pow(x, 2).
    return a * a if _is_two(b) else np.power(a, b)


def _square(a: Value, b: Value) -> Value:
    # `s ** 2`, by far the commonest power, squared directly: no test of the exponent.
    return a * a


def _pow_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    # torch's rules (pow_backward_self, pow_backward_exponent) put an exact 0 where the
    # calculus formula would multiply by an infinity: ∂/∂base is 0 wherever the exponent
    # is 0 (0 * 0**-1 would be NaN), and ∂/∂exponent is 0 where the base is 0 and the
    # exponent is not negative (log(0) * 0**k would be NaN).
    base, exp = a
    if np.ndim(base) == 0 and np.ndim(exp) == 0:
        if k == 0:
            if exp == 0:
                return dt(0)
            if _is_two(exp):
                return exp * base
            return exp * np.power(base, exp - dt(1))
        if base == 0 and exp >= 0:
            return dt(0)
        return np.log(base) * out
    # Arrays: the masked elements' infinities are computed and then replaced.
    value, mask = _pow_masked(k, a, out, dt)
    return np.where(mask, dt(0), value).astype(dt)


def _pow_masked(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> tuple[Value, Value]:
    base, exp = np.asarray(a[0]), np.asarray(a[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        if k == 0:
            return exp * np.power(base, exp - dt(1)), exp == 0
        return np.log(base) * out, (base == 0) & (exp >= 0)


def _pow_vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
    # torch's pow_backward_self: where(exponent == 0, 0, grad * local), so +0.0 there
    # whatever grad's sign; pow_backward_exponent multiplies grad by the masked local
    # (grad * where(base == 0 & exponent >= 0, 0, ...)), so -0.0 for a negative grad.
    dt = _dtype_of(up)
    local = _pow_local(k, a, out, dt)
    if k == 1:
        return up * local
    if np.ndim(a[1]) == 0 and np.ndim(up) == 0:
        return dt(0) if a[1] == 0 else up * local
    return np.where(np.asarray(a[1]) == 0, dt(0), up * local).astype(dt)


def _pow_zero_text(k: int, texts: list[str], out: str) -> str | None:
    return pow_zero_text(k, texts)


def pow_scalar(a: Value, c: float, dt: Any) -> Value:
    """``a ** c`` for a constant ``c``, as torch computes a tensor to a Python number's power.

    torch (pow_tensor_scalar) multiplies for 2, 3 and -2, divides for -1, takes sqrt for
    0.5 and 1/sqrt for -0.5, and otherwise calls pow with the constant as written, in double precision
    for a float32 tensor, rounding once. NumPy's float32 pow would round the exponent to
    float32 first (1.7 becomes 1.70000005) and gives another number in most cases.
    """
    one = _one(dt, a)
    if c == 0:
        return one
    if c == 1:
        return a
    if c == 2:
        return a * a
    if c == 3:
        return a * a * a
    if c == -1:
        return one / a
    if c == -2:
        return one / (a * a)
    if c == 0.5:
        return np.sqrt(a)  # torch's sqrt: -0.0 at -0.0 and NaN at -inf, where pow gives +0.0, +inf
    if c == -0.5:
        return one / np.sqrt(a)  # rsqrt: -inf at -0.0, where pow gives +inf
    if np.dtype(dt) == np.float32:
        return np.power(np.float64(a) if np.ndim(a) == 0 else a.astype(np.float64), c).astype(dt)
    return np.power(a, dt(c))


def _pow_scalar_rule(c: float) -> OpRule:
    """``pow`` for a node whose exponent is the constant ``c``: torch's pow(tensor, number)
    forward, and its pow_backward: 0 when ``c`` is 0, else ``c * base ** (c - 1)``, the power
    again as torch takes it."""

    def forward(a: Value, b: Value) -> Value:
        return pow_scalar(a, c, a.dtype.type)

    def local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
        if c == 0:
            return _zero_like(dt, a[0])
        return dt(c) * pow_scalar(a[0], c - 1, dt)

    def vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
        # torch's pow_backward: zeros_like(grad) for the exponent 0, never grad × 0.
        dt = _dtype_of(up)
        return _zero_like(dt, up) if c == 0 else up * local(k, a, out, dt)

    def text(k: int, texts: list[str], out: str) -> str:
        return pow_formula(texts[1], texts[0])

    if c == 2:
        # d(s**2)/ds = 2*s, the product torch's pow backward forms (s + s: the same bits, exactly).
        def local2(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
            return a[0] + a[0]

        return _replace(RULES["pow"], forward=_square, local=local2, vjp=None, text=text)
    return _replace(RULES["pow"], forward=forward, local=local, vjp=vjp, text=text)


def _replace(rule: OpRule, **changes: Any) -> OpRule:
    import dataclasses

    return dataclasses.replace(rule, **changes)


_POW_SCALAR: dict[float, OpRule] = {}


def pow_scalar_rule(c: float) -> OpRule:
    """The rule of a power whose exponent is the constant ``c`` (one per constant)."""
    rule = _POW_SCALAR.get(c)
    if rule is None:
        rule = _POW_SCALAR.setdefault(c, _pow_scalar_rule(c))
    return rule


def _neg_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return -_one(dt, out)


def _id_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return _one(dt, out)


# ----- functions ------------------------------------------------------------------------


def _exp(a: Value) -> Value:
    return np.exp(a)


def _exp_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return out


def _log(a: Value) -> Value:
    return np.log(a)


def _log_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return _one(dt, out) / a[0]


def _log_vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
    # torch: grad / self.
    return up / a[0]


def _sqrt(a: Value) -> Value:
    return np.sqrt(a)


def _sqrt_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return _one(dt, out) / (dt(2) * out)


def _sqrt_vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
    # torch: grad / (2 * result).
    return up / (_dtype_of(up)(2) * out)


def _sigmoid(a: Value) -> Value:
    one = _one(a.dtype.type, a)
    return one / (one + np.exp(-a))


def _sigmoid_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return out * (_one(dt, out) - out)


def _sigmoid_vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
    # torch's sigmoid_backward: grad * (1 - y) * y.
    return up * (_one(_dtype_of(up), out) - out) * out


def _tanh(a: Value) -> Value:
    return np.tanh(a)


def _tanh_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return _one(dt, out) - out * out


def _relu(a: Value) -> Value:
    # As torch: 0 only where a < 0, so relu(-0.0) is -0.0 and relu(NaN) is NaN
    # (np.maximum(-0.0, 0.0) would give 0.0).
    if isinstance(a, np.ndarray):
        return np.where(a < 0, np.zeros_like(a), a)
    return a.dtype.type(0) if a < 0 else a


def _relu_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    # torch's threshold_backward: 0 where the output is ≤ 0, else 1 (also at NaN).
    if isinstance(out, np.ndarray):
        return np.where(out <= 0, dt(0), dt(1)).astype(dt)
    return dt(0) if out <= 0 else dt(1)


def _relu_vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
    # threshold_backward: where(out <= 0, 0, grad), so +0.0 even for a negative upstream.
    dt = _dtype_of(up)
    if isinstance(out, np.ndarray) or isinstance(up, np.ndarray):
        return np.where(out <= 0, dt(0), up).astype(dt)
    return dt(0) if out <= 0 else up


def _sin(a: Value) -> Value:
    return np.sin(a)


def _sin_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return np.cos(a[0])


def _cos(a: Value) -> Value:
    return np.cos(a)


def _cos_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return -np.sin(a[0])


def _abs(a: Value) -> Value:
    return np.abs(a)


def _abs_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    # torch's sgn: (0 < a) - (a < 0), so 0 at ±0 and at NaN (np.sign(NaN) is NaN).
    x = a[0]
    if isinstance(x, np.ndarray):
        return (x > 0).astype(dt) - (x < 0).astype(dt)
    return dt(x > 0) - dt(x < 0)


#: torch.nn.functional.softplus's defaults: beta 1, and above the threshold the input itself.
SOFTPLUS_THRESHOLD = 20


def _softplus(a: Value) -> Value:
    # torch: x * beta > threshold ? x : log1p(exp(x * beta)) / beta, with beta = 1.
    if isinstance(a, np.ndarray):
        with np.errstate(over="ignore"):
            return np.where(a > SOFTPLUS_THRESHOLD, a, np.log1p(np.exp(a))).astype(a.dtype)
    return a if a > SOFTPLUS_THRESHOLD else np.log1p(np.exp(a))


def _softplus_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    # torch's softplus_backward: z = exp(x); x > threshold ? 1 : z / (z + 1), i.e. sigmoid(x).
    x = a[0]
    if isinstance(x, np.ndarray):
        with np.errstate(over="ignore", invalid="ignore"):
            z = np.exp(x)
            return np.where(x > SOFTPLUS_THRESHOLD, dt(1), z / (z + dt(1))).astype(dt)
    if x > SOFTPLUS_THRESHOLD:
        return dt(1)
    z = np.exp(x)
    return z / (z + dt(1))


def _softplus_vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
    # torch forms grad * z / (z + 1), the product first: another last bit than grad * (z/(z+1)).
    x = a[0]
    dt = _dtype_of(up)
    if isinstance(x, np.ndarray) or isinstance(up, np.ndarray):
        with np.errstate(over="ignore", invalid="ignore"):
            z = np.exp(x)
            return np.where(x > SOFTPLUS_THRESHOLD, up, up * z / (z + dt(1))).astype(dt)
    if x > SOFTPLUS_THRESHOLD:
        return up
    z = np.exp(x)
    return up * z / (z + dt(1))


def _log1p(a: Value) -> Value:
    return np.log1p(a)


def _log1p_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return _one(dt, out) / (a[0] + _one(dt, out))


def _log1p_vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
    # torch's log1p_backward: grad / (self + 1).
    return up / (a[0] + _one(_dtype_of(up), up))


def _sign(a: Value) -> Value:
    return np.sign(a)


def _zero_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return _zero_like(dt, out)


def _tan(a: Value) -> Value:
    return np.tan(a)


def _tan_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return _one(dt, out) + out * out


def _sinh(a: Value) -> Value:
    return np.sinh(a)


def _sinh_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return np.cosh(a[0])


def _cosh(a: Value) -> Value:
    return np.cosh(a)


def _cosh_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return np.sinh(a[0])


# ----- sympy's custom functions ---------------------------------------------------------


def _sigmoid_fdiff(sp: Any, f: Mapping[str, Any], x: Any, this: Any) -> Any:
    return this * (1 - this)


def _relu_fdiff(sp: Any, f: Mapping[str, Any], x: Any, this: Any) -> Any:
    return sp.Heaviside(x, 0)


def _softplus_fdiff(sp: Any, f: Mapping[str, Any], x: Any, this: Any) -> Any:
    return f["sigmoid"](x)


def _log1p_fdiff(sp: Any, f: Mapping[str, Any], x: Any, this: Any) -> Any:
    return 1 / (1 + x)


def _fn(name: str) -> SympyForm:
    """sympy's own function ``name`` (``exp``, ``Abs``)."""
    return lambda sp, f: getattr(sp, name)


def _custom(name: str) -> SympyForm:
    """The custom sympy function made for op ``name`` (see ``SympyFunction``)."""
    return lambda sp, f: f[name]


def _torch(name: str) -> TorchForm:
    return lambda t: getattr(t, name)


def _op(fn: Callable[..., Any]) -> Any:
    """A Python operator, for torch and sympy alike: a constant on either side stays a
    Python number, as in the lecture's code."""
    return lambda module, *_: fn


def _identity(a: Any) -> Any:
    return a


def _clone(a: Any) -> Any:
    # A distinct tensor, so that `z: y_hat` gets its own .grad like the engine's node.
    return a.clone()


def _fold_pow(a: float, b: float) -> float:
    return a**b


_R = OpRule
_RULES = (
    _R("add", "+", 2, operator.add, _add_local, ("1", "1"), "{0} + {1}",
       written="+", torch=_op(operator.add), sympy=_op(operator.add), fold=operator.add),
    _R("sub", "−", 2, operator.sub, _sub_local, ("1", "-1"), "{0} − {1}",
       written="-", torch=_op(operator.sub), sympy=_op(operator.sub), fold=operator.sub),
    _R("mul", "×", 2, operator.mul, _mul_local, ("{1}", "{0}"), "{0} × {1}",
       written="*", torch=_op(operator.mul), sympy=_op(operator.mul), fold=operator.mul),
    _R("div", "÷", 2, operator.truediv, _div_local, ("1/{1}", "-{0}/{1}**2"), "{0} ÷ {1}",
       written="/", vjp=_div_vjp, torch=_op(operator.truediv), sympy=_op(operator.truediv),
       fold=operator.truediv),
    _R("pow", "^", 2, _pow, _pow_local, ("{1}*{0}**({1}-1)", "log({0})*{out}"), "{0}^{1}",
       written="**", vjp=_pow_vjp, text=_pow_zero_text, torch=_op(operator.pow), sympy=_op(operator.pow),
       fold=_fold_pow),
    _R("neg", "−x", 1, operator.neg, _neg_local, ("-1",), "−{0}",
       written="-x", torch=_op(operator.neg), sympy=_op(operator.neg), fold=operator.neg),
    _R("exp", "exp", 1, _exp, _exp_local, ("{out}",), "exp({0})", role=FUNCTION,
       torch=_torch("exp"), sympy=_fn("exp"), sympy_names=("exp",), slope=lambda a, v: v),
    _R("log", "log", 1, _log, _log_local, ("1/{0}",), "log({0})", role=FUNCTION, vjp=_log_vjp,
       torch=_torch("log"), sympy=_fn("log"), sympy_names=("log",), slope=lambda a, v: 1.0 / a),
    _R("sqrt", "√", 1, _sqrt, _sqrt_local, ("1/(2*{out})",), "sqrt({0})", role=FUNCTION, vjp=_sqrt_vjp,
       torch=_torch("sqrt"), sympy=_fn("sqrt"), slope=lambda a, v: 0.5 / v),
    _R("sigmoid", "σ", 1, _sigmoid, _sigmoid_local, ("{out}*(1-{out})",), "sigmoid({0})",
       role=FUNCTION, vjp=_sigmoid_vjp, torch=_torch("sigmoid"), sympy=_custom("sigmoid"),
       sympy_function=SympyFunction(
           _sigmoid_fdiff, "positive", "σ(x) = 1 / (1 + exp(-x)), kept whole so that σ' reads σ·(1 − σ)."
       ),
       sympy_names=("sigmoid",), slope=lambda a, v: v * (1 - v)),
    _R("tanh", "tanh", 1, _tanh, _tanh_local, ("1-{out}**2",), "tanh({0})", role=FUNCTION,
       torch=_torch("tanh"), sympy=_fn("tanh"), sympy_names=("tanh",), slope=lambda a, v: 1 - v * v),
    _R("relu", "relu", 1, _relu, _relu_local, ("({0} > 0)",), "relu({0})", role=FUNCTION,
       vjp=_relu_vjp, torch=_torch("relu"), sympy=_custom("relu"),
       sympy_function=SympyFunction(
           _relu_fdiff, "nonnegative", "max(0, x); its derivative is 0 at 0, as in the engine and torch."
       ),
       sympy_names=("relu",), slope=lambda a, v: float(a > 0)),
    _R("sin", "sin", 1, _sin, _sin_local, ("cos({0})",), "sin({0})", role=FUNCTION,
       torch=_torch("sin"), sympy=_fn("sin"), sympy_names=("sin",), slope=lambda a, v: np.cos(a)),
    _R("cos", "cos", 1, _cos, _cos_local, ("-sin({0})",), "cos({0})", role=FUNCTION,
       torch=_torch("cos"), sympy=_fn("cos"), sympy_names=("cos",), slope=lambda a, v: -np.sin(a)),
    _R("abs", "abs", 1, _abs, _abs_local, ("sign({0})",), "abs({0})", role=FUNCTION,
       torch=_torch("abs"), sympy=_fn("Abs"), sympy_names=("Abs",), slope=lambda a, v: 1.0),
    _R("id", "=", 1, _identity, _id_local, ("1",), "{0}",
       torch=lambda t: _clone, sympy=lambda sp, f: _identity, fold=_identity),
    # Added to the registry alone: every other part of stepgrad learns them from here.
    _R("softplus", "softplus", 1, _softplus, _softplus_local, ("sigmoid({0})",), "softplus({0})",
       role=FUNCTION, vjp=_softplus_vjp, torch=lambda t: t.nn.functional.softplus,
       sympy=_custom("softplus"),
       sympy_function=SympyFunction(
           _softplus_fdiff, "positive", "log(1 + exp(x)); its derivative is sigmoid(x)."
       ),
       sympy_names=("softplus",), slope=lambda a, v: 1.0),
    _R("log1p", "log1p", 1, _log1p, _log1p_local, ("1/(1+{0})",), "log1p({0})", role=FUNCTION,
       vjp=_log1p_vjp, torch=_torch("log1p"), sympy=_custom("log1p"),
       sympy_function=SympyFunction(_log1p_fdiff, None, "log(1 + x), exact for small x."),
       sympy_names=("log1p",), slope=lambda a, v: 1.0 / (1 + a)),
    # Brought in by sympy's derivatives only (d|x|/dx = sign(x), ...): the closed-form
    # evaluator reads them; a model cannot call them.
    _R("sign", "sign", 1, _sign, _zero_local, ("0",), "sign({0})", role=DERIVATIVE,
       torch=_torch("sign"), sympy=_fn("sign"), sympy_names=("sign",), slope=lambda a, v: 0.0),
    _R("tan", "tan", 1, _tan, _tan_local, ("1+{out}**2",), "tan({0})", role=DERIVATIVE,
       torch=_torch("tan"), sympy=_fn("tan"), sympy_names=("tan",), slope=lambda a, v: 1 + v * v),
    _R("sinh", "sinh", 1, _sinh, _sinh_local, ("cosh({0})",), "sinh({0})", role=DERIVATIVE,
       torch=_torch("sinh"), sympy=_fn("sinh"), sympy_names=("sinh",), slope=lambda a, v: np.cosh(a)),
    _R("cosh", "cosh", 1, _cosh, _cosh_local, ("sinh({0})",), "cosh({0})", role=DERIVATIVE,
       torch=_torch("cosh"), sympy=_fn("cosh"), sympy_names=("cosh",), slope=lambda a, v: np.sinh(a)),
)  # fmt: skip

#: Every op by name: the one table of what an op is.
RULES: dict[str, OpRule] = {rule.name: rule for rule in _RULES}

#: The functions a model may call, by the name it writes.
FUNCTIONS: tuple[str, ...] = tuple(r.name for r in _RULES if r.role == FUNCTION)

#: The binary operators by how the expression language writes them (``**`` -> pow).
OPERATORS: dict[str, OpRule] = {r.written: r for r in _RULES if r.written and r.arity == 2}

#: Every op the closed-form evaluator may call by name: the model's functions and the
#: functions sympy's derivatives bring in.
CALLABLE: tuple[str, ...] = tuple(r.name for r in _RULES if r.role != OPERATOR)


def pow_formula(exponent_text: str, base: str) -> str:
    """The lecture's text for ∂(base**k)/∂base when k is a written constant.

    ``2`` gives ``2*s``, ``3`` gives ``3*s**2``, anything else ``k*s**(k-1)``.
    """
    try:
        k = float(exponent_text)
    except ValueError:
        return f"{exponent_text}*{base}**({exponent_text}-1)"
    if k.is_integer():
        n = int(k)
        if n == 0:
            # torch's rule: the power is constant 1, its gradient exactly 0 even at base 0.
            return "0"
        if n == 2:
            return f"2*{base}"
        if n == 1:
            return "1"
        return f"{n}*{base}**{n - 1}"
    return f"{exponent_text}*{base}**({exponent_text}-1)"


def _number(text: str) -> float | None:
    """The number a substituted argument text shows (``0.0``, ``(-1.5)``, ``2``), or None
    for a name (``w``): names never start with a digit, a sign or a point."""
    t = text[1:-1] if text.startswith("(") and text.endswith(")") else text
    if not t or not (t[0].isdigit() or t[0] in "-+."):
        return None
    try:
        return float(t)
    except ValueError:
        return None


def pow_zero_text(arg: int, texts: list[str]) -> str | None:
    """The text of ∂(base**exponent)/∂arg where torch's rule puts an exact 0, else None.

    With numbers substituted, ``log(0.0)*0.0`` or ``0.0*0.0**(0.0-1)`` would read as
    NaN where the value is 0: say which rule gave the 0 instead. With names (nothing
    known yet) the lecture's formula stands.

    Args:
        arg: 0 for the base, 1 for the exponent.
        texts: the base's and the exponent's texts (numbers, or names).
    """
    base, exp = _number(texts[0]), _number(texts[1])
    if arg == 0 and exp == 0:
        return "0 (torch: exponent 0)"
    if arg == 1 and base == 0 and exp is not None and exp >= 0:
        return "0 (torch: base 0, exponent ≥ 0)"
    return None
