"""The expression language: a model's expressions and the formulas checked against it.

Parsed with ``ast`` against an allow-list (never ``eval``); the ops it knows are the
engine registry's. Used by the scenario loader and the symbolic road alike, and imports
neither: ``engine`` < ``language`` < ``scenario`` < the roads.
"""

from __future__ import annotations

from stepgrad.language.expr import ExprError, ModelBuilder, parse_expression, referenced_names
from stepgrad.language.formula import Formula, FormulaError, compile_formula

__all__ = [
    "ExprError",
    "Formula",
    "FormulaError",
    "ModelBuilder",
    "compile_formula",
    "parse_expression",
    "referenced_names",
]
