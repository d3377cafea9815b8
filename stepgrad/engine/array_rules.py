"""The numbers of the array ops: ``@``, ``.T``, ``sum``, ``mean``, ``softmax``,
``log_softmax`` and the losses ``mse``, ``bce``, ``cross_entropy``.

Read through the op registry (``engine.ops.RULES``), like ``engine.rules``. Each op has a
forward rule, a local value (what its vjp multiplies the upstream by: never a full
Jacobian) and a vjp that repeats torch's backward (CPU kernels) operation for operation,
sums in torch's order (``engine.reduce``), so that the engine's gradients are torch's bits
wherever the kernels are plain arithmetic. Where they are not (``@`` is BLAS's, ``exp``
and ``log`` in softmax are torch's vector library's) they agree to an ulp or so.

An op with keywords (``axis``, ``reduction``) is made by a factory that closes over them
(``reduce_rules(axis, mean)``), as a power to a constant closes over its exponent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stepgrad.engine.reduce import LANES, torch_sum
from stepgrad.engine.rules import dtype_of, one_like, wide, zero_like
from stepgrad.lazy import LazyModule

np: Any = LazyModule("numpy", globals(), "np")

Value = Any
Rule = Callable[..., Value]

#: torch's clamp of a log in binary_cross_entropy (a log of 0 counts -100, not -inf).
BCE_LOG_FLOOR = -100.0
#: torch's floor of (1 - x)·x in binary_cross_entropy_backward: its EPSILON is the float
#: 1e-12f, so in double it is 1e-12 rounded to float32 (a gradient at y_hat = 0 shows it).
BCE_EPSILON = 9.999999960041972e-13


# ----- matmul ------------------------------------------------------------------------------


def matmul_forward(a: Value, b: Value) -> Value:
    return np.matmul(a, b)


def matmul_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    # ∂(X@W)/∂X multiplies the upstream by W (upstream · Wᵀ), ∂/∂W by X (Xᵀ · upstream).
    return a[1] if k == 0 else a[0]


def matmul_vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
    # torch: mm's backward (grad @ Wᵀ, Xᵀ @ grad); mv's (grad ⊗ v, Xᵀ @ grad); dot's
    # (grad * other); a row vector on the left is a (1, k) matrix.
    # The arguments are arrays (@ refuses numbers): their own .ndim and .swapaxes, without
    # np.ndim's and np.swapaxes's dispatch (a third of the time of a small product).
    x, w = a
    if type(x) is not np.ndarray or type(w) is not np.ndarray:
        x, w = np.asarray(x), np.asarray(w)
    if k == 0:
        if w.ndim == 1:
            return np.outer(up, w) if x.ndim == 2 else up * w
        return np.matmul(up, w.swapaxes(-1, -2))
    if x.ndim == 1:
        return np.outer(x, up) if w.ndim == 2 else up * x
    return np.matmul(x.swapaxes(-1, -2), up)


# ----- transpose ---------------------------------------------------------------------------


def transpose_forward(a: Value) -> Value:
    return np.transpose(a)


def transpose_local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
    # Nothing is multiplied: the upstream is transposed back (its formula says so).
    return dt(1)


def transpose_vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
    return np.transpose(up)


# ----- sum and mean ------------------------------------------------------------------------


def _count(x: Value, axis: int | None) -> int:
    return int(np.size(x)) if axis is None else int(np.shape(x)[axis])


def _spread(up: Value, x: Value, axis: int | None) -> Value:
    """The upstream of a sum over ``axis`` given back to every element of ``x`` (torch's
    ``grad.expand``), as an array of its own."""
    if axis is not None:
        up = np.expand_dims(up, axis)
    return np.broadcast_to(up, np.shape(x)).copy()


def reduce_rules(axis: int | None, mean: bool) -> tuple[Rule, Rule, Rule]:
    """forward, local and vjp of ``sum`` (or ``mean``) over ``axis`` (None: every element)."""

    def forward(x: Value) -> Value:
        total = torch_sum(x, axis)
        if not mean:
            return total
        # torch: sum, then divided by the count (mean_out's sum_out(...).div_(n)).
        return total / dtype_of(total)(_count(x, axis))

    def local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
        ones = one_like(dt, np.asarray(a[0]))
        return ones / dt(_count(a[0], axis)) if mean else ones

    def vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
        grad = _spread(up, a[0], axis)
        # torch's mean_backward: grad.expand(shape) / n, a division (not * 1/n).
        return grad / dtype_of(up)(_count(a[0], axis)) if mean else grad

    return forward, local, vjp


# ----- softmax and log_softmax ---------------------------------------------------------------


def lane_sum(x: Value) -> Value:
    """The sum over the last axis as torch's ``vec::reduce_all`` forms it (softmax's sums):
    in order below a vector's width; else one partial sum per vector lane, the last partial
    vector added to the first lanes, the lanes then added (AVX2: float32 as a tree)."""
    n = x.shape[-1]
    lanes = LANES.get(x.dtype.itemsize, 1)
    if n < lanes:
        total = x[..., 0]
        for i in range(1, n):
            total = total + x[..., i]
        return total
    whole = n // lanes
    acc = x[..., :lanes]
    for d in range(1, whole):
        acc = acc + x[..., d * lanes : (d + 1) * lanes]
    rest = n - whole * lanes
    if rest:
        acc = acc.copy()
        acc[..., :rest] = acc[..., :rest] + x[..., whole * lanes :]
    if lanes == 8:
        half = acc[..., :4] + acc[..., 4:]
        pairs = half[..., :2] + half[..., 2:]
        return pairs[..., 0] + pairs[..., 1]
    total = acc[..., 0]
    for i in range(1, lanes):
        total = total + acc[..., i]
    return total


def _along(x: Value, axis: int, f: Callable[[Value], Value]) -> Value:
    """``f`` (which works on the last axis and drops it) applied along ``axis``, kept as 1."""
    moved = np.moveaxis(x, axis, -1)
    return np.expand_dims(f(moved), axis)


def exp(x: Value) -> Value:
    return wide(np.exp, x)


def log(x: Value) -> Value:
    return wide(np.log, x)


def softmax_of(x: Value, axis: int) -> Value:
    """torch's softmax kernel: exp(x − max) times the reciprocal of their sum."""
    e = exp(x - np.max(x, axis=axis, keepdims=True))
    total = _along(e, axis, lane_sum)
    return e * (dtype_of(total)(1) / total)


