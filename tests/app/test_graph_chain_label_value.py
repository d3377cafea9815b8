"""A product arriving on an array edge is labelled with its value, as its box writes it,
never its shape alone (newcomer's round 2, item 7: lecture5's 1×1 gradient -38.0 read
``= (1, 1)``, lecture7's W1 ``= (8, 6)``, b ``= (1,)``)."""

from __future__ import annotations

from app_helpers import scenario

from stepgrad.app.widgets.graph_labels import EdgeLabel, labels_at, shown_forms
from stepgrad.app.widgets.graph_sizing import box_number
from stepgrad.engine.events import Chain
from stepgrad.engine.timeline import Timeline


def chain_forms(name: str) -> dict[str, tuple[str, ...]]:
    t = Timeline(scenario(name).program)
    g = t.graph
    events = list(t.events_of_step(0))

    def r(v: object) -> str:
        return box_number(v, False, 8)

    out = {}
    for ev in events:
        if isinstance(ev, Chain):
            for lab in labels_at(g, events, ev.seq, r):
                if lab.chain:
                    out[ev.wrt] = lab.forms
    return out


def test_lecture5_products_read_as_values() -> None:
    forms = chain_forms("lecture5")
    shortest = {wrt: f[-1] for wrt, f in forms.items()}
    assert shortest["w"] == "[-38.0]"
    assert shortest["b"].startswith("[") and shortest["b"] != "(1,)"
    for f in forms.values():
        texts = [t[0] for t, _ in shown_forms(EdgeLabel((0, 0), f, chain=True), "①")]
        assert "= (1, 1)" not in texts and "= (1,)" not in texts


def test_lecture7_w1_product_is_its_norm() -> None:
    forms = chain_forms("lecture7")
    assert forms["W1"][-1] == "‖0.0013‖"
    assert all(not f[-1].startswith("(") for f in forms.values())
