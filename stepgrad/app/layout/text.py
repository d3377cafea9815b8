"""A layout drawn as plain text; the golden tests and the app share it."""

from __future__ import annotations

from stepgrad.app.layout.model import ARROW, LIGHT, Layout


def box_lines(title: str, rows: tuple[str, ...], width: int, pad: int = 0) -> list[str]:
    """A box as lines of text: ``┌ title ──┐``, ``pad`` blank rows, the content rows (two,
    or three with a row of entries), ``pad`` blank rows, the bottom border."""
    inner = width - 2
    head = f" {title} " if title else ""
    top = "┌" + head + "─" * max(inner - len(head), 0) + "┐"
    blank = ["│" + " " * inner + "│"] * pad
    body = ["│" + r[:inner].ljust(inner) + "│" for r in rows]
    return [top[:width], *blank, *body, *blank, "└" + "─" * inner + "┘"]


def render_text(lay: Layout, contents: dict[int, tuple[str, tuple[str, ...]]]) -> list[str]:
    """The layout as lines of text.

    Args:
        lay: the layout.
        contents: per node, its title and its content rows (as many as its box has).

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
        for dy, line in enumerate(box_lines(title, rows, box.width, (box.height - 2 - len(rows)) // 2)):
            for dx, ch in enumerate(line):
                grid[box.y + dy][box.x + dx] = ch
    return ["".join(r).rstrip() for r in grid]
