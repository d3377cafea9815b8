"""Watchers of a reactive that outlive their widget.

``watch`` and ``data_bind`` add ``(node, callback)`` to a list on the watched object, and
Textual drops the entry of a closed node only when the watched value next changes. The
theme and a footer's ``compact`` almost never change: each dialog opened and closed left its
widgets reachable from the app (the theme watchers of its text) and from the footer (the
``compact`` bindings of the keys it recomposed), about 0.6 MB a dialog, and made every new
watcher slower to add, as it is compared with all the old ones.
"""

from __future__ import annotations

from typing import Any


def forget_closed_watchers(watched: Any) -> int:
    """Drop the watchers of closed nodes from ``watched``; returns how many were dropped."""
    dropped = 0
    for watchers in getattr(watched, "__watchers", {}).values():
        keep = [(node, cb) for node, cb in watchers if not getattr(node, "_closing", False)]
        dropped += len(watchers) - len(keep)
        watchers[:] = keep
    return dropped