def log_softmax_of(x: Value, axis: int) -> Value:
    """torch's log_softmax kernel: (x − max) − log(Σ exp(x − max)), in that order."""
    m = np.max(x, axis=axis, keepdims=True)
    total = _along(exp(x - m), axis, lane_sum)
    return (x - m) - log(total)


def softmax_rules(axis: int, logarithm: bool) -> tuple[Rule, Rule, Rule]:
    """forward, local and vjp of ``softmax`` (or ``log_softmax``) over ``axis``."""

    def forward(x: Value) -> Value:
        return log_softmax_of(x, axis) if logarithm else softmax_of(x, axis)

    def local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
        # softmax: its output (upstream's deviation from its average, times the output);
        # log_softmax: the softmax, exp of its output.
        return exp(out) if logarithm else out

    def vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
        up = np.broadcast_to(up, np.shape(out))
        if logarithm:
            # torch: grad − exp(out) · Σ grad
            return up - exp(out) * _along(up, axis, lane_sum)
        # torch: (grad − Σ grad·out) · out
        return (up - _along(up * out, axis, lane_sum)) * out

    return forward, local, vjp


# ----- losses --------------------------------------------------------------------------------


def _reduce(loss: Value, mean: bool) -> Value:
    total = torch_sum(loss)
    return total / dtype_of(total)(np.size(loss)) if mean else total


def mse_rules(mean: bool) -> tuple[Rule, Rule, Rule]:
    """``mse(y_hat, y)``: torch's mse_loss, mean (or sum) of (y_hat − y)²."""

    def forward(a: Value, b: Value) -> Value:
        d = a - b
        return _reduce(d * d, mean)

    def vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
        # torch's mse_loss_backward: norm · (input − target) · grad, norm = 2/n (mean) or 2,
        # computed in double and rounded to the dtype; the target's is the same with the
        # two swapped.
        dt = dtype_of(out)
        norm = dt(2.0 / np.size(a[0]) if mean else 2.0)
        d = a[0] - a[1] if k == 0 else a[1] - a[0]
        return norm * d * up

    def local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
        return vjp(k, a, out, dt(1))

    return forward, local, vjp


