"""The help screen: how to read the main screen, and every key."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from stepgrad.app.screens.dialog import Dialog

KEYS: tuple[tuple[str, str], ...] = (
    ("n  →", "next event"),
    ("p  ←", "previous event (exact: the screen is as it was)"),
    ("f", "to the end of this forward pass"),
    ("b", "to the end of this backward pass"),
    ("u", "to the next update"),
    ("e", "to the next epoch"),
    ("g", "go to an event number"),
    ("Home  End", "the start, the last event"),
    ("space", "play / pause;  + and - change the speed"),
    ("Tab  ⇧Tab", "select the next / previous node (drawn in double lines);  Enter inspects it"),
    ("x", "breakpoint on the selected node: play and f/b/e stop at its events"),
    ("a", "jump to the first NaN or infinity"),
    ("c", "every step compared with torch; it follows n p f b u e and fills in"),
    ("t", "show or hide the timeline"),
    ("z", "the graph on the whole screen, and back"),
    ("h j k l", "pan the graph (or ⇧ and an arrow); the next move brings the event back"),
    ("i", "the inspector's every line, when the panel is too small for them"),
    ("d", "numbers exact / 6 / 3 significant digits, in turn (stepgrad --digits N)"),
    ("r  w", "roads: next param (narrow: show them);  w: first wrong hand formula"),
    ("click", "a node to inspect it, an event to jump to it;  Esc returns"),
    ("Esc", "back to the current event; on a small screen, folds the roads away"),
    ("?", "this help"),
    ("q", "quit"),
)
"""Every key and what it does, in the order the help lists them."""

ARRAY_KEYS: tuple[tuple[str, str], ...] = (
    ("]  [", "a matrix: drill into its next / previous element (the inspector writes the sum of "
             "products that forms it, the first few with their numbers)"),
    ("o", "one element by its index (2, 3)"),
    ("m", "the selected node's matrix whole: its value and gradient, every entry"),
)  # fmt: skip
"""The tensor lectures' own keys, listed after ``c`` where the run has matrices."""

ARRAY_READING: tuple[str | tuple[str, str], ...] = (
    "a box says its shape in its bottom border (└── 759×6 ┘) and writes its matrix as its norm ",
    ("‖33.7‖", "bold"),
    " (the square root of the sum of its squared entries), a single entry as [0.04]. "
    "Panels write a matrix as its shape, first entries and norm (‖·‖); m shows it whole. "
    "torch is compared element by element: the largest difference and where (≈ 3e-08 at [2, 3]). "
    "] [ o: one element of the event's matrix, as the sum of products that forms it. "
    "The three roads are for the scalar lectures.",
)
"""What a tensor lecture's screen adds, under ``graph``."""


READING: tuple[tuple[str, str, tuple[str | tuple[str, str], ...]], ...] = (
    ("graph", "bold $text", (
        "one box per node: its name and operation, its value, and ∂ = ∂loss/∂node;\n"
        "in a param's box ∂ is w.grad, as torch keeps it: every pass summed without zero_grad, "
        "0 after it.\n"
        "Values flow left to right (forward), gradients right to left (backward, ◀).\n"
        "The current event's box and wire are drawn heavy, in its phase's colour.\n"
        "float32 runs: the graph prints a number short (1.1184), the panels exactly "
        "(1.118399977684021); the same float32.\n"
        "A box rounds a number to the digits that fit (0.2806 for 0.2806168405841364); "
        "the panels print it whole (d rounds them all: 6 or 3 digits, never a nonzero to 0).\n"
        "An edge carries its local gradient in the local colour, with its formula (2*s = -2.0, or 2*s over "
        "the wire and -2.0 under it) or a mark (① -2.0) explained on the lines under the graph (when they "
        "are full, at the end of the inspector: i), until the backward pass multiplies it in; then the "
        "product arriving, in the backward colour beside the ◀, "
        "after = (1.0 × (-2.0) = -2.0, or = -2.0). A number is never alone on an edge.\n"
        "After zero_grad, the last pass's gradients are cleared to · (dim): no longer current.\n"
        "y_hat₁, y_hat₂ … are the operations inside the line y_hat: of model:, in the order "
        "they are computed. To name one yourself, give it its own line under model:, one "
        "expression per named line (x2: x ** 2, then y_hat: x2 * w2 + …).",
    )),
    ("·", "bold $text-muted", ("not computed yet at this point: never an old number.",)),
    ("inspector", "bold $text", (
        "the current event with its numbers; ← #k is the event that produced a number.",
    )),
    ("notation", "bold $text", (
        ("local ∂s/∂y_hat", "bold"),
        "  a local gradient: one edge's own derivative, from its op's rule "
        "(local ∂loss/∂s = 2*s is the loss node's own, not the total ∂loss/∂s)\n",
        ("∂loss/∂s", "bold"),
        "  a total gradient: this backward pass's, every path summed\n",
        ("∂loss/∂b via c", "bold"),
        "  one path's contribution, where b feeds several ops; ",
        ("+=", "bold"),
        " adds it to the sum so far\n",
        ("w.grad", "bold"),
        "  what torch's .grad holds: without zero_grad, the running sum of every pass so far",
    )),
    ("params", "bold $text", (
        "stepgrad's numbers beside PyTorch's for the same point (torch starts each "
        "training step from stepgrad's params and optimizer state, as check does: a "
        "difference is that step's own arithmetic):\n"
        "✓ equal (the same number), ≈ (within rounding), ",
        ("✗ differs", "bold $error"),
        ".\nnone yet: neither has a .grad (torch's is None); …: comes later (at #N), or torch "
        "is still loading; -: nothing to compare (a prediction). A tensor lecture too tall "
        "for the panel writes one line a param (value · torch  .grad · torch); c lists all.",
    )),
    ("roads", "bold $text", (
        "∂loss/∂w three ways: chain rule, closed form (sympy), torch, a hand formula.\n"
        "w pressed while the hand formula is still being checked is not lost: the status "
        "line says it waits, and it goes there once the check answers (any move cancels it).",
    )),
    ("timeline", "bold $text", (
        "every event, grouped by step and phase; ▶ marks the current one;\n"
        "events still to come show their formula, not yet their numbers.",
    )),
    ("loss", "bold $text", (
        "one bar per step (loss per step), or the mean of a few steps a bar (loss per 2 "
        "steps; ~2: about 2, the last bar has fewer) when the run is longer than the plot; "
        "bars stand from 0, in proportion to "
        "the loss, and beside them the first loss → the latest (0.6652→0.6532); the current "
        "step's bar in its phase's colour; (log scale), short (log): bar heights by the "
        "logarithm of the loss, when the losses span more than 1000×.\n"
        "progress: 0 7.316  1 · is each epoch's last loss "
        "(its last sample's, not a mean), as the lecture's loop prints progress: epoch "
        "l.data[0]; · an epoch still running.",
    )),
)  # fmt: skip
"""How to read the screen: each part's name, its style, and what it shows."""

