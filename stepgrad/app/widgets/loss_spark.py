"""The loss of every step computed so far, as a one-line sparkline with the current step."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, SupportsFloat

from textual.content import Content
from textual.widget import Widget

from stepgrad.explain import fmt
from stepgrad.lazy import LazyModule

np: Any = LazyModule("numpy", globals(), "np")

BARS = "▁▂▃▄▅▆▇█"
VALUE_WIDTH = 24
"""Room kept for the loss text: the longest float repr (``-1.2345678901234567e-123``), so
the plot's width never depends on the number after it."""


def log_scale(values: list[float]) -> bool:
    """True when the losses span more than three decades (all positive): a log scale shows
    a training's progress where a linear one shows a cliff and then nothing."""
    return bool(values) and min(values) > 0 and max(values) / min(values) > 1000


def spark(losses: np.ndarray, n_steps: int, current: int | None, width: int) -> tuple[str, int | None, bool]:
    """Bars for ``losses`` over ``n_steps`` in ``width`` cells, the current step's cell, and
    whether the scale is logarithmic.

    Steps are grouped into cells (the mean of each group); a step not computed yet is a
    dot, a non-finite loss is ``!``. Heights are linear between the smallest and the
    largest finite loss so far, or logarithmic when they span more than three decades.
    """
    if width <= 0 or n_steps <= 0:
        return "", None, False
    cells = min(width, n_steps)
    per = n_steps / cells
    vals: list[float | None] = []
    for c in range(cells):
        lo, hi = int(c * per), max(int((c + 1) * per), int(c * per) + 1)
        chunk = losses[lo : min(hi, len(losses))]
        if len(chunk) == 0:
            vals.append(None)
        else:
            with np.errstate(all="ignore"):
                m = float(np.mean(chunk.astype(np.float64)))
            vals.append(m)
    finite = [v for v in vals if v is not None and math.isfinite(v)]
    lo_v, hi_v = (min(finite), max(finite)) if finite else (0.0, 0.0)
    log = log_scale(finite)
    if log:
        vals = [math.log10(v) if v is not None and math.isfinite(v) else v for v in vals]
        lo_v, hi_v = math.log10(lo_v), math.log10(hi_v)
    out = []
    for v in vals:
        if v is None:
            out.append("·")
        elif not math.isfinite(v):
            out.append("!")
        elif hi_v == lo_v:
            out.append(BARS[len(BARS) // 2])
        else:
            out.append(BARS[round((v - lo_v) / (hi_v - lo_v) * (len(BARS) - 1))])
    cur = None if current is None else min(int(current / per), cells - 1)
    if cur is not None and current is not None and current >= len(losses):
        # This step's loss is not computed yet: the cell may hold earlier steps' bar, which
        # must not read as the current loss.
        out[cur] = "·"
    return "".join(out), cur, log


class LossSpark(Widget):
    """``loss ▇▅▃▂▁`` with the current step's bar in the phase colour and its value."""

    DEFAULT_CSS = """
    LossSpark { height: 1; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self._losses: Sequence[float] = ()
        self._n_steps = 1
        self._current: int | None = None
        self._value: SupportsFloat | None = None
        self._color = "$secondary"
        self._key: tuple[object, ...] = ()

    def show(self, losses: np.ndarray, n_steps: int, current: int | None, value: SupportsFloat | None,
             color: str) -> None:
        """Set the data and redraw.

        Args:
            losses: loss per step computed so far.
            n_steps: steps in the run.
            current: the current step (None: not in a step).
            value: the current step's loss if known now, else None.
            color: theme variable of the current phase.
        """
        key = (len(losses), n_steps, current, None if value is None else float(value), color)
        if key == self._key:
            return
        self._key = key
        self._losses, self._n_steps, self._current = losses, n_steps, current
        self._value, self._color = value, color
        self.refresh()

    def render(self) -> Content:
        label = "loss "
        value = fmt(self._value) if self._value is not None else "·"
        where = f" at step {self._current}" if self._current is not None else ""
        room = self.size.width - len(label)
        # The plot's width depends on the widget's width and the run only, never on the
        # text after it: reserve the longest value and step number.
        value_w = max(VALUE_WIDTH, len(value))
        where_w = len(f" at step {max(self._n_steps - 1, 0)}")
        # Bars, the value and the step if they fit; then drop the step; then the bars.
        options = (
            (f"  {value}{where}", 2 + value_w + where_w, 8),
            (f"  {value}", 2 + value_w, 4),
            # Narrow: a few bars and the value as it is; then the value alone.
            (f"  {value}", 2 + len(value), 4),
            (f" {value}", 1 + len(value), 0),
        )
        fitting = [(t, room - r) for t, r, least in options if room - r >= least]
        if not fitting:
            return Content.assemble((label, "$text-muted"))
        tail, bars_w = fitting[0]
        parts: list[str | tuple[str, str]] = [(label, "$text-muted")]
        if bars_w >= 4:
            room_for_scale = bars_w >= 12
            bars, cur, log = spark(self._losses, self._n_steps, self._current, bars_w - 4 * room_for_scale)
            if cur is None:
                parts.append((bars, "$text-muted"))
            else:
                mark = bars[cur] if bars[cur] != "·" else "▏"
                parts += [
                    (bars[:cur], "$text-muted"),
                    (mark, f"bold {self._color}"),
                    (bars[cur + 1 :], "$text-muted"),
                ]
            if room_for_scale:
                parts.append((" log" if log else "    ", "$text-muted"))
        parts.append((tail, "bold"))
        return Content.assemble(*parts)
