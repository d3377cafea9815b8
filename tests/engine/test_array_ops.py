"""The array ops (lectures 5 to 9) against torch: forward, and each argument's vjp with
broadcasting undone, in float32 and float64 on random shapes.

Exact (the same bits as torch) where torch's CPU kernel is plain arithmetic that the
engine repeats in the same order: sum, mean, .T, mse, bce's gradient, the elementwise ops
with broadcasting (their sums over the batch in torch's order, ``engine.reduce``).
Close (a few units of rounding, normwise) where torch calls code whose order or last bit
the engine cannot repeat: ``@`` (BLAS), softmax, log_softmax and cross_entropy (the
vector library's exp/log inside torch's softmax kernel is not the correctly rounded one:
about 1 exp in 15 differs by an ulp), and bce's forward and its target's gradient in
float32 (log/log1p of a float).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from stepgrad.engine.graph import Const, Graph, Node
from stepgrad.engine.ops import (
    CALLABLE,
    FUNCTIONS,
    OPERATORS,
    RULES,
    SCALAR_FUNCTIONS,
    ShapeError,
    pow_scalar_rule,
    specialized_rule,
)
from stepgrad.engine.reduce import torch_sum
from stepgrad.engine.shapes import infer_shapes, unbroadcast

torch = pytest.importorskip("torch")

DTYPES = [np.float32, np.float64]
#: Random cases per test: shapes and values drawn from a generator seeded by the case number
#: (Hypothesis is not a dependency of the project).
SEEDS = range(12)


def draw(seed, **bounds):
    """A generator for case ``seed``, and a size in [lo, hi] for each named bound."""
    rng = np.random.default_rng(seed)
    return rng, {k: int(rng.integers(lo, hi + 1)) for k, (lo, hi) in bounds.items()}


def _tensor(a, dt, grad=True):
    t = torch.tensor(np.asarray(a), dtype=torch.float32 if dt is np.float32 else torch.float64)
    return t.requires_grad_(grad)


def against_torch(rule, args, dt, rng, no_grad=()):
    """(engine forward, torch forward, [(engine grad, torch grad) per argument])."""
    ts = [_tensor(a, dt, k not in no_grad) for k, a in enumerate(args)]
    tout = rule.torch(torch)(*ts)
    out = rule.forward(*args)
    up = np.asarray(rng.standard_normal(np.shape(out)), dtype=dt)
    up = up[()] if up.ndim == 0 else up
    tout.backward(torch.tensor(np.asarray(up)))
    grads = []
    for k, a in enumerate(args):
        if k in no_grad:
            continue
        mine = unbroadcast(rule.backward(k, tuple(args), out, up), np.shape(a))
        grads.append((mine, ts[k].grad.numpy()))
    return out, tout.detach().numpy(), grads


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_array_equal(a, b, strict=True)


def close(a, b, units=64):
    """Equal but for ``units`` roundings, measured against the largest entry (normwise)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    finite = np.isfinite(b)
    np.testing.assert_array_equal(a[~finite], b[~finite])  # the same infinities (a log of 0)
    a, b = a[finite], b[finite]
    scale = max(float(np.max(np.abs(b), initial=0.0)), np.finfo(b.dtype).tiny)
    err = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)), initial=0.0))
    assert err <= units * np.finfo(b.dtype).eps * scale, (err, scale)


def _r(rng, dt, *shape):
    return np.asarray(rng.standard_normal(shape), dtype=dt)


# ----- the registry -------------------------------------------------------------------------


def test_registry_knows_the_array_ops():
    for name in ("transpose", "sum", "mean", "softmax", "log_softmax", "mse", "bce", "cross_entropy"):
        assert name in FUNCTIONS, name
        assert RULES[name].arrays_only
        assert name not in SCALAR_FUNCTIONS and name not in CALLABLE
    assert OPERATORS["@"].name == "matmul"
    assert "matmul" not in FUNCTIONS
    assert "sigmoid" in SCALAR_FUNCTIONS


