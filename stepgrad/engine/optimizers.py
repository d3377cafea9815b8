"""Optimizers other than the lecture's ``w.data = w.data - lr * w.grad.data``: torch's SGD
with momentum and Adam, with torch's formulas in torch's order, so that float32 and
float64 runs agree with ``torch.optim`` as closely as their kernels allow.

An update takes a param's value, its gradient, the learning rate and what the optimizer
kept for that param after the previous step (``()`` before the first), and gives the new
value, what to keep, and what the ``update`` event shows (``Optimizer.state_names``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from stepgrad.engine.program import Optimizer

Value = Any

Kept = tuple[Value, ...]
"""What an optimizer keeps for one param between steps."""

Updated = tuple[Value, Kept, tuple[Value, ...]]
"""The new value, what to keep, and the event's state fields."""

UpdateRule = Callable[[int, Value, Value, Value, Kept], Updated]
"""(step, before, grad, lr, kept) -> (after, kept after this step, the event's state fields)."""


def make_update(opt: Optimizer, dtype: Any) -> UpdateRule | None:
    """The update of ``opt`` for values of ``dtype``; None when it is ``before − lr · grad``
    (the lecture's loop, and torch's SGD without momentum: ``p.add_(g, alpha=-lr)``)."""
    dt = dtype.type
    if opt.name == "adam":
        return _adam(opt, dt)
    if opt.name == "sgd" and opt.momentum:
        return _momentum(opt, dt)
    return None


def _momentum(opt: Optimizer, dt: Any) -> UpdateRule:
    momentum = dt(opt.momentum)

    def update(step: int, before: Value, grad: Value, lr: Value, kept: Kept) -> Updated:
        # torch: the buffer starts as a copy of the first gradient, then buf·momentum + grad.
        velocity = grad if not kept else kept[0] * momentum + grad
        after = before - lr * velocity
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
