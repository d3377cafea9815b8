"""The app draws softplus and log1p nodes, which only the op registry declares."""

from __future__ import annotations

from app_helpers import mirror

from stepgrad.app.app import make_app
from stepgrad.app.widgets import GraphView
from stepgrad.app.widgets.graph_sizing import compact
from stepgrad.scenario import loads

MODEL = """
name: softplus and log1p
params: {w: 0.5, v: -0.3}
inputs: {x: 1.0, y: 0.5}
model:
  a: softplus(x * w)
  b: log1p(a * v)
  loss: (b - y) ** 2
"""


def _shown(view: GraphView) -> str:
    return "\n".join("".join(seg.text for seg in view.render_line(y)) for y in range(view.size.height))


class TestNewOps:
    async def test_a_box_for_each(self) -> None:
        """Stepping to a's forward event shows a's box, labelled softplus, with its value;
        stepping on to b's shows b's box, labelled log1p, with its value."""
        app = make_app(loads(MODEL, "softplus.yaml"), oracle=mirror)
        async with app.run_test(size=(120, 40)) as pilot:
            await app.settle()
            view = app.screen.query_one(GraphView)
            events = app.trace.timeline.events_of_step(0)
            for position, node, label in ((1, "a", "softplus"), (3, "b", "log1p")):
                while app.position < position:  # #0 a₁, #1 a, #2 b₁, #3 b
                    await pilot.press("n")
                await app.settle()
                await pilot.pause()
                ev = events[position]
                assert ev.node == node
                shown = _shown(view)
                assert f"┏ {node} {label} ━" in shown  # the current box, drawn heavy
                # Rounded to the box's cells (0.9740769841801067 in 8: 0.974077).
                assert compact(repr(float(ev.value)), view._cap) in shown
