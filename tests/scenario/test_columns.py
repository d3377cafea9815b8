"""An error inside a model expression points at the offending token, however the YAML
scalar is written: plain, quoted, with escapes, as a block (``|``, ``>``), over several lines.

In every case the unknown name is ``qq``; the expected line and column are those of its
first ``q`` (or of what stands for it) in the YAML text of the case, counted in characters.
"""

from __future__ import annotations

import pytest

from stepgrad.errors import ScenarioError
from stepgrad.scenario import loads

H = "params: {w: 1.0, ŵ: 2.0}\ninputs: {x: 1.0}\nmodel:\n"  # lines 1-3

COLUMNS: list[tuple[str, str, str]] = [
    ("plain", "  loss: x * qq\n", "4:13"),
    ("single-quoted", "  loss: 'x * qq'\n", "4:14"),
    ("double-quoted", '  loss: "x * qq"\n', "4:14"),
    # \t is one character of the value but two in the file; \x71 is the first q.
    ("double-quoted escapes", '  loss: "x\\t* \\x71q"\n', "4:15"),
    ("double-quoted escape after", '  loss: "x\\t* q\\x71"\n', "4:15"),
    ("leading spaces inside quotes", "  loss: '   x * qq'\n", "4:17"),
    ("tabs inside quotes", '  loss: "x\t*\tqq"\n', "4:14"),
    ("literal block", "  loss: |\n    x *\n      qq\n", "6:7"),
    ("folded block", "  loss: >\n    x *\n    qq\n", "6:5"),
    ("block with indicators and a comment", "  loss: |-2  # a comment\n     x * qq\n", "5:10"),
    ("plain over two lines", "  loss: x *\n    qq\n", "5:5"),
    ("double-quoted over two lines", '  loss: "x *\n    qq"\n', "5:5"),
    ("non-ASCII before", "  loss: x * ŵ * qq\n", "4:17"),
]

NO_SUCH_NAME = "; declare it under inputs, params or data, or assign it in model above this line"


@pytest.mark.parametrize(("body", "where"), [c[1:] for c in COLUMNS], ids=[c[0] for c in COLUMNS])
def test_column_of_unknown_name(body: str, where: str) -> None:
    with pytest.raises(ScenarioError) as info:
        loads(H + body, "c.yaml")
    assert str(info.value) == f"c.yaml:{where}: unknown name 'qq'{NO_SUCH_NAME}"


def test_flow_mapping() -> None:
    with pytest.raises(ScenarioError) as info:
        loads("params: {w: 1.0}\ninputs: {x: 1.0}\nmodel: {loss: x * qq}\n", "c.yaml")
    assert str(info.value) == f"c.yaml:3:19: unknown name 'qq'{NO_SUCH_NAME}"


class TestOtherTokens:
    """Not only names: operators, brackets and syntax errors are pointed at too."""

    def error(self, body: str) -> str:
        with pytest.raises(ScenarioError) as info:
            loads(H + body, "c.yaml")
        return str(info.value)

    def test_quoted_string_after_escaped_quote(self) -> None:
        # '' is one quote in the value: the string starts at the first of the two.
        assert (
            self.error("  loss: '''a'' * w * x'\n") == "c.yaml:4:10: strings ('a') are not allowed in a model"
        )

    def test_operator_in_a_block(self) -> None:
        assert self.error("  loss: |\n    x *\n      w // x\n") == (
            "c.yaml:6:9: operator '//' is not supported; use + - * / **"
        )

    def test_bracket_of_a_subscript_in_quotes(self) -> None:
        assert self.error('  loss: "w [0] * x"\n') == "c.yaml:4:12: subscripts like 'w [0]' are not allowed"

    def test_dot_after_closing_parenthesis(self) -> None:
        assert self.error("  loss: (x * w).real\n").startswith("c.yaml:4:16: attribute access ('.real')")

    def test_unclosed_parenthesis_in_a_block(self) -> None:
        assert self.error("  loss: |\n    w * (x\n") == (
            "c.yaml:5:9: this '(' is never closed; add a ')' where the group ends"
        )

    def test_syntax_error_in_a_folded_block(self) -> None:
        assert self.error("  loss: >\n    x *\n    * w\n") == (
            "c.yaml:6:5: '*' follows '*' with nothing between them; write a value between"
        )


def test_multiline_block_expression_is_accepted() -> None:
    """Line breaks in a block scalar are spaces: a long expression may span lines."""
    s = loads(H + "  loss: |\n    x *\n      w * ŵ\n", "c.yaml")
    loss = s.program.graph["loss"]
    assert s.program.graph.expression(loss) == "loss₁ × ŵ"
    assert s.program.graph.expression(s.program.graph["loss₁"]) == "x × w"


def test_intermediate_nodes_know_their_place() -> None:
    """``where`` holds every node's position, unnamed intermediates included, so that a
    NaN in ``loss₂`` can be shown at its ``log``."""
    s = loads(H + "  y_hat: x * w * ŵ\n  loss: (y_hat + log(y_hat - x)) ** 2\n", "c.yaml")
    assert s.where["y_hat"] == (4, 10)
    assert s.where["loss"] == (5, 9)  # the whole expression
    assert s.where["loss₁"] == (5, 22)  # y_hat - x
    assert s.where["loss₂"] == (5, 18)  # log(...)
    assert s.where["loss₃"] == (5, 10)  # y_hat + log(...)
