"""The footer shows whole keys only."""

from __future__ import annotations

from stepgrad.app.widgets.keys_footer import key_cells, keys_that_fit


def test_footer_keeps_only_whole_keys() -> None:
    keys = [("n", "next"), ("p", "prev"), ("?", "help"), ("t", "timeline")]
    # Compact: "n next p prev ? help t timeline" is 31 cells, the last key's margin falls off.
    assert sum(key_cells(k, d, True) for k, d in keys) == 32
    assert keys_that_fit(keys, 31, compact=True) == 4
    assert keys_that_fit(keys, 30, compact=True) == 3
    # Padded: " n next " is 8 cells.
    assert key_cells("n", "next", False) == 8
    assert keys_that_fit(keys, 8 + 8 + 8 + 12, compact=False) == 4
    assert keys_that_fit(keys, 8 + 8 + 8 + 11, compact=False) == 3


async def test_80_columns_end_on_a_whole_key() -> None:
    from app_helpers import scenario

    from stepgrad.app.app import StepgradApp

    app = StepgradApp(scenario("lecture4"), oracle=lambda program: iter(()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        keys = [k.key_display for k in app.screen.query("FooterKey")]
        # "n next p prev ? help q quit f fwd b bwd space play t timeline r roads c torch"
        # is 77 cells; " u update" would end at 86.
        assert keys == ["n", "p", "?", "q", "f", "b", "space", "t", "r", "c"]
        await pilot.resize_terminal(130, 40)
        await pilot.pause()
        await pilot.pause()
        # Padded from 120 columns: " n next " ... " c torch " is 116 cells, " g go to " ends
        # at 125, " home start " would end at 137.
        keys = [k.key_display for k in app.screen.query("FooterKey")]
        assert keys[-3:] == ["e", "x", "g"] and len(keys) == 14
