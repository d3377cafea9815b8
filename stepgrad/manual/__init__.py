"""Three roads to one gradient: the closed form, the chain rule, and (given) torch's autograd.

For every param at a training step this module sets side by side:

- the **chain rule**: the engine's gradient for this backward pass (the sum of the
  chain-rule products that reach the param in this step);
- the **closed form**: ``symbolic.derive``'s formula evaluated at the step's values;
- a scenario's **hand derivation** (``manual: {w: "2 * x * (x * w - y)"}``), evaluated
  the same way, and checked against the chain rule at every step;
- optionally **torch**'s ``w.grad`` at the same step (from the oracle's ``TorchStep.grads``).

A step's values come from the engine's public API only: the state at the step's start
(``Timeline.scratch``: inputs, the step's data sample and the params the forward pass
used) with the step's events folded in (``Timeline.fold``): model nodes, the pass's
gradients, and ``w.grad`` from its ``backward_end`` event. Long runs are walked with
``Timeline.iter_events``, one step at a time, without filling the timeline's step cache.

By concern: ``steps`` (a step's numbers from the timeline), ``formulas`` (the hand
derivations compiled), ``wide`` (a step redone in wide precision), ``roads`` (the roads at
a step and over a run), ``hand`` (a hand derivation checked over the whole run).

Pure: NumPy and the engine; sympy only through ``symbolic`` (lazily); no torch, no Textual.
"""

from __future__ import annotations

from stepgrad.manual.formulas import ManualSource, compile_manual, formula_names, manual_problems
from stepgrad.manual.hand import Disagreement, ManualCheck, check_manual, first_manual_disagreement
from stepgrad.manual.roads import DERIVING, SCALAR_ONLY, Road, iter_roads, roads_at
from stepgrad.manual.steps import StepValues, iter_step_values, step_values
from stepgrad.manual.wide import WIDE, WIDE_NAME, WideStep, wide_step

__all__ = [
    "DERIVING",
    "SCALAR_ONLY",
    "WIDE",
    "WIDE_NAME",
    "Disagreement",
    "ManualCheck",
    "ManualSource",
    "Road",
    "StepValues",
    "WideStep",
    "check_manual",
    "compile_manual",
    "first_manual_disagreement",
    "formula_names",
    "iter_roads",
    "iter_step_values",
    "manual_problems",
    "roads_at",
    "step_values",
    "wide_step",
]
