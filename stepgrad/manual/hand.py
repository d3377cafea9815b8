"""A hand derivation checked against the chain rule at every step of a run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stepgrad.compare import agree
from stepgrad.engine.timeline import Timeline
from stepgrad.explain import fmt
from stepgrad.language.formula import Formula, FormulaError
from stepgrad.manual.formulas import ManualSource
from stepgrad.manual.roads import Judge, derivation_for
from stepgrad.manual.steps import Value, iter_step_values
from stepgrad.symbolic import Derivation, TooLarge


@dataclass(frozen=True, slots=True)
class Disagreement:
    """The first step where a hand derivation and the chain rule part ways.

    Attributes:
        param: the param.
        step: the step; ``epoch`` and ``sample`` locate it in the training.
        epoch: the step's epoch.
        sample: the step's data sample (None without data).
        seq: the step's ``backward_end`` event, to jump to.
        manual: the hand derivation as written.
        manual_value: its value at that step.
        chain_value: the chain rule's gradient at that step.
        diff: ``|manual_value - chain_value|`` (NaN when one is NaN).
        closed_form: the correct closed form (None when too large to derive).
        closed_value: its value at that step.
    """

    param: str
    step: int
    epoch: int
    sample: int | None
    seq: int
    manual: str
    manual_value: Value
    chain_value: Value
    diff: float
    closed_form: str | None
    closed_value: Value | None

    def message(self) -> str:
        """One line for ``check`` and ``replay``::

        manual ∂loss/∂w2 = 2 * x * (...) disagrees at step 0 (epoch 0, sample 0):
        it gives 4.0, the chain rule 16.0 (off by 12.0); the closed form is 2*x**2*(...)
        """
        where = f"epoch {self.epoch}" + ("" if self.sample is None else f", sample {self.sample}")
        head = (
            f"manual ∂loss/∂{self.param} = {self.manual} disagrees at step {self.step} ({where}): "
            f"it gives {fmt(self.manual_value)}, the chain rule {fmt(self.chain_value)} "
            f"(off by {self.diff!r})"
        )
        if self.closed_form is None:
            return head
        return f"{head}; the closed form is {self.closed_form}"


@dataclass(frozen=True, slots=True)
class ManualCheck:
    """The verdict on one param's hand derivation over the whole run.

    Attributes:
        param: the param.
        manual: the formula as written.
        closed_form: the correct closed form (None when too large to derive).
        steps: how many steps were checked (all of them, or up to the first disagreement).
        first: the first disagreement, or None when every step agrees.
        error: why the formula cannot be evaluated (an unknown name), or None.
    """

    param: str
    manual: str
    closed_form: str | None
    steps: int
    first: Disagreement | None
    error: str | None

    @property
    def ok(self) -> bool:
        """True when the formula evaluates and agrees at every step."""
        return self.first is None and self.error is None


def check_manual(
    timeline: Timeline,
    scenario: ManualSource,
    *,
    derivation: Derivation | TooLarge | None = None,
    stop_at_first: bool = False,
    **limits: Any,
) -> list[ManualCheck]:
    """Check every ``manual:`` formula against the chain rule at every step.

    One pass over the run; a param's check ends at its first disagreement.

    Args:
        timeline: the engine's timeline of ``scenario``.
        scenario: the scenario with ``manual:`` formulas (none: an empty list).
        derivation: as for ``roads_at``.
        stop_at_first: stop the whole pass at the first disagreement of any param.
        **limits: as for ``roads_at``.

    Returns:
        One ``ManualCheck`` per ``manual:`` param, in the graph's param order.
    """
    if not scenario.manual:
        return []
    r = Judge(timeline, scenario, derivation_for(timeline, derivation, True, limits))
    todo = [p for p in r.params if isinstance(r.manual.get(p), Formula)]
    first: dict[str, Disagreement] = {}
    steps: dict[str, int] = dict.fromkeys(todo, 0)
    if todo:
        for sv in iter_step_values(timeline):
            for p in todo:
                if p in first:
                    continue
                steps[p] += 1
                mv, me = r.hand(p, sv)
                target = r.chain(p, sv)
                a = agree(target, mv, r.dtype, me)
                cv = None
                if not a.ok:
                    # Judge again with the closed form's error bound: the chain rule may
                    # lose more to cancellation than the hand formula does.
                    cv, ce = r.closed(p, sv)
                    f = r.manual[p]
                    assert isinstance(f, Formula)
                    a, mv = r.judge(p, sv, f, mv, max(ce, me), closed=False)
                if not a.ok:
                    first[p] = Disagreement(
                        p, sv.step, sv.epoch, sv.sample, sv.seq, r.manual_text[p], mv, target, a.diff,
                        r.closed_form(p), cv,
                    )
            if len(first) == len(todo) or (stop_at_first and first):
                break
    out: list[ManualCheck] = []
    for p in r.params:
        if p not in r.manual:
            continue
        f = r.manual[p]
        error = f.message if isinstance(f, FormulaError) else None
        out.append(ManualCheck(p, r.manual_text[p], r.closed_form(p), steps.get(p, 0), first.get(p), error))
    return out


def first_manual_disagreement(
    timeline: Timeline,
    scenario: ManualSource,
    *,
    derivation: Derivation | TooLarge | None = None,
    **limits: Any,
) -> Disagreement | None:
    """The earliest step at which a ``manual:`` formula disagrees with the chain rule.

    Ties (two params at one step) go to the param declared first. Formulas that cannot
    be evaluated are not disagreements: see ``manual_problems``.

    Returns:
        The disagreement (param, step, both values, the correct closed form), or None.
    """
    checks = check_manual(timeline, scenario, derivation=derivation, stop_at_first=True, **limits)
    found = [c.first for c in checks if c.first is not None]
    return min(found, key=lambda x: x.step) if found else None
