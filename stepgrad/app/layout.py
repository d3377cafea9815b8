"""Where each box and wire of the computational graph goes: a pure, deterministic layout.

Three stages, each cached by its caller:

1. ``rank(graph)``: layers by longest path (inputs and params on the left, the loss on
   the right; every node pulled as far right as its consumers allow, so a leaf sits just
   before the op that reads it), a dummy item wherever an edge skips a layer, and an order
   within each layer from barycenter sweeps that keeps the ordering with fewest crossings.
   Ties are broken by node id, so the same graph always gets the same picture.
2. ``arrange(ranking)``: rows. Boxes are aligned with the box feeding their first argument
   where room allows, so chains of ops read as straight lines; each gap between layers
   gets vertical tracks, one per source that needs to turn, ordered so wires never overlap.
3. ``place(frame, widths, spacing)``: columns, given each layer's box width (which depends
   on the numbers shown) and how roomy the gaps are, and every wire as a list of cells with
   box-drawing directions. ``SPACINGS`` lists the spacings from roomy to tight: the app
   takes the roomiest in which the graph fits its panel.

``render_text`` draws a layout as plain text; the golden tests and the app share it.
No Textual or Rich here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import cast

from stepgrad.engine.graph import Graph

BOX_HEIGHT = 4
"""Rows of a node's box: top border with the name, value row, gradient row, bottom border."""
ROW_GAP = 1
"""Blank rows between two items of a layer."""
MIN_GAP = 4
"""Columns between two layers when no wire needs to turn: a stub, two more, the arrow."""
SWEEPS = 6
"""Barycenter sweeps (down then up count as two)."""

# Directions a wire leaves a cell in; a cell's mask is the union over the wires through it.
LEFT, RIGHT, UP, DOWN = 1, 2, 4, 8

LIGHT = {
    LEFT | RIGHT: "─", UP | DOWN: "│", RIGHT | DOWN: "┌", LEFT | DOWN: "┐",
    RIGHT | UP: "└", LEFT | UP: "┘", LEFT | RIGHT | DOWN: "┬", LEFT | RIGHT | UP: "┴",
    UP | DOWN | RIGHT: "├", UP | DOWN | LEFT: "┤", LEFT | RIGHT | UP | DOWN: "┼",
    LEFT: "─", RIGHT: "─", UP: "│", DOWN: "│",
}  # fmt: skip
"""Box-drawing character for a direction mask."""
HEAVY = {
    LEFT | RIGHT: "━", UP | DOWN: "┃", RIGHT | DOWN: "┏", LEFT | DOWN: "┓",
    RIGHT | UP: "┗", LEFT | UP: "┛", LEFT | RIGHT | DOWN: "┳", LEFT | RIGHT | UP: "┻",
    UP | DOWN | RIGHT: "┣", UP | DOWN | LEFT: "┫", LEFT | RIGHT | UP | DOWN: "╋",
    LEFT: "━", RIGHT: "━", UP: "┃", DOWN: "┃",
}  # fmt: skip
"""The same in heavy lines, for the wire of the current event."""
ARROW = "▶"
"""Drawn where a wire enters a box."""

EdgeKey = tuple[int, int]
"""A drawn edge: (consumer node id, argument index)."""


@dataclass(frozen=True, slots=True, order=True)
class Dummy:
    """A point where an edge crosses a layer it does not stop in.

    Attributes:
        edge: the edge it belongs to.
        index: which of that edge's crossings (0 is nearest the source).
    """

    edge: EdgeKey
    index: int


Item = int | Dummy
"""What a layer holds: a node id or a dummy."""


@dataclass(frozen=True, slots=True)
class Spacing:
    """How roomy a picture is: columns between layers, blank columns inside a box.

    Attributes:
        gap: columns between two layers when no wire turns there (``───▶`` is 4).
        turn: columns a gap needs besides its turning tracks: the stub out of the source
            box and the arrow, plus ``turn - 2`` blank columns before the arrow.
        pad_left: blank columns between a box's left border and its text.
        pad_right: blank columns between a box's text and its right border.
    """

    gap: int = MIN_GAP
    turn: int = 3
    pad_left: int = 1
    pad_right: int = 1


