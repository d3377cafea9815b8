"""Events in the lecture's words: the one event-to-text renderer.

Every text an event becomes is made here: ``replay``'s lines, the app's timeline rows
(``fit`` shortens them to the panel) and the equations of the inspector. Each event reads
as an ``Equation`` (``∂loss/∂w = ∂loss/∂y_hat · local ∂y_hat/∂w = (-2.0) × 1.0 = -2.0``) in two
modes: names (what the event computes, for events still to come) and numbers (with the
values substituted). Dispatch is on the event classes. Pure: no Textual, no torch.

The package by concern: ``numbers`` (how a number is written), ``arrays`` (how an array
is: whole when small, else shape, first entries and norm), ``equation`` (an event as an
equation, and its one-line forms), ``array_lines`` (its cases on arrays: an array op's
rule with shapes, products summed back, an optimizer's state), ``describer`` (the same
lines made fast for a whole run, for ``replay``). Everything is named here too.
"""

from __future__ import annotations

from stepgrad.explain.arrays import is_array, shape_text
from stepgrad.explain.describer import Describer, Fill
from stepgrad.explain.equation import (
    Equation,
    arg_texts,
    d,
    describe,
    edge_label,
    edge_of,
    equation,
    fit,
    forward_numbers,
    grad_of,
    local,
    local_numbers,
    outline,
    sum_row,
    text,
    via,
)
from stepgrad.explain.numbers import (
    DIGITS_CHOICES,
    Piece,
    Row,
    Value,
    bare_calls,
    digits,
    finite,
    fmt,
    num,
    operand,
    paren,
    pnum,
    rounded,
    set_digits,
)

__all__ = [
    "DIGITS_CHOICES",
    "Describer",
    "Equation",
    "Fill",
    "Piece",
    "Row",
    "Value",
    "arg_texts",
    "bare_calls",
    "d",
    "describe",
    "digits",
    "edge_label",
    "edge_of",
    "equation",
    "finite",
    "fit",
    "fmt",
    "forward_numbers",
    "grad_of",
    "is_array",
    "local",
    "local_numbers",
    "num",
    "operand",
    "outline",
    "paren",
    "pnum",
    "rounded",
    "set_digits",
    "shape_text",
    "sum_row",
    "text",
    "via",
]
