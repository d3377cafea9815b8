"""What ``derive`` answers: every param's closed form, or why there is none."""

from __future__ import annotations

from dataclasses import dataclass, field

from stepgrad.language.formula import Formula

TOO_LARGE = "too large to show symbolically"


@dataclass(frozen=True, slots=True)
class TooLarge:
    """``derive``'s answer for a model it will not (or could not in time) derive.

    Attributes:
        reason: why, one line: ``the model has 243 operations (at most 100)``.
    """

    reason: str

    def __str__(self) -> str:
        return f"{TOO_LARGE}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Derivation:
    """Every param's closed-form gradient.

    Attributes:
        loss: the loss written out in the inputs and params (``(w*x - y)**2``).
        texts: each param's ∂loss/∂param as sympy writes it (``2*x*(w*x - y)``), in the
            graph's param order. A param the loss does not depend on gets ``0``.
        formulas: the same, compiled for evaluation (``Formula.evaluate``).
        seconds: how long sympy took (import excluded).
    """

    loss: str
    texts: dict[str, str]
    formulas: dict[str, Formula] = field(repr=False)
    seconds: float = 0.0

