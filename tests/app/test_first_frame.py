"""The first frame is the whole start screen, drawn before the engine (and NumPy) loads."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from app_helpers import scenario

from stepgrad.app.app import StepgradApp

FIRST_FRAME = """
import sys
from stepgrad.app.app import StepgradApp
from stepgrad.scenario import load

class FirstFrame(StepgradApp):
    def on_mount(self):
        self.call_after_refresh(self.done)  # before StepgradApp.on_mount, which Textual calls next

    def done(self):
        print("numpy" in sys.modules, self.trace.has_timeline)
        rows = self.screen.query_one("#graph").text_rows()
        # x's value row: the first under the title with something in x's box (a large
        # panel's boxes have a blank row above their value).
        print(next(row for row in rows[1:] if row.split("│")[1].strip()))
        print(self.screen.query_one("#status").render_line(0).text.strip())
        print(" ".join(key.key_display for key in self.screen.query("FooterKey")))
        self.exit()

FirstFrame(load(sys.argv[1]), oracle=lambda program: iter(())).run(headless=True, size=(120, 40))
"""


def first_frame(spec: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME, spec], capture_output=True, text=True, check=True, timeout=60
    )
    return out.stdout.splitlines()


def test_lecture4_first_frame_is_the_whole_start_without_numpy() -> None:
    loaded, graph_row, status, keys = first_frame("lecture4")
    assert loaded == "False False"
    # The footer too, in its order (keys_footer.ORDER), as many keys as fit at 120 columns.
    assert keys == "n p ? q f b space t r c tab x u e z"
    # x and w are known at the start, as the scenario writes them: 1.0 and 1.0.
    assert graph_row.split("│")[1].strip() == "1.0"
    assert status.endswith("start · 13 events")


def test_float32_start_loads_the_engine_first() -> None:
    # float32 boxes print through NumPy's float32 text, so the start waits for the engine.
    loaded, *_ = first_frame("lecture4-torch")
    assert loaded == "True True"


class _Frames(StepgradApp):
    """Keeps the first frame's graph, then the graph once the engine has loaded."""

    def on_mount(self) -> None:
        self.call_after_refresh(self._first)  # before StepgradApp.on_mount, which Textual calls next

    def _first(self) -> None:
        self.frames = [(self.trace.has_timeline, self.screen.query_one("#graph").text_rows())]
        self.call_later(self._later)

    async def _later(self) -> None:
        while not self.trace.has_timeline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        self.frames.append((True, self.screen.query_one("#graph").text_rows()))
        self.exit()


def frames(spec: str) -> list[tuple[bool, list[str]]]:
    app = _Frames(scenario(spec), oracle=lambda program: iter(()))
    app.run(headless=True, size=(120, 40))
    return app.frames


def test_lecture4_start_does_not_move_when_the_engine_arrives() -> None:
    (early, first), (_, settled) = frames("lecture4")
    assert not early
    assert first == settled


def test_a_run_of_several_steps_starts_at_its_final_widths() -> None:
    # ex4-3's start knows only 1.0 and 2.0; its 30 steps print 17-digit numbers such as
    # -5.796206079999999. Its boxes are sized without computing a step: every number that
    # changes is given 8 cells (-5.79621), so nothing moves when the rest loads.
    (_early, first), (_, settled) = frames("ex4-3")
    assert first == settled
    # x's box holds 1.0 right-aligned in 10 cells (room for "∂ " and 8), padded a blank
    # each side.
    assert first[1].startswith("│ " + "1.0".rjust(10) + " │")
