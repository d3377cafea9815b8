"""Benchmarks of the core (issue 2), printed in one run.

    python benchmarks/bench_core.py [--quick]

1. Events per second of ``replay`` over a long training (text and JSON lines, to a null sink),
   and one training step of ``replay --format jsonl`` as a whole process (long run minus short
   run) beside a torch eager loop that prints each step's gradient.
2. A 100,000-step timeline: time to open, time to checkpoint every step, seek latency
   (median and worst) at random positions, and peak memory against one object per event.
3. Time per training step of stepgrad (recording every event) divided by torch eager
   autograd on the same scenario, for every bundled scalar scenario (lower is better).
4. The tensor lectures (``bench_tensors.py``): per-step time against torch on lecture7 and
   lecture8, and a 10,000-step lecture7 run's memory and seek latency.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stepgrad.engine import Program, Timeline
from stepgrad.replay import replay
from stepgrad.scenario import bundled, load, loads

LONG = """
name: bench
params: {w: 1.0}
data: {x: [1.0, 2.0, 3.0, 4.0], y: [2.0, 4.0, 6.0, 8.0]}
model:
  y_hat: x * w
  s: y_hat - y
  loss: s ** 2
train: {epochs: 25000, lr: 0.001}
"""


class _Null(io.TextIOBase):
    def write(self, s: str) -> int:
        return len(s)


def bench_replay(epochs: int, repeat: int = 3) -> None:
    """Events per second of replay to a null sink, best of ``repeat`` (the machine is shared)."""
    base = load("ex4-3")
    program = dataclasses.replace(base.program, epochs=epochs)
    scenario = dataclasses.replace(base, program=program)
    n = len(Timeline(program))
    best = {}
    for _ in range(repeat):
        for fmt in ("none", "numbers", "text", "jsonl"):
            t = Timeline(program)
            start = time.perf_counter()
            if fmt == "none":
                for _ev in t.iter_events():
                    pass
            elif fmt == "numbers":  # what replay writes its lines from: no events made
                for step in range(t.n_steps):
                    t.step_numbers(step)
            else:
                replay(scenario, t, _Null(), fmt=fmt)
            best[fmt] = min(best.get(fmt, float("inf")), time.perf_counter() - start)
    for fmt in ("text", "jsonl"):
        print(
            f"  replay --format {fmt:<5}  {n:>9,} events in {best[fmt]:6.2f} s = "
            f"{n / best[fmt]:>10,.0f} events/s (target >= 250,000)"
        )
    none = best["none"]
    print(f"  events only (no output) {n:>9,} events in {none:6.2f} s = {n / none:>10,.0f} events/s")
    nums = best["numbers"]
    print(
        f"  numbers only (no events, no output: what replay writes from) {nums:6.2f} s = "
        f"{n / nums:>10,.0f} events/s"
    )


# The lecture's loop (ex4-3's model and data) in torch eager mode, printing each step's
# gradient as the slides' loop does: what `replay --format jsonl` is measured against.
TORCH_LOOP = """
import sys, torch
torch.set_num_threads(1)
x_data, y_data = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0]
w = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
for step in range(int(sys.argv[1])):
    x = torch.tensor(x_data[step % 3], dtype=torch.float64)
    y = torch.tensor(y_data[step % 3], dtype=torch.float64)
    loss = (x * w - y) ** 2
    loss.backward()
    print("grad:", step, w.grad.item())
    with torch.no_grad():
        w -= 0.01 * w.grad
    w.grad.zero_()
