"""Benchmarks of the tensor lectures (issue 12), printed by ``bench_core.py`` as part 4,
or alone:

    python benchmarks/bench_tensors.py [--quick]

a. Time per training step of stepgrad (recording every event) divided by a torch eager
   loop (forward, ``loss.backward()``, ``optimizer.step()``, ``zero_grad()``) on lecture7
   (full batch, 759 x 8) and lecture8 (batches of 32, shuffled); target at most 1.0.
b. A 10,000-step lecture7 run: time to open, peak memory (tracemalloc) after computing
   every step, and seek latency (median and worst) to random events, target < 5 ms median.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import time
import tracemalloc
from typing import Any

from bench_core import _stepgrad_loop, per_step, seek_latencies

from stepgrad.engine import Program, Timeline
from stepgrad.engine.batches import batch_rows
from stepgrad.engine.graph import Const
from stepgrad.scenario import load


def torch_loop(program: Program, steps: int) -> float:
    """Seconds per step of the torch loop a student writes for the same model (best of 3)."""
    import numpy as np
    import torch

    # One thread, as NumPy's elementwise work runs: on 2 shared cores torch's thread pool
    # spends more time waking than computing arrays this small.
    torch.set_num_threads(1)
    g = program.graph
    dt = getattr(torch, program.dtype)
    fixed = {g.by_name[k]: torch.tensor(v, dtype=dt) for k, v in program.inputs.items()}
    data = {g.by_name[k]: torch.tensor(np.asarray(v), dtype=dt) for k, v in (program.data or {}).items()}
    params = [torch.tensor(program.params[g.nodes[p].name], dtype=dt, requires_grad=True) for p in g.params]
    opt = program.optimizer
    lr = program.lr or 0.01
    if opt.name == "adam":
        optimizer: Any = torch.optim.Adam(params, lr=lr, betas=(opt.beta1, opt.beta2), eps=opt.eps)
    else:
        optimizer = torch.optim.SGD(params, lr=lr, momentum=opt.momentum)
    forms = {i: g.nodes[i].rule.torch(torch) for i in g.order}  # type: ignore[misc]
    labels = {i for i in g.order if g.nodes[i].op == "cross_entropy"}
    rows = [torch.as_tensor(batch_rows(program, s)) for s in range(program.n_samples * 2)]

    def run(k: int) -> None:
        for step in range(k):
            env: list[Any] = [None] * len(g.nodes)
            for i, v in fixed.items():
                env[i] = v
            r = rows[step % len(rows)]
            for i, v in data.items():
                env[i] = v[r]
            for p, v in zip(g.params, params, strict=True):
                env[p] = v
            for i in g.order:
                n = g.nodes[i]
                args = [a.value if isinstance(a, Const) else env[a] for a in n.args]
                if i in labels:
                    args[1] = args[1].long()
                env[i] = forms[i](*args)
            optimizer.zero_grad()
            env[g.loss].backward()
            optimizer.step()

    return per_step(run, steps, warm=20)


def stepgrad_loop(program: Program, steps: int) -> float:
    """Seconds per step of stepgrad making every event of every step (best of 3): part 3's
    loop, on the lecture's own batches."""
    return _stepgrad_loop(program, steps)


def bench_vs_torch(steps: int) -> None:
    print(f"  {'scenario':<12}{'events/step':>12}{'stepgrad us/step':>18}{'torch us/step':>15}{'ratio':>8}")
    ratios = []
    for name in ("lecture7", "lecture8"):
        program = load(name).program
        per_step = len(Timeline(program).events_of_step(0))
        ours = stepgrad_loop(program, steps)
        theirs = torch_loop(program, steps)
        ratios.append(ours / theirs)
        print(f"  {name:<12}{per_step:>12}{ours * 1e6:>18.1f}{theirs * 1e6:>15.1f}{ours / theirs:>8.2f}")
    print(f"  worst ratio {max(ratios):.2f} (target <= 1.00)")


def bench_long(steps: int, seeks: int) -> None:
    base = load("lecture7").program
    program = dataclasses.replace(base, epochs=steps // base.n_samples)
    start = time.perf_counter()
    t = Timeline(program)
    t.events_of_step(0)
    opened = time.perf_counter() - start
    tracemalloc.start()
    m = Timeline(program)
    start = time.perf_counter()
    m.ensure(m.n_steps)
    computed = time.perf_counter() - start
    rng = random.Random(0)
    seek_latencies(m, rng, seeks)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # Seek latency again without tracemalloc (it slows what it watches).
    t.ensure(t.n_steps)
    lat = sorted(seek_latencies(t, rng, seeks))
    print(
        f"  lecture7 x {program.n_steps:,} steps ({len(t):,} events): open + first step "
        f"{opened * 1e3:.1f} ms; every step computed in {computed:.1f} s (traced)"
    )
    print(
        f"  peak memory (tracemalloc) {peak / 2**20:.1f} MiB; "
        f"kept by the timeline {t.memory_bytes / 2**20:.2f} MiB"
    )
    print(
        f"  seek at {seeks} random events: median {statistics.median(lat) * 1e3:.2f} ms, "
        f"p99 {lat[int(len(lat) * 0.99) - 1] * 1e3:.2f} ms, worst {lat[-1] * 1e3:.2f} ms "
        "(target < 5 ms median)"
    )


def main(quick: bool = False) -> None:
    print("  a. per training step: stepgrad recording every event vs torch eager")
    bench_vs_torch(50 if quick else 300)
    print("  b. a long lecture7 run")
    bench_long(1_000 if quick else 10_000, 100 if quick else 500)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    main(ap.parse_args().quick)