SPACINGS = (
    Spacing(),
    Spacing(gap=3, turn=2),
    Spacing(gap=3, turn=2, pad_left=0),
    Spacing(gap=2, turn=2, pad_left=0),
    Spacing(gap=2, turn=2, pad_left=0, pad_right=0),
)
"""From roomy to tight. Each step gives up the least readable space first: a column of
each straight wire, then the blank left of a box's text (the ``∂`` then sits against
the border), then another column of each straight wire, then the blank right of the
numbers. A turning wire always keeps its stub, its track and its arrow."""
ROOMY = SPACINGS[0]
"""The spacing of the golden pictures, and of any graph that fits with room to spare."""


@dataclass(frozen=True, slots=True)
class Ranking:
    """Layers and their order.

    Attributes:
        layers: items of each layer, top to bottom.
        layer_of: each node's layer.
        edges: every drawn edge with the items it passes: source, dummies, consumer.
        crossings: wire crossings between adjacent layers in this order.
    """

    layers: tuple[tuple[Item, ...], ...]
    layer_of: dict[int, int]
    edges: dict[EdgeKey, tuple[Item, ...]]
    crossings: int


@dataclass(frozen=True, slots=True)
class Frame:
    """A ranking with rows assigned; independent of the box widths.

    Attributes:
        ranking: the layers.
        top: each item's first row.
        height: rows used.
        tracks: per gap (after layer i), the turning column index of each source item.
        n_tracks: per gap, how many turning columns it needs.
    """

    ranking: Ranking
    top: dict[Item, int]
    height: int
    tracks: tuple[dict[Item, int], ...]
    n_tracks: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Box:
    """A node's rectangle.

    Attributes:
        node: the node id.
        x: first column.
        y: first row.
        width: columns, borders included.
        height: rows, borders included.
    """

    node: int
    x: int
    y: int
    width: int
    height: int = BOX_HEIGHT

    def contains(self, x: int, y: int) -> bool:
        """True when the cell (x, y) lies inside the box or on its border."""
        return self.x <= x < self.x + self.width and self.y <= y < self.y + self.height


@dataclass(frozen=True, slots=True)
class Wire:
    """The cells one edge occupies, from its source box to its consumer's arrow.

    Attributes:
        edge: (consumer, argument).
        source: the node the value comes from.
        cells: (x, y, directions) for each cell, in order from source to consumer.
        arrow: the cell holding the arrow into the consumer.
    """

    edge: EdgeKey
    source: int
    cells: tuple[tuple[int, int, int], ...]
    arrow: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Layout:
    """Everything positioned.

    Attributes:
        width: columns used.
        height: rows used.
        boxes: each node's box by id.
        wires: each drawn edge's wire.
        layer_x: first column of each layer.
        layer_width: box width of each layer.
        masks: the directions of the wires through each cell.
        spacing: the spacing it was placed with.
    """

    width: int
    height: int
    boxes: dict[int, Box]
    wires: dict[EdgeKey, Wire]
    layer_x: tuple[int, ...]
    layer_width: tuple[int, ...]
    masks: dict[tuple[int, int], int] = field(default_factory=dict)
    spacing: Spacing = ROOMY

    def box_at(self, x: int, y: int) -> int | None:
        """The node whose box covers the cell (x, y), or None."""
        for box in self.boxes.values():
            if box.contains(x, y):
                return box.node
        return None


# ----- 1. layers and order -------------------------------------------------------------


def _drawn_edges(graph: Graph) -> list[tuple[EdgeKey, int]]:
    """Every (consumer, arg) edge between nodes with its source, in node then arg order."""
    out = []
    for n in graph.nodes:
        for k, a in enumerate(n.args):
            if isinstance(a, int):
                out.append(((n.id, k), a))
    return out


def _layers_by_longest_path(graph: Graph) -> dict[int, int]:
    layer = {n.id: 0 for n in graph.nodes}
    for i in graph.order:
        ins = graph.nodes[i].inputs
        layer[i] = 1 + max((layer[a] for a in ins), default=-1)
    consumers: dict[int, list[int]] = {}
    for (c, _k), src in _drawn_edges(graph):
        consumers.setdefault(src, []).append(c)
    last = max(layer.values(), default=0)
    if graph.loss in layer:
        layer[graph.loss] = last
    # Pull every node as far right as its nearest consumer allows (consumers first), so a
    # leaf sits beside the op that reads it and fewer edges skip layers.
    leaves = [n.id for n in graph.nodes if n.is_leaf]
    for i in [*reversed(graph.order), *leaves]:
        cs = consumers.get(i)
        if cs and i != graph.loss:
            layer[i] = max(layer[i], min(layer[c] for c in cs) - 1)
    return layer


