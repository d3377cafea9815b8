"""Arrays on screen: shapes and the short forms a box or a table row gives a matrix (no
Textual).

A scalar lecture's node holds one number and its box shows it. A tensor lecture's node
holds a matrix (``h1`` is 759×6 in lecture 7): a box has room for about eight cells, so it
shows the array's norm between double bars (``‖33.7‖``), or its one entry in brackets
(``[0.038]``), under it its first entries (``0.126 0.045…``, ``entries_text``), and its
bottom border says the shape (``└── 759×6 ┘``). Every entry is in the inspector (one
element drilled into) and behind the params panel's whole-matrix key.

Shapes are known before anything is computed (``node_shapes``: the leaves' shapes as
written, a step's batch stacked in front, then the ops' shape rules), so the first frame
draws them without NumPy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from stepgrad.engine.program import Program

Shape = tuple[int, ...]

NORM_OPEN = NORM_CLOSE = "‖"
"""The norm of an array is written between double bars, as in the lecture: ``‖W1‖``."""


def is_array(v: Any) -> bool:
    """True for an array of at least one axis (a NumPy scalar or 0-d array is a number)."""
    return getattr(v, "ndim", 0) > 0


def shape_of(v: Any) -> Shape:
    """The shape of a value as a scenario writes it: a number ``()``, a nested list by its
    first entries (a ragged list is refused when the scenario is loaded), or an array's."""
    if hasattr(v, "shape"):
        return tuple(int(n) for n in v.shape)
    out: list[int] = []
    while isinstance(v, (list, tuple)):
        out.append(len(v))
        if not v:
            break
        v = v[0]
    return tuple(out)


def dims(shape: Sequence[int]) -> str:
    """A shape the way a box title says it: ``759×6``, ``(6,)`` for one axis (a bare ``6``
    would read as a number), ``""`` for a number."""
    if not shape:
        return ""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "×".join(str(n) for n in shape)


def shape_words(shape: Sequence[int]) -> str:
    """A shape as Python writes it: ``(759, 6)``, ``(6,)``, ``()``."""
    return str(tuple(shape))


def leaf_shapes(program: Program) -> dict[int, Shape]:
    """Each leaf's shape in the run's first step: a data input's rows stacked along a new
    first axis when steps take batches (``batch_size`` rows, or all of them)."""
    g = program.graph
    out: dict[int, Shape] = {}
    for name, v in {**program.inputs, **program.params}.items():
        if name in g.by_name:
            out[g.by_name[name]] = shape_of(v)
    for name, col in (program.data or {}).items():
        if name not in g.by_name or not col:
            continue
        row = shape_of(col[0])
        if program.batch_size is not None:
            row = (min(program.batch_size, len(col)), *row)
        out[g.by_name[name]] = row
    return out


def node_shapes(program: Program) -> tuple[Shape, ...] | None:
    """Every node's shape in the first step (a batch's), or None for a scalar lecture (and
    for a graph whose shapes cannot be worked out: then the boxes say none)."""
    if not program.arrays:
        return None
    try:
        from stepgrad.engine.shapes import ShapeError, infer_shapes
    except ImportError:  # pragma: no cover - the engine always has its shapes
        return None
    try:
        return tuple(tuple(s) for s in infer_shapes(program.graph, leaf_shapes(program)))
    except (ShapeError, KeyError, TypeError, ValueError):
        return None


def batch_rows(program: Program, step: int) -> int | None:
    """The data rows of a step's batch (lecture8's last batch of each epoch: 23 of 759 at
    step 23, where the others take 32), or None when steps take no batches."""
    bs = program.batch_size
    if bs is None or not program.data:
        return None
    n = program.n_rows
    k = step % max(program.n_samples, 1)
    return max(min(bs, n - k * bs), 0)


