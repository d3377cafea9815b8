"""The app's screens; the modal ones are imported when first opened (start-up time)."""

from __future__ import annotations

__all__ = ["CompareScreen", "GotoScreen", "HelpScreen", "InspectScreen", "MainScreen"]


def __getattr__(name: str) -> object:
    import importlib

    modules = {
        "CompareScreen": "compare",
        "GotoScreen": "goto",
        "HelpScreen": "help",
        "InspectScreen": "inspect",
        "MainScreen": "main",
    }
    if name in modules:
        return getattr(importlib.import_module(f"stepgrad.app.screens.{modules[name]}"), name)
    raise AttributeError(name)