def _crossings(layers: list[list[Item]], segments: list[list[tuple[Item, Item, int]]]) -> int:
    total = 0
    for i, segs in enumerate(segments):
        pos_a = {it: p for p, it in enumerate(layers[i])}
        pos_b = {it: p for p, it in enumerate(layers[i + 1])}
        keyed = sorted((pos_a[a], pos_b[b], port) for a, b, port in segs)
        for j in range(len(keyed)):
            for k in range(j + 1, len(keyed)):
                if keyed[j][0] < keyed[k][0] and (keyed[j][1], keyed[j][2]) > (keyed[k][1], keyed[k][2]):
                    total += 1
    return total


def _sort_key(item: Item) -> tuple[int, int, int, int]:
    if isinstance(item, Dummy):
        return (1, item.edge[0], item.edge[1], item.index)
    return (0, item, 0, 0)


def rank(graph: Graph) -> Ranking:
    """Assign layers and an order within each layer.

    Args:
        graph: the computational graph.

    Returns:
        The ranking with the fewest crossings found by the sweeps.
    """
    layer_of = _layers_by_longest_path(graph)
    n_layers = max(layer_of.values(), default=0) + 1
    layers: list[list[Item]] = [[] for _ in range(n_layers)]
    for n in graph.nodes:
        layers[layer_of[n.id]].append(n.id)
    edges: dict[EdgeKey, tuple[Item, ...]] = {}
    item_layer: dict[Item, int] = {n: k for n, k in layer_of.items()}
    # segments[i]: (item in layer i, item in layer i+1, port) pieces of wire between them.
    segments: list[list[tuple[Item, Item, int]]] = [[] for _ in range(max(n_layers - 1, 0))]
    for key, src in _drawn_edges(graph):
        chain: list[Item] = [src]
        for j, at in enumerate(range(layer_of[src] + 1, layer_of[key[0]])):
            d = Dummy(key, j)
            layers[at].append(d)
            item_layer[d] = at
            chain.append(d)
        chain.append(key[0])
        edges[key] = tuple(chain)
        for a, b in pairwise(chain):
            port = key[1] if b == key[0] else 0
            segments[item_layer[a]].append((a, b, port))

    preds: dict[Item, list[tuple[Item, int]]] = {}
    succs: dict[Item, list[tuple[Item, int]]] = {}
    for segs in segments:
        for a, b, port in segs:
            preds.setdefault(b, []).append((a, port))
            succs.setdefault(a, []).append((b, port))

    for lay in layers:
        lay.sort(key=_sort_key)

    def sweep(down: bool) -> None:
        rng = range(1, n_layers) if down else range(n_layers - 2, -1, -1)
        for i in rng:
            ref = layers[i - 1] if down else layers[i + 1]
            pos = {it: p for p, it in enumerate(ref)}
            cur = {it: p for p, it in enumerate(layers[i])}

            def bary(it: Item, pos: dict[Item, int] = pos, cur: dict[Item, int] = cur) -> tuple[float, int]:
                if down:
                    # A second argument enters lower on the box than the first.
                    ns = [pos[a] + 0.1 * port for a, port in preds.get(it, []) if a in pos]
                else:
                    ns = [pos[b] + 0.1 * port for b, port in succs.get(it, []) if b in pos]
                return (sum(ns) / len(ns) if ns else float(cur[it]), cur[it])

            layers[i].sort(key=bary)

    best = [list(lay) for lay in layers]
    best_x = _crossings(layers, segments)
    for s in range(SWEEPS):
        sweep(down=s % 2 == 0)
        x = _crossings(layers, segments)
        if x < best_x:
            best, best_x = [list(lay) for lay in layers], x
    return Ranking(tuple(tuple(lay) for lay in best), layer_of, edges, best_x)


# ----- 2. rows and tracks --------------------------------------------------------------


def _height(item: Item) -> int:
    return 1 if isinstance(item, Dummy) else BOX_HEIGHT


def exit_row(item: Item, top: dict[Item, int]) -> int:
    """The row a wire leaves an item from: a box's value row, or a dummy's only row."""
    return top[item] + (0 if isinstance(item, Dummy) else 1)


def entry_row(item: Item, port: int, top: dict[Item, int]) -> int:
    """The row a wire enters an item on: argument k of a box enters on row 1 + k."""
    if isinstance(item, Dummy):
        return top[item]
    return top[item] + 1 + min(port, BOX_HEIGHT - 3)


