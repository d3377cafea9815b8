"""Keyword arguments, ``x.T`` and ``@`` in the expression language (issue 12): what the
graph gets (``Node.attrs``), and where an error points (the offset into the text)."""

from __future__ import annotations

import pytest

from stepgrad.engine.graph import Node
from stepgrad.engine.ops import FUNCTIONS, OPERATORS
from stepgrad.language.expr import ALLOWED, ExprError, ModelBuilder, parse_expression


def build(text: str) -> list[Node]:
    leaves = [Node(0, "x", "input"), Node(1, "W", "param"), Node(2, "y", "input")]
    builder = ModelBuilder(leaves, ["loss"], {})
    builder.add("loss", parse_expression(text))
    return builder.nodes[3:]


def error(text: str) -> tuple[str, int]:
    with pytest.raises(ExprError) as info:
        build(text)
    return info.value.message, info.value.offset


def test_keywords_become_sorted_attrs() -> None:
    (mean,) = build("mean(x, axis=-1)")
    assert (mean.op, mean.args, mean.attrs) == ("mean", (0,), (("axis", -1),))
    (mse,) = build('mse(x, y, reduction="sum")')
    assert (mse.op, mse.args, mse.attrs) == ("mse", (0, 2), (("reduction", "sum"),))


def test_matmul_and_transpose() -> None:
    t, m = build("x.T @ W")
    assert (t.op, t.args, t.name) == ("transpose", (0,), "loss₁")
    assert (m.op, m.args, m.name) == ("matmul", (3, 1), "loss")


def test_other_attributes_still_refused() -> None:
    message, offset = error("x.shape")
    assert message.startswith("attribute access ('.shape') is not allowed") and offset == 1


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ("mean(x, axes=0)", "mean() has no keyword 'axes'; did you mean 'axis'? (it takes axis)", 8),
        ("sigmoid(x, axis=0)", "sigmoid() takes no keyword arguments ('axis=')", 11),
        ('mse(x, y, reduction="man")', 'mse(): reduction="man" is not allowed; did you mean "mean"? '
         '(it may be "mean", "sum")', 20),
        ("mean(x, axis=0, axis=1)", "mean(): 'axis=' is given twice", 16),
        ("mse(x)", "mse() takes exactly two arguments", 0),
        ("mean(x, axis=y)", "mean(): axis must be a whole number written out, not 'y' "
         "(it may be 0, 1, 2, 3, -1, -2, -3, -4)", 13),
    ],
)
def test_keyword_errors_point_at_the_keyword(text: str, message: str, offset: int) -> None:
    assert error(text) == (message, offset)


def test_allowed_is_the_registry() -> None:
    assert all(f" {sym}" in ALLOWED for sym in OPERATORS) and "x.T" in ALLOWED
    assert ALLOWED.endswith(", ".join(FUNCTIONS))
