"""The app's performance figures (issue 3, "Performance").

1. First full frame, headless, from process start: ``stepgrad`` on lecture4 against a
   bare Textual app with the same kinds of widgets (ratio; target at most 1.3x). A frame
   counts once the graph is drawn, not while panels are still empty, and once the footer
   shows its keys (Textual's Footer adds them a frame after the first; stepgrad's first
   frame has them; the bare app's frame before its keys is reported too). Also reported: when
   the engine is ready (NumPy loaded and step 0 computed, right after the first frame),
   from which a key is served without waiting; and the first frame of ex4-3, a run of
   several steps, which the engine draws (its boxes sized for the whole run).
2. Keypress-to-screen latency, median and p99 (target p99 under 16 ms), measured inside
   the app: the clock starts when the key's action starts and stops in a
   ``call_after_refresh`` callback, i.e. once the new frame has been composed
   (``pilot.press`` waits for idle and is not a timer). Keys are 30 ms apart. At lecture4,
   at a 60-node network, and on a 100,000-step training after End, with torch catching up
   in its thread. Set up as ``stepgrad open`` is (``cli.prepare_start``: 120 frames a
   second at most).

Run: ``python benchmarks/bench_app.py [--runs 15] [--keys 200]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_ENVIRON = dict(os.environ)

BARE = r"""
import sys, time
from textual.app import App
from textual.containers import Container, Horizontal, Vertical
from textual.scroll_view import ScrollView
from textual.widgets import Footer, Static

from textual.binding import Binding

KEYS = [("n,right", "next"), ("p,left", "prev"), ("f", "fwd"), ("b", "bwd"), ("u", "update"),
        ("e", "epoch"), ("space", "play"), ("x", "break"), ("c", "torch"), ("r", "roads"),
        ("t", "timeline"), ("question_mark", "help"), ("q", "quit")]

class Bare(App):
    BINDINGS = [Binding(k, "bell", d) for k, d in KEYS]
    ENABLE_COMMAND_PALETTE = False
    CSS = '''
    #body { layout: horizontal; height: 1fr; }
    #left { width: 1fr; }
    #graph { height: 1fr; border: round $panel; }
    #roads { height: auto; border: round $panel; }
    #side { width: 45%; }
    #inspector { height: 1fr; border: round $panel; }
    #params { height: auto; border: round $panel; }
    #timeline { height: 12; border: round $panel; }
    '''
    def compose(self):
        with Horizontal(id="status"):
            yield Static("stepgrad", id="title")
            yield Static("step 0", id="where")
        with Container(id="body"):
            with Vertical(id="left"):
                yield ScrollView(id="graph")
                yield Static("three roads", id="roads")
            with Container(id="side"):
                yield Static("inspector", id="inspector")
                with Vertical(id="numbers"):
                    yield Static("params", id="params")
                    yield Static("loss", id="loss")
        yield ScrollView(id="timeline")
        yield Footer()
    def on_mount(self):
        self.call_after_refresh(self.done)
    def done(self):
        # Textual's Footer shows its keys a frame after the first: that first frame (printed
        # first), then the full one with the keys, which stepgrad's first frame has.
        print(time.time())
        if not self.query("FooterKey"):
            self.call_after_refresh(self.done)
            return
        self.exit()

Bare().run(headless=True, size=(120, 40))
"""

STEPGRAD = r"""
import sys, time
from stepgrad.cli import prepare_start
prepare_start()  # what `stepgrad open` does first
from stepgrad.scenario import load
from stepgrad.app.app import StepgradApp

class Timed(StepgradApp):
    def on_mount(self):
        # Textual calls this before StepgradApp.on_mount (never call it from here: it would run
        # twice), so the clock is read as soon as the first frame is out, before the callbacks
        # that start the engine, torch and sympy in their threads.
        self.call_after_refresh(self.done)
    def done(self):
        if not self.screen.query_one("#graph").text_rows():
            # Not a full frame yet (panels without their contents): wait for the next one.
            self.call_after_refresh(self.done)
            return
        print(time.time())
        if "--settled" not in sys.argv:
            self.exit()
    def on_worker_state_changed(self, event):
        # With --settled, also the moment the engine has the run (NumPy loaded, step 0
        # computed, the graph redrawn with the run's box widths): a key is served at once.
        if event.worker.group == "engine" and event.state.name == "SUCCESS":
            self.call_after_refresh(self.settled)
    def settled(self):
        print(time.time())
        self.exit()

# torch and sympy stay out of it: their workers start after the first frame anyway.
name = next((a for a in sys.argv[1:] if not a.startswith("--")), "lecture4")
Timed(load(name), oracle=lambda program: iter(()), deriver=lambda graph: None).run(
    headless=True, size=(120, 40))
