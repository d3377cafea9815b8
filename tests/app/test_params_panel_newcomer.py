"""What confused a newcomer in the params panel (lecture4 to lecture7): a blank torch cell
with no reason, and lecture7's six params cut to four at 120x40."""

from __future__ import annotations

import itertools

import pytest
from app_helpers import mirror, scenario

from stepgrad.app import comparison
from stepgrad.app.app import StepgradApp, make_app
from stepgrad.app.screens import CompareScreen
from stepgrad.app.trace import START, Trace
from stepgrad.app.widgets import ParamsPanel
from stepgrad.app.widgets.params import table

LECTURE7 = ["W1", "b1", "W2", "b2", "W3", "b3"]


def words(app: StepgradApp) -> list[list[str]]:
    """The params panel's lines, each split into words."""
    panel = app.screen.query_one(ParamsPanel)
    return ["".join(t for t, _ in line).split() for line in panel._lines]


def listed(lines: list[list[str]]) -> list[str]:
    """The first word of each line: the params (and loss) the panel lists."""
    return [w[0] for w in lines[1:] if w]


async def press(pilot, *keys: str) -> None:  # type: ignore[no-untyped-def]
    for k in keys:
        await pilot.press(k)
    await pilot.app.settle()
    await pilot.pause()


class TestEveryParamAt120x40:
    @pytest.mark.parametrize("keys", [(), ("f",), ("b",), ("u",), ("end",)])
    async def test_lecture7_lists_its_six_params_and_the_loss(self, keys: tuple[str, ...]) -> None:
        """lecture7 at 120x40 (the graph folded over the whole width, the params panel 11
        lines beside the inspector): W1 b1 W2 b2 W3 b3 and the loss, one line a param with
        its value and its .grad, nothing left out ("+ 2 more" before) at any point."""
        app = make_app(scenario("lecture7"), oracle=mirror)
        async with app.run_test(size=(120, 40)) as pilot:
            await press(pilot, *keys)
            lines = words(app)
            assert listed(lines) == [*LECTURE7, "loss"]
            assert lines[0] == ["value", "·", "torch", ".grad", "·", "torch"]

    async def test_lecture7_after_backward_in_numbers(self) -> None:
        """b: step 0's backward pass done. W1 8×6 with norm 1.34837 (the box's ‖1.3484‖),
        its .grad's norm 0.0013, each ✓ (the mirror torch agrees); b3 one entry,
        [0.03816] and its .grad [-0.0763]; the loss 0.6652071475982666 ✓ equal."""
        app = make_app(scenario("lecture7"), oracle=mirror)
        async with app.run_test(size=(120, 40)) as pilot:
            await press(pilot, "b")
            lines = words(app)
            assert lines[1] == ["W1", "8×6", "‖1.34837‖", "✓", "‖0.0013‖", "✓"]
            assert lines[6] == ["b3", "(1,)", "[0.03816]", "✓", "[-0.0763]", "✓"]
            assert lines[7] == ["loss", "0.6652071475982666", "✓", "equal"]

    async def test_at_80x24_what_is_left_out_says_the_key(self) -> None:
        """80x24: room for four params and the loss; the last line counts the two left out
        and names the key that shows them all, c, whose table lists all six."""
        app = make_app(scenario("lecture7"), oracle=mirror)
        async with app.run_test(size=(80, 24)) as pilot:
            await press(pilot, "b")
            lines = words(app)
            assert lines[-1] == ["+", "2", "more", "(c:", "all)"]
            assert len(listed(lines[:-1])) == 5  # four params and the loss, or five params
            await press(pilot, "c")
            assert isinstance(app.screen, CompareScreen)
            from textual.widgets import DataTable

            table_ = app.screen.query_one(DataTable)
            quantities = {str(table_.get_row_at(i)[1]) for i in range(table_.row_count)}
            assert {f"{p} after" for p in LECTURE7} <= quantities


class TestNoBlankCell:
    def test_lecture4_at_the_start(self) -> None:
        """lecture4 before any event, 72 cells: w 1.0 beside torch's 1.0; w.grad · beside
        torch's None (before backward() torch's w.grad is None), "none yet"; the loss not
        computed: … and when (#2, the loss's forward event). At 48 cells, a mark per row
        says the same."""
        tr = Trace(scenario("lecture4").program)
        torch = list(itertools.islice(mirror(tr.program), 1))
        rows = comparison.rows(tr, START, tr.state(START), torch)
        text = ["".join(t for t, _ in line).split() for line in table(rows, "done", 72)]
        assert text == [
            ["stepgrad", "torch"],
            ["w", "1.0", "1.0", "✓", "equal"],
            ["w.grad", "·", "None", "none", "yet"],
            ["loss", "·", "…", "compared", "at", "#2"],
        ]
        text = ["".join(t for t, _ in line).split() for line in table(rows, "done", 48)]
        assert text == [
            ["stepgrad", "·", "torch"],
            ["w", "1.0", "✓", "equal"],
            ["w.grad", "·", "none", "yet"],
            ["loss", "·", "compared", "at", "#2"],
        ]

    def test_lecture4_mid_backward(self) -> None:
        """#7 (∂loss/∂s): w.grad not yet summed; torch's is compared at #9, w's chain event."""
        tr = Trace(scenario("lecture4").program)
        torch = list(itertools.islice(mirror(tr.program), 1))
        rows = comparison.rows(tr, 7, tr.state(7), torch)
        text = ["".join(t for t, _ in line).split() for line in table(rows, "done", 48)]
        assert text[2] == ["w.grad", "·", "compared", "at", "#9"]

    def test_after_training_the_loss_says_there_is_none(self) -> None:
        """ex4-3's last event is a prediction after training (x = 4): no loss is computed,
        its row says so ("- prediction") rather than stand blank."""
        tr = Trace(scenario("ex4-3").program)
        torch = list(mirror(tr.program))
        last = tr.length - 1
        assert tr.step_of(last) is None
        rows = comparison.rows(tr, last, tr.state(last), torch)
        text = ["".join(t for t, _ in line).split() for line in table(rows, "done", 48)]
        assert text[-1] == ["loss", "·", "-", "prediction"]

    @pytest.mark.parametrize("name", ["lecture7", "lecture9"])
    @pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)])
    async def test_every_row_has_a_torch_cell_or_a_mark(self, name: str, size: tuple[int, int]) -> None:
        """At the start, mid-forward, mid-backward, after End and after c and Esc, every
        line of a param or the loss has more than its label and stepgrad's number: torch's
        number, a mark, or the reason there is none (none yet, at #N, …, -)."""
        app = make_app(scenario(name), oracle=mirror)
        async with app.run_test(size=size) as pilot:
            moves = [(), ("n", "n"), ("f", "n", "n", "n"), ("end",), ("c", "escape"), ("home", "c", "escape")]
            for keys in moves:
                await press(pilot, *keys)
                panel = app.screen.query_one(ParamsPanel)
                labels = {r.label for r in panel._rows} | {r.label.removesuffix(".grad") for r in panel._rows}
                for line in panel._lines:
                    text = "".join(t for t, _ in line)
                    ws = text.split()
                    if ws and ws[0] in labels:
                        # label, stepgrad's number (a shape and a norm for a matrix), then more
                        shape = 1 if len(ws) > 1 and ("×" in ws[1] or ws[1].startswith("(")) else 0
                        assert len(ws) > 2 + shape, (keys, text)
