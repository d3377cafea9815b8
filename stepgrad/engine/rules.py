"""The numbers of each op: forward rules, local gradients and torch's backward forms
(how each op is written for torch and sympy is in ``engine.forms``, its slope for the
error bound in ``engine.slopes``).

The functions the op registry (``engine.ops.RULES``) is made of: read them through the
registry, which pairs each op's forward with its gradients and says how torch and sympy
write it. Every rule works on NumPy values of the scenario's dtype and uses only ufuncs
or operators, so the same code serves 0-d scalars now and arrays later.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stepgrad.lazy import LazyModule

# NumPy is imported by the first rule that runs: loading a scenario and laying out its
# graph need only the registry's names and formulas.
np: Any = LazyModule("numpy", globals(), "np")

Value = Any  # a NumPy scalar or array of the scenario's dtype


def in_double(forward: Callable[..., Value], args: tuple[float, ...]) -> float:
    """``forward`` applied to ``args`` in float64, as a Python float (NaN or inf allowed)."""
    with np.errstate(all="ignore"):
        return float(forward(*(np.float64(a) for a in args)))


def dtype_of(v: Value) -> Any:
    return v.dtype.type if hasattr(v, "dtype") else type(v)


def one_like(dt: Any, like: Value) -> Value:
    """1 in ``like``'s shape: a number, or for an array a read-only view of one 1 (nothing
    allocated: the local of ``z + b`` over a 759 × 6 batch is all ones)."""
    if isinstance(like, np.ndarray):
        return _filled(1, dt, like.shape)
    return dt(1)


def zero_like(dt: Any, like: Value) -> Value:
    """0 in ``like``'s shape (as ``one_like``)."""
    if isinstance(like, np.ndarray):
        return _filled(0, dt, like.shape)
    return dt(0)


_FILLED: dict[tuple[int, Any, tuple[int, ...]], Value] = {}


def _filled(n: int, dt: Any, shape: tuple[int, ...]) -> Value:
    # Made once per dtype and shape: read-only, so one view serves every step (making it
    # anew, np.broadcast_to, cost 2.4 µs, nine times in a lecture7 step).
    key = (n, dt, shape)
    view = _FILLED.get(key)
    if view is None:
        if len(_FILLED) >= 256:
            _FILLED.clear()
        view = _FILLED[key] = np.broadcast_to(dt(n), shape)
    return view


# ----- arithmetic -----------------------------------------------------------------------


def add_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return one_like(dt, out)


def sub_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return one_like(dt, out) if k == 0 else -one_like(dt, out)


def mul_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    other = a[1] if k == 0 else a[0]
    if isinstance(out, np.ndarray) and np.shape(other) != out.shape:
        # An elementwise local is the output's shape: `x * w` with a number w shows w in
        # every place (a read-only view, nothing copied).
        return np.broadcast_to(other, out.shape)
    return other


def div_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    if k == 0:
        return one_like(dt, out) / a[1]
    return -a[0] / (a[1] * a[1])


def div_vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
    # torch: grad / other, and -grad * ((self / other) / other).
    if k == 0:
        return up / a[1]
    return -up * ((a[0] / a[1]) / a[1])


def _is_two(b: Value) -> bool:
    return bool(np.ndim(b) == 0 and b == 2)


def pow_forward(a: Value, b: Value) -> Value:
    # x**2 as x*x: the correctly rounded square, as torch computes pow(x, 2).
    return a * a if _is_two(b) else np.power(a, b)


def square(a: Value, b: Value) -> Value:
    # `s ** 2`, by far the commonest power, squared directly: no test of the exponent.
    return a * a


def pow_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
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


def pow_vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
    # torch's pow_backward_self: where(exponent == 0, 0, grad * local), so +0.0 there
    # whatever grad's sign; pow_backward_exponent multiplies grad by the masked local
    # (grad * where(base == 0 & exponent >= 0, 0, ...)), so -0.0 for a negative grad.
    dt = dtype_of(up)
    local = pow_local(k, a, out, dt)
    if k == 1:
        return up * local
    if np.ndim(a[1]) == 0 and np.ndim(up) == 0:
        return dt(0) if a[1] == 0 else up * local
    return np.where(np.asarray(a[1]) == 0, dt(0), up * local).astype(dt)


