"""A light theme reads: every colour the graph, inspector and timeline draw with has WCAG's
contrast with the background (7:1 text, 4.5:1 muted text and phase colours, 3:1 a border
or a ·); before, textual-light drew them all white on #e0e0e0 (1.3:1)."""

from __future__ import annotations

import pytest
from app_helpers import mirror, scenario
from textual.color import Color

from stepgrad.app.app import make_app
from stepgrad.app.theme import contrast, terminal_colors
from stepgrad.app.widgets.palette import Palette

LIGHT = ["textual-light", "solarized-light", "catppuccin-latte", "atom-one-light", "rose-pine-dawn"]

LEAST = {
    **dict.fromkeys(("text", "strong", "title", "formula", "num", "name"), 7.0),
    **dict.fromkeys(("muted", "dim", "origin", "note", "wire", "label", "phase-start"), 5.5),
    # A phase's colour writes an edge's label (2*s = -2.0) and the header's phase: text.
    **dict.fromkeys(("key", "ok", "error", "warn", "accent", "bad", "selected", "breakpoint"), 7.0),
    **{f"phase-{p}": 7.0 for p in ("forward", "local", "backward", "update", "predict")},
    # The events still to come, a stale value, a value's ·: greyed text, still read.
    **dict.fromkeys(("unknown", "border"), 4.5),
}


def test_contrast_by_hand() -> None:
    """Black on white 21:1; white on textual-light's #e0e0e0: (1.05) / (0.7454 + 0.05) = 1.32."""
    assert contrast(Color(0, 0, 0), Color(255, 255, 255)) == pytest.approx(21.0)
    assert contrast(Color(255, 255, 255), Color(224, 224, 224)) == pytest.approx(1.32, abs=0.01)


@pytest.mark.parametrize("theme", LIGHT)
async def test_every_role_reads_on_a_light_theme(theme: str) -> None:
    app = make_app(scenario("lecture4"), oracle=mirror, theme=theme)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        background = app.screen.styles.background
        palette = app.screen.query_one(Palette)
        low = {}
        for role, least in LEAST.items():
            color = palette.style(role).color
            assert color is not None, role
            got = contrast(Color.from_rich_color(color), background)
            if got < least:
                low[role] = round(got, 2)
        assert low == {}


async def test_a_dark_theme_is_drawn_as_before() -> None:
    """tokyo-night: the text roles stay Textual's own (white), the phases the theme's."""
    app = make_app(scenario("lecture4"), oracle=mirror)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        palette = app.screen.query_one(Palette)
        assert Color.from_rich_color(palette.style("text").color).hex == "#FFFFFF"
        assert app.theme_variables["warning"] == app.current_theme.to_color_system().generate()["warning"]


def _worst(fg: Color, bg: Color) -> float:
    """The contrast in true colour and in a 256-colour terminal (tmux), the worse."""
    return min(contrast(f, b) for f, b in zip(terminal_colors(fg), terminal_colors(bg), strict=True))


def _low_text(app) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Every piece of text on the screen (a letter, a digit, ·, ①) whose colour has less
    than 4.5:1 with what is behind it, in true colour or 256 colours: text -> ratio."""
    low: dict[str, float] = {}
    for strip in app.screen._compositor.render_strips():
        for seg in strip:
            if not any(ch.isalnum() or ch in "·①②③" for ch in seg.text):
                continue  # a border, a wire, a scrollbar: not text
            style = seg.style
            if style is None or style.color is None or style.bgcolor is None:
                continue
            fg, bg = Color.from_rich_color(style.color), Color.from_rich_color(style.bgcolor)
            if style.reverse:
                fg, bg = bg, fg
            got = _worst(fg, bg)
            if got < 4.5:
                low[seg.text.strip()] = round(got, 2)
    return low


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("theme", ["textual-light", "solarized-light"])
async def test_every_text_on_the_screen_reads(theme: str, size: tuple[int, int]) -> None:
    """Issue 11, measured on the drawn screen: textual-light's footer keys were 2.94:1 on
    the footer's #D0D0D0 (2.26:1 in tmux's 256 colours), the header's grey · sample 4.08:1,
    an edge's 2*s 4.82:1. lecture4 at its first local gradient (#4) with its labels on
    the edges; ex4-5 with its legend of marks under the graph."""
    for spec, keys in (("lecture4", "nnnnn"), ("ex4-5", "n" * 24)):
        app = make_app(scenario(spec), oracle=mirror, theme=theme)
        async with app.run_test(size=size) as pilot:
            for key in keys:
                await pilot.press(key)
            await app.settle()
            await pilot.pause()
            assert _low_text(app) == {}, spec


async def test_footer_keys_and_edge_labels_read_as_text() -> None:
    """textual-light: the footer's keys and the phase colours (an edge's label) reach 7:1
    on the header's and footer's grey too, in true colour and in 256 colours."""
    app = make_app(scenario("lecture4"), oracle=mirror, theme="textual-light")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        v = app.theme_variables
        panel = Color.parse(v["panel"])
        assert v["footer-background"] == v["panel"]
        for name in ("footer-key-foreground", "warning", "primary", "secondary", "success", "accent"):
            assert _worst(Color.parse(v[name]), panel) >= 7.0, name
        assert _worst(Color.parse(v["text-muted"]), panel) >= 5.5