def arrange(ranking: Ranking) -> Frame:
    """Assign rows to items and turning tracks to the gaps between layers.

    Args:
        ranking: the layers in order.

    Returns:
        The frame, from which ``place`` computes columns for any box widths.
    """
    layers = ranking.layers
    first_in: dict[Item, tuple[Item, int]] = {}  # item -> (source item, port) of its lowest port
    out_to: dict[Item, list[tuple[Item, int]]] = {}
    for key, chain in sorted(ranking.edges.items()):
        for a, b in pairwise(chain):
            port = key[1] if b == key[0] else 0
            if b not in first_in or port < first_in[b][1]:
                first_in[b] = (a, port)
            out_to.setdefault(a, []).append((b, port))

    top: dict[Item, int] = {}
    # Left to right: an item aligns its first argument with that argument's source when the
    # items above it leave room; items only move down, so order within a layer is kept.
    for lay in layers:
        floor = 0
        for it in lay:
            want = floor
            if it in first_in:
                src, port = first_in[it]
                want = exit_row(src, top) - (entry_row(it, port, {it: 0}))
            y = max(want, floor)
            top[it] = y
            floor = y + _height(it) + ROW_GAP
    # Right to left for items fed by nothing (leaves): slide toward the consumer's port,
    # within the room left by their neighbours.
    for lay in reversed(layers):
        for j, it in enumerate(lay):
            if it in first_in or it not in out_to:
                continue
            b, port = min(out_to[it], key=lambda bp: (top[bp[0]], bp[1]))
            want = entry_row(b, port, top) - (exit_row(it, {it: 0}))
            lo = 0 if j == 0 else top[lay[j - 1]] + _height(lay[j - 1]) + ROW_GAP
            hi = top[lay[j + 1]] - ROW_GAP - _height(it) if j + 1 < len(lay) else want
            top[it] = max(lo, min(want, hi))
    height = max((top[it] + _height(it) for lay in layers for it in lay), default=0)

    tracks: list[dict[Item, int]] = []
    n_tracks: list[int] = []
    for i in range(len(layers) - 1):
        groups: dict[Item, list[int]] = {}
        for a in layers[i]:
            for b, port in out_to.get(a, []):
                groups.setdefault(a, []).append(entry_row(b, port, top))
        turning = {a: rows for a, rows in groups.items() if any(r != exit_row(a, top) for r in rows)}
        order = _track_order(turning, top)
        tracks.append({a: c for c, a in enumerate(order)})
        n_tracks.append(len(order))
    return Frame(ranking, top, height, tuple(tracks), tuple(n_tracks))


def _track_order(turning: dict[Item, list[int]], top: dict[Item, int]) -> list[Item]:
    """Order turning sources so a wire leaving on a row never overlaps one arriving on it.

    Where source A leaves on the row that source B's wire arrives on, A's horizontal runs
    from the left edge to A's track and B's from B's track to the right edge: A's track
    must come first.
    """
    exits = {a: exit_row(a, top) for a in turning}
    before: dict[Item, set[Item]] = {a: set() for a in turning}  # a -> sources that must precede
    for a, r in exits.items():
        for b, rows in turning.items():
            if b != a and r in rows:
                before[b].add(a)
    order: list[Item] = []
    left = sorted(turning, key=lambda a: (exits[a], _sort_key(a)))
    while left:
        ready = [a for a in left if not (before[a] - set(order))]
        pick = ready[0] if ready else left[0]  # a cycle: give up on one constraint
        order.append(pick)
        left.remove(pick)
    return order


# ----- 3. columns and wires ------------------------------------------------------------


def gap_width(frame: Frame, i: int, spacing: Spacing = ROOMY) -> int:
    """Columns between layer i and layer i + 1."""
    return max(spacing.gap, frame.n_tracks[i] + spacing.turn)


def total_width(frame: Frame, widths: tuple[int, ...], spacing: Spacing = ROOMY) -> int:
    """Columns the placed layout will use: every layer's box width and every gap."""
    return sum(widths) + sum(gap_width(frame, i, spacing) for i in range(len(widths) - 1))


