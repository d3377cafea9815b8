"""What to show of a layout larger than its view: the first row and column to show."""

from __future__ import annotations

from stepgrad.app.layout.model import Box, Layout


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


def hidden_layers(lay: Layout, sx: int, view_w: int) -> tuple[int, int]:
    """How many layers a view from column ``sx``, ``view_w`` wide, leaves out (or cuts) on
    the left and on the right."""
    spans = list(zip(lay.layer_x, lay.layer_width, strict=True))
    left = sum(1 for x, _ in spans if x < sx)
    right = sum(1 for x, w in spans if x + w > sx + view_w and x >= sx)
    return left, right


def hidden_rows(lay: Layout, offset: tuple[int, int], size: tuple[int, int]) -> tuple[int, int]:
    """How many boxes of the layers in view a view at ``offset`` of ``size`` leaves out (or
    cuts) above and below (the layers out of view at the sides are ``hidden_layers``)."""
    sx, sy = int(offset[0]), int(offset[1])
    vw, vh = size
    across = [b for b in lay.boxes.values() if b.x >= sx and b.x + b.width <= sx + vw]
    above = sum(1 for b in across if b.y < sy)
    below = sum(1 for b in across if b.y + b.height > sy + vh and b.y >= sy)
    return above, below
