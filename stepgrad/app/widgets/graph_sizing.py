"""Sizing the graph's boxes: how wide each layer must be for the numbers it will show.

Kept apart from the drawing (``graph_view``): the widest value and gradient text of every
node over the whole run (or, for a long run, the step on screen), and the roomiest spacing
in which the graph then fits its panel, cutting numbers only when nothing else fits.
"""

from __future__ import annotations

import itertools
import math
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from stepgrad.app import layout as lay
from stepgrad.app.arrays import box_text, tight, wrapped
from stepgrad.app.trace import Trace
from stepgrad.engine.events import (
    Accumulate,
    AccumulateGrad,
    BackwardStart,
    Chain,
    Forward,
    Update,
    ZeroGrad,
)
from stepgrad.engine.state import State
from stepgrad.explain import digits as digits_shown
from stepgrad.explain import fmt
from stepgrad.lazy import LazyModule

np: Any = LazyModule("numpy", globals(), "np")  # for float32 text only

MIN_BOX = 11
"""Narrowest box at the roomy spacing, borders included (less the padding given up)."""
TIGHTEST = lay.SPACINGS[-1]
"""The spacing of a graph too wide for its panel at every spacing: it scrolls, and shows
as much as it can around the current node."""


def graph_fmt(v: Any, float32: bool, exact: bool = False) -> str:
    """A number as a box shows it: the shortest text that reads back in the scenario's dtype.

    For float32 that is NumPy's text of the float32 value (``1.02``, still exact as a
    float32), not the widened float64 (``1.0199999809265137``) that the inspector prints
    the way torch's ``.item()`` does; for float64 it is ``fmt``. ``exact``: the stored number even under
    ``--digits`` (a box that must cut it cuts the exact number, once).
    """
    if getattr(v, "ndim", 0) > 0:
        # A tensor lecture's matrix: its norm, or its one entry (``arrays.box_text``).
        return box_text(v, lambda x: graph_fmt(x, float32, exact))
    if v is None:
        return fmt(v)
    if exact and digits_shown() is not None:
        return str(np.float32(v)) if float32 else repr(float(v))
    if not float32 or digits_shown() is not None:  # rounded (--digits): fmt rounds
        return fmt(v)
    return str(np.float32(v))


def box_number(v: Any, float32: bool, cap: int | None) -> str:
    """A number as a box writes it in ``cap`` cells, rounded once: under ``--digits`` the
    rounded text when it fits, else the exact number cut to the cells (lecture7's h1₁ norm
    20.567505… in 6 cells is ``20.568``; cutting the 6-digit ``20.5675`` again gave
    ``20.567``)."""
    text = graph_fmt(v, float32)
    if cap is None or digits_shown() is None or len(text) <= cap:
        return compact(text, cap)
    return compact(graph_fmt(v, float32, exact=True), cap)


def compact(text: str, cap: int | None) -> str:
    """A number's text in at most ``cap`` cells, rounded to the significant digits that fit
    (``0.2806168405841364`` in 6 cells: ``0.2806``; ``-5.796206079999999`` in 6:
    ``-5.796``; ``2.4576547405302974e-05`` in 8: ``2.46e-05``). The exact number is in the
    inspector. A text that fits, ``·``, nan, inf and a vector stay as they are; a number
    that fits in no form of ``cap`` cells keeps its shortest form.
    """
    if cap is None or len(text) <= cap:
        return text
    parts = wrapped(text)
    if parts is not None:  # an array's norm or one entry: the number inside is cut
        opening, inner, closing = parts
        return opening + tight(inner, compact(inner, max(cap - 2, 1)), max(cap - 2, 1)) + closing
    if text[0] in "[·":
        return text
    try:
        v = float(text)
    except ValueError:
        return text
    if not math.isfinite(v):
        return text
    best = text
    if "e" not in text and abs(v) < 1e15:
        # Fixed point, as many decimals as fit (at least one, so it still reads as a float),
        # unless no significant digit would be left (1e-07 is not 0.0).
        whole = len(f"{v:.0f}")
        for decimals in range(cap - whole - 1, 0, -1):
            got = f"{v:.{decimals}f}"
            if len(got) <= cap and float(got) != 0.0:
                # 22.879999999999995 in 6 cells is 22.88, not 22.880: a zero is no digit kept.
                # A small number keeps more digits with an exponent: 0.000226 in 6 cells is
                # 2.3e-4, not 0.0002 (one digit; 4 cells gave 2e-4, an exponent too). The
                # digits are counted before the zeros go: 0.0500 keeps three.
                kept = _significant(got)
                got = got.rstrip("0")
                got = got + "0" if got.endswith(".") else got
                return _more_digits(v, got, cap, kept)
        best = f"{v:.1f}"
    # An exponent form with a short exponent: 2.46e-05.
    for digits in range(cap, -1, -1):
        got = f"{v:.{digits}e}"
        if len(got) <= cap:
            return got
        best = got if len(got) < len(best) else best
    return best


