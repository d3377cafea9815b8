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
