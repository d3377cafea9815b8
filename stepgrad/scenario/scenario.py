"""What a loaded scenario is: the program the engine runs, and what the file says besides."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stepgrad.engine.program import Program


@dataclass(frozen=True)
class Expect:
    """Values ``stepgrad check`` asserts.

    A value is a number, or a nested list of numbers for an array.

    Attributes:
        grad: each param's gradient after the first backward pass.
        loss: the loss of the first forward pass.
        params: param values after training.
        predict: prediction values after training, by node name.
    """

    grad: dict[str, Any] = field(default_factory=dict)
    loss: float | None = None
    params: dict[str, Any] = field(default_factory=dict)
    predict: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """A loaded scenario.

    Attributes:
        path: the file as the user named it (or the bundled short name's file).
        name: the display name.
        description: free text shown in the app.
        program: what the engine runs.
        expect: values to assert, if any.
        manual: hand-derived gradient formulas by param, as written.
        short: the bundled short name, when opened by one.
        where: 1-based (line, col) of each model name, param and input, and of ``lr``,
            so that later errors (a NaN in training) can point into the file.
    """

    path: str
    name: str
    description: str
    program: Program
    expect: Expect | None = None
    manual: dict[str, str] = field(default_factory=dict)
    short: str | None = None
    where: dict[str, tuple[int, int]] = field(default_factory=dict)