def test_formulas_and_infix_say_the_rule():
    mm = RULES["matmul"]
    assert mm.local_text(0, ["X", "W"], "z") == "upstream · Wᵀ"
    assert mm.local_text(1, ["X", "W"], "z") == "Xᵀ · upstream"
    assert specialized_rule("mean", (("axis", 0),)).infix.format("h") == "mean(h, axis=0)"
    summed = specialized_rule("mse", (("reduction", "sum"),))
    assert summed.infix.format("y_hat", "y") == 'mse(y_hat, y, reduction="sum")'
    assert summed.local_text(0, ["y_hat", "y"], "loss") == "2*(y_hat-y)"
    assert RULES["mse"].local_text(0, ["y_hat", "y"], "loss") == "2*(y_hat-y)/n"
    assert RULES["cross_entropy"].local_text(0, ["z", "y"], "loss") == "(softmax(z)-onehot(y))/N"
    assert RULES["softmax"].keywords == RULES["mean"].keywords
    assert RULES["mse"].keywords == {"reduction": ("mean", "sum")}


def test_local_values_are_what_the_vjp_multiplies_by():
    x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    w = np.array([[0.5], [-1.0]])
    mm = RULES["matmul"]
    out = mm.forward(x, w)
    assert mm.local(0, (x, w), out, np.float64) is w
    assert mm.local(1, (x, w), out, np.float64) is x
    y = np.array([[0.0], [1.0], [-1.0]])
    mse = RULES["mse"]
    # 2*(y_hat - y)/n by hand, n = 3, as torch forms it: (2/3) · (y_hat − y)
    assert mse.local(0, (out, y), mse.forward(out, y), np.float64).tolist() == [
        [(2 / 3) * (-1.5 - 0.0)], [(2 / 3) * (-2.5 - 1.0)], [(2 / 3) * (-3.5 + 1.0)]
    ]
    mean = RULES["mean"]
    assert mean.local(0, (x,), mean.forward(x), np.float64).tolist() == [[1 / 6] * 2] * 3
    sm = RULES["softmax"]
    s = sm.forward(x)
    assert sm.local(0, (x,), s, np.float64) is s


# ----- exact against torch ------------------------------------------------------------------------


def _reductions():
    out = [RULES["sum"], RULES["mean"]]
    for op in ("sum", "mean"):
        out += [specialized_rule(op, (("axis", a),)) for a in (0, 1, -1)]
    return out


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_sum_and_mean_are_torchs_bits(dt, seed):
    rng, d = draw(seed, n=(1, 70), m=(1, 12))
    n, m = d["n"], d["m"]
    for rule in _reductions():
        out, ref, grads = against_torch(rule, [_r(rng, dt, n, m)], dt, rng)
        same(out, ref)
        for mine, theirs in grads:
            same(mine, theirs)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_transpose_is_torchs(dt, seed):
    rng, d = draw(seed, n=(1, 12), m=(1, 12))
    n, m = d["n"], d["m"]
    out, ref, grads = against_torch(RULES["transpose"], [_r(rng, dt, n, m)], dt, rng)
    same(out, ref)
    same(*grads[0])


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("seed", SEEDS)
def test_mse_is_torchs_bits(dt, reduction, seed):
    rng, d = draw(seed, n=(1, 300), m=(1, 3))
    n, m = d["n"], d["m"]
    rule = specialized_rule("mse", (("reduction", reduction),))
    out, ref, grads = against_torch(rule, [_r(rng, dt, n, m), _r(rng, dt, n, m)], dt, rng)
    same(out, ref)
    for mine, theirs in grads:
        same(mine, theirs)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("seed", SEEDS)
def test_bce_gradient_is_torchs_bits(dt, reduction, seed):
    rng, d = draw(seed, n=(1, 300))
    n = d["n"]
    rule = specialized_rule("bce", (("reduction", reduction),))
    y_hat = rng.uniform(0, 1, (n, 1)).astype(dt)
    y = (rng.uniform(0, 1, (n, 1)) > 0.5).astype(dt)
    y_hat[0, 0] = 0.0 if n > 2 else y_hat[0, 0]  # a log of 0: torch clamps it at -100
    out, ref, grads = against_torch(rule, [y_hat, y], dt, rng)
    if dt is np.float64:
        same(out, ref)
    else:
        close(out, ref, units=4)  # logf and log1pf of a float32: an ulp here and there
    same(*grads[0])
    close(*grads[1], units=8)  # −logit(x): torch's logit kernel, the engine's log of the ratio


