"""The report of ``stepgrad check``: what was compared, and how each comparison came out."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from stepgrad.compare import Verdict
from stepgrad.engine.events import json_number
from stepgrad.engine.program import Program
from stepgrad.manual import (
    ManualCheck,
)
from stepgrad.oracle import Starts, TorchStep
from stepgrad.scenario.load import Scenario
from stepgrad.symbolic import NOT_COMPARABLE

#: Finite differences: the step is FD_H·max(1, |w|); stepgrad's gradient g agrees with the
#: central difference d when |g − d| ≤ rtol·max(|g|, |d|) + atol·max(1, |loss|).
FD_H = 1e-6
FD_TOLERANCES: dict[str, tuple[float, float]] = {
    "float64": (1e-5, 1e-7),
    # A float32 gradient is compared with a float64 difference: float32 rounding dominates.
    "float32": (1e-3, 1e-4),
}



class StepsFn(Protocol):
    """The torch oracle as ``check`` calls it (``oracle.torch_steps``, or a test double):
    one ``TorchStep`` per step, each training step started from ``starts(step)``."""

    def __call__(self, program: Program, *, starts: Starts | None = None) -> Iterable[TorchStep]: ...


PredictFn = Callable[..., dict[str, float]]


@dataclass(frozen=True, slots=True)
class Row:
    """One compared number.

    Attributes:
        seq: the engine event it belongs to (None for finite differences and expect).
        step: the training step (None outside the run).
        kind: the event kind (``forward``, ``chain``, ``accumulate``, ``backward_start``,
            ``backward_end``, ``update``, ``predict``), or ``finite_diff`` / ``expect``.
        node: what is compared, as text: ``y_hat``, ``∂loss/∂s``, ``w.grad``, ``w``.
        ours: stepgrad's number (None: it has none).
        theirs: torch's number, the finite difference, or the expected value.
        verdict: how they compare (finite differences may also be ``skipped``).
        note: extra words for the reader (e.g. ``before`` for a prediction).
        shape: for an array model, the compared array's shape (``()`` for a scalar
            node such as its loss), compared element by element; None for a scalar model.
        at: for an array, where the largest difference is; ``ours`` and ``theirs`` are
            then the two elements there (None, None when every element is equal).
        size: how many numbers the row compares (an array's elements).
    """

    seq: int | None
    step: int | None
    kind: str
    node: str
    ours: float | None
    theirs: float | None
    verdict: Verdict
    note: str = ""
    shape: tuple[int, ...] | None = None
    at: tuple[int, ...] | None = None
    size: int = 1

    @property
    def label(self) -> str:
        """What is compared, with an array's shape: ``W1.grad (8, 6)``."""
        if self.shape is None or self.shape == ():
            return self.node
        return f"{self.node} {shape_text(self.shape)}"

    def to_json(self, other: str = "torch") -> dict[str, Any]:
        """The row as JSON (numbers widened exactly; non-finite as strings).

        Args:
            other: the key for the other side's number (``torch``, ``finite_diff``, ``expected``).
        """
        out: dict[str, Any] = {
            "seq": self.seq,
            "step": self.step,
            "kind": self.kind,
            "node": self.node,
            "stepgrad": json_number(self.ours),
            other: json_number(self.theirs),
            "diff": json_number(self.verdict.diff),
            "verdict": self.verdict.status,
        }
        if self.note:
            out["note"] = self.note
        if self.shape is not None:
            out["shape"] = list(self.shape)
            out["at"] = None if self.at is None else list(self.at)
        return out


def shape_text(shape: tuple[int, ...]) -> str:
    """A shape as the lecture writes it: ``(8, 6)``, ``(6,)``."""
    return str(tuple(shape))


def index_text(at: tuple[int, ...]) -> str:
    """An element's index: ``[2, 3]``."""
    return "[" + ", ".join(str(i) for i in at) + "]"


@dataclass
class StepTable:
    """The rows of one step, shown in full for the first step and a disagreeing one."""

    step: int
    epoch: int
    sample: int | None
    rows: list[Row]


@dataclass(frozen=True, slots=True)
class Miss:
    """Where a road to a gradient first parts from stepgrad's.

    Attributes:
        step: the training step; ``epoch`` and ``sample`` locate it.
        epoch: the step's epoch.
        sample: the step's data sample (None without data).
        seq: the step's ``backward_end`` event.
        value: the road's value (the closed form's, or torch's ``w.grad``).
        stepgrad: what it is compared with (the chain rule's gradient, or stepgrad's ``w.grad``).
        status: ``differs`` or ``missing``.
        diff: ``|value - stepgrad|`` (NaN when not comparable).
        at: for an array, the element with the largest difference (``value`` and
            ``stepgrad`` are its two values); None for a scalar.
        unit: what a step takes from the data: ``sample``, or ``batch`` for batches.
    """

    step: int
    epoch: int
    sample: int | None
    seq: int
    value: float | None
    stepgrad: float | None
    status: str
    diff: float
    at: tuple[int, ...] | None = None
    unit: str = "sample"

    def to_json(self, road: str, other: str) -> dict[str, Any]:
        """The miss as JSON, the two values under ``road`` and ``other``."""
        out = {
            "step": self.step, "epoch": self.epoch, "sample": self.sample, "seq": self.seq,
            road: json_number(self.value), other: json_number(self.stepgrad),
            "diff": json_number(self.diff), "verdict": self.status,
        }
        if self.at is not None:
            out["at"] = list(self.at)
        return out


@dataclass
class Tally:
    """How one road compared with stepgrad's gradient over the run.

    Attributes:
        steps: how many steps were compared.
        statuses: steps per status (``equal``, ``close``, ``differs``, ``missing``).
        first: the first step that did not agree, or None.
        note: where and why a step first needed more than the dtype: the closed form
            evaluated wider, or ``not_comparable`` (the dtype cannot hold the value, or the
            closed form is undefined there); None when none did.
    """

    steps: int = 0
    statuses: dict[str, int] = field(
        default_factory=lambda: {"equal": 0, "close": 0, "differs": 0, "missing": 0}
    )
    first: Miss | None = None
    note: str | None = None

    @property
    def ok(self) -> bool:
        """True when every compared step agrees."""
        return self.first is None

    @property
    def disagreeing(self) -> int:
        """Steps that did not agree."""
        return self.statuses["differs"] + self.statuses["missing"]

    def add(self, status: str) -> bool:
        """Count one step; True when it is the first that does not agree (record it)."""
        self.steps += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        return status not in ("equal", "close", NOT_COMPARABLE) and self.first is None

    def to_json(self, road: str, other: str) -> dict[str, Any]:
        """The tally as JSON; the first miss's values under ``road`` and ``other``."""
        out: dict[str, Any] = {
            "steps": self.steps, **self.statuses, "ok": self.ok,
            "first_disagreement": None if self.first is None else self.first.to_json(road, other),
        }
        if self.note is not None:
            out["note"] = self.note
        return out


@dataclass
class ParamRoads:
    """One param's roads over the run.

    Attributes:
        param: the param.
        closed_form: its closed-form ∂loss/∂param (None: not derived).
        closed: the closed form against the chain rule (None: not derived).
        torch: torch's ``w.grad`` against stepgrad's, step by step.
    """

    param: str
    closed_form: str | None = None
    closed: Tally | None = None
    torch: Tally = field(default_factory=Tally)


@dataclass
class Roads:
    """The three roads for every param.

    Attributes:
        params: per param, in the graph's order.
        note: why there are no closed forms (``too large to show symbolically: …``, or
            the model is not scalar), else None.
        accumulates: gradients pile up across steps (training without zero_grad): then
            ``w.grad`` is the sum of every pass so far, the closed form this pass's.
    """

    params: dict[str, ParamRoads]
    note: str | None = None
    accumulates: bool = False

    @property
    def ok(self) -> bool:
        """True when the closed forms agree with the chain rule wherever derived."""
        return all(r.closed is None or r.closed.ok for r in self.params.values())


@dataclass
class Report:
    """Everything ``check`` found; rendered as text or JSON."""

    scenario: Scenario
    n_steps: int
    steps_compared: int = 0
    counts: dict[str, int] = field(
        default_factory=lambda: {"values": 0, "grads": 0, "updates": 0, "predictions": 0}
    )
    statuses: dict[str, int] = field(
        default_factory=lambda: {"equal": 0, "close": 0, "differs": 0, "missing": 0}
    )
    max_diff: float = 0.0
    numbers: int = 0
    tables: list[StepTable] = field(default_factory=list)
    first_bad: Row | None = None
    predictions: list[Row] = field(default_factory=list)
    finite_diffs: list[Row] | None = None
    expect: list[Row] = field(default_factory=list)
    roads: Roads | None = None
    manual: list[ManualCheck] = field(default_factory=list)

    @property
    def torch_ok(self) -> bool:
        """True when every number compared with torch agrees."""
        return self.first_bad is None

    @property
    def fd_ok(self) -> bool:
        """True when finite differences agree (or were not run)."""
        return all(r.verdict.ok or r.verdict.status == "skipped" for r in self.finite_diffs or ())

    @property
    def expect_ok(self) -> bool:
        """True when every expectation holds."""
        return all(r.verdict.ok for r in self.expect)

    @property
    def roads_ok(self) -> bool:
        """True when every closed form agrees with the chain rule (or none was derived)."""
        return self.roads is None or self.roads.ok

    @property
    def manual_ok(self) -> bool:
        """True when every ``manual:`` formula agrees with the chain rule at every step."""
        return all(m.ok for m in self.manual)

    @property
    def exit_code(self) -> int:
        """0 when everything agrees, 1 otherwise."""
        good = self.torch_ok and self.fd_ok and self.expect_ok and self.roads_ok and self.manual_ok
        return 0 if good else 1

    @property
    def arrays(self) -> bool:
        """True for an array model: rows compare arrays element by element."""
        return self.scenario.program.arrays

    def count(self, what: str, row: Row) -> None:
        # ``states`` (an optimizer's state) only exists for momentum and Adam: counted
        # only once met, so that the scalar lectures' counts stay as they were.
        self.counts[what] = self.counts.get(what, 0) + 1
        self.numbers += row.size
        self.statuses[row.verdict.status] = self.statuses.get(row.verdict.status, 0) + 1
        d = row.verdict.diff
        if not math.isnan(d):
            self.max_diff = max(self.max_diff, d)


def place(m: Miss) -> str:
    """Where a miss happened: ``step 3 (epoch 1, sample 0, event #42)``."""
    where = f"step {m.step} (epoch {m.epoch}"
    if m.sample is not None:
        where += f", {m.unit} {m.sample}"
    return where + f", event #{m.seq})"
