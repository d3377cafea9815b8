"""The graph's cells, drawn as characters and style slots (no Textual): the base grid of a
layout (wires, arrows, box borders and titles) and one row composed for a position (the
boxes' numbers and looks, the lit wire and the edge labels, the blanked spans)."""

from __future__ import annotations

from collections.abc import Iterable

from stepgrad.app import layout as lay
from stepgrad.app.widgets.graph_boxes import (
    S_BLANK,
    S_BORDER,
    S_BREAK,
    S_DIM,
    S_LABEL,
    S_NAME,
    S_WIRE,
    BoxView,
)
from stepgrad.engine.graph import Graph

HEAVY_BORDER = {"┌": "┏", "┐": "┓", "└": "┗", "┘": "┛", "─": "━", "│": "┃"}
"""The current event's box border."""
DOUBLE_BORDER = {"┌": "╔", "┐": "╗", "└": "╚", "┘": "╝", "─": "═", "│": "║"}
"""The selected node's border (Tab, a click): double lines, seen without colour too."""


def base_grid(
    L: lay.Layout, graph: Graph, labels: dict[int, str], shapes: dict[int, str] | None = None
) -> tuple[list[list[str]], list[list[int]], list[list[int]]]:
    """What does not change with the position: per row, its characters and style slots
    (wires, arrows, box borders, titles), and the boxes it crosses.

    Args:
        L: the layout.
        graph: the graph (node names).
        labels: each node's operation label (``×``, ``input``).
        shapes: a tensor lecture's shapes (``759×6``), written in the bottom border at its
            right, where they widen no box.
    """
    chars = [[" "] * L.width for _ in range(L.height)]
    styles = [[S_BLANK] * L.width for _ in range(L.height)]
    for (cx, cy), m in L.masks.items():
        chars[cy][cx] = lay.LIGHT[m]
        styles[cy][cx] = S_WIRE
    for w in L.wires.values():
        if w.edge[0] in L.boxes:
            ax, ay = w.arrow
            chars[ay][ax] = lay.ARROW
    rows: list[list[int]] = [[] for _ in range(L.height)]
    for node, box in L.boxes.items():
        for dy in range(box.height):
            rows[box.y + dy].append(node)
        name = graph.nodes[node].name
        label = labels[node]
        body = ("",) * (box.height - 2 - 2 * L.spacing.pad_rows)
        lines = lay.box_lines(f"{name} {label}", body, box.width, L.spacing.pad_rows)
        for dy, line in enumerate(lines):
            for dx, ch in enumerate(line):
                chars[box.y + dy][box.x + dx] = ch
                styles[box.y + dy][box.x + dx] = S_BORDER
        for dx in range(len(name)):
            styles[box.y][box.x + 2 + dx] = S_NAME if graph.nodes[node].named else S_DIM
        for dx in range(len(label)):
            styles[box.y][box.x + 3 + len(name) + dx] = S_LABEL
        shape = f" {shapes[node]} " if shapes and shapes.get(node) else ""
        if shape and len(shape) + 3 <= box.width:
            y, x0 = box.y + box.height - 1, box.x + box.width - 2 - len(shape)
            for dx, ch in enumerate(shape):
                chars[y][x0 + dx] = ch
                styles[y][x0 + dx] = S_LABEL
    return chars, styles, rows


def compose_row(
    L: lay.Layout,
    y: int,
    x0: int,
    x1: int,
    base_chars: list[str],
    base_styles: list[int],
    row_boxes: list[int],
    views: dict[int, BoxView],
    hot: Iterable[tuple[int, tuple[str, int]]],
    blanks: tuple[tuple[int, int], ...] = (),
) -> tuple[list[str], list[int]]:
    """Row ``y`` between columns ``x0`` and ``x1``: base, boxes, lit wire and labels
    (``hot``: column and cell), blanked spans (window columns).

    Returns:
        The characters and style slots of the ``x1 - x0`` cells.
    """
    width = x1 - x0
    chars = base_chars[x0:x1]
    styles = base_styles[x0:x1]
    if len(chars) < width:
        chars += [" "] * (width - len(chars))
        styles += [S_BLANK] * (width - len(styles))
    for node in row_boxes:
        box = L.boxes[node]
        if box.x >= x1 or box.x + box.width <= x0:
            continue
        v = views[node]
        dy = y - box.y
        bx0, bx1 = box.x - x0, box.x + box.width - 1 - x0  # in window coordinates
        sp = L.spacing
        inner = box.width - 2 - sp.pad_left - sp.pad_right
        text_x = bx0 + 1 + sp.pad_left
        lo, hi = max(bx0, 0), min(bx1, width - 1)
        if v.shape and dy == box.height - 1:
            # Another shape than the layout's (a prediction's): the bottom border redrawn.
            shape = f" {v.shape} "
            if len(shape) + 3 <= box.width:
                at = bx1 - 1 - len(shape)
                for x in range(max(bx0 + 1, 0), min(bx1, width)):
                    k = x - at
                    inside = 0 <= k < len(shape)
                    chars[x] = shape[k] if inside else "─"
                    styles[x] = S_LABEL if inside else S_BORDER
        if v.heavy or v.double:
            border_of = HEAVY_BORDER if v.heavy else DOUBLE_BORDER
            for x in range(lo, hi + 1):
                c = chars[x]
                chars[x] = border_of.get(c, c)
        if v.border != S_BORDER:
            for x in range(lo, hi + 1):
                if styles[x] == S_BORDER:
                    styles[x] = v.border
        if dy == 0 and v.mark:
            if 0 <= bx1 - 1 < width:
                chars[bx1 - 1] = v.mark
                styles[bx1 - 1] = S_BREAK
            continue
        row = dy - sp.pad_rows
        # The value row, then (a tensor lecture's box) the row of entries, then the gradient.
        grad_row = box.height - 2 * sp.pad_rows - 2
        if row == 1 or row == grad_row:
            first = row == 1
            label = "" if first else ("∂" if v.grad else "")
            num = v.value if first else v.grad
            num_style = v.value_style if first else v.grad_style
            text = label + num.rjust(inner - len(label))
            for k, ch in enumerate(text[:inner]):
                x = text_x + k
                if 0 <= x < width:
                    chars[x] = ch
                    styles[x] = S_LABEL if k < len(label) else num_style
        elif row == 2:
            # The row of entries: right under the value's digits, or, when it needs them,
            # in the blank columns each side too (lecture5's x: ``1.0 2.0 3.0``).
            full = box.width - 2
            text = v.entries[:full]
            end = bx1 - sp.pad_right if len(text) <= full - sp.pad_right else bx1
            for k, ch in enumerate(text):
                x = end - len(text) + k
                if 0 <= x < width:
                    chars[x] = ch
                    styles[x] = v.value_style
    for x, (ch, st) in hot:
        if x0 <= x < x1:
            chars[x - x0] = ch
            styles[x - x0] = st
    for a, b in blanks:
        for x in range(a, b):
            chars[x] = " "
            styles[x] = S_BLANK
    return chars, styles
