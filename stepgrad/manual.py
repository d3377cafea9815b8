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

Pure: NumPy and the engine; sympy only through ``symbolic`` (lazily); no torch, no Textual.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from stepgrad.engine.events import BackwardEnd
from stepgrad.engine.fold import Scratch
from stepgrad.engine.graph import Const, Graph
from stepgrad.engine.timeline import Timeline
from stepgrad.explain import fmt
from stepgrad.scenario.load import Scenario
from stepgrad.symbolic import (
    NOT_COMPARABLE,
    Agreement,
    Derivation,
    Formula,
    FormulaError,
    TooLarge,
    agree,
    cached,
    compile_formula,
    derive,
)

Value = Any  # a NumPy scalar of the scenario's dtype

#: ``Road.note`` while sympy is still deriving (``roads_at(..., wait=False)``).
DERIVING = "the closed form is still being derived"
#: ``Road.note`` for array values: closed forms and hand derivations are scalar only.
SCALAR_ONLY = "closed forms and hand derivations are shown for scalar values only"

#: Where a formula that disagrees in the scenario's dtype is evaluated again, with the
#: step's own leaf values: wide enough that float32's and float64's overflow and
#: underflow are far away (x86's 80-bit long double; float64 where nothing is wider).
WIDE = np.longdouble
WIDE_NAME = "float64" if np.finfo(WIDE).bits <= 64 else "long double"


# ----- a step's numbers -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StepValues:
    """The numbers of one training step that the three roads need.

    Attributes:
        step: the step.
        epoch: its epoch.
        sample: its data sample (None without data).
        seq: the seq of the step's ``backward_end`` event (where the app shows the roads).
        values: every input, param (as the forward pass used it) and model node, by name.
        pass_grads: each param's gradient from this backward pass alone, by the chain rule
            (None when no gradient reaches the param).
        held_grads: each param's ``.grad`` after the pass (``backward_end``): the same as
            ``pass_grads`` unless gradients accumulate across steps (no ``zero_grad``).
    """

    step: int
    epoch: int
    sample: int | None
    seq: int
    values: dict[str, Value]
    pass_grads: dict[str, Value | None]
    held_grads: dict[str, Value | None]


def iter_step_values(timeline: Timeline, start: int = 0, stop: int | None = None) -> Iterator[StepValues]:
    """``StepValues`` for steps ``start`` .. ``stop - 1``, streamed from the timeline's events.

    Each step's events are folded (``Timeline.fold``) into the state at the step's start:
    at ``backward_end`` it holds every value the forward pass used and each param's
    gradient from this pass, summed in the engine's own order.

    Args:
        timeline: the engine's timeline.
        start: first step.
        stop: one past the last step (``n_steps`` when None).
    """
    stop = timeline.n_steps if stop is None else min(stop, timeline.n_steps)
    if start >= stop:
        return
    g = timeline.graph
    names = [n.name for n in g.nodes]
    fold = timeline.fold
    first = timeline.step_start(start)
    last = timeline.step_range(stop - 1).stop
    state: Scratch | None = None
    for ev in timeline.iter_events(first, last):
        if state is None or ev.step != state.step:
            assert ev.step is not None  # steps' events only, no predictions
            state = timeline.scratch(ev.step)
        fold.apply(state, ev)
        if isinstance(ev, BackwardEnd):
            step = ev.step
            assert step is not None
            yield StepValues(
                step,
                timeline.epoch_of(step),
                timeline.sample_of(step),
                ev.seq,
                {names[i]: v for i, v in enumerate(state.values[: len(names)]) if v is not None},
                {names[p]: state.pass_grads[p] for p in g.params},
                dict(ev.grads),
            )


def step_values(timeline: Timeline, step: int) -> StepValues:
    """``StepValues`` of one step.

    Raises:
        IndexError: ``step`` is outside the run.
    """
    if not 0 <= step < timeline.n_steps:
        raise IndexError(f"step {step} is outside 0..{timeline.n_steps - 1}")
    return next(iter_step_values(timeline, step, step + 1))


# ----- hand derivations -----------------------------------------------------------------


def formula_names(graph: Graph) -> set[str]:
    """The names a hand derivation may use: inputs, params and the model's named nodes."""
    return {n.name for n in graph.nodes if n.named}


def compile_manual(scenario: Scenario) -> dict[str, Formula | FormulaError]:
    """Each ``manual:`` formula compiled, or the reason it cannot be evaluated.

    The loader has already checked the syntax; names are checked here (inputs, params
    and named model nodes such as ``s`` may be used).
    """
    names = formula_names(scenario.program.graph)
    out: dict[str, Formula | FormulaError] = {}
    for param, text in scenario.manual.items():
        try:
            out[param] = compile_formula(text, names)
        except FormulaError as e:
            out[param] = e
    return out


def manual_problems(scenario: Scenario) -> list[str]:
    """One line per ``manual:`` formula that cannot be evaluated (e.g. an unknown name).

    ``stepgrad check`` should treat these as bad input (exit 2), like any scenario error.
    """
    compiled = compile_manual(scenario).items()
    return [f"manual '{p}': {f.message}" for p, f in compiled if isinstance(f, FormulaError)]


