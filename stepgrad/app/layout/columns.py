"""Stage 3, ``place``: columns for every layer given its box width and a spacing, and
every wire as cells with box-drawing directions; ``layout`` runs the three stages."""

from __future__ import annotations

from itertools import pairwise
from typing import cast

from stepgrad.app.layout.model import (
    BOX_HEIGHT,
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
        it: Box(it, xs[i], top[it], widths[i], BOX_HEIGHT + 2 * frame.pad)
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
