"""A step's numbers, as the roads need them: values, this pass's gradients, ``.grad``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from stepgrad.engine.events import BackwardEnd
from stepgrad.engine.fold import Scratch
from stepgrad.engine.timeline import Timeline

Value = Any  # a NumPy scalar of the scenario's dtype


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