# ----- a step redone in wide precision ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class WideStep:
    """One step's forward and backward pass redone in ``WIDE`` from the same leaf values.

    Attributes:
        values: every input, param and model node, by name.
        grads: each param's ∂loss/∂param by the chain rule (0 when none reaches it).
    """

    values: dict[str, Value]
    grads: dict[str, Value]


def wide_step(graph: Graph, leaves: Mapping[str, Value]) -> WideStep:
    """The engine's rules, in the engine's order, on ``WIDE`` numbers.

    Constants are taken as written (not rounded to the scenario's dtype), as the closed
    form takes them. Used only to judge a formula that disagrees in the dtype: when the
    formula and this chain rule agree, the dtype's range is what separates them.

    Args:
        graph: the model.
        leaves: the step's input and param values (the dtype's; widened exactly).
    """
    dt = WIDE
    nodes = graph.nodes
    vals: list[Value] = [None] * len(nodes)
    grads: list[Value] = [None] * len(nodes)

    def args_of(i: int) -> tuple[Value, ...]:
        return tuple(dt(a.value) if isinstance(a, Const) else vals[a] for a in nodes[i].args)

    with np.errstate(all="ignore"):
        for n in nodes:
            if n.is_leaf:
                vals[n.id] = dt(leaves[n.name])
        for i in graph.order:
            vals[i] = nodes[i].rule.forward(*args_of(i))
        grads[graph.loss] = dt(1)
        for e in graph.edges:
            up = grads[e.node]
            if up is None:
                continue
            prod = up * nodes[e.node].rule.local(e.arg, args_of(e.node), vals[e.node], dt)
            grads[e.wrt] = prod if grads[e.wrt] is None else grads[e.wrt] + prod
    return WideStep(
        {n.name: vals[n.id] for n in nodes},
        {nodes[p].name: dt(0) if grads[p] is None else grads[p] for p in graph.params},
    )


def _finite(v: Value) -> bool:
    return math.isfinite(float(v))


# ----- the three roads at one step ------------------------------------------------------


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


class _Roads:
    """The per-scenario preparation shared by ``roads_at`` and ``check_manual``."""

    def __init__(
        self, timeline: Timeline, scenario: Scenario | None, derivation: Derivation | TooLarge | None
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
        # Asked several times per param and step: answer once per step (a long run's
        # check spent a quarter of its time here).
        if self._last is None or self._last[0] is not sv:
            self._last = (sv, _scalar(sv))
        return self._last[1]

    def closed(self, param: str, sv: StepValues) -> tuple[Value | None, float]:
        d = self.derivation
        if not isinstance(d, Derivation) or not self.scalar(sv):
            return None, 0.0
        return d.formulas[param].evaluate(sv.values, self.dtype)

    def hand(self, param: str, sv: StepValues) -> tuple[Value | None, float]:
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
        if _finite(cw) and not _finite(wv) and (closed or not self._closed_finite(param, wide)):
            note = (f"the closed form is undefined here ({fmt(wv)}), where torch's rule gives "
                    f"the chain rule's {fmt(target)}")
            return Agreement(NOT_COMPARABLE, math.nan, a.tol, note), value
        return a, value

    def _closed_finite(self, param: str, wide: WideStep) -> bool:
        d = self.derivation
        if not isinstance(d, Derivation):
            return True
        with np.errstate(all="ignore"):
            return _finite(d.formulas[param].evaluate(wide.values, WIDE)[0])

    def closed_form(self, param: str) -> str | None:
        d = self.derivation
        return d.texts[param] if isinstance(d, Derivation) else None

    def note(self, param: str, sv: StepValues) -> str | None:
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
        v = sv.pass_grads[param]
        # No gradient reaches the param: mathematically its derivative is 0.
        return self.dt(0) if v is None else v

    def road(self, param: str, sv: StepValues, torch: Mapping[str, float | None] | None) -> Road:
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


def _scalar(sv: StepValues) -> bool:
    return all(np.ndim(v) == 0 for v in sv.values.values())


def _derivation(
    timeline: Timeline, derivation: Derivation | TooLarge | None, wait: bool, limits: dict[str, Any]
) -> Derivation | TooLarge | None:
    if derivation is not None:
        return derivation
    if wait:
        return derive(timeline.graph, **limits)
    return cached(timeline.graph, **limits)


def roads_at(
    timeline: Timeline,
    scenario: Scenario | None,
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
    r = _Roads(timeline, scenario, _derivation(timeline, derivation, wait, limits))
    sv = step_values(timeline, step)
    return [r.road(p, sv, torch_grads) for p in r.params]


# ----- checking a hand derivation over the whole run ------------------------------------


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
    scenario: Scenario,
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
    r = _Roads(timeline, scenario, _derivation(timeline, derivation, True, limits))
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
    scenario: Scenario,
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


# ----- the three roads over a whole run -------------------------------------------------


def iter_roads(
    timeline: Timeline,
    scenario: Scenario | None,
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
    r = _Roads(timeline, scenario, _derivation(timeline, derivation, True, limits))
    for sv in iter_step_values(timeline, start, stop):
        yield sv, [r.road(p, sv, None) for p in r.params]
