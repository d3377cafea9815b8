"""lecture5's prediction after training fills every box it computes (newcomer's round 2,
item 5: at End y_hat showed [7.9883] and y_hat₁ = x @ w showed ·)."""

from __future__ import annotations

from typing import Any

from app_helpers import scenario

from stepgrad.app.app import make_app
from stepgrad.app.widgets import GraphView


def _inner(view: GraphView, node: int) -> str:
    L = view._layout
    assert L is not None
    b = L.boxes[node]
    return view.text_rows()[b.y + 1][b.x : b.x + b.width].strip("│┃║ ")


async def test_prediction_after_training_fills_its_intermediates() -> None:
    app: Any = make_app(scenario("lecture5"), oracle=lambda program: iter(()))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        await pilot.press("end")
        await app.settle()
        g = app.trace.graph
        view = app.screen.query_one(GraphView)
        w = app.trace.prediction_values("after")[g.by_name["w"]]
        assert _inner(view, g.by_name["x"]) == "[4.0]"
        y_hat1 = _inner(view, g.by_name["y_hat₁"])
        assert y_hat1 != "·" and y_hat1.startswith("[")
        # x @ w = 4 × w, by hand from w's trained value.
        assert abs(float(y_hat1[1:-1]) - 4.0 * float(w.reshape(-1)[0])) < 1e-3
        assert _inner(view, g.by_name["y_hat"]) == "[7.9883]"