def pow_scalar(a: Value, c: float, dt: Any) -> Value:
    """``a ** c`` for a constant ``c``, as torch computes a tensor to a Python number's power.

    torch (pow_tensor_scalar) multiplies for 2, 3 and -2, divides for -1, takes sqrt for
    0.5 and 1/sqrt for -0.5, and otherwise calls pow with the constant as written, in double precision
    for a float32 tensor, rounding once. NumPy's float32 pow would round the exponent to
    float32 first (1.7 becomes 1.70000005) and gives another number in most cases.
    """
    one = one_like(dt, a)
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


def neg_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return -one_like(dt, out)


def id_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return one_like(dt, out)


# ----- functions ------------------------------------------------------------------------


def wide(f: Callable[[Value], Value], a: Value) -> Value:
    """``f(a)`` for a float32 ``a`` computed in float64 and rounded once to float32.

    torch's float32 exp, log, log1p, tanh, sin and cos are (nearly) correctly rounded;
    NumPy's own float32 versions are not: on 3,000 random arguments they agreed with torch
    61% of the time for exp and 67% for tanh, against 99% and 99.8% this way."""
    dtype = getattr(a, "dtype", None)
    if dtype is not None and dtype.char == "f":  # float32 (its char: == np.float32 costs 0.3 µs)
        return f(a.astype(np.float64)).astype(np.float32)[()]
    return f(a)


def exp_forward(a: Value) -> Value:
    return wide(np.exp, a)


def exp_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return out


def log_forward(a: Value) -> Value:
    return wide(np.log, a)


def log_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return one_like(dt, out) / a[0]


def log_vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
    # torch: grad / self.
    return up / a[0]


def sqrt_forward(a: Value) -> Value:
    return np.sqrt(a)


def sqrt_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return one_like(dt, out) / (dt(2) * out)


def sqrt_vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
    # torch: grad / (2 * result).
    return up / (dtype_of(up)(2) * out)


def sigmoid_forward(a: Value) -> Value:
    # torch: 1 / (1 + exp(-a)), its float32 exp nearly correctly rounded (NumPy's own float32
    # exp is not: on 100,000 arrays' entries 83% of sigmoids agreed with torch, 96% this way).
    one = a.dtype.type(1)
    if type(a) is np.ndarray and a.dtype.char == "f" and a.ndim:
        # The same operations on a float32 array, each into the array the one before made
        # (-a widened is a widened then negated, exactly): three arrays fewer.
        e = np.negative(a, dtype=np.float64)
        np.exp(e, out=e)
        t = e.astype(np.float32)
        np.add(one, t, out=t)
        return np.divide(one, t, out=t)
    return one / (one + wide(np.exp, -a))


def sigmoid_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    if type(out) is np.ndarray and out.ndim and out.dtype == dt:  # out · (1 − out), into one array
        t = np.subtract(dt(1), out)
        return np.multiply(out, t, out=t)
    return out * (one_like(dt, out) - out)


def sigmoid_vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
    # torch's sigmoid_backward: grad * (1 - y) * y.
    arrays = type(up) is np.ndarray and type(out) is np.ndarray and up.ndim
    if arrays and up.shape == out.shape and up.dtype == out.dtype:
        t = np.subtract(up.dtype.type(1), out)  # the same products, into the one array
        np.multiply(up, t, out=t)
        return np.multiply(t, out, out=t)
    return up * (dtype_of(up)(1) - out) * out


def tanh_forward(a: Value) -> Value:
    return wide(np.tanh, a)


def tanh_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    # torch's tanh_backward, grad * (1 - y*y), is compiled to a fused multiply-add: 1 - y²
    # rounded once, not twice. Near ±1 the two differ by thousands of ulps (tanh(6.0)'s
    # gradient: 2.4576547405302974e-05, not 2.4576547405286142e-05), so round it once too.
    if isinstance(out, np.ndarray):
        if out.dtype == np.float64 and dt is np.float64:
            return _one_minus_squares(out)
        if out.dtype == np.float32 and dt is np.float32:  # as one_minus_square, every entry at once
            wide = out.astype(np.float64)
            return (1.0 - wide * wide).astype(np.float32)
        return np.array([one_minus_square(y, dt) for y in out.ravel()], dtype=dt).reshape(out.shape)
    return one_minus_square(out, dt)


def _one_minus_squares(y: Value) -> Value:
    """1 - y² for a float64 array, rounded once as ``fma(-y, y, 1)``, without a loop: y² is
    p + e exactly (Veltkamp's split), 1 - p is s + t exactly (Fast2Sum, |p| ≤ 1), and
    s + (t - e) rounds to the same number as the exact 1 - y² (checked against exact
    fractions on 360,000 outputs of tanh, near ±1 and near 0 too)."""
    p = y * y
    c = 134217729.0 * y  # 2**27 + 1
    hi = c - (c - y)
    lo = y - hi
    e = ((hi * hi - p) + 2.0 * hi * lo) + lo * lo
    s = 1.0 - p
    t = (1.0 - s) - p
    return s + (t - e)