def _significant(text: str) -> int:
    """The significant digits a fixed-point text keeps (``0.0002``: 1, ``0.0500``: 3)."""
    return len(text.lstrip("-").replace(".", "").lstrip("0"))


def _more_digits(v: float, fixed: str, cap: int, kept: int) -> str:
    """``fixed``, or when it keeps a single significant digit, an exponent form of ``v`` in
    ``cap`` cells that keeps more (Python's ``2.26e-04``, else a bare exponent ``2.3e-4``,
    as ``arrays.tight``). ``kept``: the digits ``fixed`` keeps, its zeros counted."""
    if kept > 1:
        return fixed
    for digits in range(cap, kept - 1, -1):
        if digits + 1 <= kept:
            break
        python = f"{v:.{digits}e}"
        mantissa, exponent = python.split("e")
        for got in (python, f"{mantissa}e{int(exponent)}"):
            if len(got) <= cap:
                return got
    return fixed


NUM_MAX = 8
"""The most cells a box gives a number (``0.280617``, ``-26.9578``): the exact number,
to the last digit, is in the inspector; a box shows it to the digits that fit."""
CAP_MIN = 6
"""The fewest (``0.2806``, ``-5.796``): a graph that fits no panel even so scrolls."""
WIDE = 99
"""The width of a number not known in advance (a later step's): always cut to the cap."""

GAP_MAX = 26
"""The widest gap between two layers a large panel gives (``∂loss/∂s = 2*s = -2.0`` fits)."""
PAD_MAX = 2
"""The most blank columns a large panel adds each side of a box's text."""
ROW_GAP_MAX = 8
"""The most blank rows between two boxes of a layer."""
FILL = 0.9
"""A graph grows downwards while it takes at most this share of its panel's rows."""

SCAN_STEPS = 1
"""Runs of at most this many steps size their boxes for every number of the run (the step
is computed anyway); longer runs by what each node can hold (the cap for any number that
changes), so that no step is computed to size a box."""


PRODUCT_MIN = 4
"""The fewest cells a product is given room for (``-2.0``): a one-step run's first frame,
drawn before its numbers are known (its gradients ``·``), reserves what its settled frame
does, and the graph does not move when the engine arrives."""

_Fit = tuple[lay.Spacing, tuple[int, ...], int]
"""A spacing, the box width of each layer, and the most cells a number is given."""