def place(frame: Frame, widths: tuple[int, ...], spacing: Spacing = ROOMY) -> Layout:
    """Give every layer its columns and route every wire.

    Args:
        frame: rows and tracks.
        widths: box width of each layer, borders included.
        spacing: the gaps between layers (the box padding is the caller's to draw).

    Returns:
        The finished layout.
    """
    layers = frame.ranking.layers
    top = frame.top
    xs: list[int] = []
    x = 0
    for i, w in enumerate(widths):
        xs.append(x)
        x += w
        if i + 1 < len(widths):
            x += gap_width(frame, i, spacing)
    used = x
    boxes = {
        it: Box(it, xs[i], top[it], widths[i])
        for i, lay in enumerate(layers)
        for it in lay
        if not isinstance(it, Dummy)
    }
    lay_of: dict[Item, int] = {it: i for i, lay in enumerate(layers) for it in lay}
    wires: dict[EdgeKey, Wire] = {}
    masks: dict[tuple[int, int], int] = {}
    for key, chain in frame.ranking.edges.items():
        cells: list[tuple[int, int, int]] = []
        for a, b in pairwise(chain):
            i = lay_of[a]
            port = key[1] if b == key[0] else 0
            if isinstance(a, Dummy):
                # The dummy's own row across the layer's box column.
                ya = top[a]
                for cx in range(xs[i], xs[i] + widths[i]):
                    cells.append((cx, ya, LEFT | RIGHT))
            cells.extend(_segment(frame, i, a, b, port, xs[i] + widths[i], xs[i + 1]))
        # A chain starts at its source node, never at a dummy.
        wire = Wire(key, cast(int, chain[0]), tuple(cells), (cells[-1][0], cells[-1][1]))
        wires[key] = wire
        for cx, cy, m in cells:
            masks[(cx, cy)] = masks.get((cx, cy), 0) | m
    return Layout(used, frame.height, boxes, wires, tuple(xs), tuple(widths), masks, spacing)


def _segment(
    frame: Frame, i: int, a: Item, b: Item, port: int, x0: int, x1: int
) -> list[tuple[int, int, int]]:
    """Cells of a wire in the gap between layers i and i + 1 (columns x0 .. x1 - 1)."""
    r0 = exit_row(a, frame.top)
    r1 = entry_row(b, port, frame.top)
    cells: list[tuple[int, int, int]] = []
    if r0 == r1:
        for cx in range(x0, x1):
            cells.append((cx, r0, LEFT | RIGHT))
        return cells
    tc = x0 + 1 + frame.tracks[i][a]
    for cx in range(x0, tc):
        cells.append((cx, r0, LEFT | RIGHT))
    down = r1 > r0
    cells.append((tc, r0, LEFT | (DOWN if down else UP)))
    step = 1 if down else -1
    for cy in range(r0 + step, r1, step):
        cells.append((tc, cy, UP | DOWN))
    cells.append((tc, r1, RIGHT | (UP if down else DOWN)))
    for cx in range(tc + 1, x1):
        cells.append((cx, r1, LEFT | RIGHT))
    return cells


# ----- what to show of a layout larger than its view -------------------------------------


