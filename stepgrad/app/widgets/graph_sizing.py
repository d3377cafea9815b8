"""Sizing the graph's boxes: how wide each layer must be for the numbers it will show.

Kept apart from the drawing (``graph_view``): the widest value and gradient text of every
node over the whole run (or, for a long run, the step on screen), and the roomiest spacing
in which the graph then fits its panel, cutting numbers only when nothing else fits.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from stepgrad.app import layout as lay
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
from stepgrad.explain import fmt
from stepgrad.lazy import LazyModule

np: Any = LazyModule("numpy", globals(), "np")  # for float32 text only

MIN_BOX = 11
"""Narrowest box at the roomy spacing, borders included (less the padding given up)."""
TIGHTEST = lay.SPACINGS[-1]
"""The spacing of a graph too wide for its panel at every spacing: it scrolls, and shows
as much as it can around the current node."""


def graph_fmt(v: Any, float32: bool) -> str:
    """A number as a box shows it: the shortest text that reads back in the scenario's dtype.

    For float32 that is NumPy's text of the float32 value (``1.02``, still exact as a
    float32), not the widened float64 (``1.0199999809265137``) that the inspector prints
    the way torch's ``.item()`` does; for float64 it is ``fmt``.
    """
    if v is None or not float32:
        return fmt(v)
    if getattr(v, "ndim", 0) > 0:
        return "[" + ", ".join(graph_fmt(x, float32) for x in v) + "]"
    return str(np.float32(v))


def text_floor(text: str) -> int:
    """The fewest cells ``clip`` may cut ``text`` to: its integer part, the point, one
    digit and ``…``. A number in another form (exponent, nan, inf) is never cut."""
    point = text.find(".")
    if point < 0 or "e" in text:
        return len(text)
    return min(point + 3, len(text))


def clip(text: str, cap: int | None) -> str:
    """``text`` cut to ``cap`` cells, marked ``…`` (``-5.796206079999999`` → ``-5.796…``);
    never into the integer part (see ``text_floor``). The exact number is in the panels."""
    if cap is None or len(text) <= cap:
        return text
    keep = max(cap, text_floor(text))
    return text if keep >= len(text) else text[: keep - 1] + "…"


CAP_MIN = 7
"""The shortest a box's number is cut to (``-5.796…``) so that the graph fits its panel;
where even that does not fit, numbers stay whole and the panel scrolls."""

RUN_WIDTH_STEPS = 256
"""Runs of at most this many steps get one box width per layer for the whole run (the
layout never moves); longer runs size the boxes per step, to open at once."""


_Fit = tuple[lay.Spacing, tuple[int, ...], int | None]
"""A spacing, the box width of each layer, and the length numbers are cut to (None: whole)."""


class GraphSizing:
    """The box-sizing half of ``GraphView`` (a mixin: the view holds the state it reads).

    Attributes read: ``trace``, ``_f32`` (float32 text), ``_predict_inputs``, ``_frame``,
    ``_title_len``; written: ``_floors``, ``_run_nodes`` and the two caches.
    """

    trace: Trace
    _f32: bool
    _predict_inputs: dict[int, float]
    _frame: lay.Frame
    _title_len: dict[int, int]
    _floors: dict[int, list[int]]
    _run_nodes: dict[int, tuple[int, int]] | None
    _nodes_cache: OrderedDict[int, dict[int, tuple[int, int]]]
    _fit_cache: OrderedDict[tuple[int | None, int], _Fit]

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
        floors = self._floors

        def see(i: int, v: Any, widths: dict[int, int], k: int) -> None:
            text = f(v)
            if len(text) > widths[i]:
                widths[i] = len(text)
            fl = text_floor(text)
            if fl > floors[i][k]:
                floors[i][k] = fl

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

    def run_node_widths(self) -> dict[int, tuple[int, int]] | None:
        """Per node, the widest value and gradient text of the whole run, or None for a long run."""
        if self.trace.plan.n_steps > RUN_WIDTH_STEPS:
            return None
        t = self.trace.timeline
        if self._run_nodes is None:
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

    def run_widths(self, spacing: lay.Spacing = lay.ROOMY) -> tuple[int, ...] | None:
        """Box width of each layer for every number of the whole run, or None for a long run."""
        per = self.run_node_widths()
        return None if per is None else self.layer_widths(per, spacing)

    def layer_widths(self, per_node: dict[int, tuple[int, int]], spacing: lay.Spacing) -> tuple[int, ...]:
        """Box width of each layer, borders included, so that every title and number fits whole.

        Args:
            per_node: each node's widest value and gradient text.
            spacing: the padding inside the boxes.

        Returns:
            One width per layer.
        """
        pad = spacing.pad_left + spacing.pad_right
        out = []
        for items in self._frame.ranking.layers:
            w = MIN_BOX - 2 + pad
            for it in items:
                if isinstance(it, lay.Dummy):
                    continue
                vw, gw = per_node[it]
                # The title keeps a blank each side and, padded, one ─ before the corner;
                # the gradient row is ∂, a blank, the number.
                w = max(w, self._title_len[it] + 4 + spacing.pad_right, vw + 2 + pad, gw + 4 + pad)
            out.append(w)
        return tuple(out)

    def fit_for(self, state: State, step: int | None, view_w: int) -> _Fit:
        """The spacing and box widths to draw with: the roomiest spacing in which the graph
        fits the panel's width, every number of the run (or of a long run's step) whole.

        Args:
            state: the state to show (a long run sizes its boxes for it and its step).
            step: the step of ``state``.
            view_w: the panel's width (0 before the first layout).

        Returns:
            The spacing and one box width per layer.
        """
        if not self.trace.has_timeline:
            # The first frame comes before the engine (and NumPy) is loaded: size the boxes
            # for the start's own numbers. The app redraws once the run is computed, and the
            # boxes take the run's widths then (the same, unless the run prints wider numbers).
            per = self._node_widths(state, ())
            run, key, cacheable = None, (step, view_w), False
        else:
            run = self.run_node_widths()
            key = (-1 if run is not None else step, view_w)
            cacheable = run is not None or step is not None
            if cacheable:
                got = self._fit_cache.get(key)
                if got is not None:
                    return got
            per = run if run is not None else self._step_node_widths(state, step)
        choice: _Fit = (lay.ROOMY, self.layer_widths(per, lay.ROOMY), None)
        if view_w > 0:  # before the first layout nothing is known: roomy until the resize
            choice = self._fit_in(per, view_w)
        if cacheable:
            self._fit_cache[key] = choice
            if len(self._fit_cache) > 64:
                self._fit_cache.popitem(last=False)
        return choice

    def _fit_in(self, per: dict[int, tuple[int, int]], view_w: int) -> _Fit:
        """Whole numbers at the roomiest spacing that fits; else numbers cut to the longest
        length that fits (at least CAP_MIN), at the roomiest spacing for it; else whole
        numbers at the tightest spacing, and the panel scrolls."""
        longest = max((max(w) for w in per.values()), default=1)
        floors = self._floors
        for cap in (None, *range(longest - 1, CAP_MIN - 1, -1)):
            if cap is None:
                sized = per
            else:
                sized = {
                    i: (max(min(v, cap), floors[i][0]), max(min(gr, cap), floors[i][1]))
                    for i, (v, gr) in per.items()
                }
            for spacing in lay.SPACINGS:
                widths = self.layer_widths(sized, spacing)
                if lay.total_width(self._frame, widths, spacing) <= view_w:
                    return (spacing, widths, cap)
        return (TIGHTEST, self.layer_widths(per, TIGHTEST), None)

    def _step_node_widths(self, state: State, step: int | None) -> dict[int, tuple[int, int]]:
        if step is not None:
            got = self._nodes_cache.get(step)
            if got is not None:
                return got
        per = self._node_widths(state, () if step is None else (step,))
        if step is not None:
            self._nodes_cache[step] = per
            if len(self._nodes_cache) > 64:
                self._nodes_cache.popitem(last=False)
        return per
