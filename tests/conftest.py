"""Shared fixtures: timelines of the bundled scenarios and of small inline models."""

from __future__ import annotations

import pytest

from stepgrad.engine import Timeline
from stepgrad.scenario import load, loads


@pytest.fixture
def timeline_of():
    """Build a Timeline from a bundled scenario name."""

    def make(name: str) -> Timeline:
        return Timeline(load(name).program)

    return make


@pytest.fixture
def model_timeline():
    """Build a Timeline from YAML text."""

    def make(text: str) -> Timeline:
        return Timeline(loads(text, "inline.yaml").program)

    return make
