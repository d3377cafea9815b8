"""What the graph writes on its edges, and where (no Textual).

After an edge's local-gradient event its local gradient waits on the edge
(``∂loss/∂s = 2*s = -2.0``) until the chain event for that edge multiplies it in; at that
chain event the edge carries the product arriving at the node (``(-2.0) × 1.0 = -2.0``);
after it, nothing. The texts come from ``explain.edge_label`` (the one renderer); this
module composes the forms the graph may show (``shown_forms``: never a bare number) and
picks, per edge, the first that fits in the free cells beside or on the edge's wire and
reads as that edge's (``near_own``: nearer its own wire than any other), else a mark
(``①``) on the wire keyed to a legend line under the graph, or, when those lines are
full, to a line at the end of the inspector.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from stepgrad.app import layout as lay
from stepgrad.app.trace import START, Trace
from stepgrad.engine.events import BackwardStart, Chain, Event, LocalGrad
from stepgrad.engine.graph import Graph
from stepgrad.engine.state import State
from stepgrad.explain import d, edge_label

MARKS = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
"""Marks for labels that do not fit, in the order of their local-gradient events."""


@dataclass(frozen=True, slots=True)
class EdgeLabel:
    """One edge's label at one position.

    Attributes:
        edge: (consumer, argument).
        forms: its texts, longest first.
        chain: True for the product arriving at the current chain event, False for a
            local gradient waiting on its edge.
        number: the edge's place among the step's local gradients (0: the first), which
            its mark says (``①`` for 0) at every event of the step: a mark numbered by the
            labels in view moved from edge to edge between two keys (a student's walk).
            None: numbered by the labels in view.
    """

    edge: lay.EdgeKey
    forms: tuple[str, ...]
    chain: bool
    number: int | None = None


def labels_at(
    graph: Graph, events: Iterable[Event], pos: int, r: Callable[[object], str]
) -> tuple[EdgeLabel, ...]:
    """The labels on the edges as of event ``pos`` of a step whose events are ``events``.

    Args:
        graph: the graph.
        events: the step's events, in order.
        pos: the position (an event of that step).
        r: how a number is written.

    Returns:
        One label per edge whose local gradient has been computed and not yet multiplied
        in (or is being multiplied in at ``pos``), in the order of the local gradients.
    """
    events = tuple(events)  # read twice (a tuple stays itself)
    by = graph.by_name
    local: dict[lay.EdgeKey, LocalGrad] = {}
    done: set[lay.EdgeKey] = set()
    current: Chain | None = None
    for ev in events:
        if ev.seq > pos:
            break
        match ev:
            case LocalGrad(node=node, arg=arg):
                local[(by[node], arg)] = ev
            case Chain(node=node, arg=arg):
                if ev.seq == pos:
                    current = ev
                else:
                    done.add((by[node], arg))
    out = []
    # Marks by the local gradients' order where the step has no more than there are marks
    # (a 60-node network's 100 would run out: numbered by the labels in view there).
    steady = sum(isinstance(ev, LocalGrad) for ev in events) <= len(MARKS)
    for k, (key, lg) in enumerate(local.items()):
        number = k if steady else None
        if key in done:
            continue
        if current is not None and (by[current.node], current.arg) == key:
            out.append(EdgeLabel(key, _chain_forms(graph, current, r), chain=True, number=number))
        else:
            out.append(EdgeLabel(key, edge_label(lg, r), chain=False, number=number))
    return tuple(out)


def chain_path(graph: Graph, events: Iterable[Event], pos: int) -> tuple[lay.EdgeKey, ...]:
    """At a chain event, the edges the chain rule has multiplied through on its way from
    the loss to the node being multiplied (this backward pass's chain events before
    ``pos`` whose products flowed into it), in the order they were multiplied; none at any
    other event. lecture4 #9 (w ← y_hat): loss → s, s → y_hat (issue 11: "the chain event
    lights the path"; only w ← y_hat was lit)."""
    by = graph.by_name
    done: list[tuple[int, int, int]] = []
    current: Chain | None = None
    for ev in events:
        if ev.seq > pos:
            break
        match ev:
            case BackwardStart():
                done = []
            case Chain(node=node, wrt=wrt, arg=arg):
                if ev.seq == pos:
                    current = ev
                else:
                    done.append((by[node], arg, by[wrt]))
    if current is None:
        return ()
    reach = {by[current.node]}
    grew = True
    while grew:
        grew = False
        for consumer, _, source in done:
            if source in reach and consumer not in reach:
                reach.add(consumer)
                grew = True
    return tuple((consumer, arg) for consumer, arg, source in done if source in reach)


def path_of(trace: Trace, pos: int, state: State) -> tuple[lay.EdgeKey, ...]:
    """``chain_path`` at the position ``pos`` of a trace."""
    if pos == START or not trace.has_timeline or state.step is None or trace.step_of(pos) is None:
        return ()
    return chain_path(trace.graph, trace.timeline.events_of_step(state.step), pos)


def _chain_forms(graph: Graph, ev: Chain, r: Callable[[object], str]) -> tuple[str, ...]:
    """``edge_label``'s forms of a product arriving, the shortest the number a box writes:
    an array's shape alone (``= (8, 6)``, ``= (1, 1)`` for -38.0) read like a value; its
    norm or its one entry, as its box says it, does not (``= ‖0.0013‖``, ``= [-38.0]``).
    An array's longest form (a legend line's) names what arrives: ``∂loss/∂y_hat = [[…]]``,
    where the bare array said nothing of what it was."""
    forms = edge_label(ev, r)
    if getattr(ev.product, "ndim", 0) > 0:
        named = f"{d(graph.nodes[graph.loss].name, ev.wrt)} = {forms[0]}"
        return (named, *forms[:-1], r(ev.product))
    return forms


def labels_of(trace: Trace, pos: int, state: State, r: Callable[[object], str]) -> tuple[EdgeLabel, ...]:
    """``labels_at`` for the position ``pos`` of a trace (none at the start, at a
    prediction, or before the run is computed)."""
    if pos == START or not trace.has_timeline or state.step is None or trace.step_of(pos) is None:
        return ()
    return labels_at(trace.graph, trace.timeline.events_of_step(state.step), pos, r)


def zeroed(trace: Trace, pos: int, state: State) -> bool:
    """True once this step's ``zero_grad`` has run: the gradients still held by the nodes
    between the params and the loss are the last pass's, not current (drawn stale)."""
    if pos == START or state.step is None or state.phase != "update" or not trace.has_timeline:
        return False
    return any(seq <= pos for seq in trace.index(state.step).zeroed.values())


class Room:
    """Where a label may go in a layout: not on a box or a blank column beside it, not on a
    wire. Kept per row as the number of free cells that start at each column, so that a
    label's place is checked in one look (a 60-node graph has dozens of labels at once)."""

    def __init__(self, L: lay.Layout):
        blocked: set[tuple[int, int]] = set(L.masks)
        for b in L.boxes.values():
            for y in range(b.y, b.y + b.height):
                for x in range(b.x - 1, b.x + b.width + 1):
                    blocked.add((x, y))
        self.blocked = blocked
        """The cells a label may not cover."""
        wire_at: dict[tuple[int, int], set[lay.EdgeKey]] = {}
        for key, w in L.wires.items():
            for x, y, _ in w.cells:
                wire_at.setdefault((x, y), set()).add(key)
            wire_at.setdefault(w.arrow, set()).add(key)
        self.wire_at = wire_at
        """The edges whose wires pass through each cell (several where wires share it)."""
        self.cells = {key: [(x, y) for x, y, _ in w.cells] for key, w in L.wires.items()}
        """Each edge's wire cells."""
        self.free: list[list[int]] = []
        """Per row, per column, how many free cells run from there to the right."""
        for y in range(L.height):
            row = [0] * (L.width + 1)
            for x in range(L.width - 1, -1, -1):
                row[x] = 0 if (x, y) in blocked else row[x + 1] + 1
            self.free.append(row)

    def fits(self, x0: int, y: int, n: int, taken: dict[tuple[int, int], tuple[str, bool]]) -> bool:
        """True when the ``n`` cells from (x0, y) are free and no label holds one yet."""
        if x0 < 0 or not 0 <= y < len(self.free) or x0 >= len(self.free[y]) or self.free[y][x0] < n:
            return False
        return not taken or not any((x, y) in taken for x in range(x0, x0 + n))


NEAR = 2
"""How far (in cells, rows and columns alike) a label may sit from its own wire: on it
(0), on the next row or column (1), or with one blank cell between (2)."""


def near_own(
    room: Room,
    edge: lay.EdgeKey,
    segments: Iterable[tuple[int, int, int]],
    taken: dict[tuple[int, int], tuple[str, bool]] | None = None,
) -> bool:
    """True when a label drawn as ``segments`` (first column, row, length) reads as its own
    edge's: within ``NEAR`` cells of its wire, no other edge's wire as near as that (a text
    between two wires is read as either), its first cell nearer its own wire than any
    other's on its rows, and a blank cell between it and any other label on its row.

    Distances count rows and columns alike (a text on the row above a wire is 1 from it;
    one blank cell from a wire's vertical stretch is 2)."""
    segs = list(segments)
    wire_at = room.wire_at
    own_cells = room.cells.get(edge, ())
    for xe, y0, _ in segs:
        # Where the text starts, the reader looks for its wire: nearer its own than any
        # other's on its rows (a text that ends at its wire's left but starts beside
        # another's, under another node, is read as the other's).
        d = min((max(abs(x - xe), abs(y - y0)) for x, y in own_cells), default=0)
        for y in (y0 - 1, y0, y0 + 1):
            for x in range(xe - d + 1, xe + d):
                k = wire_at.get((x, y))
                if k is not None and edge not in k:
                    return False
    for d in range(NEAR + 1):
        window = [
            (x, y) for x0, y0, n in segs for y in range(y0 - d, y0 + d + 1) for x in range(x0 - d, x0 + n + d)
        ]
        keys = [wire_at.get(c) for c in window]
        if not any(k is not None and edge in k for k in keys):
            continue
        if any(k is not None and edge not in k for k in keys):
            return False
        if taken:
            own = {(x0 + k, y) for x0, y, n in segs for k in range(n)}
            for x0, y, n in segs:
                for c in ((x0 - 1, y), (x0 + n, y)):
                    if c in taken and c not in own:
                        return False
        return True
    return False


def blocked_cells(L: lay.Layout) -> Room:
    """The room for labels in ``L`` (made once per layout)."""
    return Room(L)


def _runs(wire: lay.Wire) -> list[tuple[int, int, int]]:
    """The wire's horizontal runs as (row, first column, last column), source first.

    A run may go right to left: a folded graph's wire from the end of its first row of
    layers runs back along the row between them (its cells come in falling columns), and
    is one run, not a run per cell (a label was placed by its last cell, under the first
    layer's box, far from the wire's way into its node)."""
    runs: list[tuple[int, int, int]] = []
    for x, y, m in wire.cells:
        if m != lay.LEFT | lay.RIGHT:
            continue
        if runs and runs[-1][0] == y and x in (runs[-1][1] - 1, runs[-1][2] + 1):
            runs[-1] = (y, min(runs[-1][1], x), max(runs[-1][2], x))
        else:
            runs.append((y, x, x))
    return runs


def _back_rows(wire: lay.Wire) -> frozenset[int]:
    """The rows where the wire runs right to left: a folded graph's wire back from the end
    of its first row of layers to the start of the second, its node below the run."""
    xs: dict[int, list[int]] = {}
    for x, y, m in wire.cells:
        if m == lay.LEFT | lay.RIGHT:
            xs.setdefault(y, []).append(x)
    return frozenset(y for y, row in xs.items() if len(row) > 1 and row[0] > row[-1])


def shown_forms(label: EdgeLabel, mark: str) -> list[tuple[tuple[str, ...], bool]]:
    """The texts the graph tries for a label, in order of preference, each with True when
    it carries ``mark`` (whose legend entry under the graph gives the whole text). A label
    is never a bare number: it shows its formula, or a mark; and a local gradient never
    looks like a product.

    A local gradient (``explain.edge_label``'s forms, say ``local ∂loss/∂s = 2*s = -2.0``):
    the whole text; ``2*s = -2.0``; the formula over the wire and its value under it (two
    texts, drawn on the rows above and below the wire); ``① -2.0``. A constant one
    (``local ∂s/∂y_hat = 1``): the whole text; ``= 1``; the mark alone. A product arriving at
    a chain event (``(-2.0) × 1.0 = -2.0``): the whole text; ``= -2.0``; ``=-2.0``;
    ``①=-2.0`` (drawn in the backward colour, beside the ◀ at the node it arrives at).
    """
    forms = label.forms
    whole = forms[0]
    if label.chain:
        prod = forms[-1]
        shorter = (f"= {prod}", f"={prod}")
        return [((whole,), False), *(((t,), False) for t in shorter), ((f"{mark}={prod}",), True)]
    out: list[tuple[tuple[str, ...], bool]] = [((whole,), False)]
    if len(forms) == 2:
        # A constant (1): a number alone on an edge is never shown bare: ``= 1`` says what
        # it is, and a mark is never glued to a digit (``①1`` read as 11 on a projector).
        # An array's rule (h1ᵀ · upstream, h2*(1-h2)) is a formula: shown alone, as
        # 2*s = -2.0 is.
        if not _is_number(forms[1]):
            return [*out, ((forms[1],), False), ((mark,), True)]
        return [*out, ((f"= {forms[1]}",), False), ((mark,), True)]
    out.append(((forms[1],), False))
    if len(forms) >= 3 and " = " in forms[1]:
        # formula = value: the formula over the wire, the value under it; else
        # ``① -2.0`` (a blank between the mark and the number).
        formula, value = forms[1].rsplit(" = ", 1)
        out.append(((formula, value), False))
        out.append(((f"{mark} {forms[-1]}",), True))
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def place_labels(
    L: lay.Layout, blocked: Room, labels: tuple[EdgeLabel, ...], max_marks: int = len(MARKS)
) -> tuple[dict[tuple[int, int], tuple[str, bool]], list[str]]:
    """Where each label goes: the longest form that fits on a free row just above or below
    one of its wire's horizontal runs (reaching over the run), else on the run itself with
    a wire cell left each side (a two-row form: on the rows above and below the run); the
    first of ``shown_forms`` that fits, else the mark alone on the wire. A form with a mark
    adds its legend entry (the whole text).

    Args:
        L: the layout.
        blocked: ``blocked_cells(L)``.
        labels: the labels to place, in order.
        max_marks: the most labels given a mark (a legend entry); the others that need
            one are not drawn (the inspector has them).

    Returns:
        The cells written (character, and True for a chain label), and the legend entries.
    """
    key = (id(L), labels, max_marks)
    got = _placed.get(key)
    if got is not None and got[0] is L:
        return got[1], list(got[2])
    cells: dict[tuple[int, int], tuple[str, bool]] = {}
    legend: list[str] = []
    spans: dict[lay.EdgeKey, tuple[tuple[int, int, str], ...]] = {}
    used = 0
    for label in labels:
        wire = L.wires.get(label.edge)
        if wire is None:
            continue
        runs = _runs(wire)
        # A local gradient sits near the node it belongs to (the consumer, at the wire's
        # end); the product of a chain event arrives at the source (the wire's start).
        order = runs if label.chain else runs[::-1]
        k = used if label.number is None else label.number
        mark = MARKS[k] if k < len(MARKS) else "*"
        marked = False
        forms = shown_forms(label, mark)
        # The texts first, each on or by a run of the wire or beside its vertical stretch
        # with a blank cell between (``┃ = -2.0``); then, where none fits so, beside it
        # with no blank or on its left; then the forms with a mark.
        tries = [(f, True) for f in forms if not f[1]] + [(f, False) for f in forms]
        for (texts, with_mark), strict in tries:
            if with_mark and used >= max_marks:
                continue
            spot = None
            if strict or with_mark:
                if len(texts) == 1:
                    back = _back_rows(wire)
                    spot = _find(L, blocked, cells, order, len(texts[0]), back, label.chain, label.edge)
                    rows = [(0, texts[0])]
                else:
                    spot = _find_stacked(L, blocked, cells, order, texts, label.edge)
                    rows = [(-1, texts[0]), (1, texts[1])]
            if spot is None:
                # Beside the wire's vertical stretch (a wire from a box lower down).
                spot = _find_beside(L, blocked, cells, wire, texts, strict or with_mark)
                if spot is None and with_mark:
                    spot = _find_beside(L, blocked, cells, wire, texts, False)
                rows = list(enumerate(texts))
            if spot is not None:
                marked = with_mark
                x0, y = spot
                for dy, text in rows:
                    for k, ch in enumerate(text):
                        cells[(x0 + k, y + dy)] = (ch, label.chain)
                spans[label.edge] = tuple((x0, y + dy, text) for dy, text in rows)
                break
        else:
            if used >= max_marks:
                continue
            mx, my = _mark_cell(L, blocked, cells, wire, order, label.chain)
            cells[(mx, my)] = (mark, label.chain)
            spans[label.edge] = ((mx, my, mark),)
            marked = True
        if marked:
            used += 1
            legend.append(f"{mark} {label.forms[0]}")
    if len(_placed) >= 256:
        _placed.clear()
    _placed[key] = (L, cells, tuple(legend), spans)
    return cells, legend


def label_spans(
    L: lay.Layout, room: Room, labels: tuple[EdgeLabel, ...]
) -> dict[lay.EdgeKey, tuple[tuple[int, int, str], ...]]:
    """Where ``place_labels`` drew each label: per edge, its texts as (first column, row,
    text), one a row (a mark alone is one cell); an edge whose label is not drawn is absent."""
    place_labels(L, room, labels)
    return dict(_placed[(id(L), labels, len(MARKS))][3])


_Spans = dict[lay.EdgeKey, tuple[tuple[int, int, str], ...]]
_Placed = tuple[lay.Layout, dict[tuple[int, int], tuple[str, bool]], tuple[str, ...], _Spans]
_placed: dict[tuple[int, tuple[EdgeLabel, ...], int], _Placed] = {}
"""Placements made (a redraw at the same position, or a step back, places nothing again)."""


def legend_lines(legend: list[str], labels: tuple[EdgeLabel, ...], width: int) -> list[tuple[str, bool]]:
    """The legend as lines under the graph: each entry wrapped to ``width`` (never cut),
    with True for a product's entry (drawn in the backward colour)."""
    chains = {lab.forms[0] for lab in labels if lab.chain}
    out: list[tuple[str, bool]] = []
    for entry in legend:
        chain = entry.split(" ", 1)[-1] in chains
        for line in textwrap.wrap(entry, max(width, 8), subsequent_indent="  ", break_on_hyphens=False):
            out.append((line, chain))
    return out


def fit_legend(
    L: lay.Layout, room: Room, labels: tuple[EdgeLabel, ...], width: int, rows: int | None
) -> tuple[dict[tuple[int, int], tuple[str, bool]], list[str], list[tuple[str, bool]], list[str]]:
    """``place_labels`` with a legend of at most ``rows`` lines (None: any): the entries
    in mark order while they fit, the others handed to the inspector (``overflow``), so
    that every label that does not fit on its edge still has its mark there and every mark
    drawn is explained on screen (a folded lecture7 at 120x40 has one row under its graph
    for the legend and up to fifteen labels waiting: they were not drawn at all).

    Returns:
        The cells, the legend entries under the graph, the legend's lines
        (``legend_lines``) and the entries left for the inspector.
    """
    cells, legend = place_labels(L, room, labels)
    lines = legend_lines(legend, labels, width)
    if rows is None or len(lines) <= rows:
        return cells, legend, lines, []
    kept: list[str] = []
    for k, entry in enumerate(legend):
        more = legend_lines([*kept, entry], labels, width)
        if len(more) > rows:
            return cells, kept, legend_lines(kept, labels, width), legend[k:]
        kept.append(entry)
    return cells, legend, lines, []


def _mark_cell(
    L: lay.Layout,
    blocked: Room,
    taken: dict[tuple[int, int], tuple[str, bool]],
    wire: lay.Wire,
    runs: list[tuple[int, int, int]],
    chain: bool = False,
) -> tuple[int, int]:
    """Where a mark goes: on a straight cell of the wire that no other wire crosses (the
    runs in ``runs`` order, the middle of each first; never an end), else on its
    vertical stretch, else in a free cell beside it, else on the end that shows nothing."""
    own = {(x, y) for x, y, _ in wire.cells}
    # Neither end: the arrow into the consumer, nor the first cell, where a gradient's ◀
    # points back at the source.
    ends = {wire.arrow, wire.cells[0][:2]}
    for y, a, b in runs:
        cols = sorted(range(a, b + 1), key=lambda x: abs(x - (a + b) // 2))
        for x in cols:
            if (x, y) not in ends and (x, y) not in taken and L.masks.get((x, y)) == lay.LEFT | lay.RIGHT:
                return (x, y)
    for x, y, m in wire.cells:
        if m == lay.UP | lay.DOWN and (x, y) not in taken and L.masks.get((x, y)) == m:
            return (x, y)
    spot = _find(L, blocked, taken, runs, 1, edge=wire.edge)
    if spot is not None and spot not in own:
        return spot
    # A wire of two cells: the end that shows nothing of its own (a local gradient's wire
    # keeps its arrow; a chain event's keeps the ◀ at its source).
    return wire.arrow if chain else wire.cells[0][:2]


def _find_stacked(
    L: lay.Layout,
    room: Room,
    taken: dict[tuple[int, int], tuple[str, bool]],
    runs: list[tuple[int, int, int]],
    texts: tuple[str, ...],
    edge: lay.EdgeKey,
) -> tuple[int, int] | None:
    """The first (column, row of the wire) where ``texts[0]`` fits on the row above one of
    ``runs`` and ``texts[1]`` on the row below, from the same column, within the run, and
    reads as ``edge``'s (``near_own``)."""
    top, bottom = texts
    n = max(len(top), len(bottom))
    for y, a, b in runs:
        if y < 1 or y + 1 >= L.height:
            continue
        centre = (a + b + 1) // 2 - n // 2
        for x0 in sorted(range(a, max(b - n + 2, a + 1)), key=lambda x: (abs(x - centre), x)):
            if (
                room.fits(x0, y - 1, len(top), taken)
                and room.fits(x0, y + 1, len(bottom), taken)
                and near_own(room, edge, ((x0, y - 1, len(top)), (x0, y + 1, len(bottom))), taken)
            ):
                return (x0, y)
    return None


def _find_beside(
    L: lay.Layout,
    room: Room,
    taken: dict[tuple[int, int], tuple[str, bool]],
    wire: lay.Wire,
    texts: tuple[str, ...],
    strict: bool = True,
) -> tuple[int, int] | None:
    """The first (column, row) where ``texts`` fit, one a row, just right of the wire's
    vertical stretch with a blank cell between (``strict``), else right of it with none or
    left of it, beside its middle first, and read as its edge's (``near_own``: a long
    text reaching from its wire to another's is not)."""
    vertical = [(x, y) for x, y, m in wire.cells if m == lay.UP | lay.DOWN]
    if not vertical:
        return None
    own = set(vertical)
    mid = vertical[len(vertical) // 2][1]
    n = max(len(t) for t in texts)
    for x, y in sorted(vertical, key=lambda c: (abs(c[1] - mid), c[1])):
        if not all((x, y + k) in own for k in range(len(texts))):
            continue
        # A blank cell kept between the text and anything after it (another wire), and
        # where it can be, between the text and its wire (``┃(-2.0) × 1.0`` touched it).
        for x0 in (x + 2,) if strict else (x + 1, x - n - 1, x - n):
            if all(room.fits(x0, y + k, len(t) + 1, taken) for k, t in enumerate(texts)) and near_own(
                room, wire.edge, ((x0, y + k, len(t)) for k, t in enumerate(texts)), taken
            ):
                return (x0, y)
    return None


def _find(
    L: lay.Layout,
    room: Room,
    taken: dict[tuple[int, int], tuple[str, bool]],
    runs: list[tuple[int, int, int]],
    n: int,
    back: frozenset[int] = frozenset(),
    chain: bool = False,
    edge: lay.EdgeKey | None = None,
) -> tuple[int, int] | None:
    """The first (column, row) where ``n`` cells fit next to or on one of ``runs`` (and,
    given ``edge``, read as that edge's: ``near_own``).

    A run on a row of ``back`` (a folded graph's wire back to the second row of layers,
    a hundred columns long) is read from the end of the label's node: a local gradient
    from the left end, where the wire turns down into its consumer, on the row under the
    run; a product (``chain``) from the right end, where the wire turns up to the source
    it arrives at, on the row above. There the label sits where its wire meets its node,
    not in the middle of the screen or under another node's box."""
    straight = lay.LEFT | lay.RIGHT
    for y, a, b in runs:
        centre = (a + b + 1) // 2 - n // 2
        rows = (y - 1, y + 1)
        if y in back:
            centre = b - n if chain else a + 1
            rows = (y - 1, y + 1) if chain else (y + 1, y - 1)
        starts = sorted(range(a - n + 1, b + 1), key=lambda x: (abs(x - centre), x))
        for row in rows:
            if not 0 <= row < L.height or max(room.free[row][max(a - n + 1, 0) : b + 1], default=0) < n:
                continue  # no room that long on this row near the run (checked at C speed)
            for x0 in starts:
                if (
                    room.fits(x0, row, n, taken)
                    and (x0 - 1, row) not in room.wire_at
                    and (x0 + n, row) not in room.wire_at
                    and (edge is None or near_own(room, edge, ((x0, row, n),), taken))
                ):
                    # A blank cell between the text and a wire beside it on its row
                    # (``┃= -2.0`` read as touching its wire's vertical stretch).
                    return (x0, row)
        # On the run, a wire cell left each side (the last is the arrow), where no other
        # wire crosses.
        if b - a - 1 < n:
            continue
        inner = {x for x in range(a + 1, b) if L.masks.get((x, y)) == straight and (x, y) not in taken}
        for x0 in sorted(inner, key=lambda x: (abs(x - centre), x)):
            if all(x in inner for x in range(x0, x0 + n)) and (
                edge is None or near_own(room, edge, ((x0, y, n),), taken)
            ):
                return (x0, y)
    return None
