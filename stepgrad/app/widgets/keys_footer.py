"""The footer of keys: Textual's Footer, drawn in the first frame and showing only the keys
that fit whole (every key is listed under ``?``)."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from stepgrad.app.watchers import forget_closed_watchers


def key_cells(key: str, description: str, compact: bool) -> int:
    """Cells one key takes in the footer, after Footer's own styles.

    Compact: the key unpadded, a blank, the description, and a margin of one. Otherwise:
    the key padded by one each side, then the description and a blank.
    """
    if compact:
        return len(key) + 1 + len(description) + 1
    return 1 + len(key) + 1 + len(description) + 1


def keys_that_fit(keys: list[tuple[str, str]], width: int, compact: bool) -> int:
    """How many of ``keys`` (display, description), from the first, fit whole in ``width``."""
    used = 0
    for count, (key, description) in enumerate(keys):
        cells = key_cells(key, description, compact)
        # A compact key's right margin may fall off the edge: nothing is drawn there.
        if used + cells - (1 if compact else 0) > width:
            return count
        used += cells
    return len(keys)


class KeysFooter(Footer):
    """Keys in the order of the app's ``BINDINGS``, as many as fit whole."""

    def __init__(self, *, id: str | None = None, compact: bool = False):
        super().__init__(id=id, compact=compact)
        # Footer waits for a "bindings changed" signal, one frame after the screen's first,
        # to show any key; the app's keys are known now.
        self.set_reactive(Footer._bindings_ready, True)
        self._width = 0

    def compose(self) -> ComposeResult:
        # The keys of the last compose are closed: their bindings to ``compact`` would keep
        # them alive (stepgrad.app.watchers).
        forget_closed_watchers(self)
        self._width = self.app.size.width
        widgets = list(super().compose())
        keys = [(w.key_display, w.description) for w in widgets if isinstance(w, FooterKey)]
        fit = keys_that_fit(keys, self._width, self.compact)
        shown = 0
        for widget in widgets:
            if isinstance(widget, FooterKey):
                shown += 1
                if shown > fit:
                    continue
                # A FooterKey starts compact and is made like its footer after it mounts: a
                # class added and taken away again, each restyling the key (13 keys: about 6 ms
                # of the first frame). Made like the footer now, it mounts with its own style.
                widget.set_reactive(FooterKey.compact, self.compact)
                widget.set_class(self.compact, "-compact", update=False)
            yield widget

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._width:
            self.call_after_refresh(self.recompose)