"""


def _process_seconds(cmd: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
        best = min(best, time.perf_counter() - start)
    return best


def bench_process(short: int, long: int, repeat: int = 3) -> None:
    """One training step of the whole process, measured from outside: (long run - short run)
    / extra steps, so that start-up (Python, NumPy, torch) cancels out."""
    text = bundled()["ex4-3"].read_text()
    with tempfile.TemporaryDirectory() as tmp:
        runs = {}
        for steps in (short, long):
            f = Path(tmp) / f"ex4-3-{steps}.yaml"
            f.write_text(text.replace("epochs: 10", f"epochs: {steps // 3}"))
            runs[steps] = f
        replay_cmd = [sys.executable, "-m", "stepgrad", "replay", "--format", "jsonl"]
        ours = [_process_seconds([*replay_cmd, str(runs[k])], repeat) for k in (short, long)]
        theirs = [_process_seconds([sys.executable, "-c", TORCH_LOOP, str(k)], repeat) for k in (short, long)]
    per_ours = (ours[1] - ours[0]) / (long - short)
    per_theirs = (theirs[1] - theirs[0]) / (long - short)
    print(
        f"  per training step, whole process ({short:,} vs {long:,} steps, best of {repeat}): "
        f"replay --format jsonl {per_ours * 1e6:.1f} us, torch eager loop printing w.grad "
        f"{per_theirs * 1e6:.1f} us, ratio {per_ours / per_theirs:.2f} (target <= 1.00)"
    )


def bench_seek(seeks: int) -> None:
    program = loads(LONG, "bench.yaml").program
    start = time.perf_counter()
    t = Timeline(program)
    opened = time.perf_counter() - start
    start = time.perf_counter()
    t.ensure(t.n_steps)
    checkpointed = time.perf_counter() - start
    rng = random.Random(0)
    lat = []
    for _ in range(seeks):
        i = rng.randrange(len(t))
        s = time.perf_counter()
        t.state_at(i)
        lat.append(time.perf_counter() - s)
    back = []
    i = len(t) - 1
    for _ in range(seeks):  # stepping backwards one event at a time from the end
        s = time.perf_counter()
        t.state_at(i)
        back.append(time.perf_counter() - s)
        i -= 1
    # Memory in a second run: tracemalloc slows everything it watches.
    tracemalloc.start()
    m = Timeline(program)
    m.ensure(m.n_steps)
    for _ in range(seeks):
        m.state_at(rng.randrange(len(m)))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del m
    fresh = Timeline(program)
    s = time.perf_counter()
    fresh.state_at(len(fresh) - 1)
    cold_end = time.perf_counter() - s

    sample_events = list(t.events_of_step(0))
    per_event = statistics.mean(_deep_size(e) for e in sample_events)
    print(f"  timeline of {t.n_steps:,} steps, {len(t):,} events")
    print(
        f"  open: {opened * 1e3:.2f} ms   checkpoint every step: {checkpointed:.2f} s "
        f"({checkpointed / t.n_steps * 1e6:.1f} us/step)   first jump to the end, cold: {cold_end:.2f} s"
    )
    lat.sort()
    back.sort()
    print(
        f"  seek at {seeks} random positions: median {statistics.median(lat) * 1e3:.3f} ms, "
        f"worst {lat[-1] * 1e3:.3f} ms (target < 5 ms)"
    )
    print(
        f"  step back one event x{seeks}: median {statistics.median(back) * 1e3:.3f} ms, "
        f"worst {back[-1] * 1e3:.3f} ms"
    )
    print(
        f"  peak memory (tracemalloc): {peak / 2**20:.1f} MiB; one object per event would be "
        f"about {per_event * len(t) / 2**20:,.0f} MiB ({per_event:.0f} bytes x {len(t):,})"
    )


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def bench_long(steps: int) -> None:
    """Time to reach the last step of a ``steps``-step run (the End key), and the memory the
    timeline keeps for it: its arrays, and the growth of the process's resident size."""
    epochs = steps // 4
    program = loads(LONG.replace("epochs: 25000", f"epochs: {epochs}"), "long.yaml").program
    rss0 = _rss()
    t = Timeline(program)
    start = time.perf_counter()
    t.state_at(len(t) - 1)  # the End key: every step computed
    elapsed = time.perf_counter() - start
    rss = _rss() - rss0
    kept = getattr(t, "memory_bytes", None) or sum(a.nbytes for a in (t._loss, t._ck_values, t._ck_grads))
    rng = random.Random(1)
    lat = []
    for _ in range(200):
        i = rng.randrange(len(t))
        s = time.perf_counter()
        t.state_at(i)
        lat.append(time.perf_counter() - s)
    print(
        f"  {t.n_steps:>11,} steps: End in {elapsed:6.2f} s ({elapsed / t.n_steps * 1e6:.1f} us/step); "
        f"arrays {kept / 2**20:6.1f} MiB = {kept / t.n_steps:4.1f} B/step, resident +{rss / 2**20:6.1f} MiB "
        f"= {rss / t.n_steps:5.1f} B/step; seek median {statistics.median(lat) * 1e3:.3f} ms, "
        f"worst {max(lat) * 1e3:.3f} ms"
    )


def _deep_size(ev: Any) -> int:
    size = sys.getsizeof(ev)
    for f in dataclasses.fields(ev):
        v = getattr(ev, f.name)
        if not isinstance(v, (str, int)) and v is not None:
            size += sys.getsizeof(v)
    return size


