"""The three roads panel's view-model: what ``RoadsPanel`` shows at one position.

Made from the trace and the scenario, and from what the workers have delivered so far
(the closed forms from sympy, torch's steps, the hand derivation's first disagreement).
It never waits for them: what is not known yet is shown as such.
"""

from __future__ import annotations

import sys
from typing import Any

from stepgrad.app.trace import START, Trace
from stepgrad.app.widgets.roads import ARRAYS_ABSENT, DERIVING, RoadsView, verdict
from stepgrad.scenario import Scenario


class RoadsModel:
    """Builds the ``RoadsView`` of a position.

    Args:
        trace: the app's trace.
        scenario: the scenario (its hand derivation, ``manual:``).
    """

    def __init__(self, trace: Trace, scenario: Scenario):
        self.trace = trace
        self.scenario = scenario
        self._cache: tuple[tuple[Any, ...], dict[str, Any]] | None = None

    def roads_of(self, step: int, derivation: Any, torch: list[Any]) -> dict[str, Any]:
        """Every param's road at ``step`` (cached while nothing it depends on changes)."""
        grads = torch[step].grads if len(torch) > step else None
        key = (step, id(derivation), grads is not None)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        from stepgrad.manual import roads_at

        t = self.trace.timeline
        roads = roads_at(t, self.scenario, step, torch_grads=grads, derivation=derivation, wait=False)
        out = {r.param: r for r in roads}
        self._cache = (key, out)
        return out

    def view(
        self,
        pos: int,
        focus: Any,
        *,
        derivation: Any,
        torch: list[Any],
        torch_state: str,
        first_wrong: Any,
        checking: bool,
        selected: int | None,
        pick: int | None,
    ) -> RoadsView:
        """What the panel shows at ``pos``.

        Args:
            pos: the position.
            focus: the trace's focus at ``pos`` (the nodes the event is about).
            derivation: the closed forms (``symbolic.Derivation`` or ``TooLarge``); None while deriving.
            torch: torch's steps received so far.
            torch_state: ``loading``, ``running``, ``done`` or an error message.
            first_wrong: where the hand derivation first disagrees, if it does.
            checking: True until the hand derivation's check is done.
            selected: the node clicked last, if any.
            pick: the param chosen with ``r`` (an index into the params), if any.

        Returns:
            The panel's view.
        """
        trace = self.trace
        t = trace.plan
        g = trace.graph
        params = tuple(g.nodes[p].name for p in g.params)
        step = trace.step_of(pos)
        if trace.program.arrays:
            # No closed form or hand derivation of a matrix's gradient: say so, derive nothing.
            shown = self.param_shown(params, None, focus, selected, pick)
            loss = g.nodes[g.loss].name
            return RoadsView(params, loss, shown, step or 0, None, None, absent=ARRAYS_ABSENT)
        if step is None:
            after = pos > t.step_start(0)  # predictions after training: the last step's roads
            step = t.n_steps - 1 if after else 0
            at = trace.phase_end(step).get("backward_end")
            known = after
        else:
            at = trace.phase_end(step).get("backward_end")
            known = pos != START and at is not None and pos >= at
        roads = self.roads_of(step, derivation, torch) if known else None
        end = at
        finals: dict[str, int] = {}
        if not known and at is not None and trace.has_timeline:
            # A param's three roads are final from the event that last adds to its gradient
            # (the chain-rule product into w in the video), as in the params panel; the
            # others' wait for theirs.
            setters = trace.index(step).setters
            finals = {p: setters[p][-1] for p in params if setters.get(p)}
            if pos != START and any(pos >= s for s in finals.values()):
                every = self.roads_of(step, derivation, torch)
                roads = {p: r for p, r in every.items() if p in finals and pos >= finals[p]}
        # The closed forms: from the worker, or from an earlier derivation's cache (never
        # waits). Not imported for the first frame: if it is not loaded, it holds nothing.
        d = derivation
        symbolic = sys.modules.get("stepgrad.symbolic")
        if d is None and symbolic is not None:
            d = symbolic.cached(g)
        forms = getattr(d, "texts", None)  # a Derivation's; TooLarge has none
        note = None if d is None or forms is not None else str(d)
        if roads is not None:
            from stepgrad.manual import DERIVING as NOTE_DERIVING

            notes = [r.note for r in roads.values() if r.note and r.note != NOTE_DERIVING]
            if notes and forms is None:
                note = notes[0]
        if d is None:
            note = DERIVING
        if torch_state not in ("loading", "running", "done"):
            torch_note = f"torch {torch_state}"
        elif len(torch) > step:
            torch_note = ""
        elif torch_state == "loading":
            torch_note = "loading…"
        else:
            torch_note = f"torch {len(torch):,}/{step + 1:,}…"
        shown = self.param_shown(params, roads, focus, selected, pick)
        if roads is None or shown not in roads:
            at = finals.get(shown, at)
        return RoadsView(
            params=params,
            loss=g.nodes[g.loss].name,
            shown=shown,
            step=step,
            forms=forms,
            form_note=note,
            manual=dict(self.scenario.manual),
            roads=roads,
            at=at,
            end=end,
            torch=torch_note,
            first_wrong=first_wrong,
            checking=checking,
            accumulates=t.training and not t.program.zero_grad and t.n_steps > 1,
        )

    def param_shown(
        self,
        params: tuple[str, ...],
        roads: dict[str, Any] | None,
        focus: Any,
        selected: int | None,
        pick: int | None,
    ) -> str:
        """The param the roads panel shows: clicked, picked with r, parting, or the event's."""
        g = self.trace.graph
        if selected is not None and selected in g.params:
            return g.nodes[selected].name
        if pick is not None:
            return params[pick % len(params)]
        if roads is not None:
            for p in params:
                if p in roads and verdict(roads[p])[0] == "✗":
                    return p
        mine = [g.nodes[n].name for n in focus.nodes if n in g.params]
        return mine[0] if len(mine) == 1 else params[0]
