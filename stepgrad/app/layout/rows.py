"""Stage 2, ``arrange``: rows for every item, and turning tracks in the gaps between
layers, ordered so that wires never overlap."""

from __future__ import annotations

from itertools import pairwise

from stepgrad.app.layout.model import BOX_HEIGHT, ROW_GAP, Dummy, Frame, Item, Ranking, item_order


def _height(item: Item, pad: int = 0, box_height: int = BOX_HEIGHT) -> int:
    return 1 if isinstance(item, Dummy) else box_height + 2 * pad


def exit_row(item: Item, top: dict[Item, int], pad: int = 0) -> int:
    """The row a wire leaves an item from: a box's value row, or a dummy's only row."""
    return top[item] + (0 if isinstance(item, Dummy) else 1 + pad)


def entry_row(item: Item, port: int, top: dict[Item, int], pad: int = 0) -> int:
    """The row a wire enters an item on: argument 0 of a box enters on its value row (row
    1, below the ``pad`` blank rows a roomy box has above its value), every later one on
    the row under it (a box with a row of entries has its wires where one without has)."""
    if isinstance(item, Dummy):
        return top[item]
    return top[item] + 1 + pad + min(port, 1)


def arrange(ranking: Ranking, pad: int = 0, row_gap: int = ROW_GAP, box_height: int = BOX_HEIGHT) -> Frame:
    """Assign rows to items and turning tracks to the gaps between layers.

    Args:
        ranking: the layers in order.
        pad: blank rows inside each box above its value row and below its gradient row
            (a larger picture for a large panel).
        row_gap: blank rows between two items of a layer.
        box_height: rows of a box without its padding (a tensor lecture's has a row of
            entries, ``ENTRIES_BOX_HEIGHT``).

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
                want = exit_row(src, top, pad) - (entry_row(it, port, {it: 0}, pad))
            y = max(want, floor)
            top[it] = y
            floor = y + _height(it, pad, box_height) + row_gap
    # Right to left for items fed by nothing (leaves): slide toward the consumer's port,
    # within the room left by their neighbours.
    for lay in reversed(layers):
        for j, it in enumerate(lay):
            if it in first_in or it not in out_to:
                continue
            b, port = min(out_to[it], key=lambda bp: (top[bp[0]], bp[1]))
            want = entry_row(b, port, top, pad) - (exit_row(it, {it: 0}, pad))
            lo = 0 if j == 0 else top[lay[j - 1]] + _height(lay[j - 1], pad, box_height) + row_gap
            hi = top[lay[j + 1]] - row_gap - _height(it, pad, box_height) if j + 1 < len(lay) else want
            top[it] = max(lo, min(want, hi))
    height = max((top[it] + _height(it, pad, box_height) for lay in layers for it in lay), default=0)

    tracks: list[dict[Item, int]] = []
    n_tracks: list[int] = []
    for i in range(len(layers) - 1):
        groups: dict[Item, list[int]] = {}
        for a in layers[i]:
            for b, port in out_to.get(a, []):
                groups.setdefault(a, []).append(entry_row(b, port, top, pad))
        turning = {a: rows for a, rows in groups.items() if any(r != exit_row(a, top, pad) for r in rows)}
        order = _track_order(turning, top, pad)
        tracks.append({a: c for c, a in enumerate(order)})
        n_tracks.append(len(order))
    return Frame(ranking, top, height, tuple(tracks), tuple(n_tracks), pad, row_gap, box_height)


def _track_order(turning: dict[Item, list[int]], top: dict[Item, int], pad: int) -> list[Item]:
    """Order turning sources so a wire leaving on a row never overlaps one arriving on it.

    Where source A leaves on the row that source B's wire arrives on, A's horizontal runs
    from the left edge to A's track and B's from B's track to the right edge: A's track
    must come first.
    """
    exits = {a: exit_row(a, top, pad) for a in turning}
    before: dict[Item, set[Item]] = {a: set() for a in turning}  # a -> sources that must precede
    for a, r in exits.items():
        for b, rows in turning.items():
            if b != a and r in rows:
                before[b].add(a)
    order: list[Item] = []
    left = sorted(turning, key=lambda a: (exits[a], item_order(a)))
    while left:
        ready = [a for a in left if not (before[a] - set(order))]
        pick = ready[0] if ready else left[0]  # a cycle: give up on one constraint
        order.append(pick)
        left.remove(pick)
    return order
