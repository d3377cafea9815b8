"""The inspector never writes an array rule as if it were the local gradient's value.

A student's walk (lecture5, chain event #12) read ``local ∂y_hat₁/∂w = xᵀ · upstream =
[[1.0], [2.0], [3.0]]``: "xᵀ · upstream equals x", where xᵀ · upstream is -38.0. The rule
is now written as its own event writes it, with the shapes it works on.
"""

from __future__ import annotations

from app_helpers import scenario

from stepgrad.app.explainer import Explainer, plain
from stepgrad.app.trace import Trace


def _explainer(name: str) -> tuple[Trace, Explainer]:
    s = scenario(name)
    tr = Trace(s.program)
    return tr, Explainer(tr, s.name, s.description)


def test_lecture5_chain_into_w_writes_the_rule_with_shapes() -> None:
    tr, ex = _explainer("lecture5")
    text = plain(ex.event(12, tr.state(12)))
    assert "local    ∂y_hat₁/∂w: xᵀ · upstream, (3, 1)ᵀ · (3, 1) → (1, 1)  ← #7" in text
    assert "xᵀ · upstream = [[1.0]" not in text
    # The product itself: Σ x·upstream = 1×(-2.627…) + 2×(-5.407…) + 3×(-8.187…) = -38.0039.
    assert "= [[-38.00389099121094]]" in text


def test_lecture5_node_view_of_y_hat1_writes_the_rule_with_shapes() -> None:
    tr, ex = _explainer("lecture5")
    node = tr.graph.by_name["y_hat₁"]
    text = plain(ex.node(node, 12, tr.state(12), False))
    assert "local ∂y_hat₁/∂w: xᵀ · upstream, (3, 1)ᵀ · (3, 1) → (1, 1)  ← #7" in text


def test_lecture4_keeps_the_local_gradient_as_a_value() -> None:
    """Scalars: the local gradient is a number, ∂(w·x)/∂w = x = 1.0 (the video's)."""
    tr, ex = _explainer("lecture4")
    text = plain(ex.event(9, tr.state(9)))
    assert "local    ∂y_hat/∂w = x = 1.0  ← #5" in text
