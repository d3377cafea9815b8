"""The operations a model may use: each op's forward rule sits beside its local gradients.

Every rule works on NumPy values of the scenario's dtype and uses only ufuncs or
operators, so the same code serves 0-d scalars now and arrays later. Formulas are
templates over the op's arguments (``{0}``, ``{1}``) and its output (``{out}``), so
the same text can be shown with names (``2*s``) or with numbers substituted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stepgrad.lazy import LazyModule

# NumPy is imported by the first rule that runs: loading a scenario and laying out its
# graph need only the table's names and formulas.
np: Any = LazyModule("numpy", globals(), "np")

Value = Any  # a NumPy scalar or array of the scenario's dtype

# local(k, args, out, dtype) -> ∂out/∂args[k]
LocalRule = Callable[[int, tuple[Value, ...], Value, Any], Value]


@dataclass(frozen=True, slots=True)
class OpRule:
    """How one operation computes its value and its local gradients.

    Attributes:
        name: the op's name in events and JSON (``mul``).
        symbol: how the graph draws it (``×``).
        arity: number of arguments.
        forward: computes the output from the argument values.
        local: computes ∂out/∂arg_k.
        formulas: one template per argument for the local gradient's text.
        infix: template that writes the whole expression (``{0} × {1}``).
    """

    name: str
    symbol: str
    arity: int
    forward: Callable[..., Value]
    local: LocalRule
    formulas: tuple[str, ...]
    infix: str


def _one(dt: Any, like: Value) -> Value:
    if isinstance(like, np.ndarray):
        return np.ones_like(like, dtype=dt)
    return dt(1)


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


def _is_two(b: Value) -> bool:
    return bool(np.ndim(b) == 0 and b == 2)


def _square(a: Value, b: Value) -> Value:
    # x**2 as x*x: the correctly rounded square, as torch computes pow(x, 2).
    return a * a if _is_two(b) else np.power(a, b)


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
    with np.errstate(divide="ignore", invalid="ignore"):
        if k == 0:
            value, mask = exp * np.power(base, exp - _one(dt, out)), exp == 0
        else:
            value, mask = np.log(base) * out, (base == 0) & (exp >= 0)
    return np.where(mask, dt(0), value).astype(dt)


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
            return dt(0) if np.ndim(a[0]) == 0 else np.zeros_like(a[0], dtype=dt)
        return dt(c) * pow_scalar(a[0], c - 1, dt)

    return OpRule("pow", "^", 2, forward, local, RULES["pow"].formulas, RULES["pow"].infix)


_POW_SCALAR: dict[float, OpRule] = {}


def pow_scalar_rule(c: float) -> OpRule:
    """The rule of a power whose exponent is the constant ``c`` (one per constant)."""
    rule = _POW_SCALAR.get(c)
    if rule is None:
        rule = _POW_SCALAR.setdefault(c, _pow_scalar_rule(c))
    return rule


def _neg_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return -_one(dt, out)


def _exp_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return out


def _log_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return _one(dt, out) / a[0]


def _sqrt_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return _one(dt, out) / (dt(2) * out)


def _sigmoid(a: Value) -> Value:
    one = _one(a.dtype.type, a)
    return one / (one + np.exp(-a))


def _sigmoid_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return out * (_one(dt, out) - out)


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


def _sin_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return np.cos(a[0])


def _cos_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return -np.sin(a[0])


def _abs_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    # torch's sgn: (0 < a) - (a < 0), so 0 at ±0 and at NaN (np.sign(NaN) is NaN).
    x = a[0]
    if isinstance(x, np.ndarray):
        return (x > 0).astype(dt) - (x < 0).astype(dt)
    return dt(x > 0) - dt(x < 0)


def _id_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return _one(dt, out)


def _exp(a: Value) -> Value:
    return np.exp(a)


def _log(a: Value) -> Value:
    return np.log(a)


def _sqrt(a: Value) -> Value:
    return np.sqrt(a)


def _tanh(a: Value) -> Value:
    return np.tanh(a)


def _sin(a: Value) -> Value:
    return np.sin(a)


def _cos(a: Value) -> Value:
    return np.cos(a)


def _abs(a: Value) -> Value:
    return np.abs(a)


_RULES = (
    OpRule("add", "+", 2, lambda a, b: a + b, _add_local, ("1", "1"), "{0} + {1}"),
    OpRule("sub", "−", 2, lambda a, b: a - b, _sub_local, ("1", "-1"), "{0} − {1}"),
    OpRule("mul", "×", 2, lambda a, b: a * b, _mul_local, ("{1}", "{0}"), "{0} × {1}"),
    OpRule("div", "÷", 2, lambda a, b: a / b, _div_local, ("1/{1}", "-{0}/{1}**2"), "{0} ÷ {1}"),
    OpRule("pow", "^", 2, _square, _pow_local, ("{1}*{0}**({1}-1)", "log({0})*{out}"), "{0}^{1}"),
    OpRule("neg", "−x", 1, lambda a: -a, _neg_local, ("-1",), "−{0}"),
    OpRule("exp", "exp", 1, _exp, _exp_local, ("{out}",), "exp({0})"),
    OpRule("log", "log", 1, _log, _log_local, ("1/{0}",), "log({0})"),
    OpRule("sqrt", "√", 1, _sqrt, _sqrt_local, ("1/(2*{out})",), "sqrt({0})"),
    OpRule("sigmoid", "σ", 1, _sigmoid, _sigmoid_local, ("{out}*(1-{out})",), "sigmoid({0})"),
    OpRule("tanh", "tanh", 1, _tanh, _tanh_local, ("1-{out}**2",), "tanh({0})"),
    OpRule("relu", "relu", 1, _relu, _relu_local, ("({0} > 0)",), "relu({0})"),
    OpRule("sin", "sin", 1, _sin, _sin_local, ("cos({0})",), "sin({0})"),
    OpRule("cos", "cos", 1, _cos, _cos_local, ("-sin({0})",), "cos({0})"),
    OpRule("abs", "abs", 1, _abs, _abs_local, ("sign({0})",), "abs({0})"),
    OpRule("id", "=", 1, lambda a: a, _id_local, ("1",), "{0}"),
)

RULES: dict[str, OpRule] = {rule.name: rule for rule in _RULES}

#: The functions a model may call, by the name it writes.
FUNCTIONS: tuple[str, ...] = (
    "exp",
    "log",
    "sqrt",
    "sigmoid",
    "tanh",
    "relu",
    "sin",
    "cos",
    "abs",
)


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