"""


ENGINE = r"""
import time
from stepgrad.scenario import load
load("lecture4")
print(time.time())
"""

PYTHON = r"""
import time
print(time.time())
"""


def first_frame(code: str, *args: str) -> list[float]:
    """Seconds from spawning a Python process to each time it prints (its first full frame...)."""
    # As installed: modules load from compiled bytecode (the warm-up run writes it). The
    # environment as it was before prepare_start: the bare app runs with Textual's defaults.
    env = {k: v for k, v in _ENVIRON.items() if k != "PYTHONDONTWRITEBYTECODE"}
    t0 = time.time()
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, check=True, env=env
    )
    return [float(line) - t0 for line in out.stdout.split()]


def first_frames(runs: int) -> dict[str, float]:
    """Median seconds to first frame (bare, stepgrad), to the engine loaded, to Python started."""
    codes = {
        "bare": (BARE,),
        "stepgrad": (STEPGRAD,),
        "settled": (STEPGRAD, "--settled"),
        "ex4-3": (STEPGRAD, "ex4-3"),
        "engine": (ENGINE,),
        "python": (PYTHON,),
    }
    times: dict[str, list[float]] = {k: [] for k in codes}
    for code in codes.values():
        first_frame(*code)  # warm the file cache and write bytecode
    times["bare, before its keys"] = []
    for _ in range(runs):
        for k, code in codes.items():
            got = first_frame(*code)
            times[k].append(got[-1])
            if k == "bare":
                times["bare, before its keys"].append(got[0])
    return {k: statistics.median(v) for k, v in times.items()}


GAP = 0.03
"""Seconds between two key presses in the latency runs."""

HUNDRED_K = """
name: "100,000 steps"
description: the lecture's model on 10 samples for 10,000 epochs
dtype: float64
params: {w: 1.0}
data:
  x: [1.0, 2.0, 3.0, 1.5, 2.5, 0.5, 1.0, 2.0, 3.0, 4.0]
  y: [2.0, 4.0, 6.0, 3.0, 5.0, 1.0, 2.0, 4.0, 6.0, 8.0]
model:
  y_hat: x * w
  s: y_hat - y
  loss: s ** 2
train:
  epochs: 10000
  lr: 0.001
"""


async def latencies(scenario: Any, keys: int, *, end: bool = False, oracle: Any = None) -> dict[str, float]:
    """Median and p99 of keypress-to-screen latency for n and p presses."""
    from stepgrad.app.app import make_app

    app = make_app(scenario, oracle=oracle)
    out: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        if end:
            t0 = time.perf_counter()
            await pilot.press("end")
            while app.position != app.trace.length - 1:
                await asyncio.sleep(0.01)
            out["end_s"] = time.perf_counter() - t0
            await pilot.press("p", "p", "p")  # into the last training step
        await app.settle(timeout=30)
        app.latencies.clear()
        for k in range(keys):
            # Forward through a few events, then back: every step renders something new.
            await pilot.press("n" if (k // 10) % 2 == 0 else "p")
            # Keys 30 ms apart (faster than anyone types): Textual paints at most TEXTUAL_FPS
            # frames a second, so a key pressed sooner would also wait for the next frame's turn.
            await asyncio.sleep(GAP)
        await pilot.pause()
        lat = sorted(app.latencies)
    out["n"] = len(lat)
    out["median_ms"] = 1000 * statistics.median(lat)
    out["p99_ms"] = 1000 * lat[min(len(lat) - 1, round(0.99 * (len(lat) - 1)))]
    out["max_ms"] = 1000 * lat[-1]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15, help="process starts per app for the first frame")
    ap.add_argument("--keys", type=int, default=200, help="key presses per latency figure")
    ns = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from stepgrad.cli import prepare_start

    prepare_start()  # as `stepgrad open` does, before Textual is imported (its frame rate)
    from stepgrad.scenario import load, loads

    ff = first_frames(ns.runs)
    bare, ours = ff["bare"], ff["stepgrad"]
    print(f"first full frame, headless, 120x40 (median of {ns.runs} process starts)")
    print(
        f"  bare Textual app, same widgets: {bare * 1000:7.1f} ms   (its footer's keys drawn; the frame"
        f" before them: {ff['bare, before its keys'] * 1000:.1f} ms)"
    )
    print(
        f"  stepgrad lecture4:              {ours * 1000:7.1f} ms   ratio {ours / bare:.2f} (target <= 1.3)"
    )
    print(
        f"  stepgrad lecture4, engine ready:{ff['settled'] * 1000:7.1f} ms   ratio {ff['settled'] / bare:.2f}"
        " (NumPy loaded, step 0 computed, the run's box widths drawn)"
    )
    print(
        f"  stepgrad ex4-3:                 {ff['ex4-3'] * 1000:7.1f} ms   ratio {ff['ex4-3'] / bare:.2f}"
        " (30 steps: the engine draws the first frame, boxes sized for the whole run)"
    )
    print(
        f"  for scale: Python alone {ff['python'] * 1000:.0f} ms; Python + loading lecture4 with the"
        f" engine (numpy, yaml), no Textual, {ff['engine'] * 1000:.0f} ms"
    )

    mlp = load(str(ROOT / "tests" / "app" / "scenarios" / "mlp60.yaml"))
    cases = [
        ("lecture4 (6 nodes)", load("lecture4"), {}),
        (f"60-node network ({len(mlp.program.graph.nodes)} nodes)", mlp, {}),
        ("100,000 steps, after End", loads(HUNDRED_K, "100k.yaml"), {"end": True}),
    ]
    print(f"keypress to screen, n/p, {ns.keys} presses each (target p99 < 16 ms); torch: real oracle")
    for label, sc, kw in cases:
        r = asyncio.run(latencies(sc, ns.keys, **kw))
        extra = f"   End itself {r['end_s']:.2f} s" if "end_s" in r else ""
        print(
            f"  {label:<28} median {r['median_ms']:6.2f} ms   p99 {r['p99_ms']:6.2f} ms"
            f"   max {r['max_ms']:6.2f} ms{extra}"
        )


if __name__ == "__main__":
    main()
