"""Slopes: |f'| of each function at (a, out), for the closed-form evaluator's
rounding-error bound. Read through the op registry (``OpRule.slope``)."""

from __future__ import annotations

from typing import Any

from stepgrad.lazy import LazyModule

# NumPy is imported by the first slope that runs, as in ``engine.rules``.
np: Any = LazyModule("numpy", globals(), "np")

Value = Any  # a NumPy scalar or array of the scenario's dtype


def exp_slope(a: Value, v: Value) -> Any:
    return v


def log_slope(a: Value, v: Value) -> Any:
    return 1.0 / a


def sqrt_slope(a: Value, v: Value) -> Any:
    return 0.5 / v


def sigmoid_slope(a: Value, v: Value) -> Any:
    return v * (1 - v)


def tanh_slope(a: Value, v: Value) -> Any:
    return 1 - v * v


def relu_slope(a: Value, v: Value) -> Any:
    return float(a > 0)


def sin_slope(a: Value, v: Value) -> Any:
    return np.cos(a)


def cos_slope(a: Value, v: Value) -> Any:
    return -np.sin(a)


def unit_slope(a: Value, v: Value) -> Any:
    # abs, and softplus (its slope, sigmoid, is below 1)
    return 1.0


def log1p_slope(a: Value, v: Value) -> Any:
    return 1.0 / (1 + a)


def zero_slope(a: Value, v: Value) -> Any:
    return 0.0


def tan_slope(a: Value, v: Value) -> Any:
    return 1 + v * v


def sinh_slope(a: Value, v: Value) -> Any:
    return np.cosh(a)


def cosh_slope(a: Value, v: Value) -> Any:
    return np.sinh(a)
