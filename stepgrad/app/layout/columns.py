"""Stage 3, ``place``: columns for every layer given its box width and a spacing, and
every wire as cells with box-drawing directions; ``layout`` runs the three stages."""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise
from typing import cast

from stepgrad.app.layout.model import (
    DOWN,
    LEFT,
    RIGHT,
    ROOMY,
    UP,
    Box,
    Dummy,
    EdgeKey,
    Frame,
    Item,
    Layout,
    Spacing,
    Wire,
)
from stepgrad.app.layout.ranks import rank
from stepgrad.app.layout.rows import arrange, entry_row, exit_row
from stepgrad.engine.graph import Graph


def gap_width(frame: Frame, i: int, spacing: Spacing = ROOMY) -> int:
    """Columns between layer i and layer i + 1."""
    more = spacing.extra[i] if i < len(spacing.extra) else 0
    return max(spacing.gap, frame.n_tracks[i] + spacing.turn) + more


def total_width(frame: Frame, widths: tuple[int, ...], spacing: Spacing = ROOMY) -> int:
    """Columns the placed layout will use: every layer's box width and every gap (folded:
    the wider of its two rows)."""
    if 0 < spacing.fold < len(widths):
        return _fold(frame, widths, spacing).width
    return sum(widths) + sum(gap_width(frame, i, spacing) for i in range(len(widths) - 1))


@dataclass(frozen=True, slots=True)
class _Folded:
    """Where a graph folded in two rows of layers puts things (``Spacing.fold``)."""

    xs: tuple[int, ...]
    top: dict[Item, int]
    width: int
    height: int
    crossing: tuple[tuple[EdgeKey, Item, Item], ...]
    """The wires from the first row's last layer to the second row's first, each as its
    edge and its two items, the one that leaves lowest first (innermost track)."""
    below: int
    """The first row under the first row of layers (the crossing wires run leftwards there)."""


def _item_height(it: Item, frame: Frame) -> int:
    return 1 if isinstance(it, Dummy) else frame.box_height + 2 * frame.pad


def _fold(frame: Frame, widths: tuple[int, ...], spacing: Spacing) -> _Folded:
    """A graph wider than its panel as two rows of layers: layers ``0 .. fold - 1`` on top,
    the rest below, starting again at the left. A wire between the two rows leaves the
    first row's last layer rightwards, goes down to a row between the two rows, left to
    the start, down, and into its box from the left as any wire does."""
    k = spacing.fold
    layers = frame.ranking.layers
    lay_of: dict[Item, int] = {it: i for i, lay in enumerate(layers) for it in lay}
    crossing = sorted(
        (
            (key, a, b)
            for key, chain in frame.ranking.edges.items()
            for a, b in pairwise(chain)
            if lay_of[a] == k - 1
        ),
        key=lambda c: (-exit_row(c[1], frame.top, frame.pad), c[0]),
    )
    n = len(crossing)
    xs: list[int] = []
    x = 0
    for i, w in enumerate(widths):
        if i == k:
            first_w = x + n + 1  # the stub, then one down-going track per crossing wire
            x = n + 2  # one down-going track per wire, then a stub and the arrow
        xs.append(x)
        x += w
        if i + 1 < len(widths) and i + 1 != k:
            x += gap_width(frame, i, spacing)
    first = [it for lay in layers[:k] for it in lay]
    second = [it for lay in layers[k:] for it in lay]
    below = max(frame.top[it] + _item_height(it, frame) for it in first) + 1
    shift = below + n + 1 - min(frame.top[it] for it in second)
    top = {it: frame.top[it] + (shift if lay_of[it] >= k else 0) for it in frame.top}
    height = max(top[it] + _item_height(it, frame) for it in second)
    return _Folded(tuple(xs), top, max(first_w, x), height, tuple(crossing), below)


def _fold_wire(
    folded: _Folded, frame: Frame, j: int, key: EdgeKey, a: Item, b: Item, x0: int, x1: int
) -> list[tuple[int, int, int]]:
    """Cells of the ``j``-th wire from the first row of layers to the second (``_fold``)."""
    r0 = exit_row(a, folded.top, frame.pad)
    port = key[1] if b == key[0] else 0
    r1 = entry_row(b, port, folded.top, frame.pad)
    tc = x0 + 1 + j
    ry = folded.below + j
    lc = j
    cells = [(cx, r0, LEFT | RIGHT) for cx in range(x0, tc)]
    cells.append((tc, r0, LEFT | DOWN))
    cells += [(tc, cy, UP | DOWN) for cy in range(r0 + 1, ry)]
    cells.append((tc, ry, UP | LEFT))
    cells += [(cx, ry, LEFT | RIGHT) for cx in range(tc - 1, lc, -1)]
    cells.append((lc, ry, RIGHT | DOWN))
    cells += [(lc, cy, UP | DOWN) for cy in range(ry + 1, r1)]
    cells.append((lc, r1, UP | RIGHT))
    cells += [(cx, r1, LEFT | RIGHT) for cx in range(lc + 1, x1)]
    return cells


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
    folded = _fold(frame, widths, spacing) if 0 < spacing.fold < len(widths) else None
    if folded is not None:
        frame = replace(frame, top=folded.top)
        xs = list(folded.xs)
        used, height = folded.width, folded.height
        across: dict[tuple[EdgeKey, Item], int] = {
            (key, a): j for j, (key, a, _b) in enumerate(folded.crossing)
        }
    else:
        xs = []
        x = 0
        for i, w in enumerate(widths):
            xs.append(x)
            x += w
            if i + 1 < len(widths):
                x += gap_width(frame, i, spacing)
        used, height = x, frame.height
        across = {}
    top = frame.top
    boxes = {
        it: Box(it, xs[i], top[it], widths[i], frame.box_height + 2 * frame.pad)
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
            j = across.get((key, a))
            if folded is not None and j is not None:
                cells.extend(_fold_wire(folded, frame, j, key, a, b, xs[i] + widths[i], xs[i + 1]))
            else:
                cells.extend(_segment(frame, i, a, b, port, xs[i] + widths[i], xs[i + 1]))
        # A chain starts at its source node, never at a dummy.
        wire = Wire(key, cast(int, chain[0]), tuple(cells), (cells[-1][0], cells[-1][1]))
        wires[key] = wire
        for cx, cy, m in cells:
            masks[(cx, cy)] = masks.get((cx, cy), 0) | m
    return Layout(used, height, boxes, wires, tuple(xs), tuple(widths), masks, spacing)


def _segment(
    frame: Frame, i: int, a: Item, b: Item, port: int, x0: int, x1: int
) -> list[tuple[int, int, int]]:
    """Cells of a wire in the gap between layers i and i + 1 (columns x0 .. x1 - 1)."""
    r0 = exit_row(a, frame.top, frame.pad)
    r1 = entry_row(b, port, frame.top, frame.pad)
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


def layout(graph: Graph, widths: tuple[int, ...] | None = None, box_width: int = 12) -> Layout:
    """Rank, arrange and place in one call (for tests and one-off use)."""
    frame = arrange(rank(graph))
    if widths is None:
        widths = tuple(box_width for _ in frame.ranking.layers)
    return place(frame, widths)
