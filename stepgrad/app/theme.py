"""Colours that read on a light theme (``--theme textual-light``, for a projector).

Textual's ``$text``, ``$text-muted`` and ``$text-disabled`` are "auto" colours, meant to
contrast with whatever lies behind them; but the graph, the inspector and the timeline
draw with styles from component classes (``widgets.palette``), which receive them as
white whatever the background: white on textual-light's #e0e0e0, 1.3:1. And some themes'
phase colours are too pale for a light background (textual-light's warning, local ∂,
1.7:1). On a light theme, then, the text colours become the foreground's shades and each
phase's colour is darkened until it reads, on every surface (the header's and footer's
grey too) and in a 256-colour terminal (tmux) as well as in true colour. A dark theme is
drawn as Textual draws it.
"""

from __future__ import annotations

import functools

from rich.color import ColorSystem
from textual.color import Color

LIGHT_CONTRAST = {"text": 7.0, "text-muted": 5.5, "text-disabled": 4.5}
"""On a light theme, the least contrast of the text colours with every surface text is
drawn on (``SURFACES``): WCAG's 7 for text, and 4.5 for text a little greyed, as
text-disabled is too (the events still to come in the timeline, a stale value, the ·
of a value not computed yet); muted text a step darker than that, so the two differ."""

MARK_CONTRAST = 7.0
"""On a light theme, the least contrast of each phase's and mark's colour, and of the
footer's keys: they colour text a student reads from the back of a hall (an edge's
``2*s = -2.0``, the header's ``local ∂``, a key's letter). textual-light's warning (local
∂) is 1.7:1 on its light grey as Textual gives it."""

SURFACES = ("background", "surface", "panel", "footer-background")
"""The backgrounds text is drawn on: the panels' (background), the header's and the
footer's (panel, #D0D0D0 on textual-light: the header's grey ``· sample`` was 4.08:1 when
only the background's #E0E0E0 was counted)."""

_SHADES = {"text": 1.0, "text-muted": 0.62, "text-disabled": 0.45}
"""How far from the background towards the foreground each text colour starts."""


def contrast(a: Color, b: Color) -> float:
    """WCAG's contrast ratio of two colours (1 to 21)."""

    def luminance(c: Color) -> float:
        def linear(v: int) -> float:
            x = v / 255
            return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

        return 0.2126 * linear(c.r) + 0.7152 * linear(c.g) + 0.0722 * linear(c.b)

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def terminal_colors(color: Color) -> tuple[Color, Color]:
    """``color`` as a true-colour terminal shows it and as a 256-colour one does (tmux's
    default: rich takes the nearest of the palette, which can lose contrast: the footer's
    keys went from 2.94:1 to 2.26:1)."""
    rich = color.rich_color
    eight_bit = rich.downgrade(ColorSystem.EIGHT_BIT).get_truecolor()
    return color, Color(*eight_bit)


def worst_contrast(color: Color, surfaces: list[Color]) -> float:
    """The least contrast of ``color`` with any of ``surfaces``, in true colour and in 256
    colours (each side as such a terminal shows it)."""
    return min(
        contrast(fg, bg)
        for surface in surfaces
        for fg, bg in zip(terminal_colors(color), terminal_colors(surface), strict=True)
    )


def _darkened(color: Color, surfaces: list[Color], least: float) -> Color:
    for _ in range(80):
        if worst_contrast(color, surfaces) >= least:
            break
        color = color.darken(0.02)
    return color


def readable_on_light(variables: dict[str, str]) -> dict[str, str]:
    """A light theme's variables with colours that read on every surface it draws text on.

    Textual's ``$text``, ``$text-muted`` and ``$text-disabled`` are "auto" colours, which
    the graph's, inspector's and timeline's styles (component classes) receive as white
    whatever the background: on a light theme they become the foreground's shades,
    concrete. The phase and mark colours, and the footer's keys, are darkened until they
    reach ``MARK_CONTRAST``. The footer takes the panel's grey (a theme's coloured footer,
    solarized-light's blue, leaves no colour for its keys to read on).
    """
    background = Color.parse(variables["background"])
    foreground = Color.parse(variables["foreground"])
    out = dict(variables)
    out["footer-background"] = variables["panel"]
    surfaces = [Color.parse(out[name]) for name in SURFACES]
    for name, least in LIGHT_CONTRAST.items():
        start = background.blend(foreground, _SHADES[name], alpha=1.0)
        out[name] = _darkened(start, surfaces, least).hex
    for name in ("primary", "secondary", "accent", "warning", "success", "error"):
        out[name] = _darkened(Color.parse(variables[name]), surfaces, MARK_CONTRAST).hex
    out["footer-key-foreground"] = out["accent"]
    out["footer-foreground"] = out["footer-description-foreground"] = out["text"]
    return out


@functools.lru_cache(maxsize=8)
def _readable_on_light(items: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """``readable_on_light`` once per theme (about 10 ms of darkening; Textual asks for the
    variables again at each refresh of the CSS)."""
    return tuple(readable_on_light(dict(items)).items())


def readable(variables: dict[str, str], *, dark: bool) -> dict[str, str]:
    """The app's CSS variables: ``readable_on_light`` on a light theme, and
    ``$light-border`` (stepgrad.tcss: the panels' borders on a light theme) on every one,
    as the style sheet is read whole whatever the theme.

    Args:
        variables: Textual's variables for the theme.
        dark: the theme is dark.
    """
    out = dict(variables)
    out["light-border"] = variables["panel-lighten-2"]
    if dark or "ansi" in variables["background"] + variables["foreground"]:
        return out  # dark: as Textual draws it; ANSI: the terminal's own colours
    out = dict(_readable_on_light(tuple(out.items())))
    out["light-border"] = out["text-disabled"]
    return out
