"""The roads to one gradient at a step, set side by side: chain rule, closed form, hand
derivation and torch; and the same over a whole run."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from stepgrad.compare import NOT_COMPARABLE, Agreement, agree
from stepgrad.engine.timeline import Timeline
from stepgrad.explain import fmt
from stepgrad.language.formula import Formula, FormulaError
from stepgrad.manual.formulas import ManualSource, compile_manual
from stepgrad.manual.steps import StepValues, Value, iter_step_values, step_values
from stepgrad.manual.wide import WIDE, WIDE_NAME, WideStep, finite, wide_step
from stepgrad.symbolic import Derivation, TooLarge, cached, derive

#: ``Road.note`` while sympy is still deriving (``roads_at(..., wait=False)``).
DERIVING = "the closed form is still being derived"
#: ``Road.note`` for array values: closed forms and hand derivations are scalar only.
SCALAR_ONLY = "closed forms and hand derivations are shown for scalar values only"


@dataclass(frozen=True, slots=True)
class Road:
    """One param's gradient at one step, reached three (or four) ways.

    Values are NumPy scalars of the scenario's dtype (``explain.fmt`` prints them);
    torch's is the Python float the oracle gives. Agreements are None when a side is
    absent; their ``.ok`` is the agree/disagree mark, ``.status`` is ``equal`` (same
    bits), ``close``, ``differs`` or ``missing``.

    Attributes:
        param: the param.
        step: the step.
        chain_value: this pass's ∂loss/∂param by the chain rule (None: no gradient reaches it).
        grad_value: ``param.grad`` after the pass; differs from ``chain_value`` only when
            gradients accumulate across steps.
        closed_form: the closed-form formula (``2*x*(w*x - y)``), None when not derived.
        closed_value: it, evaluated at this step's values.
        closed_ok: closed form vs chain rule.
        manual: the scenario's hand derivation as written, if any.
        manual_value: it, evaluated at this step's values (None when it cannot be).
        manual_ok: hand derivation vs chain rule.
        torch_value: torch's ``w.grad`` after the same step, when given.
        torch_ok: torch vs ``grad_value``.
        note: why a side is missing: ``too large to show symbolically: …`` or a manual
            formula's error.
    """

    param: str
    step: int
    chain_value: Value | None
    grad_value: Value | None
    closed_form: str | None
    closed_value: Value | None
    closed_ok: Agreement | None
    manual: str | None
    manual_value: Value | None
    manual_ok: Agreement | None
    torch_value: float | None
    torch_ok: Agreement | None
    note: str | None


class Judge:
    """A scenario's roads made ready once (formulas compiled, the derivation), and the judge
    of a formula's value against the chain rule; shared by ``roads_at``, ``iter_roads`` and
    ``check_manual``."""

    def __init__(
        self, timeline: Timeline, scenario: ManualSource | None, derivation: Derivation | TooLarge | None
    ):
        self.t = timeline
        self.dtype = timeline.program.dtype
        self.dt = timeline.dtype.type
        self.params = [timeline.graph.nodes[p].name for p in timeline.graph.params]
        self.derivation = derivation
        self.manual_text = dict(scenario.manual) if scenario is not None else {}
        self.manual = compile_manual(scenario) if scenario is not None else {}
        self._last: tuple[StepValues, bool] | None = None
        self._wide: tuple[StepValues, WideStep] | None = None

    def scalar(self, sv: StepValues) -> bool:
        """True when the step's values are all scalars."""
        # Asked several times per param and step: answer once per step (a long run's
        # check spent a quarter of its time here).
        if self._last is None or self._last[0] is not sv:
            self._last = (sv, all_scalar(sv))
        return self._last[1]

    def closed(self, param: str, sv: StepValues) -> tuple[Value | None, float]:
        """The closed form's value at the step and its error bound; (None, 0) without one."""
        d = self.derivation
        if not isinstance(d, Derivation) or not self.scalar(sv):
            return None, 0.0
        return d.formulas[param].evaluate(sv.values, self.dtype)

    def hand(self, param: str, sv: StepValues) -> tuple[Value | None, float]:
        """The hand derivation's value at the step and its error bound; (None, 0) without one."""
        f = self.manual.get(param)
        if not isinstance(f, Formula) or not self.scalar(sv):
            return None, 0.0
        return f.evaluate(sv.values, self.dtype)

    def wide(self, sv: StepValues) -> WideStep:
        """The step redone in ``WIDE`` (once per step)."""
        if self._wide is None or self._wide[0] is not sv:
            leaves = {n.name: sv.values[n.name] for n in self.t.graph.nodes if n.is_leaf}
            self._wide = (sv, wide_step(self.t.graph, leaves))
        return self._wide[1]

    def judge(
        self, param: str, sv: StepValues, formula: Formula, value: Value, err: float, *, closed: bool
    ) -> tuple[Agreement, Value]:
        """A formula's value against the chain rule; the value to show beside the verdict.

        In the dtype first. A disagreement there is looked at again in ``WIDE``, so that
        it is never blamed on the formula when the dtype is the cause:

        - the formula evaluated wide agrees with the chain rule: its own arithmetic left
          the dtype's range (``1000…001*x/5000…`` overflows float32); ``close``, with the
          wide value;
        - it agrees with the chain rule redone wide: the dtype cannot hold the gradient
          (``(w*x*0.000001)**7`` underflows float32), the engine and torch round alike;
          ``not_comparable``;
        - the closed form (or, for a hand derivation, the closed form too) is NaN or
          infinite there while the chain rule is finite: the formula is undefined at
          that point (``x**w*log(x)`` at x = 0) where torch's rule gives a number;
          ``not_comparable``.

        Anything else is the disagreement it was.
        """
        target = self.chain(param, sv)
        a = agree(target, value, self.dtype, err)
        if a.ok:
            return a, value
        wide = self.wide(sv)
        with np.errstate(all="ignore"):
            wv, we = formula.evaluate(wide.values, WIDE)
        b = agree(target, wv, self.dtype, we)
        if b.ok:
            note = (f"in {self.dtype} the formula's own arithmetic overflows or underflows, "
                    f"so it was evaluated in {WIDE_NAME}")
            return Agreement(b.status, b.diff, b.tol, note), wv
        cw = wide.grads[param]
        if agree(cw, wv, "float64", we).ok:
            note = (f"{self.dtype} cannot hold this gradient: in {WIDE_NAME} the formula and the "
                    f"chain rule agree ({fmt(wv)})")
            return Agreement(NOT_COMPARABLE, a.diff, a.tol, note), wv
        if finite(cw) and not finite(wv) and (closed or not self._closed_finite(param, wide)):
            note = (f"the closed form is undefined here ({fmt(wv)}), where torch's rule gives "
                    f"the chain rule's {fmt(target)}")
            return Agreement(NOT_COMPARABLE, math.nan, a.tol, note), value
        return a, value

    def _closed_finite(self, param: str, wide: WideStep) -> bool:
        d = self.derivation
        if not isinstance(d, Derivation):
            return True
        with np.errstate(all="ignore"):
            return finite(d.formulas[param].evaluate(wide.values, WIDE)[0])

    def closed_form(self, param: str) -> str | None:
        """The closed form's text, None when not derived."""
        d = self.derivation
        return d.texts[param] if isinstance(d, Derivation) else None

    def note(self, param: str, sv: StepValues) -> str | None:
        """Why a road is missing at this step (a formula's error, scalar only, sympy), or None."""
        f = self.manual.get(param)
        if isinstance(f, FormulaError):
            return f"manual '{param}': {f.message}"
        if not self.scalar(sv):
            return SCALAR_ONLY
        d = self.derivation
        if d is None:
            return DERIVING
        return str(d) if isinstance(d, TooLarge) else None

    def chain(self, param: str, sv: StepValues) -> Value:
        """This pass's gradient by the chain rule (0 when none reaches the param)."""
        v = sv.pass_grads[param]
        # No gradient reaches the param: mathematically its derivative is 0.
        return self.dt(0) if v is None else v

    def road(self, param: str, sv: StepValues, torch: Mapping[str, float | None] | None) -> Road:
        """The param's roads at the step, each judged against the chain rule."""
        chain = sv.pass_grads[param]
        cv, ce = self.closed(param, sv)
        mv, me = self.hand(param, sv)
        closed_form = self.closed_form(param)
        note = self.note(param, sv)
        closed_ok = manual_ok = None
        d = self.derivation
        if cv is not None and isinstance(d, Derivation):
            closed_ok, cv = self.judge(param, sv, d.formulas[param], cv, ce, closed=True)
        f = self.manual.get(param)
        if mv is not None and isinstance(f, Formula):
            manual_ok, mv = self.judge(param, sv, f, mv, max(ce, me), closed=False)
        tv = None if torch is None else torch.get(param)
        torch_ok = None
        if torch is not None:
            torch_ok = agree(sv.held_grads.get(param), tv, self.dtype, ce)
        return Road(
            param, sv.step, chain, sv.held_grads.get(param), closed_form, cv, closed_ok,
            self.manual_text.get(param), mv, manual_ok, tv, torch_ok, note,
        )


