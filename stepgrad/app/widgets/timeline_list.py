"""The list of events, one row per event, rendering only the rows in view.

Rows are grouped by step and phase: the step and phase labels are written on the first
row of their group and again on the top row of the view, so a glance always tells where
in training the listed events are. A 100,000-step run is over a million rows; only the
twenty or so visible ones are ever formatted.
"""

from __future__ import annotations

from collections import OrderedDict

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from stepgrad.app.trace import PHASE_LABEL, START, Trace
from stepgrad.app.widgets.palette import Palette
from stepgrad.engine.events import Predict

_PHASES = ("forward", "local", "backward", "update", "predict")
_CACHE = 512
FAR = 512
"""Rows more than this many steps past the computed checkpoints are drawn as placeholders."""


class TimelineList(ScrollView, can_focus=False):
    """Every event of the run; the current one marked and kept in view.

    The screen sets ``position`` through ``show``; a click posts ``EventClicked``.
    """

    DEFAULT_CSS = """
    TimelineList { overflow-x: hidden; overflow-y: auto; }
    """

    class NeedSteps(Message):
        """Rows in view belong to steps whose checkpoints are not computed yet."""

        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step
            """The last step in view."""

    class EventClicked(Message):
        """An event's row was clicked."""

        def __init__(self, seq: int) -> None:
            super().__init__()
            self.seq = seq
            """The clicked event's seq."""

    def __init__(self, trace: Trace, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.trace = trace
        self.position = START
        self._cache: OrderedDict[tuple[int, bool, bool, int, bool], Strip] = OrderedDict()
        self._styles: dict[str, Style] = {}
        self._step_w = len(str(max(trace.plan.n_steps - 1, 0)))
        self._seq_w = len(str(max(trace.length - 1, 0))) + 1
        self.virtual_size = Size(0, trace.length)
        self._asked = 0

    def on_mount(self) -> None:
        self._resolve_styles()
        self.watch(self.app, "theme", self._on_theme, init=False)

    def _resolve_styles(self) -> None:
        palette = self.screen.query_one(Palette)
        for name, role in (("step", "muted"), ("seq", "muted"), ("text", "text"), ("current", "current"),
                           ("marker", "strong"), ("future", "unknown"),
                           *((p, f"phase-{p}") for p in _PHASES)):  # fmt: skip
            self._styles[f"timeline--{name}"] = palette.style(role)

    def _on_theme(self) -> None:
        self.screen.query_one(Palette).clear()
        self._resolve_styles()
        self._cache.clear()
        self.refresh()

    @property
    def label_width(self) -> int:
        """Columns of the step and phase labels."""
        return 6 + self._step_w + 1 + max(len(v) for v in PHASE_LABEL.values())

    # ----- position ----------------------------------------------------------------------

    def scroll_for(self, pos: int) -> int:
        """The scroll row for a position: a function of the position alone (so ``n`` then
        ``p`` restores the view). The list moves by half pages, keeping the current row
        in the middle half of the view."""
        h = self.scrollable_content_region.height
        if self.trace.length <= h or pos == START:
            return 0
        half = max(h // 2, 1)
        return max(0, min((pos // half) * half - h // 4, self.trace.length - h))

    def show(self, pos: int) -> None:
        """Mark ``pos`` as current and scroll it into view."""
        old = self.position
        self.position = pos
        target = self.scroll_for(pos)
        if target != int(self.scroll_y):
            self.scroll_to(y=target, animate=False, immediate=True)
            self.refresh()
            return
        width = self.size.width
        # Rows between the old and the new position change between past and future.
        lo, hi = max(min(old, pos), target), min(max(old, pos), target + self.size.height)
        self.refresh(*(Region(0, row - target, width, 1) for row in range(lo, hi + 1)))

    def forget(self) -> None:
        """Write every row again (the numbers' digits changed: the d key)."""
        self._cache.clear()
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self._cache.clear()
        self.scroll_to(y=self.scroll_for(self.position), animate=False, immediate=True)

    # ----- rows ----------------------------------------------------------------------------

    def _labels(self, seq: int, top: bool) -> tuple[str, str, str]:
        """(step label, phase label, phase) for a row; labels only where a group starts."""
        # The labels depend on where events sit, not on their numbers: the plan knows.
        plan = self.trace.plan
        ev = plan.outline(seq)
        phase = ev.phase
        prev = plan.outline(seq - 1) if seq > 0 else None
        new_step = prev is None or prev.step != ev.step or (ev.step is None and prev.phase != phase)
        new_phase = new_step or prev is None or prev.phase != phase
        # Predictions before and after training belong to no step.
        step_label = f"step {ev.step}" if ev.step is not None or not isinstance(ev, Predict) else ev.when
        return (
            step_label if (new_step or top) else "",
            PHASE_LABEL[phase] if (new_phase or top) else "",
            phase,
        )

    def _row(self, seq: int, current: bool, top: bool, width: int, future: bool) -> Strip:
        key = (seq, current, top, width, future)
        got = self._cache.get(key)
        if got is not None:
            return got
        step_label, phase_label, phase = self._labels(seq, top)
        s = self._styles
        base = self.rich_style
        phase_style = base + s[f"timeline--{phase}"]
        lw = 6 + self._step_w
        pw = self.label_width - lw
        marker = "▶ " if current else "  "
        seq_text = f"#{seq}".ljust(self._seq_w) + " "
        used = 2 + lw + pw + len(seq_text)
        # Events still to come show what they will compute, not the numbers.
        room = max(width - used, 1)
        body = self.trace.outline(seq, room) if future else self.trace.line(seq, room)
        segs = [
            Segment(marker, phase_style + s["timeline--marker"] if current else base),
            Segment(step_label.ljust(lw), base + s["timeline--step"]),
            Segment(phase_label.ljust(pw), phase_style),
            Segment(seq_text, base + s["timeline--seq"]),
            Segment(body, base + s["timeline--future" if future else "timeline--text"]),
        ]
        strip = Strip(segs).adjust_cell_length(width, base)
        if current:
            strip = strip.apply_style(s["timeline--current"])
        self._cache[key] = strip
        if len(self._cache) > _CACHE:
            self._cache.popitem(last=False)
        return strip

    def render_line(self, y: int) -> Strip:
        sy = int(self.scroll_y)
        width = self.scrollable_content_region.width
        seq = sy + y
        if seq >= self.trace.length:
            return Strip.blank(width, self.rich_style)
        plan = self.trace.plan
        step = plan.locate(seq)
        need = plan.n_steps if step is None else step
        if need > self.trace.known_steps + FAR:
            # Dragged far ahead: ask for the checkpoints rather than freeze the keyboard.
            if not self._asked or need > self._asked:
                self._asked = need
                self.post_message(self.NeedSteps(need))
            text = f"  #{seq}  computing step {step}…"
            return Strip([Segment(text, self.rich_style + self._styles["timeline--seq"])]).adjust_cell_length(
                width, self.rich_style
            )
        return self._row(seq, seq == self.position, y == 0, width, seq > self.position)

    def on_click(self, event: events.Click) -> None:
        off = event.get_content_offset(self)
        if off is None:
            return
        seq = int(self.scroll_y) + off.y
        if 0 <= seq < self.trace.length:
            self.post_message(self.EventClicked(seq))