PHASES: tuple[str | tuple[str, str], ...] = (
    ("forward", "bold $secondary"),
    "  compute each value   ",
    ("local ∂", "bold $warning"),
    "  each op's own derivative\n",
    ("backward", "bold $primary"),
    " chain rule from the loss   ",
    ("update", "bold $success"),
    "  w ← w − lr·∂loss/∂w",
)


ARRAY_ROADS: tuple[str, ...] = (
    "none on a tensor lecture, and no panel for them (r says so): a closed form (sympy) and "
    "a hand derivation are the scalar lectures' roads, a matrix's gradient has no one formula "
    "to derive here. The chain rule is in the inspector (] and [ step through one element's "
    "sum of products, o picks one), torch's .grad in the params panel (c: the whole table).",
)
"""The roads paragraph on a tensor lecture, in place of READING's."""


def _hanging(label: Content, body: Content, indent: int, width: int) -> list[Content]:
    """``label`` then ``body`` wrapped to ``width``, every line after the first indented
    under the body's start (so a wrapped line never runs back under the label)."""
    room = max(width - indent, 10)
    lines = [part for piece in body.split("\n") for part in (piece.wrap(room) or [Content("")])]
    pad = Content(" " * indent)
    first = label.pad_right(indent - label.cell_length)
    return [(first if i == 0 else pad) + line for i, line in enumerate(lines)]


def help_content(width: int = 88, arrays: bool = False) -> Content:
    """The help text, wrapped for ``width`` cells; with ``arrays``, a tensor lecture's too."""
    lines: list[Content] = [Content.styled("How to read the screen", "bold")]
    for name, style, body in READING:
        if arrays and name == "roads":
            body = ARRAY_ROADS
        lines += _hanging(Content.styled(name, style), Content.assemble(*body), 11, width)
        if arrays and name == "graph":
            lines += _hanging(Content.styled("matrices", style), Content.assemble(*ARRAY_READING), 11, width)
    lines.append(Content(""))
    lines += _hanging(Content.styled("Phases", "bold"), Content.assemble(*PHASES), 8, width)
    lines += [Content(""), Content.styled("Keys", "bold")]
    keys = KEYS
    if arrays:
        at = next(i for i, (key, _) in enumerate(KEYS) if key == "c") + 1
        keys = (*KEYS[:at], *ARRAY_KEYS, *KEYS[at:])
    for key, what in keys:
        lines += _hanging(Content.styled(f"  {key}", "bold $accent"), Content(what), 13, width)
    lines += [Content(""), Content.styled("Esc, q or ? closes this help.", "$text-muted")]
    projector = "For a projector: stepgrad --theme textual-light (any of Textual's themes)."
    lines += _hanging(Content(""), Content.styled(projector, "$text-muted"), 0, width)
    return Content("\n").join(lines)


class HelpText(Static):
    """``help_content``, wrapped again whenever its width changes."""

    def __init__(self, content: Content, *, arrays: bool = False, id: str | None = None):
        super().__init__(content, id=id)
        self.arrays = arrays

    def on_resize(self) -> None:
        self.update(help_content(self.size.width, self.arrays))


class HelpScreen(Dialog[None]):
    """A modal with ``help_content``."""

    DEFAULT_CSS = """
    #help-box { width: 92; height: auto; max-height: 100%; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "close", id="help.close"),
    ]

    def __init__(self, arrays: bool = False):
        super().__init__()
        self.arrays = arrays
        """The run has matrices: the help says how they are shown, and their keys."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box", classes="dialog-box") as box:
            box.border_title = "stepgrad · help"
            # The box's width less its border, padding and scroll bar; on_resize corrects it.
            width = min(92, self.app.size.width) - 6
            yield HelpText(help_content(width, self.arrays), arrays=self.arrays, id="help-text")

    def on_mount(self) -> None:
        self.call_after_refresh(self._say_more)

    def _say_more(self) -> None:
        # On a small terminal the keys are below the fold: say how to reach them.
        box = self.query_one("#help-box", VerticalScroll)
        box.border_subtitle = "PgUp PgDn scroll · Esc closes" if box.max_scroll_y > 0 else "Esc closes"

    def on_resize(self) -> None:
        self.call_after_refresh(self._say_more)

    def action_close(self) -> None:
        """Back to the main screen."""
        self.dismiss(None)