def test_bce_clamps_a_log_of_zero_at_minus_100():
    bce = RULES["bce"]
    # y = 1 and y_hat = 0: -log(0) would be inf; torch counts 100 (mean over 2: 50).
    value = bce.forward(np.array([0.0, 1.0]), np.array([1.0, 1.0]))
    assert value == 50.0


# ----- close to torch (BLAS, the vector library's exp) --------------------------------------------


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_matmul_against_torch(dt, seed):
    rng, d = draw(seed, n=(1, 12), k=(1, 12), m=(1, 12))
    n, k, m = d["n"], d["k"], d["m"]
    for a, b in [((n, k), (k, m)), ((n, k), (k,)), ((k,), (k, m)), ((k,), (k,))]:
        x, w = _r(rng, dt, *a), _r(rng, dt, *b)
        out, ref, grads = against_torch(RULES["matmul"], [x, w], dt, rng)
        # BLAS sums each dot product in its own order (blocks, fused multiply-adds): the
        # error is bounded by k roundings of |X|·|W| (the scale), not by |X·W|.
        close(out, ref, units=4 * k + 8)
        for mine, theirs in grads:
            close(mine, theirs, units=4 * max(n, m, k) + 8)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("seed", SEEDS[:10])
def test_softmax_against_torch(dt, op, axis, seed):
    rng, d = draw(seed, n=(1, 12), m=(1, 20))
    n, m = d["n"], d["m"]
    rule = RULES[op] if axis is None else specialized_rule(op, (("axis", axis),))
    out, ref, grads = against_torch(rule, [_r(rng, dt, n, m)], dt, rng)
    close(out, ref, units=8)
    close(*grads[0], units=64)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("seed", SEEDS)
def test_cross_entropy_against_torch(dt, reduction, seed):
    rng, d = draw(seed, n=(1, 300), c=(2, 12))
    n, c = d["n"], d["c"]
    rule = specialized_rule("cross_entropy", (("reduction", reduction),))
    labels = rng.integers(0, c, n).astype(dt)  # class indices stored as floats of the dtype
    out, ref, grads = against_torch(rule, [_r(rng, dt, n, c), labels], dt, rng, no_grad=(1,))
    close(out, ref, units=8)
    close(*grads[0], units=16)


def test_cross_entropy_of_one_sample():
    ce = RULES["cross_entropy"]
    z = np.array([1.0, 2.0, 3.0])
    # -log(softmax(z)[2]) = log(e^1 + e^2 + e^3) - 3
    assert ce.forward(z, np.float64(2.0)) == pytest.approx(np.log(np.exp(z).sum()) - 3, rel=1e-15)
    grad = ce.backward(0, (z, np.float64(2.0)), ce.forward(z, np.float64(2.0)), np.float64(1.0))
    p = np.exp(z) / np.exp(z).sum()
    np.testing.assert_allclose(grad, p - [0, 0, 1], rtol=1e-14)


# ----- the elementwise ops on arrays, broadcasting undone --------------------------------------------

ARG_SHAPES = ["same", "row", "row1", "col", "scalar", "lead"]


def _shape(kind, n, m):
    return {"same": (n, m), "row": (m,), "row1": (1, m), "col": (n, 1), "scalar": (), "lead": (1, 1)}[kind]


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow"])
@pytest.mark.parametrize("kind", ARG_SHAPES)
@pytest.mark.parametrize("seed", SEEDS[:6])
def test_binary_ops_broadcast_as_torch(dt, op, kind, seed):
    rng, d = draw(seed, n=(1, 80), m=(1, 12), flip=(0, 1))
    n, m, flip = d["n"], d["m"], d["flip"]
    a = _r(rng, dt, n, m)
    b = _r(rng, dt, *_shape(kind, n, m))
    if op == "pow":
        a = np.abs(a) + dt(0.5)
    if op == "div":
        b = np.where(np.abs(b) < 0.1, dt(1), b).astype(dt)
    args = [b, a] if flip and op != "pow" else [a, b]
    args = [x[()] if x.ndim == 0 else x for x in args]
    out, ref, grads = against_torch(RULES[op], args, dt, rng)
    same(out, ref) if op != "pow" else close(out, ref, units=2)
    for mine, theirs in grads:
        if op == "pow":
            close(mine, theirs, units=4 * n + 8)  # np.power, np.log and torch's differ by an ulp
        else:
            same(mine, theirs)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("c", [2.0, 3.0, 0.5, -1.0, 1.7])