def _torch_loop(program: Program, steps: int) -> float:
    """Seconds per step of a plain torch eager training loop on the same model."""
    import torch

    from stepgrad.oracle import _forward

    g = program.graph
    dt = torch.float32 if program.dtype == "float32" else torch.float64
    fixed = {g.by_name[k]: torch.tensor(v, dtype=dt) for k, v in program.inputs.items()}
    samples = {
        g.by_name[k]: [torch.tensor(x, dtype=dt) for x in xs] for k, xs in (program.data or {}).items()
    }
    params = {
        p: torch.tensor(program.params[g.nodes[p].name], dtype=dt, requires_grad=True) for p in g.params
    }
    lr = program.lr
    assert lr is not None
    n = program.n_samples

    def run(k: int) -> None:
        for step in range(k):
            env: list[Any] = [None] * len(g.nodes)
            for i, v in fixed.items():
                env[i] = v
            for i, vs in samples.items():
                env[i] = vs[step % n]
            for i, v in params.items():
                env[i] = v
            _forward(torch, g, env, retain=False)
            env[g.loss].backward()
            for w in params.values():
                w.data = w.data - lr * w.grad.data
                w.grad.data.zero_()

    return per_step(run, steps, warm=50)


def per_step(run: Callable[[int], None], steps: int, *, warm: int) -> float:
    """Seconds per step of ``run(steps)``, best of 3, after ``run(warm)`` warms it up."""
    run(warm)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        run(steps)
        best = min(best, (time.perf_counter() - start) / steps)
    return best


def seek_latencies(t: Timeline, rng: random.Random, seeks: int) -> list[float]:
    """Seconds to reach the state at each of ``seeks`` random events of ``t``."""
    lat = []
    for _ in range(seeks):
        i = rng.randrange(len(t))
        s = time.perf_counter()
        t.state_at(i)
        lat.append(time.perf_counter() - s)
    return lat


def as_training(program: Program, steps: int) -> Program:
    """The scenario as a training of about ``steps`` steps (a single pass becomes SGD on its one sample)."""
    lr = program.lr if program.lr is not None else 0.01
    return dataclasses.replace(program, epochs=max(1, steps // program.n_samples), lr=lr)


def _stepgrad_loop(program: Program, steps: int) -> float:
    prog = as_training(program, steps)
    best = float("inf")
    for _ in range(3):
        t = Timeline(prog)
        start = time.perf_counter()
        for _ev in t.iter_events():
            pass
        best = min(best, (time.perf_counter() - start) / prog.n_steps)
    return best


def bench_vs_torch(steps: int) -> None:
    print(f"  {'scenario':<16}{'events/step':>12}{'stepgrad us/step':>18}{'torch us/step':>15}{'ratio':>8}")
    ratios = []
    for name in bundled():
        program = load(name).program
        if program.arrays:  # the tensor lectures: part 4
            continue
        t = Timeline(program)
        per_step = len(t.events_of_step(min(1, t.n_steps - 1)))
        ours = _stepgrad_loop(program, steps)
        theirs = _torch_loop(as_training(program, steps), steps)
        ratios.append(ours / theirs)
        print(f"  {name:<16}{per_step:>12}{ours * 1e6:>18.1f}{theirs * 1e6:>15.1f}{ours / theirs:>8.2f}")
    print(f"  worst ratio {max(ratios):.2f} (target <= 1.00: no slower than torch eager)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller runs, for a smoke test")
    ap.add_argument("--long", action="store_true", help="also a 10,000,000-step run (about a minute)")
    ns = ap.parse_args()
    print(f"stepgrad core benchmark  (python {sys.version.split()[0]}, {os.cpu_count()} cores)")
    print("\n1. replay throughput (ex4-3 loop, long training)")
    print(f"  load average {', '.join(f'{x:.2f}' for x in os.getloadavg())} (other work slows every figure)")
    bench_replay(200 if ns.quick else 2000)
    bench_process(300, 3_000 if ns.quick else 30_000)
    print("\n2. random access on a 100,000-step timeline")
    bench_seek(200 if ns.quick else 2000)
    print("\n2b. long runs: time to the last step (End), memory kept per step")
    for steps in (100_000,) if ns.quick else (1_000_000, *((10_000_000,) if ns.long else ())):
        bench_long(steps)
    print("\n3. per training step: stepgrad recording every event vs torch eager autograd")
    bench_vs_torch(300 if ns.quick else 3000)
    print("\n4. the tensor lectures (lecture7 full batch, lecture8 in batches of 32)")
    import bench_tensors

    bench_tensors.main(ns.quick)


if __name__ == "__main__":
    main()
