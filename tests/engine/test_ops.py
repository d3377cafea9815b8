"""Each op's local gradient: the formula text a lecture would write, and its value."""

from __future__ import annotations

import math

import numpy as np
import pytest

MODEL = """
inputs: {{x: {x}}}
params: {{w: {w}}}
model:
  loss: {expr}
"""

# (expression, w, x, formula of d loss/d w as the event shows it, value by hand)
CASES = [
    ("x * w", 3.0, 2.0, "x", 2.0),
    ("w * x", 3.0, 2.0, "x", 2.0),
    ("w + x", 3.0, 2.0, "1", 1.0),
    ("x - w", 3.0, 2.0, "-1", -1.0),
    ("w / x", 3.0, 2.0, "1/x", 0.5),
    ("x / w", 2.0, 3.0, "-x/w**2", -0.75),
    ("w ** 2", 3.0, 0.0, "2*w", 6.0),
    ("w ** 3", 2.0, 0.0, "3*w**2", 12.0),
    ("-w", 2.0, 0.0, "-1", -1.0),
    ("exp(w)", 0.0, 0.0, "loss", 1.0),
    ("log(w)", 4.0, 0.0, "1/w", 0.25),
    ("sqrt(w)", 4.0, 0.0, "1/(2*loss)", 0.25),
    ("sigmoid(w)", 0.0, 0.0, "loss*(1-loss)", 0.25),
    ("tanh(w)", 0.0, 0.0, "1-loss**2", 1.0),
    ("relu(w)", 2.0, 0.0, "(w > 0)", 1.0),
    ("relu(w)", -2.0, 0.0, "(w > 0)", 0.0),
    ("sin(w)", 0.0, 0.0, "cos(w)", 1.0),
    ("cos(w)", 0.0, 0.0, "-sin(w)", -0.0),
    ("abs(w)", -3.0, 0.0, "sign(w)", -1.0),
    ("x ** w", 3.0, 2.0, "log(x)*loss", math.log(2.0) * 8.0),
    # Added to the op registry alone (engine/ops.py): every other module learns them there.
    ("softplus(w)", 0.0, 0.0, "sigmoid(w)", 0.5),
    ("log1p(w)", 1.0, 0.0, "1/(1+w)", 0.5),
]


@pytest.mark.parametrize(("expr", "w", "x", "formula", "value"), CASES)
def test_local_gradient(model_timeline, expr, w, x, formula, value):
    t = model_timeline(MODEL.format(x=x, w=w, expr=expr))
    (local,) = [e for e in t if e.kind == "local_grad"]
    assert local.formula == formula
    assert float(local.value) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize(("expr", "w", "x", "formula", "value"), CASES)
def test_local_gradient_agrees_with_central_difference(model_timeline, expr, w, x, formula, value):
    if expr == "relu(w)" or expr == "abs(w)":
        pytest.skip("kinks")
    h = 1e-6

    def loss_at(wv: float) -> float:
        t = model_timeline(MODEL.format(x=x, w=wv, expr=expr))
        return float(next(e for e in t if e.kind == "forward" and e.node == "loss").value)

    numeric = (loss_at(w + h) - loss_at(w - h)) / (2 * h)
    assert numeric == pytest.approx(value, rel=1e-6, abs=1e-8)


# ----- powers at base 0 and exponent 0: torch's rules, compared with torch itself ------

POW_MODEL = """
dtype: {dtype}
params: {{a: {a}, b: {b}}}
model:
  loss: {expr}
"""

# (expression in params a and b, a, b, the same in torch)
POW_AT_ZERO = [
    ("a ** b", "0.0", "1.5", lambda a, b: a**b),
    ("a ** b", "0.0", "0.0", lambda a, b: a**b),
    ("a ** b", "0.0", "-1.0", lambda a, b: a**b),
    ("a ** b", "-0.0", "2.0", lambda a, b: a**b),
    ("a ** b", "0.0", "0.5", lambda a, b: a**b),
    ("a ** b", "0.0", "3.0", lambda a, b: a**b),
    ("0 ** b + a", "1.0", "0.0", lambda a, b: 0**b + a),
    ("0 ** b + a", "1.0", "2.0", lambda a, b: 0**b + a),
    ("0.0 ** b + a", "1.0", "-1.0", lambda a, b: 0.0**b + a),
    ("a ** 0 + b", "0.0", "1.0", lambda a, b: a**0 + b),
    ("a ** 0.0 + b", "0.0", "1.0", lambda a, b: a**0.0 + b),
    ("a ** a + b", "0.0", "1.0", lambda a, b: a**a + b),
]


