"""Newcomer's item 14: a timeline row on a chain event keeps its rule (what was multiplied)
at every width where the rule fits, as ``#35 ∂loss/∂h1 = ∂loss/∂h2₁ · W2ᵀ`` did; lecture7's
#30 and #34 and lecture9's #8–#10 lost theirs for the numbers."""

from __future__ import annotations

import pytest

from stepgrad.app.trace import Trace
from stepgrad.scenario import load


@pytest.fixture(scope="module")
def lecture7() -> Trace:
    return Trace(load("lecture7").program)


@pytest.fixture(scope="module")
def lecture9() -> Trace:
    return Trace(load("lecture9").program)


def test_lecture7_chain_rows_keep_their_rule(lecture7: Trace) -> None:
    # The entries go, the shape and norm stay (the norm as the full row writes it).
    assert lecture7.line(30, 90) == "∂loss/∂h2 (759, 4) = ∂loss/∂y_hat₁ · W3ᵀ = (759, 4) ‖·‖ 0.008531"
    assert lecture7.line(35, 90) == "∂loss/∂h1 (759, 6) = ∂loss/∂h2₁ · W2ᵀ = (759, 6) ‖·‖ 0.0009194"
    # A small array written whole: cut after its first entry, never inside a number.
    assert lecture7.line(34, 90) == "∂loss/∂b2 (4,) = ∂loss/∂h2₂ · local ∂h2₂/∂b2 = [-0.005785347428172827, …"


@pytest.mark.parametrize("width", [70, 90, 110])
def test_lecture9_chain_rows_keep_their_rule(lecture9: Trace, width: int) -> None:
    rules = {
        8: "∂loss/∂logits (60, 3) = ∂loss/∂loss · local ∂loss/∂logits = ",
        10: "∂loss/∂b (3,) = ∂loss/∂logits · local ∂logits/∂b = ",
        11: "∂loss/∂W (2, 3) = xᵀ · ∂loss/∂logits₁ = ",
    }
    for seq, rule in rules.items():
        row = lecture9.line(seq, width)
        assert row.startswith(rule) and len(row) <= width, (seq, row)


def test_a_scalar_row_still_keeps_its_numbers() -> None:
    """Scalar lectures: the substituted numbers before the bare result (as before)."""
    tr = Trace(load("lecture4").program)
    full = tr.line(9)
    assert " = " in full
    assert len(tr.line(9, 200)) == len(full)
