"""The loss of every step computed so far: a sparkline labelled with what one bar is
(``loss per step``), the current step's loss, and, for a run of several epochs, each
epoch's last loss as the lecture's loop prints its progress (``progress: 0 7.316  1 ·``)."""

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


RANGE_WIDTH = 15
"""Room kept for ``range_text`` (``0.6652→0.6532``), whatever the numbers, so that the
plot's width does not change as the cursor moves."""


def range_text(losses: Sequence[float] | np.ndarray, width: int = RANGE_WIDTH) -> str:
    """``0.6652→0.6532``: the first step's loss and the latest, so that the size of the drop
    is read in numbers beside the bars (the first alone while there is one, ``·`` before).
    4 significant digits as the progress line prints them, more (up to 6) where those would
    read the same, fewer where too wide; a whole number as a float (``1.0``)."""
    if len(losses) == 0:
        return "·"
    first, last = float(losses[0]), float(losses[-1])

    def num(v: float, d: int) -> str:
        t = f"{v:.{d}g}"
        return t + ".0" if t.lstrip("-").isdigit() else t

    def text(d: int) -> str:
        return num(first, d) if len(losses) == 1 else f"{num(first, d)}→{num(last, d)}"

    d = 4
    while d < 6 and first != last and num(first, d) == num(last, d) and len(text(d + 1)) <= width:
        d += 1
    while d > 1 and len(text(d)) > width:
        d -= 1
    return text(d)


def log_scale(values: list[float]) -> bool:
    """True when the losses span more than three decades (all positive): a log scale shows
    a training's progress where a linear one shows a cliff and then nothing."""
    return bool(values) and min(values) > 0 and max(values) / min(values) > 1000


