"""A node's matrix written whole (the ``m`` key): every entry of its value and of its
gradient at the cursor, in columns under their indices, as NumPy prints a matrix but with
the row and column numbers the inspector's ``[2, 3]`` refers to.

Columns that do not fit the box's width go on in a block of their own (``columns 6–7``),
so that no line is folded through a row. Numbers as the graph writes them: the shortest
text that reads back in the run's dtype (``0.3185``, not float32's widened
``0.31852594017982483``), or to the digits of the ``d`` key.

Pure: lines of (text, role) pieces.
"""

from __future__ import annotations

from typing import Any

from stepgrad.app.arrays import is_array, norm
from stepgrad.app.trace import START, Trace
from stepgrad.app.widgets.graph_sizing import graph_fmt
from stepgrad.engine.state import State
from stepgrad.explain import Piece, d, rounded

Line = list[Piece]


def grid(name: str, v: Any, float32: bool, width: int) -> list[Line]:
    """``v`` (an array) under its name, in blocks of columns fitting ``width`` cells."""
    a = v if v.ndim == 2 else v.reshape(1, -1) if v.ndim == 1 else v.reshape(-1, v.shape[-1])
    rows, cols = a.shape
    texts = [[graph_fmt(a[i, j], float32) for j in range(cols)] for i in range(rows)]
    cell = max((len(t) for row in texts for t in row), default=1) + 2
    label = max(len(str(rows - 1)), 1) + 2 if v.ndim >= 2 else 2
    per = max((width - label) // cell, 1)
    out: list[Line] = [[(f"{name} ", "formula"), (str(tuple(v.shape)), "dim"), ("   norm ", "dim"),
                        (rounded(norm(v), 4), "num")]]  # fmt: skip
    for start in range(0, cols, per):
        stop = min(start + per, cols)
        if cols > per:  # one column is "column 5", never "columns 5–5"
            head = f"column {start}" if stop - start == 1 else f"columns {start}–{stop - 1}"
            out.append([(head, "dim")])
        out.append([(" " * label, ""), ("".join(str(j).rjust(cell) for j in range(start, stop)), "dim")])
        for i in range(rows):
            head = str(i).rjust(label - 2) + "  " if v.ndim >= 2 else " " * label
            out.append([(head, "dim"), ("".join(t.rjust(cell) for t in texts[i][start:stop]), "num")])
    return out


def matrix_lines(
    trace: Trace, node_id: int, pos: int, state: State, width: int = 90
) -> tuple[str, list[Line]] | None:
    """The box's title and lines for node ``node_id``'s value and gradient at ``pos``;
    None when it holds no matrix there."""
    g = trace.graph
    node = g.nodes[node_id]
    v = state.values[node_id]
    gv = state.grads[node_id]
    if not is_array(v) and not is_array(gv):
        return None
    f32 = trace.program.dtype == "float32"
    where = "at the start" if pos == START else f"at #{pos}"
    lines: list[Line] = []
    if is_array(v):
        lines += grid(node.name, v, f32, width)
    if is_array(gv):
        loss = g.nodes[g.loss].name
        grad = f"{node.name}.grad" if node.op == "param" else d(loss, node.name)
        if lines:
            lines.append([])
        lines += grid(grad, gv, f32, width)
    shape = tuple(getattr(v if is_array(v) else gv, "shape", ()))
    return f"{node.name} {shape} · whole, {where}", lines