class GraphSizing:
    """The box-sizing half of ``GraphView`` (a mixin: the view holds the state it reads).

    Attributes read: ``trace``, ``_f32`` (float32 text), ``_predict_inputs``, ``_frame``,
    ``_title_len``; written: ``_run_nodes`` and the two caches.
    """

    trace: Trace
    _f32: bool
    _predict_inputs: dict[int, Any]
    _frame: lay.Frame
    _title_len: dict[int, int]
    _run_nodes: dict[int, tuple[int, int]] | None
    _fit_cache: OrderedDict[tuple[int, int, int, bool], _Fit]
    _frames: dict[tuple[int, int, int], lay.Frame]

    def _fmt(self, v: Any) -> str:
        return graph_fmt(v, self._f32)

    def _node_widths(
        self, state: State | None, steps: Iterable[int], grow: dict[int, tuple[int, int]] | None = None
    ) -> dict[int, tuple[int, int]]:
        """Per node, the widest value and gradient text it shows in ``state`` and these steps."""
        g = self.trace.graph
        if grow is None:
            vw = {n.id: 1 for n in g.nodes}
            gw = {n.id: 1 for n in g.nodes}
        else:
            vw = {i: w[0] for i, w in grow.items()}
            gw = {i: w[1] for i, w in grow.items()}
        f = self._fmt

        def see(i: int, v: Any, widths: dict[int, int], k: int) -> None:
            n = len(f(v))
            if n > widths[i]:
                widths[i] = n

        if state is not None:
            for i, v in enumerate(state.values):
                if v is not None:
                    see(i, v, vw, 0)
            for i, v in enumerate(state.grads):
                if v is not None:
                    see(i, v, gw, 1)
            for name, v in state.predictions.items():
                see(g.by_name[name], v, vw, 0)
        for i, v in self._predict_inputs.items():
            see(i, v, vw, 0)
        for step in steps:
            self._step_widths(step, vw, gw, see)
        return {i: (vw[i], gw[i]) for i in vw}

    def _step_widths(
        self,
        step: int,
        vw: dict[int, int],
        gw: dict[int, int],
        see: Callable[[int, Any, dict[int, int], int], None],
    ) -> None:
        g = self.trace.graph

        def val(name: str, v: Any) -> None:
            see(g.by_name[name], v, vw, 0)

        def grad(name: str, v: Any) -> None:
            see(g.by_name[name], v, gw, 1)

        for ev in self.trace.timeline.events_of_step(step):
            match ev:
                case Forward(node=name, args=args, value=value):
                    val(name, value)
                    for a, v in zip(g[name].args, args, strict=True):
                        if isinstance(a, int):
                            see(a, v, vw, 0)
                case Chain(wrt=wrt, product=product):
                    grad(wrt, product)
                case Accumulate(node=name, before=before, after=after):
                    grad(name, before)
                    grad(name, after)
                case AccumulateGrad(param=name, before=before, after=after):
                    grad(name, before)
                    grad(name, after)
                case BackwardStart(node=name, value=value):
                    grad(name, value)
                case Update(param=name, before=before, after=after):
                    val(name, before)
                    val(name, after)
                case ZeroGrad(param=name, before=before):
                    grad(name, before)
                    grad(name, 0.0)

    def structural_widths(self) -> dict[int, tuple[int, int]]:
        """Per node, the widest value and gradient text it can show, known without running
        a step: an input's own numbers (written, fed from the data, predicted at), a param's
        start value when nothing updates it, ``WIDE`` for any other number."""
        program = self.trace.program
        g = self.trace.graph
        req = g.requires_grad
        out: dict[int, tuple[int, int]] = {}
        arrays = program.arrays
        for n in g.nodes:
            if n.is_leaf and n.op == "input":
                written = {**program.inputs, **(program.predict or {})}
                if arrays:  # a matrix's text is known only once NumPy has it
                    value = WIDE
                else:
                    texts = [fmt(float(written[n.name]))] if n.name in written else []
                    texts += [fmt(float(v)) for v in (program.data or {}).get(n.name, ())]
                    value = max((len(t) for t in texts), default=WIDE)
            elif n.is_leaf and not program.training and n.name in program.params and not arrays:
                value = len(fmt(float(program.params[n.name])))
            else:
                value = WIDE
            out[n.id] = (value, WIDE if req[n.id] else 1)
        return out

    def run_node_widths(self) -> dict[int, tuple[int, int]] | None:
        """Per node, the widest value and gradient text of the whole run: scanned for a run
        of one step once it is computed (None before), ``structural_widths`` for a longer one."""
        if self._run_nodes is not None:
            return self._run_nodes
        if self.trace.plan.n_steps > SCAN_STEPS:
            self._run_nodes = self.structural_widths()
            return self._run_nodes
        if not self.trace.has_timeline:
            return None
        t = self.trace.timeline
        # Predictions come first and last, outside every step.
        seqs: list[int] = []
        i = 0
        while i < len(t) and t.locate(i) is None:
            seqs.append(i)
            i += 1
        j = len(t) - 1
        while j >= i and t.locate(j) is None:
            seqs.append(j)
            j -= 1
        per: dict[int, tuple[int, int]] | None = None
        for seq in seqs:
            per = self._node_widths(t.state_at(seq), (), per)
        self._run_nodes = self._node_widths(self.trace.start_state(), range(t.n_steps), per)
        return self._run_nodes

    def layer_widths(
        self, per_node: dict[int, tuple[int, int]], spacing: lay.Spacing, least: int = MIN_BOX
    ) -> tuple[int, ...]:
        """Box width of each layer, borders included, so that every title and number fits whole.

        Args:
            per_node: each node's widest value and gradient text.
            spacing: the padding inside the boxes.
            least: the narrowest box (less the padding given up).

        Returns:
            One width per layer.
        """
        pad = spacing.pad_left + spacing.pad_right
        out = []
        for items in self._frame.ranking.layers:
            w = least - 2 + pad
            for it in items:
                if isinstance(it, lay.Dummy):
                    continue
                vw, gw = per_node[it]
                # The title keeps a blank each side and, padded, one ─ before the corner;
                # the gradient row is ∂, a blank, the number.
                w = max(w, self._title_len[it] + 4 + spacing.pad_right, vw + 2 + pad, gw + 4 + pad)
            out.append(w)
        return tuple(out)

    def needed_width(self) -> int:
        """Columns the graph needs at the least: the tightest spacing, numbers in
        ``CAP_MIN`` cells (the screen gives the graph the whole width when its side of the
        screen is narrower)."""
        per = {i: (min(v, CAP_MIN), min(gr, CAP_MIN)) for i, (v, gr) in self.structural_widths().items()}
        return lay.total_width(self._frame, self.layer_widths(per, TIGHTEST), TIGHTEST)

    def fit_for(
        self, state: State, step: int | None, view_w: int, view_h: int = 0, rows_at_most: int = 0
    ) -> _Fit:
        """The spacing, box widths and number cap to draw with: the roomiest spacing in
        which the graph fits the panel's width with numbers as long as ``NUM_MAX``, else
        numbers in fewer cells, down to ``CAP_MIN``; then, with room to spare, a larger
        picture (``grow``).

        Args:
            state: the state to show (before a one-step run is computed, its boxes are
                sized for it).
            step: the step of ``state`` (unused: the sizes hold for the whole run).
            view_w: the panel's width (0 before the first layout).
            view_h: the panel's height, when the graph may grow into it (0: it may not).
            rows_at_most: the most rows the panel can show (0: no limit), the height a
                graph folded in two rows of layers must fit (``_fold_in``).

        Returns:
            The spacing, one box width per layer, the number cap.
        """
        run = self.run_node_widths()
        key = (view_w, view_h, rows_at_most, run is not None)
        if run is not None:
            got = self._fit_cache.get(key)
            if got is not None:
                self._boxes(got[0].entries)
                return got
        per = run if run is not None else self._node_widths(state, ())
        self._boxes(False)
        choice: _Fit = (lay.ROOMY, self.layer_widths(self._capped(per, NUM_MAX), lay.ROOMY), NUM_MAX)
        if view_w > 0:  # before the first layout nothing is known: roomy until the resize
            choice = self._fit_boxes(per, view_w, view_h, rows_at_most)
        if run is not None:
            self._fit_cache[key] = choice
            if len(self._fit_cache) > 64:
                self._fit_cache.popitem(last=False)
        return choice

    @staticmethod
    def _capped(per: dict[int, tuple[int, int]], cap: int) -> dict[int, tuple[int, int]]:
        return {i: (min(v, cap), min(gr, cap)) for i, (v, gr) in per.items()}

    def _fit_in(
        self, per: dict[int, tuple[int, int]], view_w: int, view_h: int, rows_at_most: int = 0
    ) -> _Fit:
        """Numbers in as many cells as fit (``NUM_MAX`` down to ``CAP_MIN``), each at the
        roomiest spacing that fits; else the tightest, and the panel scrolls."""
        longest = min(max((max(w) for w in per.values()), default=1), NUM_MAX)
        for cap in range(longest, min(CAP_MIN, longest) - 1, -1):
            sized = self._capped(per, cap)
            for spacing in lay.SPACINGS:
                widths = self.layer_widths(sized, spacing)
                if lay.total_width(self._frame, widths, spacing) <= view_w:
                    grown = self.grow(spacing, widths, cap, view_w, view_h)
                    if spacing == lay.ROOMY:
                        return self._label_room(grown, sized, cap, view_w, view_h)
                    return grown
        folded = self._fold_in(per, longest, view_w, rows_at_most)
        if folded is not None:
            return folded
        cap = min(CAP_MIN, longest)
        return (TIGHTEST, self.layer_widths(self._capped(per, cap), TIGHTEST), cap)

    def _fold_in(self, per: dict[int, tuple[int, int]], longest: int, view_w: int, rows: int) -> _Fit | None:
        """A graph too wide for the panel at every spacing in two rows of layers, the second
        below the first (``Spacing.fold``): the most cells for the numbers, then the roomiest
        spacing, then the narrowest split that fits the panel, in at most ``rows`` rows
        (0: any). None when no split fits: the graph scrolls, as it did."""
        n = len(self._frame.ranking.layers)
        for cap in range(longest, min(CAP_MIN, longest) - 1, -1):
            sized = self._capped(per, cap)
            for spacing in lay.SPACINGS:
                widths = self.layer_widths(sized, spacing)
                frame = self.frame_for(spacing)
                splits = [replace(spacing, fold=k) for k in range(1, n)]
                fits = [s for s in splits if lay.total_width(frame, widths, s) <= view_w]
                if rows > 0:
                    fits = [s for s in fits if lay.place(frame, widths, s).height <= rows]
                if fits:
                    best = min(fits, key=lambda s: (lay.total_width(frame, widths, s), s.fold))
                    return (best, widths, cap)
        return None

    def frame_for(self, spacing: lay.Spacing) -> lay.Frame:
        """The rows for a spacing's box padding and row gap, in boxes of the height being
        fitted (``_frame``'s; arranged once each)."""
        key = (spacing.pad_rows, spacing.row_gap, self._frame.box_height)
        got = self._frames.get(key)
        if got is None:
            got = self._frames[key] = lay.arrange(self._frame.ranking, *key)
        return got

    def _boxes(self, entries: bool) -> None:
        """Fit and draw boxes with a row of entries (``entries``: a tensor lecture's) or
        without: ``_frame`` becomes the arrangement in boxes of that height."""
        height = lay.ENTRIES_BOX_HEIGHT if entries else lay.BOX_HEIGHT
        if self._frame.box_height == height:
            return
        key = (0, lay.ROW_GAP, height)
        got = self._frames.get(key)
        if got is None:
            got = self._frames[key] = lay.arrange(self._frame.ranking, *key)
        self._frame = got

    def _fit_boxes(self, per: dict[int, tuple[int, int]], view_w: int, view_h: int, rows: int) -> _Fit:
        """``_fit_in``, for a tensor lecture in boxes with a row of their value's first
        entries where the graph then fits the ``rows`` the panel has (0: any), as it is
        otherwise laid out (lecture5 at 120x40, lecture7 at 200x60 or zoomed); else, the
        boxes as a scalar lecture's, the graph as it was: never scrolled nor folded tighter
        for them, nor its blank rows given up, which hold the labels on the edges (lecture7
        folded at 120x40: 21 rows of the 22 it has, 25 with them; lecture5 at 80x24: 10 of
        10, 11)."""
        plain = self._fit_in(per, view_w, view_h, rows)
        if not self.trace.program.arrays:
            return plain
        self._boxes(True)
        spacing, widths, cap = self._fit_in(per, view_w, view_h, rows)
        # The same columns and the same rows of layers (blank rows inside and between the
        # boxes grow with the panel's height, so they may differ), in the rows there are.
        ours = (replace(spacing, pad_rows=0, row_gap=0), widths, cap)
        same = ours == (replace(plain[0], pad_rows=0, row_gap=0), *plain[1:])
        if same and (rows <= 0 or lay.place(self.frame_for(spacing), widths, spacing).height <= rows):
            return (replace(spacing, entries=True), widths, cap)
        self._boxes(False)
        return plain

    def grow(self, spacing: lay.Spacing, widths: tuple[int, ...], cap: int, view_w: int, view_h: int) -> _Fit:
        """A larger picture where the roomy spacing leaves room to spare: wider boxes (blank
        columns each side of their text, up to ``PAD_MAX``, with a sixth of the room),
        then wider gaps between the layers (room for the labels on the edges, up to
        ``GAP_MAX``), then the rest of the padding; given the panel's
        height, blank rows inside the boxes and between them while the graph fits in it.
        The graph then fills most of a large panel (a lecture hall's projector)."""
        if spacing != lay.ROOMY:
            return (spacing, widths, cap)
        frame = self._frame
        gaps = len(widths) - 1
        extra = view_w - lay.total_width(frame, widths, spacing)
        # Wider boxes first, with a sixth of the room to spare (a projected number needs
        # room around it as much as the wires do), then the gaps take what is left.
        pad = min(extra // (12 * len(widths)), PAD_MAX) if widths else 0
        if pad > 0:
            widths = tuple(w + 2 * pad for w in widths)
            extra = view_w - lay.total_width(frame, widths, spacing)
        gap = spacing.gap + (min(extra // gaps, GAP_MAX - spacing.gap) if gaps else 0)
        wider = lay.Spacing(gap=gap, turn=spacing.turn + gap - spacing.gap)
        extra = view_w - lay.total_width(frame, widths, wider)
        # The rest of the padding only once the gaps are as wide as they get (the labels
        # on the edges need the room more).
        more = min(extra // (2 * len(widths)), PAD_MAX - pad) if widths and gap == GAP_MAX else 0
        if more > 0:
            widths = tuple(w + 2 * more for w in widths)
            pad += more
        pad_rows, row_gap = self._rows_for(spacing.row_gap, view_h)
        grown = lay.Spacing(
            gap=gap,
            turn=wider.turn,
            pad_left=spacing.pad_left + pad,
            pad_right=spacing.pad_right + pad,
            pad_rows=pad_rows,
            row_gap=row_gap,
        )
        return (grown, widths, cap)

    def _rows_for(self, row_gap: int, view_h: int) -> tuple[int, int]:
        """Blank rows inside the boxes and between them, given the panel's height (0: none
        more): taller boxes first (a blank row above the value, one below the gradient),
        then more rows between them (where the labels of turning wires go)."""
        pad_rows = 0
        if view_h > 0:
            if self._height(1, row_gap) <= view_h * FILL:
                pad_rows = 1
            while row_gap < ROW_GAP_MAX and self._height(pad_rows, row_gap + 1) <= view_h * FILL:
                row_gap += 1
        return pad_rows, row_gap

    def label_gaps(self, per: dict[int, tuple[int, int]]) -> tuple[int, ...]:
        """Per gap between two layers, the columns a chain event's product needs to be
        written on a straight wire there (``= -2.0`` and a blank column each side, beside
        the boxes' own blank column): the wire from a node with a gradient into the next
        layer on the same row. A wire that turns has its label beside its vertical stretch
        and asks for nothing (issue 11: lecture4 at 120x40 had 4 free cells between s and
        loss, and its product ``= -2.0`` only as a mark and a footnote)."""
        frame = self._frame
        ranking = frame.ranking
        req = self.trace.graph.requires_grad
        layer_of = {it: i for i, items in enumerate(ranking.layers) for it in items}
        want = [0] * max(len(ranking.layers) - 1, 0)
        for key, chain in ranking.edges.items():
            src = chain[0]
            if len(chain) < 2 or not isinstance(src, int) or not req[src]:
                continue
            for a, b in itertools.pairwise(chain):
                port = key[1] if b == key[0] else 0
                if lay.exit_row(a, frame.top, frame.pad) != lay.entry_row(b, port, frame.top, frame.pad):
                    continue
                i = layer_of[a]
                want[i] = max(want[i], len("= ") + max(per[src][1], PRODUCT_MIN) + 2)
        return tuple(want)

    def _label_room(
        self, grown: _Fit, per: dict[int, tuple[int, int]], cap: int, view_w: int, view_h: int
    ) -> _Fit:
        """``grown``, or when one of its gaps is too narrow for the product a chain event
        writes on its straight wire (``label_gaps``), the roomy spacing with those gaps
        widened first, in boxes a column narrower than ``MIN_BOX`` where it takes that
        (never narrower: a box sized by its texts would change width when a one-step run's
        numbers arrive), the rest of the room spread over every gap. Unchanged when
        nothing fits so."""
        spacing, widths, _ = grown
        frame = self._frame
        want = self.label_gaps(per)
        gaps = len(want)
        if not gaps or all(lay.gap_width(frame, i, spacing) >= w for i, w in enumerate(want)):
            return grown
        base = lay.ROOMY
        for least in (MIN_BOX, MIN_BOX - 1):
            widths = self.layer_widths(per, base, least)
            extra = tuple(max(w - lay.gap_width(frame, i, base), 0) for i, w in enumerate(want))
            left = view_w - lay.total_width(frame, widths, replace(base, extra=extra))
            if left < 0:
                continue
            more = min(left // gaps, GAP_MAX - base.gap)
            wider = replace(base, gap=base.gap + more, turn=base.turn + more)
            extra = tuple(max(w - lay.gap_width(frame, i, wider), 0) for i, w in enumerate(want))
            pad_rows, row_gap = self._rows_for(base.row_gap, view_h)
            return (replace(wider, extra=extra, pad_rows=pad_rows, row_gap=row_gap), widths, cap)
        return grown

    def _height(self, pad_rows: int, row_gap: int) -> int:
        return self.frame_for(lay.Spacing(pad_rows=pad_rows, row_gap=row_gap)).height