def _bits(v) -> tuple[float, float]:
    """A number and its sign, so that 0.0 and -0.0 differ and NaN equals NaN."""
    f = float(v)
    return (0.0 if math.isnan(f) else f, math.copysign(1.0, f) if not math.isnan(f) else 2.0)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("expr", "a", "b", "torch_fn"), POW_AT_ZERO)
def test_pow_at_zero_matches_torch(model_timeline, dtype, expr, a, b, torch_fn):
    """torch masks the infinite factor: ∂/∂base is 0 where the exponent is 0, ∂/∂exponent
    is 0 where the base is 0 and the exponent ≥ 0. The engine gives torch's numbers, bit
    for bit, and the run is not refused as non-finite."""
    torch = pytest.importorskip("torch")
    t = model_timeline(POW_MODEL.format(dtype=dtype, a=a, b=b, expr=expr))
    tdt = torch.float64 if dtype == "float64" else torch.float32
    ta = torch.tensor(float(a), dtype=tdt, requires_grad=True)
    tb = torch.tensor(float(b), dtype=tdt, requires_grad=True)
    loss = torch_fn(ta, tb)
    loss.backward()
    events = list(t)
    value = next(e for e in events if e.kind == "forward" and e.node == "loss").value
    assert _bits(value) == _bits(loss.item())
    end = next(e for e in events if e.kind == "backward_end")
    grads = dict(end.grads)
    assert _bits(grads["a"]) == _bits(ta.grad.item())
    assert _bits(grads["b"]) == _bits(tb.grad.item())
    # The local gradients of the power itself are torch's (upstream 1 in a bare `a ** b`).
    if expr == "a ** b":
        local = {e.wrt: e.value for e in events if e.kind == "local_grad"}
        assert _bits(local["a"]) == _bits(ta.grad.item())
        assert _bits(local["b"]) == _bits(tb.grad.item())
    finite = math.isfinite(ta.grad.item()) and math.isfinite(tb.grad.item())
    assert (t.first_nonfinite() is None) == (finite and math.isfinite(loss.item()))


@pytest.mark.parametrize(
    ("expr", "a", "b", "wrt", "text"),
    [
        ("a ** b", "0.0", "1.5", "b", "log(a)*loss = 0 (torch: base 0, exponent ≥ 0) = 0.0"),
        ("a ** b", "1.5", "0.0", "a", "b*a**(b-1) = 0 (torch: exponent 0) = 0.0"),
        ("a ** b", "2.0", "3.0", "b", "log(a)*loss = log(2.0)*8.0 = 5.545177444479562"),
        ("a ** 0 + b", "0.0", "1.0", "a", "0 = 0.0"),
        ("0 ** b + a", "1.0", "2.0", "b", "log(0)*loss₁ = 0 (torch: base 0, exponent ≥ 0) = 0.0"),
    ],
)
def test_pow_local_gradient_text_says_where_torch_puts_zero(model_timeline, expr, a, b, wrt, text):
    """With numbers substituted the lecture's formula would read log(0.0)*0.0 (NaN) where
    the value is 0: the line says which of torch's rules gave the 0."""
    from stepgrad.explain import describe

    t = model_timeline(POW_MODEL.format(dtype="float64", a=a, b=b, expr=expr))
    events = list(t)
    local = next(e for e in events if e.kind == "local_grad" and e.wrt == wrt and e.node.startswith("loss"))
    fwd = next(e for e in events if e.kind == "forward" and e.node == local.node)
    assert describe(t.graph, local, fwd.args, fwd.value) == f"local ∂{local.node}/∂{wrt} = {text}"


# ----- every op at signed zeros, infinities and NaN, against torch --------------------

INF, NAN = math.inf, math.nan
SPECIAL = [0.0, -0.0, INF, -INF, NAN]
ORDINARY = [1.0, -1.5, 2.0]
# Constant exponents torch's pow(tensor, number) treats apart, and a few it does not.
EXPONENTS = [0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, -0.5, 1.7, -1.3, 2.5]
DTYPES = [("float64", np.float64), ("float32", np.float32)]

