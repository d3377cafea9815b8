"""The main screen: graph, three roads, inspector, params beside torch, loss, timeline."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Protocol

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.screen import Screen

from stepgrad.app.status_model import NOTHING_SELECTED, pan_message, zoom_message
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

TIMELINE_ROWS = 8
"""The fewest rows worth giving the timeline under the inspector (its border and six events)."""

LEGEND_ROWS = 4
"""Rows kept for the graph's legend of local gradients when the timeline joins the panels."""

INSPECTOR_ROWS = 10
"""The fewest rows the inspector keeps beside the params when the timeline joins them."""


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

    selected: int | None
    """The selected node (Tab, a click), outlined in the graph; ``x`` and Enter act on it."""

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

    def select(self, node: int) -> None:
        """Select node ``node`` (outlined in the graph) and say so in the status line."""
        ...

    def say(self, message: str) -> None:
        """Answer a key in the status line (an empty message clears the last one)."""
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

    # The graph's keys: a screen's Tab would move the focus, and Enter belongs to the dialogs
    # when one is open; here they act on the graph's nodes.
    BINDINGS: ClassVar[list[BindingType]] = [
        # The footer shows Tab, z and "h j k l pan" where there is room (keys_footer.ORDER).
        Binding("tab", "select_node(1)", "node", id="graph.select_next"),
        Binding("shift+tab", "select_node(-1)", "previous node", show=False, id="graph.select_prev"),
        Binding("enter", "inspect_selected", "inspect", show=False, id="graph.inspect"),
        Binding("z", "zoom", "graph", id="graph.zoom"),
        Binding("h,shift+left", "pan(-1, 0)", "pan", key_display="h j k l", id="graph.pan_left"),
        Binding("shift+right,l", "pan(1, 0)", "pan right", show=False, id="graph.pan_right"),
        Binding("shift+up,k", "pan(0, -1)", "pan up", show=False, id="graph.pan_up"),
        Binding("shift+down,j", "pan(0, 1)", "pan down", show=False, id="graph.pan_down"),
    ]

    # No ClassVar: Textual types these as instance variables, and a class variable may not
    # override one; the lists are never changed.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE_FROM, "-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]  # noqa: RUF012

    def __init__(self, app: Stepper):
        super().__init__()
        self.stepgrad = app
        self._resumed = False
        self.graph = GraphView(app.trace, id="graph")
        """The graph panel (made here: its width sets where the arrangement changes)."""
        # A graph too wide for the left side (ex4-5 at 120 columns) gets the whole width on
        # top, as on a narrow screen, rather than show part of itself.
        wide_from = side_by_side_from(self.graph.needed_width())
        self.HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (wide_from, "-wide")]
        # A tensor lecture has no three roads: no panel under the graph for a note saying
        # so (the help says it once, and r answers in the status line).
        self.set_class(app.trace.program.arrays, "-arrays")
        self.composed = False
        """True once the widgets exist (from the screen's mount on)."""
        self._drawn_narrow = False
        n_params = len(app.trace.graph.params)
        self._side_rows = max(INSPECTOR_ROWS, n_params + 2 + 2 + 2)
        """The rows inspector and params need on a narrow screen: a line a param, the
        header and the loss, the border, and the loss plot's two lines."""
        self._arranged: tuple[int, ...] = ()

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
        # A tensor lecture has no three roads: r and w would only say so (they still do).
        hidden = frozenset({"roads", "first_wrong"}) if self.stepgrad.trace.program.arrays else frozenset()
        yield KeysFooter(id="footer", compact=self.app.size.width < COMPACT_BELOW, hidden=hidden)

    def on_mount(self) -> None:
        # Draw now, in the first frame: the screen counts as mounted only once this returns.
        self.composed = True
        self._drawn_narrow = self.has_class("-narrow")
        self.stepgrad.redraw()

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Screen's own handler, which restyles every widget on a resume. The first
        # resume comes as the app starts, a moment after each widget was styled as it mounted:
        # restyling all 31 again changed nothing and took 14 ms of the first frame. A later
        # resume (back from help, a dialog, a theme changed meanwhile) restyles as Textual does.
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    def graph_rows(self) -> int:
        """The rows the graph panel takes on a narrow screen without its legend (whose
        lines come and go with the events): as tall as its graph, at most its
        ``max-height``."""
        graph = self.graph
        rows = graph.virtual_size.height - len(graph.legend) + graph.gutter.height
        cap = graph.styles.max_height
        if cap is not None:
            rows = min(rows, int(cap.resolve(self.size, self.app.size)))
        return rows

    def arrange_rows(self) -> None:
        """On a tall narrow screen (a graph too wide to sit beside the inspector: lecture7
        at 200x60), give the rows under the graph to the inspector and params AND the
        timeline when both fit (class ``-room``), so a lecturer sees an event's explanation
        and the timeline at once; with ``t`` where they do not both fit (lecture7 at
        120x40), the timeline takes the params' place under the inspector (``-share``).
        The split is the graph's without its legend, so it stays put from event to event
        (the timeline gives the legend its rows). Called on a resize and each redraw: it
        compares a few numbers and restyles only on a change."""
        if not self.composed:
            return
        free = self.size.height - 2 - self.graph_rows()  # less the status and key lines
        narrow_tall = self.has_class("-narrow") and self.has_class("-tall") and not self.has_class("-roads")
        toggled = self.has_class("-timeline-toggled")
        room = narrow_tall and free >= self._side_rows + TIMELINE_ROWS + LEGEND_ROWS
        # Without room, t keeps the inspector over the timeline (the params give way).
        share = narrow_tall and not room and toggled
        key = (int(room), int(share), free if room or share else 0)
        if key == self._arranged:
            return
        self._arranged = key
        self.set_class(room, "-room")
        self.set_class(share, "-share")
        side = self.query_one("#side")
        if room:
            # The inspector and params keep two fifths of the rows, at least the params' need.
            side.styles.height = max(self._side_rows, free * 2 // 5)
        elif share:
            side.styles.height = free // 2
        else:
            side.styles.height = None

    def on_resize(self, event: events.Resize) -> None:
        self.query_one(KeysFooter).compact = event.size.width < COMPACT_BELOW
        self.arrange_rows()
        narrow = self.has_class("-narrow")
        if self.composed and narrow != self._drawn_narrow:
            # The header names the scenario in full or by its short name, by the width.
            self._drawn_narrow = narrow
            self.stepgrad.redraw()

    # ----- the graph's keys ----------------------------------------------------------------

    def action_select_node(self, step: int) -> None:
        """Select the next (or previous) node in reading order: its box drawn in double lines."""
        order = self.graph.node_order()
        if not order:
            return
        now = self.stepgrad.selected
        if now in order:
            self.stepgrad.select(order[(order.index(now) + step) % len(order)])
        else:
            self.stepgrad.select(order[0] if step > 0 else order[-1])

    def action_inspect_selected(self) -> None:
        """Show the selected node in the inspector (Esc returns to the event)."""
        if self.stepgrad.selected is not None:
            self.stepgrad.inspect_node(self.stepgrad.selected)
        else:
            self.stepgrad.say(NOTHING_SELECTED)

    def action_zoom(self) -> None:
        """Give the graph the whole screen, or give the panels back."""
        self.toggle_class("-zoom")
        self.stepgrad.say(zoom_message(self.has_class("-zoom")))

    def action_pan(self, dx: int, dy: int) -> None:
        """Scroll the graph (until the next move brings the current event back into view)."""
        moved = self.graph.pan(dx, dy)
        room = (self.graph.max_scroll_x, self.graph.max_scroll_y)
        self.stepgrad.say(pan_message(dx, dy, moved, room))

    @on(GraphView.NodeClicked)
    def _node_clicked(self, message: GraphView.NodeClicked) -> None:
        self.stepgrad.inspect_node(message.node)

    @on(TimelineList.NeedSteps)
    def _need_steps(self, message: TimelineList.NeedSteps) -> None:
        self.stepgrad.compute_ahead(message.step)

    @on(TimelineList.EventClicked)
    def _event_clicked(self, message: TimelineList.EventClicked) -> None:
        self.stepgrad.go(message.seq)
