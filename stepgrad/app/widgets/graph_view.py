"""The computational graph, drawn on the Line API.

The layout (``stepgrad.app.layout``) is computed once per graph and placed again only
when the panel's size calls for another spacing (``graph_sizing``: the roomiest in which
the whole graph fits, grown into a large panel; the tightest when none does). A row is
drawn from a base row (borders and wires) plus what changes with the position (box
contents, the lit node and wire, the labels on the edges: ``graph_boxes``,
``graph_labels``, ``graph_draw``), and only for the columns in view. Each move works out
which rows changed (boxes that look different, wires lit or unlit, labels), bumps their
version and refreshes just those; every other row's strip is reused from the cache.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from stepgrad.app import layout as lay
from stepgrad.app.arrays import (
    as_written,
    dims,
    entries_text,
    fit_labels,
    is_array,
    label_nodes,
    label_text,
    node_shapes,
    predict_shapes,
    step_shapes,
)
from stepgrad.app.trace import START, Focus, Trace
from stepgrad.app.widgets.graph_boxes import (
    _ROLES,
    PHASES,
    S_PHASE,
    BoxView,
    box_view,
    op_label,
)
from stepgrad.app.widgets.graph_draw import base_grid, compose_row
from stepgrad.app.widgets.graph_labels import (
    EdgeLabel,
    Room,
    blocked_cells,
    fit_legend,
    label_spans,
    labels_of,
    path_of,
    zeroed,
)
from stepgrad.app.widgets.graph_scroll import GraphScrolling
from stepgrad.app.widgets.graph_sizing import (
    CAP_MIN,
    MIN_BOX,
    NUM_MAX,
    TIGHTEST,
    GraphSizing,
    _Fit,
    box_number,
    compact,
    graph_fmt,
)
from stepgrad.app.widgets.palette import Palette
from stepgrad.engine.events import Predict
from stepgrad.engine.state import State

__all__ = [
    "CAP_MIN", "MIN_BOX", "NUM_MAX", "TIGHTEST", "BoxView", "GraphView", "compact", "graph_fmt",
    "op_label",
]


class GraphView(GraphSizing, GraphScrolling, can_focus=False):
    """The graph: one box per node (name, operation, value, ∂loss/∂node), wires between.

    The screen calls ``show`` with the state to draw; clicks post ``NodeClicked``.
    """

    DEFAULT_CSS = """
    GraphView { overflow-x: auto; overflow-y: auto; }
    """

    class NodeClicked(Message):
        """A node's box was clicked."""

        def __init__(self, node: int) -> None:
            super().__init__()
            self.node = node
            """The clicked node's id."""

    def __init__(self, trace: Trace, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.trace = trace
        graph = trace.graph
        self._frame = lay.arrange(lay.rank(graph))
        self._frames = {(0, lay.ROW_GAP, lay.BOX_HEIGHT): self._frame}
        self._labels = {n.id: op_label(n) for n in graph.nodes}
        # A tensor lecture's box says its shape in its bottom border (``└── 759×6 ┘``).
        shapes = node_shapes(trace.program) or ()
        self._shapes = {i: dims(shape) for i, shape in enumerate(shapes)}
        self._req = graph.requires_grad
        self._label_nodes = label_nodes(graph)
        many = frozenset(i for i, shape in enumerate(shapes) if math.prod(shape) > 1)
        self._many = many - self._label_nodes
        """The nodes whose boxes write their first entries where the panel has the rows
        (``GraphSizing._fit_boxes``): a matrix's, not a number, one entry, nor class labels,
        which the value row writes already."""
        self._predict_dims: dict[str, dict[int, str]] = {}
        program = trace.program
        self._f32 = program.dtype == "float32"
        # At a prediction the inputs hold the prediction's values, not a sample's (as written:
        # float32 boxes print through np.float32, and a Python float is a float64 to the bit).
        # A tensor lecture's prediction input is an array (``arrays.as_written``).
        predict = program.predict or {}
        self._predict_inputs = {graph.by_name[k]: as_written(v, program.dtype) for k, v in predict.items()}
        self._title_len = {n.id: len(f"{n.name} {self._labels[n.id]}") for n in graph.nodes}
        self._run_nodes: dict[int, tuple[int, int]] | None = None
        self._cap = NUM_MAX
        self._styles: list[Style] = []
        self._fit_cache: OrderedDict[tuple[int, int, int, bool], _Fit] = OrderedDict()
        self._scroll_cache: dict[tuple[tuple[int, ...], tuple[int, ...], int, int], tuple[int, int]] = {}
        self._cuts: dict[int, tuple[list[int], list[int]]] = {}
        self._last_show: tuple[Any, ...] | None = None
        self._fit_key: tuple[int, int, bool] = (-1, -1, False)
        self._layout: lay.Layout | None = None
        self._base_chars: list[list[str]] = []
        self._base_styles: list[list[int]] = []
        self._row_boxes: list[list[int]] = []
        self._version: list[int] = []
        self._hot_rows: dict[int, list[tuple[int, tuple[str, int]]]] = {}
        self._fresh = True
        self._views: dict[int, BoxView] = {}
        self._hot: dict[tuple[int, int], tuple[str, int]] = {}
        self._focus_lit: tuple[int, ...] = ()
        self._focus_also: tuple[int, ...] = ()
        self._view_cache: dict[int, tuple[tuple[int, int, int, int, tuple[int, ...]], Strip]] = {}
        self._margins_drawn = (0, 0)
        self._painting: tuple[int, int, int, int, int, int] | None = None
        self._room: Room | None = None
        self.legend: list[str] = []
        """Labels that did not fit on their edge, each after its mark (``① 2*s = -2.0``)."""
        self._legend_rows: list[tuple[str, int]] = []
        """The legend as drawn: lines under the graph, inside the panel (wrapped to its
        width, never cut), each with its style slot."""
        self.edge_labels: tuple[EdgeLabel, ...] = ()
        """The labels on the edges as last shown."""
        self.label_spans: dict[lay.EdgeKey, tuple[tuple[int, int, str], ...]] = {}
        """Where each label is drawn: per edge, (first column, row, text) a row."""
        self.path: tuple[lay.EdgeKey, ...] = ()
        """At a chain event, the edges lit from the loss to it (``graph_labels.chain_path``)."""
        self.overflow: list[str] = []
        """Marked labels whose legend entries find no room under the graph: the inspector
        lists them (``① local ∂h2₁/∂h1: upstream · W2ᵀ``)."""

    # ----- styles ----------------------------------------------------------------------

    def _resolve_styles(self) -> None:
        palette = self.screen.query_one(Palette)
        base = self.rich_style
        self._styles = [base + palette.style(r) for r in (*_ROLES, *(f"phase-{p}" for p in PHASES))]

    def on_mount(self) -> None:
        self._resolve_styles()
        self.watch(self.app, "theme", self._on_theme, init=False)

    def _on_theme(self) -> None:
        self.screen.query_one(Palette).clear()
        self._resolve_styles()
        self._view_cache.clear()
        self.refresh()

    def _grows(self) -> bool:
        # A panel as tall as its graph (a narrow screen's) cannot make room for it to grow.
        return self.styles.height is not None and not self.styles.height.is_auto

    def _panel_key(self) -> tuple[int, int, bool]:
        """What the fit depends on: the panel's size, and whether its height is its own."""
        w, h = self.scrollable_content_region.size
        return (w, h, self._grows())

    def fit(self, state: State, step: int | None) -> _Fit:
        """The spacing and box widths to draw ``state`` with in the panel's width (``fit_for``)."""
        region = self.scrollable_content_region
        grows = self._grows()
        rows = self._rows_at_most(grows)
        return self.fit_for(state, step, region.width, region.height if grows else 0, rows)

    def _rows_at_most(self, grows: bool) -> int:
        """The most rows the graph can have in view: the panel's own height, else its
        ``max-height`` less the border (0: no limit). A graph folded in two rows of layers
        must fit them, or it is not folded."""
        if grows:
            return self.scrollable_content_region.height
        mh = self.styles.max_height
        if mh is None:
            return 0
        parent = self.parent.size if isinstance(self.parent, Widget) else self.app.size
        return max(int(mh.resolve(parent, self.app.size)) - self.gutter.height, 1)

    # ----- geometry --------------------------------------------------------------------

    def _set_layout(self, spacing: lay.Spacing, widths: tuple[int, ...]) -> None:
        self._boxes(spacing.entries)
        L = lay.place(self.frame_for(spacing), widths, spacing)
        self._layout = L
        self._scroll_cache.clear()
        self._cuts.clear()
        chars, styles, rows = base_grid(L, self.trace.graph, self._labels, self._shapes)
        self._base_chars, self._base_styles, self._row_boxes = chars, styles, rows
        self._room = blocked_cells(L)
        self._version = [0] * L.height
        self._view_cache.clear()
        self._fresh = True
        self.virtual_size = Size(L.width, L.height + len(self._legend_rows))

    # ----- what to show ----------------------------------------------------------------

    def show(
        self,
        pos: int,
        state: State,
        focus: Focus,
        *,
        breakpoints: Iterable[int] = (),
        selected: int | None = None,
    ) -> None:
        """Draw the graph as of ``pos``.

        Args:
            pos: the position (START or an event seq).
            state: the state at ``pos``.
            focus: what the current event is about.
            breakpoints: node ids with a breakpoint (marked ``●``).
            selected: the node clicked last, outlined.
        """
        newly_selected = selected is not None and (self._last_show is None or self._last_show[4] != selected)
        self._last_show = (pos, state, focus, tuple(breakpoints), selected)
        step = state.step if pos != START else 0
        spacing, widths, self._cap = self.fit(state, step)
        self._fit_key = self._panel_key()
        if self._layout is None or self._layout.layer_width != widths or self._layout.spacing != spacing:
            self._set_layout(spacing, widths)
            # The new size is known to the scroll machinery only after the next layout.
            self.call_after_refresh(self._scroll_to_focus)
        L = self._layout
        assert L is not None
        phase = "start" if pos == START else state.phase
        phase_slot = S_PHASE + PHASES.index(phase)
        ev = None if pos == START else state.event
        marks = {b: "●" for b in breakpoints}
        old_views, old_hot = self._views, self._hot
        g = self.trace.graph
        cap = self._cap

        def text(v: Any) -> str:
            return box_number(v, self._f32, cap)

        def number(v: Any, cells: int) -> str:
            return box_number(v, self._f32, cells)

        def entries_in(i: int) -> Any:
            # The first entries of a matrix, in its box's inner width (blank columns too).
            cells = L.boxes[i].width - 2

            def write(v: Any) -> str:
                if v is None:
                    return "·"
                return entries_text(v, number, cells) if is_array(v) and v.size > 1 else ""

            return write

        def labels_in(i: int) -> Any:
            # Class labels (lecture9's y) as the labels they are, in the box's own cells.
            sp = L.spacing
            cells = max(cap, L.boxes[i].width - 2 - sp.pad_left - sp.pad_right)

            def write(v: Any) -> str:
                return fit_labels(label_text(v), cells) if is_array(v) else text(v)

            return write

        stale = zeroed(self.trace, pos, state)
        predict_shapes = self._predict_shapes(ev.node) if isinstance(ev, Predict) else None
        predicted = None
        if isinstance(ev, Predict) and predict_shapes is not None:
            # Only the nodes the prediction computes (not the target y nor the loss).
            every = self.trace.prediction_values(ev.when)
            predicted = {i: every[i] for i in predict_shapes if i in every}
        # A short last batch (lecture8's 23 rows at step 23): its boxes say its own shapes.
        step_dims = None
        if pos != START and state.step is not None and self._shapes:
            step_dims = {i: dims(s) for i, s in step_shapes(self.trace.program, state.step).items()}
        views = {
            i: box_view(
                g, i, state, focus, phase_slot, marks, selected, ev,
                predict_inputs=self._predict_inputs, requires_grad=self._req,
                text=labels_in(i) if i in self._label_nodes else text,
                stale=stale and not g.nodes[i].is_leaf, predict_shapes=predict_shapes,
                step_shapes=step_dims, predicted_values=predicted,
                entries=entries_in(i) if L.spacing.entries and i in self._many else None,
            )
            for i in L.boxes
        }
        hot: dict[tuple[int, int], tuple[str, int]] = {}
        # A chain event lights the path the gradient came along from the loss (thin
        # lines in the phase's colour); its own edge is drawn over it, heavy.
        self.path = path_of(self.trace, pos, state) if focus.backward else ()
        for key in self.path:
            wire = L.wires.get(key)
            if wire is None:
                continue
            for cx, cy, _ in wire.cells:
                hot[(cx, cy)] = (lay.LIGHT[L.masks[(cx, cy)]], phase_slot)
            hot[wire.arrow] = (lay.LIGHT[lay.LEFT | lay.RIGHT], phase_slot)
        for key in focus.edges:
            wire = L.wires.get(key)
            if wire is None:
                continue
            for cx, cy, m in wire.cells:
                # Where other wires share the cell, keep the light glyph that shows them all.
                full = L.masks[(cx, cy)]
                ch = lay.HEAVY[m] if full == m else lay.LIGHT[full]
                hot[(cx, cy)] = (ch, phase_slot)
            ax, ay = wire.arrow
            hot[(ax, ay)] = (lay.HEAVY[lay.LEFT | lay.RIGHT] if focus.backward else lay.ARROW, phase_slot)
            if focus.backward:
                # The gradient flows right to left: point back at the source.
                sx, sy, _ = wire.cells[0]
                hot[(sx, sy)] = ("◀", phase_slot)
        # The local gradients waiting on their edges, and the product of a chain event.
        self.edge_labels = labels = labels_of(self.trace, pos, state, text)
        assert self._room is not None
        vw, vh = self._room_rows()
        # The legend's lines go under the graph: in the rows under it when it is whole in
        # view (it stays whole, and still: lecture4 at 120x40 jumped a row up at #4, where
        # a legend line appeared), else in up to a third of the panel. The entries left
        # over are in the inspector's lines.
        free = None
        if vh:
            above = (vh - L.height) // 2 if self._grows() else 0
            free = vh - L.height - above if L.height <= vh else max(vh // 3, 1)
        cells, self.legend, lines, self.overflow = fit_legend(L, self._room, labels, vw, free)
        self.label_spans = label_spans(L, self._room, labels)
        for cell, (ch, chain) in cells.items():
            hot[cell] = (ch, _BACKWARD if chain else _LOCAL)
        legend_top = self.graph_height()
        legend_changed = self._set_legend([(t, _BACKWARD if c else _LOCAL) for t, c in lines])
        self._views, self._hot = views, hot
        self._set_focus(L, focus)
        # Recompose only the rows of boxes that look different, and of wires lit or unlit.
        if self._fresh:
            rows: set[int] = set(range(L.height))
            self._fresh = False
        else:
            rows = set()
            for i, v in views.items():
                if old_views.get(i) != v:
                    b = L.boxes[i]
                    rows.update(range(b.y, b.y + b.height))
            for cell in old_hot.keys() ^ hot.keys():
                rows.add(cell[1])
            for cell in old_hot.keys() & hot.keys():
                if old_hot[cell] != hot[cell]:
                    rows.add(cell[1])
        changed = sorted(rows)
        hot_rows: dict[int, list[tuple[int, tuple[str, int]]]] = {}
        for (cx, cy), c in hot.items():
            hot_rows.setdefault(cy, []).append((cx, c))
        self._hot_rows = hot_rows
        for y in changed:
            self._version[y] += 1
        self._scroll_to_focus()
        if newly_selected:
            # Tab / Shift+Tab / a click selected a node: bring it into view (the next move
            # brings the event back).
            self._scroll_to_box(selected)
        margins = self.margins()
        if margins != self._margins_drawn:
            # The graph moved within the panel (a new layout, another size, a legend of
            # another height): repaint it all.
            self._margins_drawn = margins
            self.refresh()
            return
        sy, w = int(self.scroll_y), self.size.width
        regions = [Region(0, y - sy + margins[1], w, 1) for y in changed]
        if legend_changed:
            # The graph stays where it was: repaint the legend, from the first row it had
            # or has (the rows it took from the graph or gave back).
            top = min(legend_top, self.graph_height())
            regions.append(Region(0, top, w, max(self.size.height - top, 0)))
        if regions:
            self.refresh(*regions)

    def _predict_shapes(self, node: str) -> dict[int, str]:
        """The shapes a prediction of ``node`` writes in its boxes' borders (worked out once)."""
        got = self._predict_dims.get(node)
        if got is None:
            shapes = predict_shapes(self.trace.program, node)
            got = self._predict_dims[node] = {i: dims(s) for i, s in shapes.items()}
        return got

    def _set_legend(self, rows: list[tuple[str, int]]) -> bool:
        """The legend's lines (and style slots) under the graph; True when they changed."""
        L = self._layout
        assert L is not None
        if rows == self._legend_rows:
            return False
        self._legend_rows = rows
        size = Size(L.width, L.height + len(rows))
        if self.virtual_size != size:
            self._set_virtual_size(size)
        self._scroll_cache.clear()
        return True

    def _set_virtual_size(self, size: Size) -> None:
        """A legend of another height changes the scrollable size. Textual lays the whole
        screen out again for a new virtual size (about a third of a key's time on lecture4),
        which only a panel as tall as its content needs: a panel whose height is its own keeps
        its place, and only its scroll range (and scrollbars) follow."""
        if not self._grows():
            self.virtual_size = size
            return
        self.set_reactive(GraphView.virtual_size, size)
        self._scroll_update(size)

    def legend_rows(self) -> list[str]:
        """The legend's lines as drawn under the graph (for tests)."""
        return [text for text, _ in self._legend_rows]

    def _set_focus(self, L: lay.Layout, focus: Focus) -> None:
        """The event's boxes to keep in view (the first above all), and the boxes at both
        ends of its wires, to show with them where they fit."""
        lit = tuple(i for i in focus.nodes if i in L.boxes)
        ends = (i for key in focus.edges if key in L.wires for i in (L.wires[key].source, key[0]))
        self._focus_lit = lit
        self._focus_also = tuple(i for i in dict.fromkeys(ends) if i not in lit)

    def _draw_row(self, y: int, x0: int, x1: int, blanks: tuple[tuple[int, int], ...] = ()) -> Strip:
        """Row ``y`` between columns ``x0`` and ``x1``: base, boxes, lit wire, blanked spans."""
        L = self._layout
        assert L is not None
        width = x1 - x0
        chars, styles = compose_row(
            L, y, x0, x1, self._base_chars[y], self._base_styles[y], self._row_boxes[y], self._views,
            self._hot_rows.get(y, ()), blanks,
        )
        segs = []
        start = 0
        resolved = self._styles
        while start < width:
            st = styles[start]
            end = start + 1
            while end < width and styles[end] == st:
                end += 1
            segs.append(Segment("".join(chars[start:end]), resolved[st] if resolved else None))
            start = end
        return Strip(segs, width)

    def watch_scroll_x(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_x(old_value, new_value)
        self._title_hidden()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._title_hidden()

    def _refit(self) -> bool:
        """Show again when the panel's width is not the one the spacing was chosen for
        (show() places again if the spacing changes). True when it did."""
        if self._last_show is None or self._fit_key == self._panel_key():
            return False
        pos, state, focus, breakpoints, selected = self._last_show
        self.show(pos, state, focus, breakpoints=breakpoints, selected=selected)
        return True

    def on_resize(self, event: events.Resize) -> None:
        if not self._refit():
            self._scroll_to_focus()

    def render_lines(self, crop: Region) -> list[Strip]:
        # The first show() comes before the panel has a size, and the Resize event after
        # the first paint: fit here, so the first frame already has the right spacing.
        self._refit()
        # The panel's geometry is the same for every row of one paint: read it once (each
        # read asks Textual for the panel's region, several times a row otherwise).
        self._painting = self._geometry()
        try:
            return super().render_lines(crop)
        finally:
            self._painting = None

    def _geometry(self) -> tuple[int, int, int, int, int, int]:
        """Scroll offset, content width, graph height and margins, as a row is drawn with."""
        sx, sy = self.scroll_offset
        ox, oy = self.margins()
        return sx, sy, self.scrollable_content_region.width, self.graph_height(), ox, oy

    # ----- drawing -----------------------------------------------------------------------

    def _blanks(self, sx: int, width: int) -> tuple[tuple[int, int], ...]:
        """Spans (window columns) of layers only partly in view: never show part of a box."""
        L = self._layout
        assert L is not None
        out = []
        for x, w in zip(L.layer_x, L.layer_width, strict=True):
            if x < sx + width and x + w > sx and (x < sx or x + w > sx + width):
                out.append((max(x, sx) - sx, min(x + w, sx + width) - sx))
        return tuple(out)

    def render_line(self, y: int) -> Strip:
        sx, sy, full, gh, ox, oy = self._painting or self._geometry()
        if y >= gh and self._legend_rows:
            # The legend's lines, at the foot of the panel whatever the scroll.
            k = y - gh
            if k >= len(self._legend_rows):
                return Strip.blank(full, self.rich_style)
            text, slot = self._legend_rows[k]
            style = self._styles[slot] if self._styles else None
            return Strip([Segment(text[:full].ljust(full), style)], full)
        width = full - ox
        row = sy + y - oy
        if self._layout is None or row < 0 or row >= self._layout.height:
            return Strip.blank(full, self.rich_style)
        # A box whose title is above the view is blanked, as a layer cut at a side is.
        boxes = self._layout.boxes
        headless = tuple(n for n in self._row_boxes[row] if boxes[n].y < sy) if sy else ()
        key = (self._version[row], sx, full, ox, headless)
        cached = self._view_cache.get(row)
        if cached is not None and cached[0] == key:
            return cached[1]
        blanks = self._blanks(sx, width)
        for n in headless:
            b = boxes[n]
            a, z = max(b.x, sx) - sx, min(b.x + b.width, sx + width) - sx
            if a < z:
                blanks += ((a, z),)
        strip = self._draw_row(row, sx, sx + width, blanks)
        if ox:
            strip = Strip.join([Strip.blank(ox, self.rich_style), strip])
        self._view_cache[row] = (key, strip)
        return strip

    def on_click(self, event: events.Click) -> None:
        off = event.get_content_offset(self)
        if off is None or self._layout is None:
            return
        ox, oy = self.margins()
        node = self._layout.box_at(off.x - ox + int(self.scroll_x), off.y - oy + int(self.scroll_y))
        if node is not None:
            self.post_message(self.NodeClicked(node))

    def node_order(self) -> list[int]:
        """The nodes in reading order (layer by layer, left to right; top to bottom within
        a layer): the order Tab selects them in."""
        L = self._layout
        if L is None:
            return []
        return sorted(L.boxes, key=lambda n: (L.boxes[n].x, L.boxes[n].y))

    def box_region(self, node: int) -> Region | None:
        """A node's box in content coordinates (for tests and clicking)."""
        if self._layout is None:
            return None
        b = self._layout.boxes[node]
        ox, oy = self.margins()
        return Region(b.x - int(self.scroll_x) + ox, b.y - int(self.scroll_y) + oy, b.width, b.height)

    def text_rows(self) -> list[str]:
        """The whole graph as plain text (for tests)."""
        L = self._layout
        if L is None:
            return []
        return [self._draw_row(y, 0, L.width).text for y in range(L.height)]


_LOCAL = S_PHASE + PHASES.index("local")
_BACKWARD = S_PHASE + PHASES.index("backward")