def all_scalar(sv: StepValues) -> bool:
    """True when every value of the step is a scalar (closed forms are scalar only)."""
    return all(np.ndim(v) == 0 for v in sv.values.values())


def derivation_for(
    timeline: Timeline, derivation: Derivation | TooLarge | None, wait: bool, limits: dict[str, Any]
) -> Derivation | TooLarge | None:
    """The derivation given, else sympy's: waited for, or the cached one (None: not yet)."""
    if derivation is not None:
        return derivation
    if wait:
        return derive(timeline.graph, **limits)
    return cached(timeline.graph, **limits)


def roads_at(
    timeline: Timeline,
    scenario: ManualSource | None,
    step: int,
    *,
    torch_grads: Mapping[str, float | None] | None = None,
    derivation: Derivation | TooLarge | None = None,
    wait: bool = True,
    **limits: Any,
) -> list[Road]:
    """The three roads for every param at ``step``, in the graph's param order.

    Args:
        timeline: the engine's timeline of the scenario.
        scenario: for its ``manual:`` formulas (None: no hand derivations).
        step: the training step (0-based).
        torch_grads: torch's gradients after the same step (``TorchStep.grads``), if known.
        derivation: ``symbolic.derive(timeline.graph)``'s result when the caller already
            has it (the app computes it in a worker); derived here (bounded) when None.
        wait: when False and no derivation is given, never block: use ``symbolic.cached``
            and, while sympy has not answered, leave the closed form out with the note
            ``DERIVING``.
        **limits: ``timeout_s``, ``max_nodes``, ``max_size`` for ``derive``.
    """
    r = Judge(timeline, scenario, derivation_for(timeline, derivation, wait, limits))
    sv = step_values(timeline, step)
    return [r.road(p, sv, torch_grads) for p in r.params]


def iter_roads(
    timeline: Timeline,
    scenario: ManualSource | None,
    *,
    derivation: Derivation | TooLarge | None = None,
    start: int = 0,
    stop: int | None = None,
    **limits: Any,
) -> Iterator[tuple[StepValues, list[Road]]]:
    """The three roads (without torch) for every param at steps ``start`` .. ``stop - 1``.

    One pass over the run, streamed like ``iter_step_values``: what ``roads_at`` gives for
    one step, for many steps at the cost of one (``roads_at`` in a loop walks the
    timeline once per step and prepares the formulas every time).

    Args:
        timeline: the engine's timeline of the scenario.
        scenario: for its ``manual:`` formulas (None: no hand derivations).
        derivation: as for ``roads_at``; derived here (bounded, waiting) when None.
        start: first step.
        stop: one past the last step (``n_steps`` when None).
        **limits: ``timeout_s``, ``max_nodes``, ``max_size`` for ``derive``.

    Yields:
        ``(step_values, roads)`` per step, roads in the graph's param order.
    """
    r = Judge(timeline, scenario, derivation_for(timeline, derivation, True, limits))
    for sv in iter_step_values(timeline, start, stop):
        yield sv, [r.road(p, sv, None) for p in r.params]
