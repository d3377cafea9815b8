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
    if not message and narrow and len(f" stepgrad · {scenario.name}") <= width - 2 - _longest_right(trace):
        # The graph on top (lecture7's at 200 columns) is no short line: the full name fits,
        # beside the longest position this run shows (so that it never changes while stepping).
        left = [(" stepgrad", "accent"), (" · ", "muted"), (scenario.name, "strong")]
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


def _longest_right(trace: Trace) -> int:
    """Cells of the longest right side of a narrow status line in this run (its last step,
    epoch and sample, the longest phase name, its last event)."""
    t = trace.plan
    n, last = t.n_steps - 1, trace.length - 1
    text = f"step {n} in 0–{n:,} · ep {t.program.epochs - 1} · sample {t.n_samples - 1} · "
    return len(text) + max(map(len, PHASE_LABEL.values())) + len(f" · #{last}/{trace.length} ")


NOTHING_SELECTED = "Enter inspects the selected node: Tab selects one (or click it)"
"""The status line after Enter with no node selected."""


def zoom_message(zoomed: bool) -> str:
    """The status line after ``z``: what it did, and how to undo it; nothing once undone."""
    return "the graph on the whole screen: z gives the panels back" if zoomed else ""


def pan_message(dx: int, dy: int, moved: bool, room: tuple[int, int]) -> str:
    """The status line after a pan key (h j k l): nothing when the graph moved, else why not.

    Args:
        dx: -1 left, 1 right, 0 neither.
        dy: -1 up, 1 down, 0 neither.
        moved: whether the graph scrolled.
        room: how far the graph scrolls at most across and down (0: it fits that way).
    """
    if moved:
        return ""
    if room == (0, 0):
        return "the graph fits: nothing to pan"
    if dx and not room[0]:
        return "the graph fits from left to right: nothing to pan that way (j k pan up and down)"
    if dy and not room[1]:
        return "the graph fits from top to bottom: nothing to pan that way (h l pan left and right)"
    edge = {(-1, 0): "left edge", (1, 0): "right edge", (0, -1): "top", (0, 1): "bottom"}[(dx, dy)]
    return f"at the graph's {edge}: nothing more that way"
