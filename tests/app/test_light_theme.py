"""A light theme reads: every colour the graph, inspector and timeline draw with has WCAG's
contrast with the background (7:1 text, 4.5:1 muted text and phase colours, 3:1 a border
or a ·); before, textual-light drew them all white on #e0e0e0 (1.3:1)."""

from __future__ import annotations

import pytest
from app_helpers import mirror, scenario
from textual.color import Color

from stepgrad.app.app import make_app
from stepgrad.app.theme import contrast
from stepgrad.app.widgets.palette import Palette

LIGHT = ["textual-light", "solarized-light", "catppuccin-latte", "atom-one-light", "rose-pine-dawn"]

LEAST = {
    **dict.fromkeys(("text", "strong", "title", "formula", "num", "name"), 7.0),
    **dict.fromkeys(("muted", "dim", "origin", "note", "wire", "label", "phase-start"), 4.5),
    **dict.fromkeys(("key", "ok", "error", "warn", "accent", "bad", "selected", "breakpoint"), 4.5),
    **{f"phase-{p}": 4.5 for p in ("forward", "local", "backward", "update", "predict")},
    **dict.fromkeys(("unknown", "border"), 3.0),
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