def bce_rules(mean: bool) -> tuple[Rule, Rule, Rule]:
    """``bce(y_hat, y)``: torch's binary_cross_entropy, each log clamped at −100."""

    def forward(a: Value, b: Value) -> Value:
        dt = dtype_of(a)
        floor = dt(BCE_LOG_FLOOR)
        if _alike(a, b) and a.dtype.char == "f":
            # float32 arrays: the same operations, each into an array an earlier one made
            # (-a widened is a widened then negated, exactly).
            with np.errstate(divide="ignore"):
                wide_miss = np.negative(a, dtype=np.float64)
                np.log1p(wide_miss, out=wide_miss)
                log_miss = wide_miss.astype(np.float32)
                np.maximum(log_miss, floor, out=log_miss)
                log_hit = np.log(a, dtype=np.float64).astype(np.float32)
                np.maximum(log_hit, floor, out=log_hit)
            terms = np.subtract(b, dt(1))
            np.multiply(terms, log_miss, out=terms)
            np.multiply(b, log_hit, out=log_hit)
            return _reduce(np.subtract(terms, log_hit, out=terms), mean)
        with np.errstate(divide="ignore"):
            log_miss = np.maximum(wide(np.log1p, -a), floor)
            log_hit = np.maximum(log(a), floor)
        return _reduce((b - dt(1)) * log_miss - b * log_hit, mean)

    def vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
        x, y = a
        dt = dtype_of(out)
        if k == 0 and _alike(x, y) and getattr(up, "dtype", None) == x.dtype and np.ndim(up) == 0:
            # The same operations, each into an array an earlier one made.
            grad = np.subtract(x, y)
            np.multiply(up, grad, out=grad)
            floor = np.subtract(dt(1), x)
            np.multiply(floor, x, out=floor)
            np.maximum(floor, dt(BCE_EPSILON), out=floor)
            np.divide(grad, floor, out=grad)
            return np.divide(grad, dt(x.size), out=grad) if mean else grad
        if k == 0:
            # torch: grad · (x − y) / max((1 − x) · x, 1e-12), then / n for the mean.
            grad = up * (x - y) / np.maximum((dt(1) - x) * x, dt(BCE_EPSILON))
        else:
            # torch's binary_cross_entropy_target_backward: −logit(x) · grad.
            with np.errstate(divide="ignore"):
                grad = -log(x / (dt(1) - x)) * up
        return grad / dt(np.size(x)) if mean else grad

    def local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
        return vjp(k, a, out, dt(1))

    return forward, local, vjp


def _alike(a: Value, b: Value) -> bool:
    """Both arrays (not 0-d) of one shape and dtype: an elementwise result can be written
    into an array made from them."""
    return (
        type(a) is np.ndarray
        and type(b) is np.ndarray
        and a.ndim > 0
        and a.shape == b.shape
        and a.dtype == b.dtype
    )


def _nll_sum(v: Value) -> Value:
    """Σ v in nll_loss's order (LossNLL.cpp): a cascade of 8 levels in which the first
    element goes straight to the top and then every 16 move up one level."""
    dt = v.dtype.type
    levels = []
    items = v
    for _ in range(7):
        n = items.shape[0]
        if n == 0:
            levels.append(dt(0))
            continue
        whole = (n - 1) // 16
        body = items[1 : 1 + whole * 16].reshape(whole, 16)
        chunks = np.cumsum(body, axis=1)[:, -1] if whole else body[:, 0]
        rest = items[1 + whole * 16 :]
        levels.append(np.cumsum(rest)[-1] if rest.size else dt(0))
        items = np.concatenate([items[:1], chunks])
    levels.append(np.cumsum(items)[-1] if items.size else dt(0))
    total = dt(0)
    for part in levels:
        total = total + part
    return total


def _classes(labels: Value) -> Value:
    # Labels are class indices, stored as floats of the dtype by the engine.
    return np.asarray(labels).astype(np.int64)


def cross_entropy_rules(mean: bool) -> tuple[Rule, Rule, Rule]:
    """``cross_entropy(logits, labels)``: torch's log_softmax over the classes, then
    nll_loss (the minus log-probability of each label, summed, divided by N for the mean)."""

    def picked(logits: Value, labels: Value) -> tuple[Value, Value]:
        ls = log_softmax_of(logits, -1)
        t = _classes(labels)
        if ls.ndim == 1:
            return ls, ls[t][None]
        return ls, ls[np.arange(ls.shape[0]), t]

    def forward(logits: Value, labels: Value) -> Value:
        chosen = picked(logits, labels)[1]
        total = _nll_sum(-chosen)
        return total / dtype_of(total)(chosen.shape[0]) if mean else total

    def vjp(k: int, a: tuple[Value, ...], out: Value, up: Value) -> Value:
        logits, labels = a
        dt = dtype_of(out)
        if k == 1:
            return zero_like(dt, np.asarray(labels))  # class indices carry no gradient
        ls = log_softmax_of(logits, -1)
        t = _classes(labels)
        n = 1 if ls.ndim == 1 else ls.shape[0]
        # nll_loss_backward: −(grad / N) at each label, 0 elsewhere; then log_softmax's
        # backward: g − exp(ls) · Σ g, where a row's Σ g is its one entry.
        g = -(up / dt(n)) if mean else -up
        rows = np.zeros_like(ls)
        if ls.ndim == 1:
            rows[t] = g
        else:
            rows[np.arange(n), t] = g
        return rows - exp(ls) * np.sum(rows, axis=-1, keepdims=True)

    def local(k: int, a: tuple[Value, ...], out: Value, dt: Any) -> Value:
        return vjp(k, a, out, dt(1))

    return forward, local, vjp
