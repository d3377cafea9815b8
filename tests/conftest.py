"""Shared fixtures: timelines of the bundled scenarios and of small inline models."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

from stepgrad.engine import Timeline
from stepgrad.scenario import load, loads

# Parsed scenario files are cached (stepgrad.scenario.treecache): the tests keep theirs in a
# folder of their own, so that they neither read nor fill the home cache, yet take the path
# every second open of a file takes. Set here, before any test module loads a scenario.
_CACHE = tempfile.mkdtemp(prefix="stepgrad-test-cache-")
os.environ["STEPGRAD_CACHE_DIR"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)


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
