"""Fixtures for the app tests (helpers in app_helpers.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from app_helpers import mirror, scenario

from stepgrad.app.app import StepgradApp, make_app
from stepgrad.oracle import TorchStep


@pytest.fixture
def app_of() -> Callable[..., StepgradApp]:
    """Build an app with the mirror oracle (or another double)."""

    def make(spec: str = "lecture4", oracle: Callable[[Any], Iterator[TorchStep]] = mirror) -> StepgradApp:
        return make_app(scenario(spec), oracle=oracle)

    return make


@pytest.fixture(autouse=True)
def _patient_sympy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give sympy 60 s instead of the app's 2 s: on a loaded machine the 60-node network's
    closed form took longer than 2 s and its snapshot showed 'did not finish' instead."""
    import stepgrad.app.app as app_module
    from stepgrad.app import workers

    def deriver(graph: Any) -> Any:
        with workers._HEAVY_IMPORTS:  # as the app's own deriver: never beside torch's import
            import sympy  # noqa: F401

            from stepgrad.symbolic import derive
        return derive(graph, timeout_s=60.0)

    monkeypatch.setattr(app_module, "default_deriver", deriver)