TORCH_UNARY = {
    "neg": lambda t, a: -a,
    "exp": lambda t, a: t.exp(a),
    "log": lambda t, a: t.log(a),
    "sqrt": lambda t, a: t.sqrt(a),
    "sigmoid": lambda t, a: t.sigmoid(a),
    "tanh": lambda t, a: t.tanh(a),
    "relu": lambda t, a: t.relu(a),
    "sin": lambda t, a: t.sin(a),
    "cos": lambda t, a: t.cos(a),
    "abs": lambda t, a: t.abs(a),
    "id": lambda t, a: a.clone(),
    "softplus": lambda t, a: t.nn.functional.softplus(a),
    "log1p": lambda t, a: t.log1p(a),
}
TORCH_BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
}


def _torch_grads(torch, fn, dtype, *xs):
    tdt = torch.float64 if dtype == "float64" else torch.float32
    ts = [torch.tensor(x, dtype=tdt, requires_grad=True) for x in xs]
    out = fn(*ts)
    out.backward()
    return out.item(), [t.grad.item() for t in ts]


@pytest.mark.parametrize(("dtype", "npdt"), DTYPES)
@pytest.mark.parametrize("op", sorted(TORCH_UNARY))
@pytest.mark.parametrize("x", SPECIAL, ids=repr)
def test_unary_op_at_special_values_matches_torch(dtype, npdt, op, x):
    """Forward value and local gradient, bit for bit (0.0 and -0.0 differ, NaN is NaN)."""
    torch = pytest.importorskip("torch")
    from stepgrad.engine.ops import RULES

    value, (grad,) = _torch_grads(torch, lambda a: TORCH_UNARY[op](torch, a), dtype, x)
    rule = RULES[op]
    with np.errstate(all="ignore"):
        a = npdt(x)
        out = rule.forward(a)
        local = rule.local(0, (a,), out, npdt)
    assert _bits(out) == _bits(value), f"{op}({x!r}) forward"
    assert _bits(local) == _bits(grad), f"{op}({x!r}) local gradient"


