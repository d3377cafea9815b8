"""The status line's view-model: the header's left and right parts at one position.

Each part is a list of (text, style) spans; ``StatusBar`` draws them, the left one from
the left edge and the right one against the right edge.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stepgrad.app.trace import PHASE_LABEL, START, Trace
from stepgrad.explain import digits
from stepgrad.explain.steps import step_unit
from stepgrad.scenario import Scenario

Span = tuple[str, str]
"""A piece of the status line and its style (``accent``, ``muted``, ``strong``, ``phase``, ...)."""


def status_line(
    trace: Trace,
    scenario: Scenario,
    pos: int,
    state: Any,
    *,
    message: str,
    narrow: bool,
    playing: bool,
    speed: float,
    width: int,
) -> tuple[list[Span], list[Span]]:
    """The status line at ``pos``: the scenario (or a message) on the left, where the
    cursor is on the right.

    Args:
        trace: the app's trace.
        scenario: the scenario (its name and short name).
        pos: the position.
        state: the state as of ``pos``.
        message: a one-off message answering the last key ("" for none).
        narrow: the terminal is narrow (short names, short labels).
        playing: the app is playing.
        speed: the play speed, events per second.
        width: the terminal's width.

    Returns:
        The left and the right spans.
    """
    t = trace.plan
    if message:
        left: list[Span] = [(" " + message, "warn")]
    else:
        name = scenario.name
        if narrow:
            name = scenario.short or Path(scenario.path).stem
        left = [(" stepgrad", "accent"), (" · ", "muted"), (name, "strong")]
    sep = (" · ", "muted")
    right: list[Span] = []
    if playing:
        right.append((f"▶ {speed:g}/s  ", "ok"))
    event = [(f"#{pos}", "strong"), (f"/{trace.length} ", "muted")] if narrow else [
        (f"event #{pos}", "strong"), (f" of {trace.length} ", "muted")]  # fmt: skip
    if pos == START:
        right += [("start", "phase"), (f" · {trace.length} events ", "muted")]
    elif state.step is None:
        right += [(f"{state.event.when} training", "phase"), sep, *event]
    else:
        right.append((f"step {state.step}", "strong"))
        if t.n_steps > 1:
            # Steps count from 0, as in the timeline: give their range, not a total that
            # would read as "step 1 of 8" in a run of 9.
            right.append((f" in 0–{t.n_steps - 1:,}", "muted"))
        if t.training and t.program.epochs > 1:
            right += [(" · ep " if narrow else " · epoch ", "muted"), (str(state.epoch), "strong")]
        # A tensor lecture's step takes a batch of rows (lecture 8's DataLoader), or the
        # whole table at once (lecture 7): no one sample to name (``explain.steps``).
        unit = step_unit(t.program.batch_size, t.program.n_samples)
        if state.sample is not None and unit is not None:
            right += [(f" · {unit} ", "muted"), (str(state.sample), "strong")]
        right += [sep, (PHASE_LABEL[state.phase], "phase"), sep, *event]
    room = width - 2 - sum(len(text) for text, _ in right)
    shown = digits()
    if shown is not None:
        # Numbers rounded (--digits, the d key): said wherever the line has room for it,
        # before the scenario's full name (cut with … as on a narrow screen).
        tag = [(f"{shown} digits", "warn"), sep]
        if room - sum(len(text) for text, _ in tag) >= min(12, sum(len(text) for text, _ in left)):
            right = [*tag, *right]
            room -= sum(len(text) for text, _ in tag)
    if message and narrow and len(message) > room:
        # A message is read once: on a narrow terminal it takes the whole line until the
        # next move, rather than being cut to make room for the position.
        right = [("#", "muted"), (str(pos), "strong"), (" ", "muted")] if pos != START else []
    return left, right
