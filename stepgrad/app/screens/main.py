"""The main screen: graph, three roads, inspector, params beside torch, loss, timeline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Container, Vertical
from textual.screen import Screen

from stepgrad.app.widgets import (
    GraphView,
    Inspector,
    LossSpark,
    ParamsPanel,
    RoadsPanel,
    StatusBar,
    TimelineList,
)
from stepgrad.app.widgets.keys_footer import KeysFooter
from stepgrad.app.widgets.palette import Palette

if TYPE_CHECKING:
    from textual.geometry import Size

    from stepgrad.app.trace import Trace


COMPACT_BELOW = 120
"""Narrower than this, the footer drops its padding so that every key's name still shows."""

WIDE_FROM = 100
"""The side-by-side arrangement needs at least this many columns."""


def side_by_side_from(graph_width: int) -> int:
    """The narrowest terminal whose left side holds a graph ``graph_width`` columns wide
    beside the inspector (``#side`` is 42% of the width, 50 to 72 columns; the graph's
    border and padding take 4). Narrower, the graph is given the whole width on top."""
    w = WIDE_FROM
    while w - min(max(w * 42 // 100 + 1, 50), 72) - 4 < graph_width:
        w += 1
    return w


class Stepper(Protocol):
    """What the main screen needs of the app (``StepgradApp``): the trace to lay out, and
    where to send what the widgets report. The screen knows no more of the app than this,
    so that the app module imports the screen and never the other way round."""

    @property
    def trace(self) -> Trace:
        """The run being stepped through."""
        ...

    def redraw(self) -> None:
        """Hand the state at the current position to every widget."""
        ...

    def go(self, target: int, message: str = "") -> None:
        """Move the cursor to event ``target``."""
        ...

    def inspect_node(self, node: int) -> None:
        """Show node ``node`` in the inspector."""
        ...

    def compute_ahead(self, step: int) -> None:
        """Compute checkpoints up to ``step`` in the background."""
        ...


class MainScreen(Screen[None]):
    """Lays the widgets out; the app hands it each position to show (``Stepper.redraw``).

    From 100 columns: the graph on the left with the three roads under it, the inspector
    and params on the right, the timeline below. Narrower: the graph on top, the
    inspector and params side by side below it, and the timeline and the three roads
    folded away (``t`` and ``r`` show them in their place).
    """

    # No ClassVar: Textual types these as instance variables, and a class variable may not
    # override one; the lists are never changed.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE_FROM, "-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]  # noqa: RUF012

    def __init__(self, app: Stepper):
        super().__init__()
        self.stepgrad = app
        self.graph = GraphView(app.trace, id="graph")
        """The graph panel (made here: its width sets where the arrangement changes)."""
        # A graph too wide for the left side (ex4-5 at 120 columns) gets the whole width on
        # top, as on a narrow screen, rather than show part of itself.
        wide_from = side_by_side_from(self.graph.needed_width())
        self.HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (wide_from, "-wide")]
        self.composed = False
        """True once the widgets exist (from the screen's mount on)."""
        self._drawn_narrow = False

    def set_breakpoints(self, size: Size) -> None:
        """Take the breakpoint classes of ``size`` now (the first resize event would, later)."""
        classes: dict[str, bool] = {}
        for dimension, points in (
            (size.width, self.HORIZONTAL_BREAKPOINTS or []),
            (size.height, self.VERTICAL_BREAKPOINTS or []),
        ):
            on = self._get_breakpoint_classes(dimension, points)
            classes.update({name: name in on for _, name in points})
        self.update_classes(classes, update=False)

    def compose(self) -> ComposeResult:
        trace = self.stepgrad.trace
        yield Palette()
        yield StatusBar(id="status")
        with Container(id="body"):
            with Vertical(id="left"):
                graph = self.graph
                graph.border_title = "graph"
                yield graph
                roads = RoadsPanel(id="roads")
                roads.border_title = "three roads"
                yield roads
            with Container(id="side"):
                inspector = Inspector(id="inspector")
                inspector.border_title = "inspector"
                yield inspector
                with Vertical(id="numbers"):
                    params = ParamsPanel(id="params")
                    params.border_title = "params · torch"
                    yield params
                    yield LossSpark(id="loss")
        timeline = TimelineList(trace, id="timeline")
        timeline.border_title = "timeline"
        yield timeline
        yield KeysFooter(id="footer", compact=self.app.size.width < COMPACT_BELOW)

    def on_mount(self) -> None:
        # Draw now, in the first frame: the screen counts as mounted only once this returns.
        self.composed = True
        self._drawn_narrow = self.has_class("-narrow")
        self.stepgrad.redraw()

    def on_resize(self, event: events.Resize) -> None:
        self.query_one(KeysFooter).compact = event.size.width < COMPACT_BELOW
        narrow = self.has_class("-narrow")
        if self.composed and narrow != self._drawn_narrow:
            # The header names the scenario in full or by its short name, by the width.
            self._drawn_narrow = narrow
            self.stepgrad.redraw()

    @on(GraphView.NodeClicked)
    def _node_clicked(self, message: GraphView.NodeClicked) -> None:
        self.stepgrad.inspect_node(message.node)

    @on(TimelineList.NeedSteps)
    def _need_steps(self, message: TimelineList.NeedSteps) -> None:
        self.stepgrad.compute_ahead(message.step)

    @on(TimelineList.EventClicked)
    def _event_clicked(self, message: TimelineList.EventClicked) -> None:
        self.stepgrad.go(message.seq)
