"""q ends the process: the torch thread, waiting for the cursor to ask for more steps, is
told to stop. Left waiting, asyncio's shutdown joined it forever: q pressed while torch
was loading blanked the pane and left the process running (2 of 2 tries in tmux). Run in
tmux, as a person runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
@pytest.mark.parametrize("after", [0.8, 6.0])
def test_q_in_a_terminal_ends_the_process(tmp_path: Path, after: float) -> None:
    """q pressed while torch is still loading (0.8 s), or long after (6 s)."""
    done = tmp_path / "done"
    sock = f"stepgrad-test-{os.getpid()}"
    tmux = ["tmux", "-L", sock]
    script = Path(sys.executable).with_name("stepgrad")  # the command a person types
    command = f"{script if script.exists() else sys.executable + ' -m stepgrad'}; echo $? > {done}"
    subprocess.run([*tmux, "new", "-d", "-s", "t", "-x", "120", "-y", "40", command], check=True)
    try:
        time.sleep(after)
        subprocess.run([*tmux, "send-keys", "-t", "t", "q"], check=True)
        end = time.monotonic() + 10.0
        while not done.exists() and time.monotonic() < end:
            time.sleep(0.05)
        assert done.exists(), "stepgrad was still running 10 s after q"
        assert done.read_text().strip() == "0"
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
