"""Colours that read on a light theme (``--theme textual-light``, for a projector).

Textual's ``$text``, ``$text-muted`` and ``$text-disabled`` are "auto" colours, meant to
contrast with whatever lies behind them; but the graph, the inspector and the timeline
draw with styles from component classes (``widgets.palette``), which receive them as
white whatever the background: white on textual-light's #e0e0e0, 1.3:1. And some themes'
phase colours are too pale for a light background (textual-light's warning, local ∂,
1.7:1). On a light theme, then, the text colours become the foreground's shades and each
phase's colour is darkened until it reads. A dark theme is drawn as Textual draws it.
"""

from __future__ import annotations

from textual.color import Color

LIGHT_CONTRAST = {"text": 7.0, "text-muted": 4.5, "text-disabled": 3.0}
"""On a light theme, the least contrast with the background (WCAG's ratios: 7 and 4.5 for
text, 3 for what only needs to be seen, a border or a ·) of the text colours, and 4.5 of
each phase's and mark's colour: textual-light's warning (local ∂) and success (update,
✓ equal) are 1.7 and 2.0 on its light grey, unreadable on a projector."""

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


def _darkened(color: Color, background: Color, least: float) -> Color:
    for _ in range(40):
        if contrast(color, background) >= least:
            break
        color = color.darken(0.03)
    return color


def readable_on_light(variables: dict[str, str]) -> dict[str, str]:
    """A light theme's variables with colours that read on its background.

    Textual's ``$text``, ``$text-muted`` and ``$text-disabled`` are "auto" colours, which
    the graph's, inspector's and timeline's styles (component classes) receive as white
    whatever the background: on a light theme they become the foreground's shades,
    concrete. The phase and mark colours are darkened until they reach 4.5:1.
    """
    background = Color.parse(variables["background"])
    foreground = Color.parse(variables["foreground"])
    out = dict(variables)
    for name, least in LIGHT_CONTRAST.items():
        start = background.blend(foreground, _SHADES[name], alpha=1.0)
        out[name] = _darkened(start, background, least).hex
    for name in ("primary", "secondary", "accent", "warning", "success", "error"):
        out[name] = _darkened(Color.parse(variables[name]), background, 4.5).hex
    return out


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
    out = readable_on_light(out)
    out["light-border"] = out["text-disabled"]
    return out
