"""The params panel keeps its layout while stepping (a student's walk, lectures 4 to 7): the
form, the cells' widths and the marks' wording are the run's at a size, never the event's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from app_helpers import mirror, mirror_steps, scenario

from stepgrad.app.app import StepgradApp, make_app
from stepgrad.app.widgets import ParamsPanel


def lines(app: StepgradApp) -> list[str]:
    """The panel's lines as shown."""
    return [line.rstrip() for line in app.screen.query_one(ParamsPanel).plain.splitlines()]


def row(app: StepgradApp, label: str) -> str:
    """The panel's line for ``label`` (``w``, ``w.grad``, ``loss``)."""
    (got,) = [t for t in lines(app) if t.split()[:1] == [label]]
    return got


def cells(app: StepgradApp) -> dict[str, list[int]]:
    """Where each piece of each row starts but the last (the mark, the line's end): the
    columns a person sees line up."""
    out: dict[str, list[int]] = {}
    for line in app.screen.query_one(ParamsPanel)._lines:
        text = "".join(t for t, _ in line)
        if not text.strip():
            continue
        starts, x = [], 0
        for t, _ in line[:-1]:
            x += len(t)
            starts.append(x)
        out[text.split()[0]] = starts
    return out


def close_w(program: Any) -> Iterator[Any]:
    """Torch whose w.grad at step 0 is 3e-8 off stepgrad's: ≈ (within float32's tolerance)."""
    for k, step in enumerate(mirror_steps(program)):
        if k == 0:
            step.grads["w"] = step.grads["w"] + 3e-8
        yield step


async def go(pilot: Any, *keys: str) -> None:
    for k in keys:
        await pilot.press(k)
    await pilot.app.settle()
    await pilot.pause()


async def goto(pilot: Any, seq: int) -> None:
    await go(pilot, "g", *str(seq), "enter")


class TestLecture6:
    async def test_w_keeps_its_row_from_6_to_16_at_120x40(self) -> None:
        """lecture6 at 120x40, #6 and #16 (torch's w.grad 3e-8 off: ≈): the same header, w on
        the same line with the same text, w.grad's mark in the same column; it was two rows a
        param at #6 and one line a param (value · torch  .grad · torch) at #16."""
        app = make_app(scenario("lecture6"), oracle=close_w)
        async with app.run_test(size=(120, 40)) as pilot:
            await goto(pilot, 6)
            at6, cells6 = lines(app), cells(app)
            assert at6[0].strip() == "stepgrad · torch"
            assert row(app, "w").split() == ["w", "1×1", "[0.61001]", "✓", "equal"]
            assert row(app, "w.grad").split() == ["w.grad", "·", "none", "yet"]
            await goto(pilot, 16)
            at16 = lines(app)
            assert at16[0] == at6[0] and at16.index(row(app, "w")) == at6.index(row(app, "w"))
            assert row(app, "w") == at6[1]
            assert row(app, "w.grad").split() == ["w.grad", "[0.38713]", "≈", "3e-08"]
            assert cells(app) == cells6
            assert len(at16) == len(at6)

    async def test_d_changes_digits_not_words(self) -> None:
        """lecture6 at 120x40, #12: w.grad waits for #15 ("at #15") before and after d; the
        header and the columns stay (d made the numbers fit a torch column and the mark
        became a bare …)."""
        app = make_app(scenario("lecture6"), oracle=mirror)
        async with app.run_test(size=(120, 40)) as pilot:
            await goto(pilot, 12)
            before, cells_before = lines(app), cells(app)
            assert row(app, "w.grad").split() == ["w.grad", "·", "at", "#15"]
            await go(pilot, "d")
            assert row(app, "w.grad").split() == ["w.grad", "·", "at", "#15"]
            assert lines(app)[0] == before[0] and cells(app) == cells_before
            assert row(app, "loss").split()[1] == "0.712108"  # the number, to 6 digits

    async def test_w_keeps_its_digits_after_backward_at_80x24(self) -> None:
        """lecture6 at 80x24 (one line a param): w's value reads the same before backward
        (#6) and after (#16), its .grad in the same column (it read [0.61001], then [0.61]
        once the .grad took its room)."""
        app = make_app(scenario("lecture6"), oracle=mirror)
        async with app.run_test(size=(80, 24)) as pilot:
            await goto(pilot, 6)
            w6, cells6 = row(app, "w"), cells(app)
            assert w6.split()[:4] == ["w", "[0.61]", "✓", "none"]
            await goto(pilot, 16)
            assert row(app, "w").split()[:3] == w6.split()[:3]
            assert row(app, "w").split()[3] == "[0.387]"
            assert cells(app) == cells6

    async def test_torch_s_column_at_200x60_holds_numbers(self) -> None:
        """lecture6 at 200x60: torch's column writes torch's numbers as stepgrad's are
        ([0.61001], not "same"); before backward torch's .grad is None (the README says so)."""
        app = make_app(scenario("lecture6"), oracle=mirror)
        async with app.run_test(size=(200, 60)) as pilot:
            await goto(pilot, 6)
            assert lines(app)[0].split() == ["stepgrad", "torch"]
            assert row(app, "w").split() == ["w", "1×1", "[0.61001]", "[0.61001]", "✓", "equal"]
            assert row(app, "w.grad").split() == ["w.grad", "·", "None", "none", "yet"]
            await goto(pilot, 16)
            assert row(app, "w.grad").split() == ["w.grad", "[0.38713]", "[0.38713]", "✓", "equal"]
            assert "same" not in " ".join(lines(app))


async def test_lecture5_columns_stay_when_the_loss_arrives() -> None:
    """lecture5 at 120x40: at #2 the loss is not computed, at #3 it is (25.793493270874023):
    the header, w's line and every column stay where they were."""
    app = make_app(scenario("lecture5"), oracle=mirror)
    async with app.run_test(size=(120, 40)) as pilot:
        await goto(pilot, 2)
        before, cells_before = lines(app), cells(app)
        assert row(app, "loss").split() == ["loss", "·", "at", "#3"]
        await goto(pilot, 3)
        assert lines(app)[:5] == before[:5] and cells(app) == cells_before
        assert row(app, "loss").split() == ["loss", "25.793493270874023", "✓", "equal"]
        assert row(app, "loss").index("✓") == row(app, "w").index("✓")


@pytest.mark.parametrize("name", ["lecture4", "lecture5", "lecture6", "lecture7"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)])
async def test_rows_stay_put_while_stepping(name: str, size: tuple[int, int]) -> None:
    """Every event of the first step, then b, u, e and End: each row the panel lists starts
    its cells in the same columns throughout, and the header never changes."""
    app = make_app(scenario(name), oracle=mirror)
    async with app.run_test(size=size) as pilot:
        await go(pilot)
        head, seen = lines(app)[0], cells(app)
        for keys in [("n",)] * 20 + [("b",), ("u",), ("e",), ("end",)]:
            await go(pilot, *keys)
            assert lines(app)[0] == head, keys
            for label, starts in cells(app).items():
                assert seen.setdefault(label, starts) == starts, (app.position, label)