def one_minus_square(y: Value, dt: Any) -> Value:
    """1 - y², correctly rounded to ``dt`` (as ``fma(-y, y, 1)`` computes it)."""
    if dt is np.float32:
        # A float32's square is exact in float64 and so, then, is 1 - y² near 1; far from 1
        # the double rounding is below float32's resolution.
        wide = np.float64(y)
        return np.float32(np.float64(1) - wide * wide)
    if dt is not np.float64 or not np.isfinite(y):  # long double (the roads' re-check): as written
        return dt(1) - y * y
    from fractions import Fraction

    return dt(float(1 - Fraction(float(y)) ** 2))


def relu_forward(a: Value) -> Value:
    # As torch: 0 only where a < 0, so relu(-0.0) is -0.0 and relu(NaN) is NaN
    # (np.maximum(-0.0, 0.0) would give 0.0).
    if isinstance(a, np.ndarray):
        return np.where(a < 0, np.zeros_like(a), a)
    return a.dtype.type(0) if a < 0 else a


def relu_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    # torch's threshold_backward: 0 where the output is ≤ 0, else 1 (also at NaN).
    if isinstance(out, np.ndarray):
        return np.where(out <= 0, dt(0), dt(1)).astype(dt)
    return dt(0) if out <= 0 else dt(1)


def relu_vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
    # threshold_backward: where(out <= 0, 0, grad), so +0.0 even for a negative upstream.
    dt = dtype_of(up)
    if isinstance(out, np.ndarray) or isinstance(up, np.ndarray):
        return np.where(out <= 0, dt(0), up).astype(dt)
    return dt(0) if out <= 0 else up


def sin_forward(a: Value) -> Value:
    return wide(np.sin, a)


def sin_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return wide(np.cos, a[0])


def cos_forward(a: Value) -> Value:
    return wide(np.cos, a)


def cos_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return -wide(np.sin, a[0])


def abs_forward(a: Value) -> Value:
    return np.abs(a)


def abs_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    # torch's sgn: (0 < a) - (a < 0), so 0 at ±0 and at NaN (np.sign(NaN) is NaN).
    x = a[0]
    if isinstance(x, np.ndarray):
        return (x > 0).astype(dt) - (x < 0).astype(dt)
    return dt(x > 0) - dt(x < 0)


#: torch.nn.functional.softplus's defaults: beta 1, and above the threshold the input itself.
SOFTPLUS_THRESHOLD = 20


def softplus_forward(a: Value) -> Value:
    # torch: x * beta > threshold ? x : log1p(exp(x * beta)) / beta, with beta = 1.
    if isinstance(a, np.ndarray):
        with np.errstate(over="ignore"):
            return np.where(a > SOFTPLUS_THRESHOLD, a, np.log1p(np.exp(a))).astype(a.dtype)
    return a if a > SOFTPLUS_THRESHOLD else np.log1p(np.exp(a))


def softplus_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
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


def softplus_vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
    # torch forms grad * z / (z + 1), the product first: another last bit than grad * (z/(z+1)).
    x = a[0]
    dt = dtype_of(up)
    if isinstance(x, np.ndarray) or isinstance(up, np.ndarray):
        with np.errstate(over="ignore", invalid="ignore"):
            z = np.exp(x)
            return np.where(x > SOFTPLUS_THRESHOLD, up, up * z / (z + dt(1))).astype(dt)
    if x > SOFTPLUS_THRESHOLD:
        return up
    z = np.exp(x)
    return up * z / (z + dt(1))


def log1p_forward(a: Value) -> Value:
    return wide(np.log1p, a)


def log1p_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return one_like(dt, out) / (a[0] + one_like(dt, out))


def log1p_vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
    # torch's log1p_backward: grad / (self + 1).
    return up / (a[0] + one_like(dtype_of(up), up))


def sign_forward(a: Value) -> Value:
    return np.sign(a)


def zero_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return zero_like(dt, out)


def tan_forward(a: Value) -> Value:
    return np.tan(a)


def tan_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return one_like(dt, out) + out * out


def sinh_forward(a: Value) -> Value:
    return np.sinh(a)


def sinh_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return np.cosh(a[0])


def cosh_forward(a: Value) -> Value:
    return np.cosh(a)


def cosh_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    return np.sinh(a[0])
