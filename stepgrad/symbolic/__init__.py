"""Closed-form gradients: the loss differentiated by hand, as lecture 3 does, with sympy.

For a scalar model the loss is written out as one formula of the inputs and params
(intermediate nodes substituted), differentiated with respect to every param, and
simplified to the form a lecture writes: for lecture 4's graph ``∂loss/∂w`` reads
``2*x*(w*x - y)``.

The package by concern: ``job`` (``derive``: the sympy worker, its bounds and cache),
``convert`` (a graph to sympy and a derivative back to a numeric tree), ``result``
(``Derivation``, ``TooLarge``). ``agree`` and its verdicts are the one comparator's,
``stepgrad.compare``, re-exported here. Formulas themselves (compiled
from a hand derivation, evaluated with an error bound) belong to the expression
language: ``stepgrad.language.formula``, re-exported here.
"""

from __future__ import annotations

from stepgrad.compare import ERR_ULPS, NOT_COMPARABLE, RTOL, Agreement, agree
from stepgrad.language.formula import MANUAL_FUNCS, Formula, FormulaError, Tree, compile_formula
from stepgrad.symbolic.convert import MAX_SHOWN_OPS, SIMPLIFY_OPS
from stepgrad.symbolic.job import MAX_NODES, MAX_SIZE, TIMEOUT_S, cached, clear_cache, closed_forms, derive
from stepgrad.symbolic.result import TOO_LARGE, Derivation, TooLarge

__all__ = [
    "ERR_ULPS",
    "MANUAL_FUNCS",
    "MAX_NODES",
    "MAX_SHOWN_OPS",
    "MAX_SIZE",
    "NOT_COMPARABLE",
    "RTOL",
    "SIMPLIFY_OPS",
    "TIMEOUT_S",
    "TOO_LARGE",
    "Agreement",
    "Derivation",
    "Formula",
    "FormulaError",
    "TooLarge",
    "Tree",
    "agree",
    "cached",
    "clear_cache",
    "closed_forms",
    "compile_formula",
    "derive",
]