@pytest.mark.parametrize(("dtype", "npdt"), DTYPES)
@pytest.mark.parametrize("op", sorted(TORCH_BINARY))
def test_binary_op_at_special_values_matches_torch(dtype, npdt, op):
    """Every pair drawn from signed zeros, ±inf, NaN and a few ordinary numbers, both
    arguments tensors (torch's pow(tensor, tensor)): value and both local gradients."""
    torch = pytest.importorskip("torch")
    from stepgrad.engine.ops import RULES

    rule = RULES[op]
    wrong = []
    for x in SPECIAL + ORDINARY:
        for y in SPECIAL + ORDINARY:
            value, grads = _torch_grads(torch, TORCH_BINARY[op], dtype, x, y)
            with np.errstate(all="ignore"):
                a, b = npdt(x), npdt(y)
                out = rule.forward(a, b)
                locals_ = [rule.local(k, (a, b), out, npdt) for k in (0, 1)]
            pairs = [("value", out, value), *zip(("d/da", "d/db"), locals_, grads, strict=True)]
            for what, ours, theirs in pairs:
                if _bits(ours) != _bits(theirs):
                    wrong.append(f"{op}({x!r}, {y!r}) {what}: {float(ours)!r} vs torch {theirs!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("dtype", "npdt"), DTYPES)
@pytest.mark.parametrize("c", EXPONENTS, ids=repr)
def test_power_to_a_constant_matches_torch(dtype, npdt, c):
    """`w ** c` with c written in the model is torch's pow(tensor, number): sqrt for 0.5,
    1/sqrt for -0.5 (-0.0 ** -0.5 is -inf), products for 2, 3, -2, and otherwise pow of
    the constant as written (in double for float32: 1.7, not float32's 1.70000005)."""
    torch = pytest.importorskip("torch")
    from stepgrad.engine.ops import pow_scalar_rule

    rule = pow_scalar_rule(c)
    wrong = []
    for x in SPECIAL + ORDINARY + [0.37, 7.25]:
        value, (grad,) = _torch_grads(torch, lambda a: a**c, dtype, x)
        with np.errstate(all="ignore"):
            a = npdt(x)
            out = rule.forward(a, npdt(c))
            local = rule.local(0, (a, npdt(c)), out, npdt)
            ieee = float(np.sqrt(a))
        if c == 0.5 and _bits(torch.sqrt(torch.tensor(x, dtype=getattr(torch, dtype))).item()) != _bits(ieee):
            # torch's own sqrt is not IEEE's here: MKL's AVX-512 code (on a Sapphire Rapids
            # machine) gave 2.0 ** 0.5 one unit low, 1.414213562373095. stepgrad keeps IEEE's,
            # which torch gives on every other CPU; the gradient is still torch's, bit for bit.
            value = ieee
        for what, ours, theirs in [("value", out, value), ("d/dw", local, grad)]:
            if _bits(ours) != _bits(theirs):
                wrong.append(f"{x!r} ** {c!r} {what}: {float(ours)!r} vs torch {theirs!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("w", ["-0.0", "0.0"])
def test_relu_at_signed_zero_in_a_run_matches_torch(model_timeline, dtype, w):
    """torch: relu(-0.0) is -0.0 (it zeroes only where w < 0) and its gradient there is 0
    (threshold_backward: 0 where the output is ≤ 0)."""
    torch = pytest.importorskip("torch")
    value, (grad,) = _torch_grads(torch, torch.relu, dtype, float(w))
    t = model_timeline(f"dtype: {dtype}\nparams: {{w: {w}}}\nmodel: {{loss: relu(w)}}\n")
    events = list(t)
    fwd = next(e for e in events if e.kind == "forward")
    local = next(e for e in events if e.kind == "local_grad")
    assert _bits(fwd.value) == _bits(value) == _bits(float(w))
    assert _bits(local.value) == _bits(grad) == (0.0, 1.0)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("w", [1.9, 3.1])
def test_powers_to_constants_in_a_run_match_torch_bit_for_bit(model_timeline, dtype, w):
    """In float32, 1.7 as written is not float32's 1.70000005: torch raises to the written
    constant (in double, rounded once). NumPy's float32 pow gave another last bit (at
    w = 1.9 in the gradient, at w = 3.1 in the value), so check said "close", not "equal"."""
    torch = pytest.importorskip("torch")
    expr = "w ** 1.7 + w ** -1.3 + w ** 0.5 * 0"
    t = model_timeline(f"dtype: {dtype}\nparams: {{w: {w}}}\nmodel: {{loss: {expr}}}\n")
    tdt = torch.float64 if dtype == "float64" else torch.float32
    tw = torch.tensor(w, dtype=tdt, requires_grad=True)
    loss = tw**1.7 + tw**-1.3 + tw**0.5 * 0
    loss.backward()
    events = list(t)
    value = next(e for e in events if e.kind == "forward" and e.node == "loss").value
    (grad,) = [g for name, g in next(e for e in events if e.kind == "backward_end").grads]
    assert _bits(value) == _bits(loss.item())
    assert _bits(grad) == _bits(tw.grad.item())


# ----- the registry's vector-Jacobian form: torch's backward, signs of zero included ----

# Upstreams of both signs: where torch's backward picks an exact 0 (relu where the output
# is <= 0, pow's masks, w ** 0) its gradient is +0.0, while upstream × 0 would be -0.0.
UPSTREAMS = [1.0, -1.5, 0.75, -0.0]
VJP_POINTS = SPECIAL + ORDINARY + [-3.0, 19.5, 20.0, 20.5, 40.0]


def _torch_vjp(torch, fn, dtype, upstream, *xs):
    """Each argument's .grad when ``upstream`` flows into ``fn``: (fn(x) * u).backward()
    hands exactly u to fn's backward (mul's backward is grad * u with grad 1)."""
    tdt = torch.float64 if dtype == "float64" else torch.float32
    ts = [torch.tensor(x, dtype=tdt, requires_grad=True) for x in xs]
    out = fn(*ts)
    out.backward(torch.tensor(upstream, dtype=tdt))
    return out.item(), [t.grad.item() for t in ts]


@pytest.mark.parametrize(("dtype", "npdt"), DTYPES)
@pytest.mark.parametrize("op", sorted(TORCH_UNARY))
def test_unary_vjp_matches_torch_backward(dtype, npdt, op):
    """``OpRule.backward(k, args, out, upstream)`` gives torch's .grad bit for bit for every
    unary op, at special and ordinary points, with upstreams of both signs: torch's own
    order of operations (grad / x for log, grad * z / (z + 1) for softplus), not
    upstream × local. Where NumPy's and torch's math libraries differ in a last bit (float32
    exp or cos at ordinary points: the local gradient at upstream 1 differs already), the
    libraries are compared by test_unary_op_at_special_values_matches_torch, not here."""
    torch = pytest.importorskip("torch")
    from stepgrad.engine.ops import RULES

    rule = RULES[op]
    wrong = []
    for x in VJP_POINTS:
        value, (unit,) = _torch_vjp(torch, lambda a: TORCH_UNARY[op](torch, a), dtype, 1.0, x)
        with np.errstate(all="ignore"):
            a = npdt(x)
            libm_differs = _bits(rule.forward(a)) != _bits(value) or _bits(
                rule.local(0, (a,), rule.forward(a), npdt)
            ) != _bits(unit)
        if libm_differs and x not in SPECIAL:
            continue
        for u in UPSTREAMS:
            _, (grad,) = _torch_vjp(torch, lambda a: TORCH_UNARY[op](torch, a), dtype, u, x)
            with np.errstate(all="ignore"):
                a = npdt(x)
                ours = rule.backward(0, (a,), rule.forward(a), npdt(u))
            if _bits(ours) != _bits(grad):
                wrong.append(f"{op}({x!r}) upstream {u!r}: {float(ours)!r} vs torch {grad!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("dtype", "npdt"), DTYPES)
def test_pow_vjp_matches_torch_masks(dtype, npdt):
    """pow's masks give +0.0 whatever the upstream's sign, as torch's where(mask, 0, ...)."""
    torch = pytest.importorskip("torch")
    from stepgrad.engine.ops import RULES, pow_scalar_rule

    rule = RULES["pow"]
    wrong = []
    for x in SPECIAL + ORDINARY:
        # Not 1.5: NumPy's power(x, 0.5) is sqrt (-0.0 at -0.0, NaN at -inf), where torch's
        # pow(tensor, tensor) gives +0.0 and +inf; that is the forward rule's, not the vjp's.
        for y in [0.0, -0.0, 3.0, 2.0, -1.0]:
            for u in UPSTREAMS:
                _, grads = _torch_vjp(torch, lambda a, b: a**b, dtype, u, x, y)
                with np.errstate(all="ignore"):
                    a, b = npdt(x), npdt(y)
                    out = rule.forward(a, b)
                    ours = [rule.backward(k, (a, b), out, npdt(u)) for k in (0, 1)]
                for k in (0, 1):
                    if _bits(ours[k]) != _bits(grads[k]):
                        what = f"{x!r} ** {y!r} d/d{'ab'[k]} upstream {u!r}"
                        wrong.append(f"{what}: {ours[k]!r} vs {grads[k]!r}")
    for c in EXPONENTS:
        scalar = pow_scalar_rule(c)
        for x in SPECIAL + ORDINARY:
            for u in UPSTREAMS:
                _, (grad,) = _torch_vjp(torch, lambda a, c=c: a**c, dtype, u, x)
                with np.errstate(all="ignore"):
                    a = npdt(x)
                    ours = scalar.backward(0, (a, npdt(c)), scalar.forward(a, npdt(c)), npdt(u))
                if _bits(ours) != _bits(grad):
                    wrong.append(f"{x!r} ** {c!r} upstream {u!r}: {float(ours)!r} vs torch {grad!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("dtype", "npdt"), DTYPES)
def test_vjp_works_on_arrays(dtype, npdt):
    """The same rules on arrays, element by element as on scalars (ready for tensors)."""
    from stepgrad.engine.ops import RULES

    xs = np.array([-2.0, -0.0, 0.0, 0.5, 25.0], dtype=npdt)
    up = np.array([-1.0, -1.0, 2.0, -3.0, 0.5], dtype=npdt)
    for op in ("relu", "softplus", "log1p", "exp", "abs"):
        rule = RULES[op]
        with np.errstate(all="ignore"):
            out = rule.forward(xs)
            whole = rule.backward(0, (xs,), out, up)
            each = [rule.backward(0, (x,), rule.forward(x), u) for x, u in zip(xs, up, strict=True)]
        assert [_bits(v) for v in whole] == [_bits(v) for v in each], op