@pytest.mark.parametrize("seed", SEEDS[:5])
def test_power_of_a_constant_on_arrays(dt, c, seed):
    rng, d = draw(seed, n=(1, 40), m=(1, 12))
    n, m = d["n"], d["m"]
    a = np.abs(_r(rng, dt, n, m)) + dt(0.25)
    rule = pow_scalar_rule(c)
    ta = _tensor(a, dt)
    tout = ta**c
    out = rule.forward(a, dt(c))
    if c in (2.0, 3.0, -1.0):
        same(out, tout.detach().numpy())
    else:  # torch's vector pow/sqrt on an array, another last bit than on a number now and then
        close(out, tout.detach().numpy(), units=2)
    up = _r(rng, dt, n, m)
    tout.backward(torch.tensor(up))
    close(rule.backward(0, (a, dt(c)), out, up), ta.grad.numpy(), units=2)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize(
    "op", ["sigmoid", "tanh", "relu", "exp", "log", "softplus", "neg", "sqrt", "abs", "sin", "cos", "log1p"]
)
@pytest.mark.parametrize("seed", SEEDS[:5])
def test_unary_ops_on_arrays(dt, op, seed):
    rng, d = draw(seed, n=(1, 40), m=(1, 12))
    n, m = d["n"], d["m"]
    a = _r(rng, dt, n, m)
    if op in ("log", "sqrt", "log1p"):
        a = np.abs(a) + dt(0.1)
    out, ref, grads = against_torch(RULES[op], [a], dt, rng)
    close(out, ref, units=2)  # exp, log, tanh: torch's vector library against correctly rounded
    close(*grads[0], units=4)


def test_elementwise_locals_have_the_outputs_shape():
    x = np.arange(6.0).reshape(3, 2)
    w = np.float64(0.5)
    b = np.array([1.0, -1.0])
    mul, add = RULES["mul"], RULES["add"]
    out = mul.forward(x, w)
    wrt_x = mul.local(0, (x, w), out, np.float64)
    assert wrt_x.shape == (3, 2) and (wrt_x == 0.5).all()  # w in every place
    assert mul.local(1, (x, w), out, np.float64) is x
    z = add.forward(out, b)
    assert add.local(1, (out, b), z, np.float64).tolist() == [[1.0, 1.0]] * 3
    # a number times a number stays a number (the scalar lectures' events are unchanged)
    assert mul.local(0, (np.float64(2.0), w), np.float64(1.0), np.float64) is w


# ----- sums in torch's order ----------------------------------------------------------------------


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("seed", range(40))
def test_torch_sum_is_torchs_bits(dt, seed):
    rng = np.random.default_rng(seed)
    shape = [int(s) for s in rng.integers(1, 41, size=int(rng.integers(1, 4)))]
    x = (rng.standard_normal(shape) * 10 ** rng.uniform(-3, 3, shape)).astype(dt)
    axes = sorted(int(a) for a in rng.permutation(len(shape))[: int(rng.integers(0, len(shape) + 1))])
    keep = bool(rng.integers(0, 2))
    got = torch_sum(x, tuple(axes) if axes else None, keepdims=keep)
    t = torch.from_numpy(x)
    ref = t.sum(dim=tuple(axes), keepdim=keep) if axes else (t.sum() if not keep else t.sum(
        dim=tuple(range(len(shape))), keepdim=True))
    kinds = [i in axes or not axes for i, s in enumerate(shape) if s != 1]
    changes = sum(1 for a, b in itertools.pairwise(kinds) if a != b)
    if changes <= 1:
        same(got, ref.numpy())
    else:  # reduced, kept, reduced: NumPy's order (no lecture sums so)
        close(got, ref.numpy(), units=shape[0] * shape[-1])


