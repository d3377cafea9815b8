"""The app's widgets, one per module."""

from __future__ import annotations

from stepgrad.app.widgets.graph_view import GraphView
from stepgrad.app.widgets.inspector import Inspector
from stepgrad.app.widgets.loss_spark import LossSpark
from stepgrad.app.widgets.params import ParamsPanel
from stepgrad.app.widgets.roads import RoadsPanel
from stepgrad.app.widgets.status_bar import StatusBar
from stepgrad.app.widgets.timeline_list import TimelineList

__all__ = ["GraphView", "Inspector", "LossSpark", "ParamsPanel", "RoadsPanel", "StatusBar", "TimelineList"]
