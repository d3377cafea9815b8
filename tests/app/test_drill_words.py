"""Newcomer's items 9 and 10: one element drilled into, in the lecture's notation and in
the digits the student chose.

Item 9: the local factor of a chain product is called local and indexes each side in its
own shape (at the loss ∂loss/∂logits[0, 0] was written as ∂loss/∂loss × ∂loss/∂logits[0, 0],
itself; lecture5's (1,)-shaped b was indexed b[r, 0]); cross_entropy's local gradient is
named ∂loss/∂logits (was "local loss") and expanded for its one element.
Item 10: in exact mode the products are written exactly (were cut to 4 digits), and the
sum's line says what it sums (it ended in a bare "the sum of").
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from app_helpers import scenario

from stepgrad.app.drill import Driller, section
from stepgrad.app.explainer import plain
from stepgrad.app.trace import Trace
from stepgrad.explain import set_digits


@pytest.fixture(scope="module")
def lecture9() -> Trace:
    return Trace(scenario("lecture9").program)


@pytest.fixture
def exact() -> Iterator[None]:
    set_digits(None)
    yield
    set_digits(None)


def drilled(tr: Trace, seq: int, at: tuple[int, ...] | None) -> str:
    drill = Driller(tr).at(seq, tr.state(seq), at)
    assert drill is not None
    return plain(section(drill))


def test_the_loss_chain_multiplies_by_the_local_gradient(lecture9: Trace, exact: None) -> None:
    """#8, the chain at the loss: upstream ∂loss/∂loss = 1 times the local entry."""
    text = drilled(lecture9, 8, (0, 0))
    assert "∂loss/∂logits[0, 0] = ∂loss/∂loss × local ∂loss/∂logits[0, 0]\n" in text


def test_a_bias_is_indexed_in_its_own_shape(exact: None) -> None:
    """lecture5 #11: b is (1,), so its element is b[0]; the rows r are y_hat's."""
    tr = Trace(scenario("lecture5").program)
    text = drilled(tr, 11, None)
    assert "∂loss/∂b[0] = Σᵣ ∂loss/∂y_hat[r, 0] × local ∂y_hat[r, 0]/∂b[0]   (3 terms)" in text
    assert "/∂b[r" not in text


def test_cross_entropy_local_is_expanded_for_its_element(lecture9: Trace, exact: None) -> None:
    """#3 at [0, 1] and [0, 2]: y[0] = 2, so onehot is 0 then 1; the softmax entry is
    e^logits[0, j] / Σⱼ e^logits[0, j] of row 0, and (p − onehot) / 60 is the event's number."""
    logits = lecture9.index(0).forward["logits"].value
    row = np.exp(logits[0] - logits[0].max())
    p = row / row.sum()
    local = lecture9.timeline[3].value
    for j, hot in ((1, 0), (2, 1)):
        text = drilled(lecture9, 3, (0, j))
        assert f"one element · local ∂loss/∂logits[0, {j}] of (60, 3)" in text
        assert f"local ∂loss/∂logits[0, {j}] = (softmax(logits)[0, {j}] − onehot(y)[0, {j}]) / 60" in text
        assert f"  = ({float(p[j])!r} − {hot}) / 60\n  = {float(local[0, j])!r}" in text
        assert f"y[0] = 2, so onehot(y)[0, {j}] = {hot}" in text
        assert (p[j] - hot) / 60 == pytest.approx(float(local[0, j]), rel=1e-12)
    assert "local loss" not in text


def test_exact_mode_writes_the_products_exactly(exact: None) -> None:
    """lecture7 #40, ∂loss/∂W1[0, 0] = Σₖ x[k, 0] × ∂loss/∂h1₁[k, 0]: each factor written
    reads back to the float32 entry it is (was (-0.4986) × 6.436e-06 in exact mode)."""
    tr = Trace(scenario("lecture7").program)
    ev = tr.timeline[40]
    text = drilled(tr, 40, (0, 0))
    x0, up0 = float(ev.local[0, 0]), float(ev.upstream[0, 0])
    assert f"  k=0  ({x0!r}) × {up0!r} = " in text
    assert "= -0.0002245506038889289   the sum of the 759 products below\n" in text
    assert not any(line.endswith("the sum of") for line in text.splitlines())
    set_digits(3)
    assert "  k=0  (-0.499) × 6.44e-06 = -3.21e-06" in drilled(tr, 40, (0, 0))