def test_unbroadcast_sums_back_to_the_argument():
    g = np.arange(12.0).reshape(4, 3)
    assert unbroadcast(g, (3,)).tolist() == [18.0, 22.0, 26.0]
    assert unbroadcast(g, (1, 3)).tolist() == [[18.0, 22.0, 26.0]]
    assert unbroadcast(g, (4, 1)).tolist() == [[3.0], [12.0], [21.0], [30.0]]
    assert unbroadcast(g, ()) == 66.0 and np.ndim(unbroadcast(g, ())) == 0
    assert unbroadcast(g, (4, 3)) is g
    assert unbroadcast(np.float64(2.0), (1,)).tolist() == [2.0]


# ----- shapes -------------------------------------------------------------------------------------


def _graph(*ops, leaves):
    """Leaves (name, 'input'|'param'), then op nodes (name, op, args, attrs); the last is the loss."""
    nodes = [Node(i, name, kind) for i, (name, kind) in enumerate(leaves)]
    for name, op, args, attrs in ops:
        nodes.append(Node(len(nodes), name, op, tuple(args), attrs=attrs))
    return Graph(tuple(nodes), len(nodes) - 1)


def test_infer_shapes_of_a_wide_and_deep_model():
    g = _graph(
        ("z1", "matmul", [0, 2], ()),
        ("a1", "add", [4, 3], ()),
        ("h1", "sigmoid", [5], ()),
        ("z2", "matmul", [6, 2 + 0 * 0], ()),
        leaves=[("x", "input"), ("y", "input"), ("W1", "param"), ("b1", "param")],
    )
    with pytest.raises(ShapeError):  # h1 (759, 6) @ W1 (8, 6)
        infer_shapes(g, {0: (759, 8), 1: (759, 1), 2: (8, 6), 3: (6,)})
    g = _graph(
        ("z1", "matmul", [0, 2], ()),
        ("a1", "add", [5, 3], ()),
        ("h1", "sigmoid", [6], ()),
        ("z2", "matmul", [7, 4], ()),
        ("y_hat", "sigmoid", [8], ()),
        ("loss", "bce", [9, 1], ()),
        leaves=[("x", "input"), ("y", "input"), ("W1", "param"), ("b1", "param"), ("W2", "param")],
    )
    shapes = infer_shapes(g, {0: (759, 8), 1: (759, 1), 2: (8, 6), 3: (6,), 4: (6, 1)})
    assert shapes == [(759, 8), (759, 1), (8, 6), (6,), (6, 1), (759, 6), (759, 6), (759, 6), (759, 1),
                      (759, 1), ()]


def test_infer_shapes_with_constants_and_keywords():
    g = _graph(
        ("s", "sub", [0, 1], ()),
        ("sq", "pow", [2, Const(2.0, "2")], ()),
        ("m", "mean", [3], (("axis", 0),)),
        ("loss", "sum", [4], ()),
        leaves=[("y_hat", "input"), ("y", "input")],
    )
    assert infer_shapes(g, {0: (5, 2), 1: (5, 2)})[2:] == [(5, 2), (5, 2), (2,), ()]


def _error(g, leaves):
    with pytest.raises(ShapeError) as e:
        infer_shapes(g, leaves)
    return e.value


