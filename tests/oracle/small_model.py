"""The small array model the oracle's tests share: a 3 -> 2 tanh layer on five samples,
small enough to check a step by hand, with every array op the oracle must follow."""

from __future__ import annotations


def small_model(dtype: str) -> str:
    """The model's scenario text without its ``train:`` line, in ``dtype``."""
    return f"""
name: small arrays
dtype: {dtype}
params:
  W: [[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]]
  b: [0.01, -0.02]
data:
  x: [[1.0, 2.0, 3.0], [0.5, -1.0, 2.0], [-1.5, 0.0, 1.0], [2.0, 1.0, -0.5], [0.3, 0.2, 0.1]]
  y: [[0.5, -0.5], [1.0, 0.0], [0.0, 1.0], [-1.0, 0.5], [0.2, 0.2]]
model:
  z: x @ W + b
  h: tanh(z)
  loss: mse(h, y)
"""