def step_shapes(program: Program, step: int) -> dict[int, Shape]:
    """The shapes of the nodes whose shape in ``step`` is not the first step's: a short
    last batch's rows (lecture8's step 23: h2₁ 23×4, the layout's 32×4). Empty when every
    batch has as many rows as the first, or shapes cannot be worked out."""
    rows = batch_rows(program, step)
    first = batch_rows(program, 0)
    if rows is None or rows == first:
        return {}
    got = _STEP_SHAPES.get((id(program), rows))
    if got is not None and got[0] is program:
        return got[1]
    try:
        from stepgrad.engine.shapes import ShapeError, infer_shapes
    except ImportError:  # pragma: no cover - the engine always has its shapes
        return {}
    g = program.graph
    leaves = leaf_shapes(program)
    for name in program.data or {}:
        i = g.by_name.get(name)
        if i is not None and leaves.get(i):
            leaves[i] = (rows, *leaves[i][1:])
    try:
        ours = infer_shapes(g, leaves)
        theirs = infer_shapes(g, leaf_shapes(program))
    except (ShapeError, KeyError, TypeError, ValueError):
        return {}
    out = {i: tuple(s) for i, s in enumerate(ours) if tuple(s) != tuple(theirs[i])}
    _STEP_SHAPES[(id(program), rows)] = (program, out)
    return out


_STEP_SHAPES: dict[tuple[int, int], tuple[Program, dict[int, Shape]]] = {}
"""``step_shapes`` by program (identity, kept alive with its entry) and rows."""


def predict_shapes(program: Program, node: str) -> dict[int, Shape]:
    """The shapes of a prediction of ``node`` (``predict: {x: [[4.0]]}`` in lecture5): its
    inputs' own, then through the ops to ``node`` (x 1×1, y_hat₁ and y_hat 1×1 where the
    batch's are 3×1). Only ``node`` and the nodes it is computed from; an input the
    prediction does not give (the target ``y``) is left out. Empty for a scalar lecture or
    shapes that cannot be worked out."""
    g = program.graph
    if not program.arrays or node not in g.by_name:
        return {}
    try:
        from stepgrad.engine.shapes import ShapeError, infer_shapes
    except ImportError:  # pragma: no cover - the engine always has its shapes
        return {}
    given = program.predict or {}
    leaves = leaf_shapes(program)
    ours = {g.by_name[k]: shape_of(v) for k, v in given.items() if k in g.by_name}
    # An input the prediction does not give (the target) is only there for the shapes to
    # be worked out to the end: its rows as many as the prediction's.
    rows = next((s[0] for i, s in ours.items() if s and leaves.get(i)), None)
    for i, s in leaves.items():
        if g.nodes[i].op == "input" and i not in ours and s and rows is not None:
            leaves[i] = (rows, *s[1:])
    leaves.update(ours)
    try:
        shapes = infer_shapes(g, leaves)
    except (ShapeError, KeyError, TypeError, ValueError):
        return {}
    out: dict[int, Shape] = {}
    todo = [g.by_name[node]]
    while todo:
        i = todo.pop()
        if i in out:
            continue
        n = g.nodes[i]
        if n.op == "input" and n.name not in given:
            continue
        out[i] = tuple(shapes[i])
        todo.extend(n.inputs)
    return out


_STATS: dict[int, tuple[Any, float, bool]] = {}
"""Per array (by identity, the array kept alive with its entry): its norm and whether it
is all finite. A state's arrays are the same objects from key to key: each box and table
row asks again at every redraw, and 759×6 entries are summed once, not at every key."""


def _stats(v: Any) -> tuple[float, bool]:
    got = _STATS.get(id(v))
    if got is not None and got[0] is v:
        return got[1], got[2]
    import numpy as np

    a = np.asarray(v, dtype=np.float64)
    out = (float(np.linalg.norm(a)), bool(np.isfinite(a).all()))
    if len(_STATS) > 4096:
        _STATS.clear()
    _STATS[id(v)] = (v, *out)
    return out


def norm(v: Any) -> float:
    """The array's Euclidean (Frobenius) norm, in float64: what ``torch.linalg.norm`` gives."""
    return _stats(v)[0]


def box_text(v: Any, number: Callable[[Any], str]) -> str:
    """What a box writes for an array: its one entry in brackets (``[0.038]``), else its
    norm between double bars (``‖33.7‖``); ``number`` writes the number (the box's own
    text, cut to its cells later by ``inner_compact``)."""
    if v.size == 1:
        return "[" + number(v.reshape(-1)[0]) + "]"
    if v.size == 0:
        return "[]"
    return NORM_OPEN + number(norm(v)) + NORM_CLOSE


