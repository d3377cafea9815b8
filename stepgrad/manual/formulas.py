"""A scenario's hand derivations (``manual:``), compiled against the model's names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from stepgrad.engine.graph import Graph
from stepgrad.engine.program import Program
from stepgrad.language.formula import Formula, FormulaError, compile_formula


class ManualSource(Protocol):
    """What the roads read of a scenario: its program and its ``manual:`` formulas by param.

    A loaded ``Scenario`` is one; the roads need nothing else of the file format.
    """

    @property
    def program(self) -> Program:
        """What the engine runs."""
        ...

    @property
    def manual(self) -> Mapping[str, str]:
        """Hand-derived gradient formulas by param, as written."""
        ...


def formula_names(graph: Graph) -> set[str]:
    """The names a hand derivation may use: inputs, params and the model's named nodes."""
    return {n.name for n in graph.nodes if n.named}


def compile_manual(scenario: ManualSource) -> dict[str, Formula | FormulaError]:
    """Each ``manual:`` formula compiled, or the reason it cannot be evaluated.

    The loader has already checked the syntax; names are checked here (inputs, params
    and named model nodes such as ``s`` may be used).
    """
    names = formula_names(scenario.program.graph)
    out: dict[str, Formula | FormulaError] = {}
    for param, text in scenario.manual.items():
        try:
            out[param] = compile_formula(text, names)
        except FormulaError as e:
            out[param] = e
    return out


def manual_problems(scenario: ManualSource) -> list[str]:
    """One line per ``manual:`` formula that cannot be evaluated (e.g. an unknown name).

    ``stepgrad check`` should treat these as bad input (exit 2), like any scenario error.
    """
    compiled = compile_manual(scenario).items()
    return [f"manual '{p}': {f.message}" for p, f in compiled if isinstance(f, FormulaError)]