def test_shape_errors_say_what_the_lecture_would():
    x_w = _graph(("z", "matmul", [0, 1], ()), leaves=[("x", "input"), ("W1", "param")])
    e = _error(x_w, {0: (4, 3), 1: (2, 6)})
    assert str(e) == "x @ W1: (4, 3) @ (2, 6) cannot be multiplied (3 ≠ 2)" and e.node == 2
    assert str(_error(x_w, {0: (4, 3), 1: (2,)})) == "x @ W1: (4, 3) @ (2,) cannot be multiplied (3 ≠ 2)"
    assert str(_error(x_w, {0: (), 1: (2,)})) == (
        "x @ W1: () @ (2,) cannot be multiplied (a number has no axes: use *)"
    )
    add = _graph(("s", "add", [0, 1], ()), leaves=[("z", "input"), ("b", "param")])
    assert str(_error(add, {0: (4, 3), 1: (2,)})) == "z + b: (4, 3) + (2,) cannot be broadcast"
    mul = _graph(("s", "mul", [0, 1], ()), leaves=[("z", "input"), ("b", "param")])
    assert str(_error(mul, {0: (4, 3), 1: (4,)})) == "z * b: (4, 3) * (4,) cannot be broadcast"
    mean = _graph(("m", "mean", [0], (("axis", 2),)), leaves=[("h", "input")])
    e = _error(mean, {0: (4, 3)})
    assert str(e) == "mean(h, axis=2): h has 2 axes (0 and 1)" and e.node == 1
    assert str(_error(mean, {0: (4,)})) == "mean(h, axis=2): h has 1 axis (0)"
    ce = _graph(("loss", "cross_entropy", [0, 1], ()), leaves=[("z", "input"), ("y", "input")])
    assert str(_error(ce, {0: (4, 3), 1: (4, 1)})) == (
        "cross_entropy(z, y): y is (4, 1), but the labels of z (4, 3) are (4,): one class number a "
        "sample (y: [2, 0, 1]; from a CSV, one column: y: 2)"
    )
    summed = (("reduction", "sum"),)
    mse = _graph(("loss", "mse", [0, 1], summed), leaves=[("y_hat", "input"), ("y", "input")])
    assert str(_error(mse, {0: (4, 1), 1: (4,)})) == (
        'mse(y_hat, y, reduction="sum"): y_hat is (4, 1) but y is (4,): they must have the same shape'
    )
    t = _graph(("t", "transpose", [0], ()), leaves=[("w", "param")])
    assert str(_error(t, {0: (3,)})) == "w.T: w has 1 axis (0): .T swaps the 2 axes of a matrix"
    sm = _graph(("p", "softmax", [0], ()), leaves=[("z", "input")])
    assert str(_error(sm, {0: ()})) == "softmax(z): z is a number: a softmax needs a vector of scores"


# ----- the roads for scalar models say so, instead of failing ----------------------------------


def test_closed_forms_say_an_array_model_has_none():
    from stepgrad.symbolic.convert import derive_sympy
    from stepgrad.symbolic.result import TooLarge

    g = _graph(
        ("z", "matmul", [0, 2], ()),
        ("loss", "mse", [3, 1], ()),
        leaves=[("x", "input"), ("y", "input"), ("w", "param")],
    )
    said = derive_sympy(g)
    assert isinstance(said, TooLarge)
    assert said.reason == "closed forms are for scalar models (matmul and mse work on arrays)"


def test_a_hand_derivation_may_not_call_an_array_op():
    from stepgrad.language.formula import FormulaError, compile_formula

    assert compile_formula("sigmoid(w) * x", {"w", "x"}).names == {"w", "x"}
    with pytest.raises(FormulaError, match="only these functions may be called"):
        compile_formula("mean(w)", {"w"})


def test_float32_sigmoid_of_an_array_is_mostly_torchs_bits():
    """torch's float32 exp is (nearly) correctly rounded, NumPy's own is not: with exp taken
    in double and rounded once, 96% of sigmoids are torch's bits (83% with NumPy's float32
    exp); the rest differ by an ulp, where torch's vector exp is not correctly rounded."""
    x = (np.random.default_rng(0).standard_normal(20_000) * 3).astype(np.float32)
    ours = RULES["sigmoid"].forward(x)
    theirs = torch.sigmoid(torch.from_numpy(x)).numpy()
    assert np.mean(ours == theirs) > 0.95
    close(ours, theirs, units=2)


@pytest.mark.parametrize("dt", DTYPES)
def test_tanh_gradient_of_an_array_is_torchs_bits(dt):
    """torch's tanh_backward rounds 1 - y² once (a fused multiply-add); so does the engine,
    every entry of an array at once (near ±1 a twice-rounded 1 - y² is thousands of ulps off)."""
    spread = np.random.default_rng(1).standard_normal(5000) * 3
    x = np.concatenate([spread, [6.0, -6.0, 0.0, 1e-8]]).astype(dt)
    t = _tensor(x, dt)
    y = torch.tanh(t)
    up = np.random.default_rng(2).standard_normal(x.shape).astype(dt)
    y.backward(torch.tensor(up))
    out = y.detach().numpy()
    tanh = RULES["tanh"]
    same(tanh.backward(0, (x,), out, up), t.grad.numpy())
    one = np.array([tanh.local(0, (v,), o, dt) for v, o in zip(x[:50], out[:50], strict=True)])
    same(tanh.local(0, (x,), out, dt)[:50], one)  # an array's entries are the numbers' locals