def _band_y(box: Box, view_h: int) -> int:
    """Where the view would start for ``box`` alone, before any box is considered.

    Half-page steps when the view is tall: the view moves only when the box leaves its
    band, and the band depends on the box alone. A short view centres the box.
    """
    half = view_h // 2
    if half >= box.height * 2:
        return (box.y // half) * half - half // 2
    return box.y + box.height // 2 - view_h // 2


def cut_counts(lay: Layout, view_h: int) -> tuple[list[int], list[int]]:
    """For each first row the view can start at, how many boxes it cuts at its top edge
    (their titles hidden) and how many at its bottom edge.

    Args:
        lay: the layout.
        view_h: rows in view.

    Returns:
        Two lists indexed by the first row shown, 0 to ``lay.height - view_h``.
    """
    n = max(lay.height - view_h, 0) + 1
    top, bottom = [0] * n, [0] * n
    for b in lay.boxes.values():
        for y in range(max(b.y + 1, 0), min(b.y + b.height, n)):
            top[y] += 1
        for y in range(max(b.y + 1 - view_h, 0), min(b.y + b.height - view_h, n)):
            bottom[y] += 1
    return top, bottom


def scroll_y(
    lay: Layout,
    lit: tuple[Box, ...],
    also: tuple[Box, ...],
    view_h: int,
    cuts: tuple[list[int], list[int]] | None = None,
) -> int:
    """The first row to show: the event's boxes whole, and as few boxes cut as can be.

    Among the first rows the view can start at, prefer in this order: more of ``lit``
    whole (so a lone box that fits is always whole); fewer of ``lit`` with their title
    cut off; ``lit[0]`` whole; more of ``also`` whole; fewer boxes with their title cut
    off; fewer cut at the bottom; the nearest to ``lit[0]``'s band (``_band_y``). A box
    taller than the view shows its top.

    Args:
        lay: the layout.
        lit: the event's boxes, the current one first.
        also: boxes to show too where possible (the ends of the event's wires).
        view_h: rows in view.
        cuts: ``cut_counts(lay, view_h)``, when the caller keeps it.

    Returns:
        The scroll offset in rows.
    """
    top_max = lay.height - view_h
    if top_max <= 0 or not lit:
        return 0
    first = lit[0]
    if first.height > view_h:
        return min(first.y, top_max)
    cut_top, cut_bottom = cuts if cuts is not None else cut_counts(lay, view_h)
    # Only rows that show some lit box whole can win.
    starts: set[int] = set()
    for b in lit:
        if b.height <= view_h:
            starts.update(range(max(0, b.y + b.height - view_h), min(b.y, top_max) + 1))
    band = _band_y(first, view_h)

    def cost(y: int) -> tuple[int, ...]:
        end = y + view_h
        whole = [y <= b.y and b.y + b.height <= end for b in lit]
        beheaded = sum(1 for b in lit if b.y < y < b.y + b.height)
        shown = sum(1 for b in also if y <= b.y and b.y + b.height <= end)
        return (-sum(whole), beheaded, -whole[0], -shown, cut_top[y], cut_bottom[y], abs(y - band), y)

    return min(sorted(starts), key=cost)


def scroll_x(lay: Layout, box: Box, also: tuple[Box, ...], view_w: int) -> int:
    """The first column to show so that ``box`` is whole, and as much else as can be.

    The view starts at a layer's first column (the last layer's may be pulled back to the
    right end); among those that show ``box`` whole, the one that shows most of ``also``
    whole, then the leftmost (the box's inputs are on its left).

    Args:
        lay: the layout.
        box: the box that must be in view.
        also: boxes to show too where possible.
        view_w: columns in view.

    Returns:
        The scroll offset in columns.
    """
    right_max = lay.width - view_w
    if right_max <= 0:
        return 0
    if box.width > view_w:
        return min(box.x, right_max)
    starts = sorted({min(x, right_max) for x in lay.layer_x})
    fits = [x for x in starts if x <= box.x and box.x + box.width <= x + view_w]
    if not fits:
        return min(box.x, right_max)

    def cost(x: int) -> tuple[int, int]:
        return (-sum(1 for b in also if x <= b.x and b.x + b.width <= x + view_w), x)

    return min(fits, key=cost)


def layout(graph: Graph, widths: tuple[int, ...] | None = None, box_width: int = 12) -> Layout:
    """Rank, arrange and place in one call (for tests and one-off use)."""
    frame = arrange(rank(graph))
    if widths is None:
        widths = tuple(box_width for _ in frame.ranking.layers)
    return place(frame, widths)


# ----- plain text ----------------------------------------------------------------------


def box_lines(title: str, rows: tuple[str, str], width: int) -> list[str]:
    """A box as four lines of text: ``┌ title ──┐``, two content rows, the bottom border."""
    inner = width - 2
    head = f" {title} " if title else ""
    top = "┌" + head + "─" * max(inner - len(head), 0) + "┐"
    body = ["│" + r[:inner].ljust(inner) + "│" for r in rows]
    return [top[:width], *body, "└" + "─" * inner + "┘"]


def render_text(lay: Layout, contents: dict[int, tuple[str, tuple[str, str]]]) -> list[str]:
    """The layout as lines of text.

    Args:
        lay: the layout.
        contents: per node, its title and its two content rows.

    Returns:
        One string per row, right-trimmed.
    """
    grid = [[" "] * lay.width for _ in range(lay.height)]
    for (cx, cy), m in lay.masks.items():
        grid[cy][cx] = LIGHT[m]
    for wire in lay.wires.values():
        ax, ay = wire.arrow
        if wire.edge[0] in lay.boxes:
            grid[ay][ax] = ARROW
    for node, box in lay.boxes.items():
        title, rows = contents.get(node, ("", ("", "")))
        for dy, line in enumerate(box_lines(title, rows, box.width)):
            for dx, ch in enumerate(line):
                grid[box.y + dy][box.x + dx] = ch
    return ["".join(r).rstrip() for r in grid]