def spark(
    losses: np.ndarray, n_steps: int, current: int | None, width: int, log: bool | None = None
) -> tuple[str, int | None, bool]:
    """Bars for ``losses`` over ``n_steps`` in ``width`` cells, the current step's cell, and
    whether the scale is logarithmic.

    Steps are grouped into cells (the mean of each group); a step not computed yet is a
    dot, a non-finite loss is ``!``. Heights are in proportion to the loss, from 0 to the
    largest finite loss so far (bars between the smallest and the largest made lecture7's
    drop from 0.665 to 0.653 look as steep as a collapse), or logarithmic when the losses
    span more than three decades (``log``: the caller's choice, from
    ``losses_span_decades``); linear between the smallest and the largest when one is
    negative. Losses all equal (one step) stand at mid height.
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
    flat = hi_v == lo_v
    if log is None:
        log = log_scale(finite)
    if log and finite and min(finite) > 0:
        vals = [math.log10(v) if v is not None and math.isfinite(v) else v for v in vals]
        lo_v, hi_v = math.log10(lo_v), math.log10(hi_v)
    elif lo_v >= 0:
        lo_v = 0.0
    out = []
    for v in vals:
        if v is None:
            out.append("·")
        elif not math.isfinite(v):
            out.append("!")
        elif flat or hi_v == lo_v:
            out.append(BARS[len(BARS) // 2])
        else:
            out.append(BARS[round((v - lo_v) / (hi_v - lo_v) * (len(BARS) - 1))])
    cur = None if current is None else min(int(current / per), cells - 1)
    if cur is not None and current is not None and current >= len(losses) and int(cur * per) >= len(losses):
        # No loss of this cell's steps is computed yet. A cell of several steps whose first
        # ones are keeps their mean, as every bar is a mean: blanked, it read as a loss
        # fallen to zero at the start of every step (a student's walk, lecture7 playing).
        out[cur] = "·"
    return "".join(out), cur, log


def losses_span_decades(losses: np.ndarray) -> bool:
    """``log_scale`` of every finite loss so far (NumPy: a long run's losses in a few µs;
    none before the first loss, so that the first frame loads no NumPy)."""
    if len(losses) == 0:
        return False
    a = np.asarray(losses, dtype=np.float64)
    a = a[np.isfinite(a)]
    return bool(a.size) and float(a.min()) > 0 and float(a.max()) / float(a.min()) > 1000


PROGRESS_MOST = 12
"""Whole epochs listed on the progress line: the last few (a line has room for about a
dozen)."""


def epoch_last_losses(
    losses: Sequence[float] | np.ndarray, per_epoch: int, last: int = PROGRESS_MOST
) -> list[tuple[int, float]]:
    """The loss of the last step of each of the ``last`` whole epochs in ``losses``, as
    (epoch, loss), oldest first: what the lecture's loop prints after an epoch's samples,
    ``print("progress:", epoch, l.data[0])`` (``l`` is the last sample's loss, not a mean).

    Args:
        losses: loss per step computed so far (step k at index k).
        per_epoch: steps in an epoch (one per sample).
        last: at most this many epochs, the latest.
    """
    if per_epoch <= 0:
        return []
    done = len(losses) // per_epoch
    first = max(0, done - last)
    return [(e, float(losses[(e + 1) * per_epoch - 1])) for e in range(first, done)]


def progress_text(epochs: Sequence[tuple[int, float]], current: int | None, width: int) -> str:
    """``progress: 0 7.316  1 3.999  2 ·``: each whole epoch's last loss to 4 significant
    digits, after its number, as the lecture's loop prints ``progress: epoch loss``, and
    the epoch still running (``·``: not computed yet); the latest that fit in ``width``,
    the earlier ones cut as ``…``.

    Args:
        epochs: (epoch, loss) of the latest whole epochs (``epoch_last_losses``).
        current: the epoch the position is in (None: none, or after training).
        width: cells available.
    """
    items = [f"{e} {m:.4g}" for e, m in epochs]
    done = epochs[-1][0] + 1 if epochs else 0
    if current is not None and current >= done:
        items.append(f"{current} ·")
    earlier = bool(epochs) and epochs[0][0] > 0  # epochs before the first listed
    label = "progress: "
    shown: list[str] = []
    for item in reversed(items):
        cut = earlier or len(shown) + 1 < len(items)
        need = len(label) + len("  ".join([item, *shown])) + (len("… ") if cut else 0)
        if need > width and shown:
            break
        shown.insert(0, item)
    more = "… " if earlier or len(shown) < len(items) else ""
    return label + more + "  ".join(shown)


def per_bar(n_steps: int, room: int) -> int:
    """Steps a bar stands for so that ``n_steps`` bars fit in ``room`` cells (1 if all do);
    below 10 a divisor of ``n_steps`` where one is close (every bar the mean of as many
    steps), from 10 on a round number (1, 2 or 5 times a power of ten: ``loss per 5,000
    steps``, not ``per ~4,348``)."""
    per = max(1, math.ceil(n_steps / max(room, 1)))
    if per < 10:
        # Bars of equal steps where half as many again still fit the room: lecture7's 100
        # steps in 13 cells are 10 bars of 10, not 13 of 8 and a last of 4 (``~8``, which
        # a student read as a typo).
        even = next((d for d in range(per, per + per // 2 + 1) if n_steps % d == 0), None)
        return per if even is None else even
    power = 10 ** (len(str(per)) - 1)
    return next(k * power for k in (1, 2, 5, 10) if k * power >= per)


def bar_label(n_steps: int, per: int, short: bool = False, log: bool = False) -> str:
    """What one bar is: ``loss per step``, or ``loss per 4 steps`` (their mean; ``~4``
    when the last bar has fewer); ``short``: ``loss/step``, ``loss/4 steps``; ``log``:
    heights on a log scale, said as a scale (``loss per step (log scale)``, short
    ``loss/step (log)``: a bare ``, log`` read as a function to a newcomer; the help
    explains both)."""
    by = "/" if short else " per "
    scale = (" (log)" if short else " (log scale)") if log else ""
    if per == 1:
        return f"loss{by}step{scale} "
    about = "" if n_steps % per == 0 else "~"
    return f"loss{by}{about}{per:,} steps{scale} "


class LossSpark(Widget):
    """``loss per step ▇▅▃▂▁  value at step k`` with the current step's bar in the phase
    colour; under it, for a run of several epochs, ``progress: 0 7.316  1 ·`` (each
    epoch's last loss, as the lecture prints it)."""

    DEFAULT_CSS = """
    LossSpark { height: auto; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self._losses: Sequence[float] = ()
        self._n_steps = 1
        self._current: int | None = None
        self._value: SupportsFloat | None = None
        self._color = "$secondary"
        self._per_epoch = 0
        self._log = (-1, False)
        self._key: tuple[object, ...] = ()

    def show(
        self,
        losses: np.ndarray,
        n_steps: int,
        current: int | None,
        value: SupportsFloat | None,
        color: str,
        per_epoch: int = 0,
    ) -> None:
        """Set the data and redraw.

        Args:
            losses: loss per step computed so far.
            n_steps: steps in the run.
            current: the current step (None: not in a step).
            value: the current step's loss if known now, else None.
            color: theme variable of the current phase.
            per_epoch: steps in an epoch, for a run of several epochs (0: one epoch, no
                progress line).
        """
        key = (len(losses), n_steps, current, None if value is None else float(value), color, per_epoch)
        if key == self._key:
            return
        lines_before = self._lines()
        self._key = key
        self._losses, self._n_steps, self._current = losses, n_steps, current
        self._value, self._color, self._per_epoch = value, color, per_epoch
        self.refresh(layout=self._lines() != lines_before)

    def _lines(self) -> int:
        multi = self._per_epoch > 0 and self._n_steps > self._per_epoch
        return 2 if multi else 1

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        return self._lines()

    def render(self) -> Content:
        plot = self._plot(self.size.width)
        if self._lines() == 1:
            return plot
        means = epoch_last_losses(self._losses, self._per_epoch)
        epoch = None if self._current is None else self._current // self._per_epoch
        text = progress_text(means, epoch, self.size.width)
        line = Content.assemble(("progress: ", "$text-muted"), (text[len("progress: ") :], "bold"))
        return Content("\n").join([plot, line])

    def _plot(self, width: int) -> Content:
        value = fmt(self._value) if self._value is not None else "·"
        where = f" at step {self._current}" if self._current is not None else ""
        # The plot's width depends on the widget's width and the run only, never on the
        # text after it: reserve the longest value and step number.
        value_w = max(VALUE_WIDTH, len(value))
        where_w = len(f" at step {max(self._n_steps - 1, 0)}")
        # Bars, the value and the step if they fit; then drop the step; then the bars.
        # The value only where the plot keeps a bar a step (up to 20 steps) beside it.
        want = min(self._n_steps, 20)
        options: tuple[tuple[str, int, int], ...] = (
            (f"  {value}{where}", 2 + value_w + where_w, want),
            (f"  {value}", 2 + value_w, want),
            # Narrow: the bars alone (the params panel has the loss beside torch's); then
            # a few bars and the value as it is; then the value alone.
            ("", 0, 4),
            (f"  {value}", 2 + len(value), 4),
            (f" {value}", 1 + len(value), 0),
        )
        if self._n_steps >= 2:
            # A run of several steps: the first loss and the latest in numbers in place of
            # the value (bars from 0 show the drop's shape, the numbers its size: lecture7's
            # 0.6652→0.6532), in room kept from the first step on; then the bars alone.
            # Fewer bars before none: a log scale's longer label (lecture5 at End) dropped
            # the numbers and took 25 bars where there had been 10 and the numbers.
            rng = range_text(self._losses).ljust(RANGE_WIDTH)
            options = (
                (f"  {rng}", 2 + RANGE_WIDTH, min(want, 8)),
                (f"  {rng}", 2 + RANGE_WIDTH, 4),
                *options[2:],
            )
        # The heights are on a log scale when the losses so far span three decades (the
        # same losses, the same answer: a step's losses never change once computed).
        if self._log[0] != len(self._losses):
            self._log = (len(self._losses), losses_span_decades(self._losses))
        log = self._log[1]
        for tail, reserved, least in options:
            fit = self._fit(width - reserved, log)
            if fit is None or fit[1] < least:
                continue
            label, cells = fit
            return Content.assemble(self._bars(label, cells, log), (tail, "bold"))
        return Content.styled("loss", "$text-muted")

    def _per_bar(self, room: int, short: bool, log: bool) -> int:
        """Steps a bar with the label's form (``short``) beside it in ``room`` cells."""
        n = self._n_steps
        per = per_bar(n, room - len(bar_label(n, 1, short, log)))
        for _ in range(3):  # a longer label leaves fewer cells, which may take more steps a bar
            again = per_bar(n, room - len(bar_label(n, per, short, log)))
            if again == per:
                break
            per = again
        return per

    def _fit(self, room: int, log: bool) -> tuple[str, int] | None:
        """The label and the number of bars in at most ``room`` cells (0 bars: the word
        ``loss`` alone); None: not even that fits."""
        if room < 0:
            return None
        n = self._n_steps
        # The long label (``loss per step``) unless the short one (``loss/step``) leaves
        # room for fewer steps a bar.
        per, short = min((self._per_bar(room, short, log), short) for short in (False, True))
        label = bar_label(n, per, short, log)
        cells = math.ceil(n / per)
        if cells < min(4, n) or len(label) + cells > room:
            return ("loss", 0) if room >= 4 else ("", 0)
        return label, cells

    def _bars(self, label: str, cells: int, log: bool) -> Content:
        """``label`` and ``cells`` bars, the current step's in the phase colour."""
        if cells == 0:
            return Content.styled(label, "$text-muted")
        bars, cur, _log = spark(self._losses, self._n_steps, self._current, cells, log)
        parts: list[tuple[str, str]] = [(label, "$text-muted")]
        if cur is None:
            parts.append((bars, "$text-muted"))
        else:
            mark = bars[cur] if bars[cur] != "·" else "▏"
            parts += [
                (bars[:cur], "$text-muted"),
                (mark, f"bold {self._color}"),
                (bars[cur + 1 :], "$text-muted"),
            ]
        return Content.assemble(*parts)
