"""The footer of keys: Textual's Footer, drawn in the first frame and showing, in the order a
student needs them, only the keys that fit whole (every key is listed under ``?``)."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from stepgrad.app.watchers import forget_closed_watchers

ORDER: tuple[str, ...] = (
    # Stepping, help and quit; at 80 columns the footer ends after c: t, r and c open what
    # such a screen folds away.
    "next",
    "prev",
    "help",
    "quit",
    "forward_end",
    "backward_end",
    "play",
    "toggle_timeline",
    "roads",
    "compare",
    # A node by the keyboard, and what to do with it (Enter: the status line says so).
    "select_node(1)",
    "breakpoint",
    "next_update",
    "next_epoch",
    # The graph's own keys, then the rest.
    "zoom",
    "pan(-1, 0)",
    "digits",
    "goto",
    "first_wrong",
    "nonfinite",
    "inspect_all",
    "faster",
    "home",
    "end",
)
"""The footer's keys by their action, first the most needed; the footer is cut at the right
edge. A shown key whose action is not here comes after these, in the order of its bindings."""


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


def in_order(actions: list[str]) -> list[int]:
    """Indexes into ``actions`` in the footer's ``ORDER`` (actions not in it last, as given)."""
    rank = {action: i for i, action in enumerate(ORDER)}
    return sorted(range(len(actions)), key=lambda i: (rank.get(actions[i], len(ORDER)), i))


class KeysFooter(Footer):
    """Keys in the footer's ``ORDER``, as many as fit whole.

    Padded where the terminal is wide enough for that to hide no key; else compact, also
    from 120 columns on (the screen asks for compact below 120, ``compact``)."""

    def __init__(self, *, id: str | None = None, compact: bool = False, hidden: frozenset[str] = frozenset()):
        super().__init__(id=id, compact=compact)
        self.hidden = hidden
        """Actions whose keys are left out (they still work; ``?`` lists them)."""
        # Footer waits for a "bindings changed" signal, one frame after the screen's first,
        # to show any key; the app's keys are known now.
        self.set_reactive(Footer._bindings_ready, True)
        self._width = 0
        self._keys: list[tuple[str, str]] = []

    def validate_compact(self, compact: bool) -> bool:
        """Compact where asked, and where padding would hide a key (the keys last shown)."""
        return compact or self._padding_hides(self._keys, self.app.size.width)

    @staticmethod
    def _padding_hides(keys: list[tuple[str, str]], width: int) -> bool:
        return keys_that_fit(keys, width, False) < keys_that_fit(keys, width, True)

    def compose(self) -> ComposeResult:
        # The keys of the last compose are closed: their bindings to ``compact`` would keep
        # them alive (stepgrad.app.watchers).
        forget_closed_watchers(self)
        self._width = self.app.size.width
        # Keys that would only say "not here" on this run leave their room to keys that act.
        made = [w for w in super().compose() if not (isinstance(w, FooterKey) and w.action in self.hidden)]
        keys_made = [w for w in made if isinstance(w, FooterKey)]
        widgets: list[Widget] = [keys_made[i] for i in in_order([w.action for w in keys_made])]
        widgets += [w for w in made if not isinstance(w, FooterKey)]
        keys = [(w.key_display, w.description) for w in widgets if isinstance(w, FooterKey)]
        self._keys = keys
        compact = self.compact or self._padding_hides(keys, self._width)
        if compact != self.compact:
            self.set_reactive(Footer.compact, compact)
            self.set_class(compact, "-compact", update=self.is_mounted)
        fit = keys_that_fit(keys, self._width, compact)
        shown = 0
        for widget in widgets:
            if isinstance(widget, FooterKey):
                shown += 1
                if shown > fit:
                    continue
                # A FooterKey starts compact and is made like its footer after it mounts: a
                # class added and taken away again, each restyling the key (13 keys: about 6 ms
                # of the first frame). Made like the footer now, it mounts with its own style.
                widget.set_reactive(FooterKey.compact, compact)
                widget.set_class(compact, "-compact", update=False)
            yield widget

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._width:
            self.call_after_refresh(self.recompose)
