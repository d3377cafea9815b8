"""Optimizers other than the lecture's ``w.data = w.data - lr * w.grad.data``: torch's SGD
(its step a fused multiply-add), with momentum, and Adam, with torch's formulas in torch's
order, so that float32 and float64 runs agree with ``torch.optim`` as closely as their
kernels allow.

An update takes a param's value, its gradient, the learning rate and what the optimizer
kept for that param after the previous step (``()`` before the first), and gives the new
value, what to keep, and what the ``update`` event shows (``Optimizer.state_names``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from stepgrad.engine.program import Optimizer
from stepgrad.lazy import LazyModule

np: Any = LazyModule("numpy", globals(), "np")

Value = Any

Kept = tuple[Value, ...]
"""What an optimizer keeps for one param between steps."""

Updated = tuple[Value, Kept, tuple[Value, ...]]
"""The new value, what to keep, and the event's state fields."""

UpdateRule = Callable[[int, Value, Value, Value, Kept], Updated]
"""(step, before, grad, lr, kept) -> (after, kept after this step, the event's state fields)."""


def make_update(opt: Optimizer, dtype: Any) -> UpdateRule | None:
    """The update of ``opt`` for values of ``dtype``; None when it is ``before − lr · grad``
    rounded twice (the lecture's loop: ``w.data - lr * w.grad.data``, a product then a
    difference)."""
    dt = dtype.type
    if opt.name == "adam":
        return _adam(opt, dt)
    if opt.name == "sgd":
        return _momentum(opt, dt) if opt.momentum else _sgd(dt)
    return None


def fused_step(before: Value, grad: Value, lr: Value) -> Value:
    """``before − lr · grad`` rounded once, as torch's ``p.add_(g, alpha=-lr)`` computes it
    (a fused multiply-add on CPU): float32 through float64, where the product is exact;
    float64 with the product's rounding error carried (Dekker's split) and added back."""
    if before.dtype.char == "f":  # float32
        wide = before.astype(np.float64)
        wide -= np.float64(lr) * grad.astype(np.float64)  # in place: 1.5 µs an 8 × 6 update, not 2.4
        return wide.astype(np.float32)
    product = lr * grad
    lr_hi, lr_lo = _split(lr)
    g_hi, g_lo = _split(grad)
    error = ((lr_hi * g_hi - product) + lr_hi * g_lo + lr_lo * g_hi) + lr_lo * g_lo
    diff = before - product
    z = diff - before
    rest = (before - (diff - z)) + (-product - z)  # diff + rest = before - product exactly
    out = diff + (rest - error)
    # The split overflows near the largest doubles: there, the two roundings.
    return np.where(np.isfinite(out), out, diff) if np.ndim(out) else (out if np.isfinite(out) else diff)


def fused_steps(befores: list[Value], grads: list[Value], lr: Value) -> list[Value]:
    """``fused_step`` of float32 arrays, every param at once: their numbers laid end to
    end, one step, each param's part given back in its shape (6 µs for lecture7's six
    params, 9.9 one by one). Each number is computed as ``fused_step`` computes it."""
    # Each flattened and laid end to end straight into float64 (one call, no float32 copy
    # first), the product in place.
    wide = np.concatenate(befores, axis=None, dtype=np.float64)
    product = np.concatenate(grads, axis=None, dtype=np.float64)
    product *= np.float64(lr)
    wide -= product
    out = wide.astype(np.float32)
    afters = []
    i = 0
    for b in befores:
        n = b.size
        part = out[i : i + n]
        afters.append(part if b.ndim == 1 else part.reshape(b.shape))
        i += n
    return afters


def _split(a: Value) -> tuple[Value, Value]:
    """``a`` as hi + lo, each with half of a double's digits (so hi · hi is exact)."""
    c = 134217729.0 * a  # 2**27 + 1
    hi = c - (c - a)
    return hi, a - hi


def _sgd(dt: Any) -> UpdateRule:
    def update(step: int, before: Value, grad: Value, lr: Value, kept: Kept) -> Updated:
        return fused_step(before, grad, lr), (), ()

    return update


def _momentum(opt: Optimizer, dt: Any) -> UpdateRule:
    momentum = dt(opt.momentum)

    def update(step: int, before: Value, grad: Value, lr: Value, kept: Kept) -> Updated:
        # torch: the buffer starts as a copy of the first gradient, then buf·momentum + grad.
        velocity = grad if not kept else kept[0] * momentum + grad
        after = fused_step(before, velocity, lr)
        return after, (velocity,), (velocity,)

    return update


def _adam(opt: Optimizer, dt: Any) -> UpdateRule:
    # torch's _single_tensor_adam (CPU): the scalars are Python floats until they meet a
    # tensor, where they take its dtype.
    b1, b2, eps = opt.beta1, opt.beta2, opt.eps
    w1 = dt(1 - b1)
    b2_ = dt(b2)
    w2 = dt(1 - b2)
    eps_ = dt(eps)

    def update(step: int, before: Value, grad: Value, lr: Value, kept: Kept) -> Updated:
        if kept:
            m, v = kept
        else:
            m = grad * dt(0)
            m = m - m  # zeros of the gradient's shape (+0.0 even where grad is -0.0)
            v = m
        t = step + 1
        # exp_avg.lerp_(grad, 1 - beta1): m + w·(grad − m) for a weight below 0.5.
        m = m + w1 * (grad - m)
        # exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        v = v * b2_ + w2 * grad * grad
        bc1 = 1 - b1**t
        bc2 = 1 - b2**t
        step_size = float(lr) / bc1
        denom = (v**0.5) / dt(math.sqrt(bc2)) + eps_
        after = before + dt(-step_size) * (m / denom)
        return after, (m, v), (m, v, dt(bc1), dt(bc2))

    return update


__all__ = ["Kept", "UpdateRule", "make_update"]
