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
By concern: ``model`` (the sizes and the results of each stage), ``ranks``, ``rows``,
``columns`` (the three stages), ``scroll`` (what a smaller view shows), ``text``. No
Textual or Rich here.
"""

from __future__ import annotations

from stepgrad.app.layout.columns import gap_width, layout, place, total_width
from stepgrad.app.layout.model import (
    ARROW,
    BOX_HEIGHT,
    DOWN,
    ENTRIES_BOX_HEIGHT,
    HEAVY,
    LEFT,
    LIGHT,
    MIN_GAP,
    RIGHT,
    ROOMY,
    ROW_GAP,
    SPACINGS,
    SWEEPS,
    UP,
    Box,
    Dummy,
    EdgeKey,
    Frame,
    Item,
    Layout,
    Ranking,
    Spacing,
    Wire,
    item_order,
)
from stepgrad.app.layout.ranks import rank
from stepgrad.app.layout.rows import arrange, entry_row, exit_row
from stepgrad.app.layout.scroll import cut_counts, hidden_layers, hidden_rows, scroll_x, scroll_y
from stepgrad.app.layout.text import box_lines, render_text

__all__ = [
    "ARROW",
    "BOX_HEIGHT",
    "DOWN",
    "ENTRIES_BOX_HEIGHT",
    "HEAVY",
    "LEFT",
    "LIGHT",
    "MIN_GAP",
    "RIGHT",
    "ROOMY",
    "ROW_GAP",
    "SPACINGS",
    "SWEEPS",
    "UP",
    "Box",
    "Dummy",
    "EdgeKey",
    "Frame",
    "Item",
    "Layout",
    "Ranking",
    "Spacing",
    "Wire",
    "arrange",
    "box_lines",
    "cut_counts",
    "entry_row",
    "exit_row",
    "gap_width",
    "hidden_layers",
    "hidden_rows",
    "item_order",
    "layout",
    "place",
    "rank",
    "render_text",
    "scroll_x",
    "scroll_y",
    "total_width",
]
