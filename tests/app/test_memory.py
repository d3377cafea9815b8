"""Issue 9 item 11: a dialog opened and closed leaves nothing behind.

Each dialog opened and closed kept its widgets alive through watchers Textual keeps until
the watched value changes (the footer's ``compact``, the app's ``theme``): 26 dead footer
keys a dialog, ~0.6 MB, and 292 MB -> 482 MB after 300 times ``c`` Esc."""

from __future__ import annotations

import gc

from textual.widget import Widget
from textual.widgets._footer import FooterKey

from stepgrad.app.watchers import forget_closed_watchers


def _dead_widgets(app) -> list[Widget]:  # type: ignore[no-untyped-def]
    gc.collect()
    # The app freezes what start-up made (gc.freeze): those are not dead, and are not counted.
    return [o for o in gc.get_objects() if isinstance(o, Widget) and o._closing]


async def test_dialogs_opened_and_closed_leave_no_widgets_behind(app_of):
    app = app_of("lecture4")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.settle()
        await pilot.pause()
        for key in ("c", "question_mark", "g", "i") * 8:
            await pilot.press(key)
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
        # Opening one more dialog drops what the last one left (32 dialogs were opened).
        await pilot.press("question_mark")
        await pilot.pause()
        dead = _dead_widgets(app)
        keys = [o for o in gc.get_objects() if isinstance(o, FooterKey)]
        # At most the last dialog's and the last footer's own widgets wait for the collector.
        assert len(dead) < 40, sorted({type(o).__name__ for o in dead})
        assert len(keys) <= 2 * len(app.screen.query(FooterKey)) + 30
        await pilot.press("escape")


def test_forget_closed_watchers_keeps_the_open_ones():
    class Node:
        def __init__(self, closing: bool):
            self._closing = closing

    class Watched:
        pass

    w = Watched()
    a, b, c = Node(False), Node(True), Node(False)
    setattr(w, "__watchers", {"theme": [(a, 1), (b, 2), (c, 3)], "compact": [(b, 4)]})
    assert forget_closed_watchers(w) == 2
    assert getattr(w, "__watchers") == {"theme": [(a, 1), (c, 3)], "compact": []}
