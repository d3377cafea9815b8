"""The Textual app: the only package that imports Textual or Rich."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stepgrad.app.app import StepgradApp

__all__ = ["make_app"]


def make_app(*args: Any, **kwargs: Any) -> StepgradApp:
    """Build the app (see ``stepgrad.app.app.make_app``); imports Textual on first use."""
    from stepgrad.app.app import make_app as _make_app

    return _make_app(*args, **kwargs)