LABEL_OPS = ("cross_entropy",)
"""Ops whose second argument holds class labels (integers ``0…classes-1``)."""


def label_nodes(graph: Any) -> frozenset[int]:
    """The nodes that hold class labels: the second argument of a cross entropy (lecture9's
    ``y``). Their values are stored as floats (the run's dtype); a box writes them as the
    labels they are (``label_text``), not as a norm."""
    out = set()
    for n in graph.nodes:
        if n.op in LABEL_OPS and len(n.args) > 1 and isinstance(n.args[1], int):
            out.add(n.args[1])
    return frozenset(out)


LABELS_SHOWN = 3
"""First labels a box writes (``[2, 1, 1, …]``); the shape is in its bottom border."""


def label_text(v: Any, entries: int = LABELS_SHOWN) -> str:
    """Class labels as the lecture writes them, the first few in brackets:
    ``[2, 1, 1, …]`` (``…`` when there are more)."""
    flat = v.reshape(-1) if is_array(v) else [v]
    shown = [str(int(x)) for x in flat[:entries]]
    if len(flat) > entries:
        shown.append("…")
    return "[" + ", ".join(shown) + "]"


def fit_labels(text: str, cells: int) -> str:
    """``label_text`` in at most ``cells`` cells: fewer labels, then no spaces
    (``[2, 1, 1, …]`` in 8 cells: ``[2, 1, …]`` is 9, ``[2,1,1,…]`` 9, ``[2,1,…]``)."""
    if len(text) <= cells:
        return text
    items = [t for t in text[1:-1].split(", ") if t != "…"]
    more = text.endswith("…]")
    for k in range(len(items), 0, -1):
        tail = ["…"] if (more or k < len(items)) else []
        for sep in (", ", ","):
            got = "[" + sep.join([*items[:k], *tail]) + "]"
            if len(got) <= cells:
                return got
    return text


def wrapped(text: str) -> tuple[str, str, str] | None:
    """``box_text``'s pieces (open, number, close), or None for a plain number's text."""
    if len(text) >= 3 and text[0] == NORM_OPEN and text[-1] == NORM_CLOSE:
        return NORM_OPEN, text[1:-1], NORM_CLOSE
    if len(text) >= 3 and text[0] == "[" and text[-1] == "]" and "," not in text:
        return "[", text[1:-1], "]"
    return None


def finite_all(v: Any) -> bool:
    """True when every entry is finite (None, not yet known, counts as finite)."""
    if is_array(v):
        return _stats(v)[1]
    return v is None or math.isfinite(float(v))


PREVIEW_ENTRIES = 3
"""First entries a table row shows of a matrix, after its norm."""


_PREVIEWS: dict[tuple[int, int, Any], tuple[Any, str]] = {}
"""``preview``'s texts by array identity, entries and digits shown (as ``_STATS``)."""


def preview(v: Any, number: Callable[[Any], str], entries: int = PREVIEW_ENTRIES) -> str:
    """A matrix in one short line: its norm, then its first entries in reading order,
    ``‖1.52‖ 0.00836 0.3185 -0.2516 …`` (``…`` when there are more); ``number`` writes
    each number (cut to a few cells; the same ``number`` for an array each time: the text
    is kept per array, entries and the digits shown)."""
    return _kept(_PREVIEWS, v, entries, lambda: _preview(v, number, entries))


_Texts = dict[tuple[int, int, Any], tuple[Any, str]]


def _kept(cache: _Texts, v: Any, size: int, make: Callable[[], str]) -> str:
    """``make()``'s text for array ``v``, kept in ``cache`` by the array's identity, a
    ``size`` (entries or cells) and the digits shown; the array is held with its text, so
    that a new array at a reused address is never given an old text."""
    from stepgrad.explain import digits

    key = (id(v), size, digits())
    got = cache.get(key)
    if got is not None and got[0] is v:
        return got[1]
    text = make()
    if len(cache) > 4096:
        cache.clear()
    cache[key] = (v, text)
    return text


