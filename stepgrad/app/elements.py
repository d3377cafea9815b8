"""A tensor lecture's keys (a mixin of ``StepgradApp``): one element of a matrix drilled
into in the inspector (``]``, ``[``, ``o``), a matrix shown whole (``m``).

The drill itself is ``drill.Driller`` (pure); this part keeps which element is picked and
puts the drill into the inspector's lines at every redraw.
"""

from __future__ import annotations

import math
from typing import Any

from stepgrad.app.host import AppHost
from stepgrad.app.trace import START


class Elements(AppHost):
    """The element and matrix keys of ``StepgradApp`` (the state is the app's)."""

    element_shape: tuple[int, ...] | None = None
    """The shape of the matrix the element was picked in: a matrix of another shape starts
    from its first element again (W1[6, 0], feature 6's weight to unit 0, carried over to
    h1₁[6, 0] read as sample 6: the same index, another meaning)."""

    def _with_drill(self, lines: list[Any], pos: int, state: Any) -> list[Any]:
        """A tensor lecture's inspector: the element picked, drilled into, under the title
        line; before one is picked, a line there saying how."""
        if not self.trace.program.arrays:
            self.drill = None
            return lines
        # Imported by the first tensor lecture's redraw: a scalar run never needs it.
        from stepgrad.app.drill import Driller, hint, section

        if self.driller is None:
            self.driller = Driller(self.trace)
        node = self.selected if self.inspecting else None
        self.drill = drill = self.driller.at(pos, state, self.element, node)
        if drill is None:
            return lines
        if self.element is not None and drill.shape != self.element_shape:
            self.drill = drill = self.driller.at(pos, state, None, node)
            if drill is None:
                return lines
            return [lines[0], hint(drill), *lines[1:]]
        if self.element is None:
            return [lines[0], hint(drill), *lines[1:]]
        return [lines[0], *section(drill), [], *lines[1:]]

    def action_element(self, by: int) -> None:
        """Drill into the next (``by`` 1) or previous element of the event's matrix."""
        drill = self.drill
        if drill is None:
            self._no_matrix("] and [")
            return
        from stepgrad.app.drill import step_index

        picked = self.element is not None and drill.shape == self.element_shape
        self.element = step_index(drill.at, drill.shape, by) if picked else drill.at
        self.element_shape = drill.shape
        # A one-element matrix has nowhere to go: say so, where a silent key read as broken.
        alone = picked and math.prod(drill.shape) == 1
        self.message = f"] and [: {drill.what} {drill.shape} has one element, shown" if alone else ""
        self.redraw()

    def action_pick_element(self) -> None:
        """Ask for an element's index (``2, 3``) and drill into it."""
        drill = self.drill
        if drill is None:
            self._no_matrix("o")
            return
        self.take_over()
        from stepgrad.app.screens.element import ElementScreen

        def done(at: tuple[int, ...] | None) -> None:
            if at is not None:
                self.element, self.element_shape = at, drill.shape
                self.redraw()

        self._forget_message()
        self.push_screen(ElementScreen(drill.what, drill.shape), done)

    def _no_matrix(self, keys: str) -> None:
        if not self.trace.program.arrays:
            self.message = f"{keys}: for the tensor lectures' matrices; this scenario's numbers are scalars"
        else:
            self.message = f"{keys}: no matrix at this event; step to one, or Tab to a node and Enter"
        self.redraw()

    def action_matrix(self) -> None:
        """Show the selected node's (or the current event's) value and gradient whole."""
        self.take_over()
        node = self.current_node()
        g = self.trace.graph
        if node is None and g.params:
            node = g.params[0]
        state = self.trace.state(self.position)
        from stepgrad.app.matrix import matrix_lines

        width = min(100, self.size.width) - 8  # the box's inside, less its scroll bar
        got = None if node is None else matrix_lines(self.trace, node, self.position, state, width)
        if got is None:
            scalars = not self.trace.program.arrays
            what = "this scenario's numbers are scalars" if scalars else "no matrix here"
            self.message = f"m: {what}; Tab to a node with a matrix, then m"
            self.redraw()
            return
        from stepgrad.app.screens.inspect import InspectScreen

        title, lines = got
        self._forget_message()
        phase = "start" if self.position == START else state.phase
        self.push_screen(InspectScreen(lines, phase, title, wrap=False))
