"""The first frame is the whole start screen, not empty panels waiting for their contents."""

from __future__ import annotations

import subprocess
import sys

FIRST_FRAME = """
import sys
from stepgrad.app.app import StepgradApp
from stepgrad.scenario import load

class FirstFrame(StepgradApp):
    def on_mount(self):
        self.call_after_refresh(self.done)
        super().on_mount()

    def done(self):
        print(self.screen.query_one("#graph").text_rows()[1])
        print(self.screen.query_one("#status").render_line(0).text.strip())
        self.exit()

FirstFrame(load(sys.argv[1]), oracle=lambda program: iter(())).run(headless=True, size=(120, 40))
"""


def first_frame(spec: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME, spec], capture_output=True, text=True, check=True, timeout=60
    )
    return out.stdout.splitlines()


def test_lecture4_first_frame_is_the_whole_start() -> None:
    graph_row, status = first_frame("lecture4")
    # x and w are known at the start, as the scenario writes them: 1.0 and 1.0.
    assert graph_row.split("│")[1].strip() == "1.0"
    assert status.endswith("start · 13 events")
