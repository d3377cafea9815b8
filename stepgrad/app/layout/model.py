"""What a layout is made of: its sizes, the items of a layer, the spacings, and the
results of each stage (``Ranking``, ``Frame``, ``Layout`` with its ``Box`` and ``Wire``)."""

from __future__ import annotations

from dataclasses import dataclass, field

BOX_HEIGHT = 4
"""Rows of a node's box: top border with the name, value row, gradient row, bottom border."""
ENTRIES_BOX_HEIGHT = 5
"""Rows of a tensor lecture's box: a row of the value's first entries under the value row
(``1.0 2.0 3.0``); a frame says which (``Frame.box_height``)."""
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
        pad_rows: blank rows inside a box above its value and below its gradient (the
            frame's ``pad``: a spacing with other rows needs a frame arranged for them).
        row_gap: blank rows between two items of a layer (the frame's ``row_gap``).
        fold: the first layer of a second row of layers drawn below the first (0: one
            row), for a graph wider than its panel at every spacing (a 3-layer network).
        extra: columns added to each gap (by gap index; missing: none), where a product
            arriving on a straight wire needs room for its label (``= -2.0``).
        entries: boxes a row taller, with their value's first entries under it (a
            tensor lecture's, where the panel has the rows: the frame's ``box_height``
            is ``ENTRIES_BOX_HEIGHT``).
    """

    gap: int = MIN_GAP
    turn: int = 3
    pad_left: int = 1
    pad_right: int = 1
    pad_rows: int = 0
    row_gap: int = ROW_GAP
    fold: int = 0
    extra: tuple[int, ...] = ()
    entries: bool = False


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
        pad: blank rows inside each box above its value row and below its gradient row.
        row_gap: blank rows between two items of a layer.
        box_height: rows of a box without its padding (``BOX_HEIGHT``, or
            ``ENTRIES_BOX_HEIGHT`` with a row of entries).
    """

    ranking: Ranking
    top: dict[Item, int]
    height: int
    tracks: tuple[dict[Item, int], ...]
    n_tracks: tuple[int, ...]
    pad: int = 0
    row_gap: int = ROW_GAP
    box_height: int = BOX_HEIGHT


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


def item_order(item: Item) -> tuple[int, int, int, int]:
    """Where an item sorts before any sweep: nodes by id, then dummies by edge and index."""
    if isinstance(item, Dummy):
        return (1, item.edge[0], item.edge[1], item.index)
    return (0, item, 0, 0)
