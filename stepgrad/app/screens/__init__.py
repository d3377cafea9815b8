"""The app's screens."""

from __future__ import annotations

from stepgrad.app.screens.compare import CompareScreen
from stepgrad.app.screens.goto import GotoScreen
from stepgrad.app.screens.help import HelpScreen
from stepgrad.app.screens.main import MainScreen

__all__ = ["CompareScreen", "GotoScreen", "HelpScreen", "MainScreen"]
