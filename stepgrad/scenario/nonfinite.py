"""Where in the scenario file a run's first NaN or infinity comes from, as one error line."""

from __future__ import annotations

import math
from typing import Any

from stepgrad.engine.events import Event, Forward, Update
from stepgrad.engine.nonfinite import describe_nonfinite
from stepgrad.errors import ScenarioError
from stepgrad.scenario.scenario import Scenario


def nonfinite_error(scenario: Scenario, ev: Event, field: str, value: Any) -> ScenarioError:
    """A one-line error pointing at the model line (or lr) where a non-finite number appears."""
    name = getattr(ev, "node", None) or getattr(ev, "param", None)
    line: int | None = None
    col: int | None = None
    hint = ""
    lr_at = scenario.where.get("lr")
    if isinstance(ev, Update) and lr_at is not None:
        line, col = lr_at
        hint = "; the learning rate may be too large"
    elif name in scenario.where:
        line, col = scenario.where[name]
        if isinstance(ev, Forward) and _nan_from_finite(ev):
            # Finite arguments and no value: the op's domain, not the learning rate.
            shown = ", ".join(repr(float(a)) for a in ev.args)
            hint = f"; {ev.op}({shown}) has no real value: outside the op's domain, not a divergence"
        elif lr_at is not None and ev.step:
            # A forward overflow after some good steps: the updates diverged, lr is the cause.
            hint = f"; training diverged: lr (line {lr_at[0]}) may be too large"
    return ScenarioError(scenario.path, describe_nonfinite(ev, field, value) + hint, line, col)


def _nan_from_finite(ev: Forward) -> bool:
    try:
        return math.isnan(float(ev.value)) and all(math.isfinite(float(a)) for a in ev.args)
    except (TypeError, ValueError):  # an array: not a scalar's domain error
        return False