def _preview(v: Any, number: Callable[[Any], str], entries: int) -> str:
    flat = v.reshape(-1)
    if flat.size == 1:
        return "[" + number(flat[0]) + "]"
    shown = [number(x) for x in flat[:entries]]
    if flat.size > entries:
        shown.append("…")
    return " ".join([f"{NORM_OPEN}{number(norm(v))}{NORM_CLOSE}", *shown])


ENTRY_CELLS = (6, 5)
"""Cells a box's row of entries gives each entry, the most first (``0.1264``, ``0.126``):
the fewer are taken when they show more entries."""

_ENTRIES: dict[tuple[int, int, Any], tuple[Any, str]] = {}
"""``entries_text``'s texts by array identity, cells and digits shown (as ``_STATS``)."""


def entries_text(v: Any, number: Callable[[Any, int], str], cells: int) -> str:
    """A matrix's first entries in reading order (row-major), as many as fit in ``cells``,
    a blank between two, ``…`` when more follow: lecture5's x ``[[1], [2], [3]]`` is
    ``1.0 2.0 3.0``, lecture7's h1₁ in 12 cells ``0.126 0.045…``. Each is written by
    ``number`` (a number and the most cells it may take) in ``ENTRY_CELLS`` cells, the
    most that show as many entries. Only the first few entries are read, never the whole
    array; the text is kept per array, cells and the digits shown (the same ``number`` for
    an array each time)."""
    return _kept(_ENTRIES, v, cells, lambda: _entries(v, number, cells))


def _entries(v: Any, number: Callable[[Any, int], str], cells: int) -> str:
    size = int(v.size)
    head = v.flat[: max(cells // 2, 1) + 1]  # an entry and a blank each, at the least
    best: list[str] = []
    for cap in ENTRY_CELLS:
        shown: list[str] = []
        for k, x in enumerate(head):
            t = number(x, cap)
            more = "…" if size > k + 1 else ""
            if len(" ".join([*shown, t]) + more) > cells:
                break
            shown.append(t)
        if len(shown) > len(best):
            best = shown
    if not best:
        return "…"[:cells]
    return " ".join(best) + ("…" if size > len(best) else "")


def index_text(at: Sequence[int]) -> str:
    """An element's index as the lecture writes it: ``[2, 3]``, ``[5]``."""
    return "[" + ", ".join(str(i) for i in at) + "]"


def as_written(v: Any, dtype: str) -> Any:
    """A value as the scenario writes it, for a box: a number as a Python float (no NumPy
    for a scalar lecture's first frame), a matrix as an array of the run's dtype (a tensor
    lecture's first frame has NumPy already: its start is computed by the engine)."""
    if isinstance(v, list):
        import numpy as np

        return np.asarray(v, dtype=dtype)
    return float(v)


def tight(text: str, cut: str, cells: int) -> str:
    """``cut`` (a number's text cut to ``cells``), unless cutting lost the number: a
    nonzero norm that came out as ``0.0`` is written with a bare exponent instead
    (``7e-4``, where Python's ``7e-04`` is a cell too long; a cell over ``cells`` rather
    than a wrong number)."""
    try:
        v, c = float(text), float(cut)
    except ValueError:
        return cut
    if c != 0.0 or v == 0.0 or not math.isfinite(v):
        return cut
    mantissa, exponent = f"{v:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def batch_words(program: Program, step: int) -> str:
    """Where a step's data rows come from, in the lecture's words: ``input, all 759 rows
    of the data`` (the whole table each step), ``input, batch 3 of 24: 32 rows of the
    data, shuffled`` (a DataLoader's)."""
    n = program.n_rows
    per = program.n_samples
    if per <= 1:
        return f"input, all {n} rows of the data"
    k = step % per
    rows = min(program.batch_size or n, n - k * (program.batch_size or n))
    shuffled = ", shuffled" if program.shuffle_seed is not None else ""
    return f"input, batch {k} of {per}: {rows} rows of the data{shuffled}"
