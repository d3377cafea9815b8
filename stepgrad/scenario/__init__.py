"""Scenario files: YAML with a safe expression language, compiled to engine programs."""

from __future__ import annotations

from stepgrad.scenario.load import Expect, Scenario, bundled, load, loads, resolve

__all__ = ["Expect", "Scenario", "bundled", "load", "loads", "resolve"]
