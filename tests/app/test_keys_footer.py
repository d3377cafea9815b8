"""The footer shows whole keys only, in the order a student needs them (issue 11)."""

from __future__ import annotations

from app_helpers import scenario

from stepgrad.app.app import StepgradApp
from stepgrad.app.widgets.keys_footer import ORDER, KeysFooter, in_order, key_cells, keys_that_fit


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
        # Padded, " z graph " would end at 135; compact, "z graph" ends at 120: padding
        # would hide a key, so the footer stays compact from 120 columns on too.
        keys = [k.key_display for k in app.screen.query("FooterKey")]
        assert keys[-3:] == ["u", "e", "z"] and len(keys) == 15
        assert app.screen.query_one(KeysFooter).compact


def _footer(app: StepgradApp) -> str:
    return " ".join(f"{k.key_display} {k.description}" for k in app.screen.query("FooterKey"))


async def test_footer_shows_the_graph_keys_where_there_is_room() -> None:
    """Issue 11's keys in the footer (they were only under ?): at 200 columns Tab, z, h j k l,
    d and w with the rest, in the order a student needs them; at 120 as many as fit, Tab
    and z among them; 80 columns as before."""
    app = StepgradApp(scenario("lecture4"), oracle=lambda program: iter(()))
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        assert _footer(app) == (
            "n next p prev ? help q quit f fwd b bwd space play t timeline r roads c torch "
            "tab node x break u update e epoch z graph h j k l pan d digits g go to "
            "w wrong hand formula a NaN i all lines + - speed"
        )
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        await pilot.pause()
        assert _footer(app) == (
            "n next p prev ? help q quit f fwd b bwd space play t timeline r roads c torch "
            "tab node x break u update e epoch z graph"
        )
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.pause()
        assert _footer(app).endswith("space play t timeline r roads c torch")
        # Every shown key acts: the footer's pan key is h, + and - one key each.
        await pilot.resize_terminal(250, 60)
        await pilot.pause()
        await pilot.pause()
        shown = {k.key_display: k.key for k in app.screen.query("FooterKey")}
        assert shown["h j k l"] == "h" and shown["+ -"] == "plus" and shown["tab"] == "tab"
        assert _footer(app).endswith("+ - speed home start end last")
        assert not app.screen.query_one(KeysFooter).compact  # all fit padded: 242 cells


def test_footer_order() -> None:
    """The order: stepping, help, quit, the panels' keys (80 columns end there), then a node by
    the keyboard, the other steps, the graph's keys; keys not in ORDER after them."""
    assert in_order(["zoom", "unknown", "select_node(1)", "next"]) == [3, 2, 0, 1]
    assert ORDER[:3] == ("next", "prev", "help")


async def test_a_tensor_lecture_leaves_out_the_roads_keys() -> None:
    """lecture7 has no three roads: r and w would only say so (a student's walk found r in
    its footer). They are left out, and still answer when pressed; lecture4 keeps r."""
    app = StepgradApp(scenario("lecture7"), oracle=lambda program: iter(()))
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        actions = [k.action for k in app.screen.query("FooterKey")]
        assert "roads" not in actions and "first_wrong" not in actions
        assert "compare" in actions
        await pilot.press("r")
        await pilot.pause()
        assert "no three roads" in app.message
    app = StepgradApp(scenario("lecture4"), oracle=lambda program: iter(()))
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        assert "roads" in [k.action for k in app.screen.query("FooterKey")]


async def test_the_header_names_the_scenario_in_full_where_it_fits() -> None:
    """lecture7's graph sits on top of the panels even at 200 columns, which used to give its
    header the short name ('stepgrad · lecture7', where lecture5 read in full); the full name
    fits there. lecture4 at 80 columns keeps the short one."""
    from stepgrad.app.widgets import StatusBar

    for name, size, shown in (
        ("lecture7", (200, 60), "Lecture 7: wide and deep"),
        ("lecture4", (80, 24), "lecture4"),
    ):
        app = StepgradApp(scenario(name), oracle=lambda program: iter(()))
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            assert app.screen.query_one(StatusBar).plain.startswith(f" stepgrad · {shown} ")
