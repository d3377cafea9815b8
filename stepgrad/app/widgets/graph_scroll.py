"""Where the graph panel looks: the scroll that follows the current event, a node
selected out of view brought into it, the rows the legend takes, the counts of what is
out of view (the panel's title and subtitle), panning (a mixin of ``GraphView``)."""

from __future__ import annotations

from collections.abc import Callable

from textual.geometry import Size
from textual.scroll_view import ScrollView

from stepgrad.app import layout as lay


class GraphScrolling(ScrollView):
    """The scrolling half of ``GraphView``: reads its layout, focus, legend and caches."""

    _layout: lay.Layout | None
    _focus_lit: tuple[int, ...]
    _focus_also: tuple[int, ...]
    _legend_rows: list[tuple[str, int]]
    _scroll_cache: dict[tuple[tuple[int, ...], tuple[int, ...], int, int], tuple[int, int]]
    _cuts: dict[int, tuple[list[int], list[int]]]
    legend: list[str]
    _grows: Callable[[], bool]

    def _room_rows(self) -> tuple[int, int]:
        """The panel's content width and the most rows it can have: a panel as tall as
        its content (a narrow screen's) grows with its legend up to its max-height."""
        vw, vh = self.scrollable_content_region.size
        cap = self.styles.max_height
        if self._grows() or cap is None or not vh:
            return vw, vh
        most = int(cap.resolve(self.app.size, self.app.size)) - self.styles.gutter.height
        return vw, max(most, vh)

    def graph_height(self) -> int:
        """Rows of the panel the graph has: all but the legend's."""
        return max(self.scrollable_content_region.height - len(self._legend_rows), 1)

    def margins(self) -> tuple[int, int]:
        """Blank columns left of the graph and rows above it: a graph smaller than its
        panel is drawn in the middle of it (a small graph, projected, does not sit in a
        corner of an empty panel); one larger than the panel in a direction scrolls there."""
        L = self._layout
        if L is None:
            return (0, 0)
        vw, vh = self.scrollable_content_region.size
        below = max(self.graph_height() - L.height, 0)
        # A panel whose height is its own: the graph centred in the whole panel, the
        # legend's lines in the rows under it (``show`` gives it no more), so that a
        # legend never moves the graph (lecture4 at 120x40 jumped a row at #4, where a
        # legend line appeared). A panel as tall as its content grows with its legend.
        top = min(max(vh - L.height, 0) // 2, below) if self._grows() else below // 2
        return (max(vw - L.width, 0) // 2, top)

    def focus_scroll(self) -> tuple[int, int]:
        """Where to scroll: a function of the event's nodes only, so stepping back restores it.

        The current box is whole in view whenever it fits (its top and left when it does
        not), with as many of the event's other boxes as fit; the view starts at a layer's
        first column, and at a row that cuts as few titles off as it can
        (``layout.scroll_x``, ``layout.scroll_y``).
        """
        L = self._layout
        if L is None or not self._focus_lit:
            return (0, 0)
        vw, vh = self.scrollable_content_region.width, self.graph_height()
        key = (self._focus_lit, self._focus_also, vw, vh)
        got = self._scroll_cache.get(key)
        if got is None:
            first, *others = (L.boxes[i] for i in self._focus_lit)
            also = tuple(L.boxes[i] for i in self._focus_also)
            sx = lay.scroll_x(L, first, (*others, *also), vw)
            # Rows are chosen for the boxes in view across.
            x0 = min(sx, max(L.width - vw, 0))

            def across(b: lay.Box) -> bool:
                return x0 <= b.x and b.x + b.width <= x0 + vw

            cuts = self._cuts.get(vh)
            if cuts is None:
                cuts = self._cuts[vh] = lay.cut_counts(L, vh)
            lit = (first, *(b for b in others if across(b)))
            sy = lay.scroll_y(L, lit, tuple(b for b in also if across(b)), vh, cuts)
            got = (sx, sy)
            if len(self._scroll_cache) > 512:
                self._scroll_cache.clear()
            self._scroll_cache[key] = got
        return got

    def _scroll_to_box(self, node: int | None) -> None:
        """Scroll so that ``node``'s box is whole in view, where it is not already."""
        L = self._layout
        if L is None or node is None or node not in L.boxes:
            return
        b = L.boxes[node]
        vw, vh = self.scrollable_content_region.width, self.graph_height()
        x, y = int(self.scroll_x), int(self.scroll_y)
        if x <= b.x and b.x + b.width <= x + vw and y <= b.y and b.y + b.height <= y + vh:
            return
        sx = lay.scroll_x(L, b, (), vw)
        sy = y if y <= b.y and b.y + b.height <= y + vh else min(b.y, max(L.height - vh, 0))
        self.scroll_to(sx, sy, animate=False, immediate=True)
        self._title_hidden()

    def _scroll_to_focus(self) -> None:
        sx, sy = self.focus_scroll()
        if (sx, sy) != (int(self.scroll_x), int(self.scroll_y)):
            self.scroll_to(sx, sy, animate=False, immediate=True)
        self._title_hidden()

    def hidden_layers(self) -> tuple[int, int]:
        """How many layers are out of view (or cut) on the left and on the right."""
        if self._layout is None:
            return (0, 0)
        return lay.hidden_layers(self._layout, int(self.scroll_x), self.scrollable_content_region.width)

    def hidden_rows(self) -> tuple[int, int]:
        """How many boxes of the layers in view are out of view (or cut) above and below."""
        if self._layout is None:
            return (0, 0)
        size = Size(self.scrollable_content_region.width, self.graph_height())
        return lay.hidden_rows(self._layout, self.scroll_offset, size)

    def _title_hidden(self) -> None:
        left, right = self.hidden_layers()
        title = "graph"
        if left:
            title = f"◂ {left} more · " + title
        if right:
            title += f" · {right} more ▸"
        if title != self.border_title:  # setting it repaints the whole widget
            self.border_title = title
        # Boxes cut at the bottom (or top) would otherwise go unnoticed: say so under the panel.
        above, below = self.hidden_rows() if self.scrollable_content_region.height else (0, 0)
        words = [f"▴ {above} more above"] if above else []
        words += [f"▾ {below} more below"] if below else []
        subtitle = " · ".join(words)
        if subtitle != (self.border_subtitle or ""):
            self.border_subtitle = subtitle

    def pan(self, dx: int, dy: int) -> bool:
        """Scroll by a quarter of the view across or half of it down per step; False when
        the whole graph is in view that way already."""
        vw, vh = self.scrollable_content_region.size
        x, y = self.scroll_offset
        self.scroll_to(x + dx * max(vw // 4, 1), y + dy * max(vh // 2, 1), animate=False, immediate=True)
        return (x, y) != tuple(self.scroll_offset)
