"""`stepgrad check`: exit codes 0 / 1 / 2, the text table and --json, as a user runs them."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from stepgrad.check import run_check
from stepgrad.oracle import torch_available

needs_torch = pytest.mark.skipif(not torch_available(), reason="torch is not installed")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stepgrad", *args],
        capture_output=True, text=True, timeout=120, cwd=cwd,
    )


@needs_torch
def test_green_text_table():
    r = run("check", "ex4-3")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    header = next(line for line in lines if "stepgrad vs torch" in line)
    assert header == "stepgrad vs torch, step 0 (epoch 0, sample 0)"
    assert lines[lines.index(header) + 1].split() == [
        "seq", "event", "node", "stepgrad", "torch", "diff", "verdict",
    ]
    row = next(line for line in lines if "w.grad" in line)
    assert row.split() == ["#11", "backward_end", "w.grad", "-2.0", "-2.0", "0", "equal"]
    # Long runs: only the first step's table, then one summary line.
    assert r.stdout.count("stepgrad vs torch") == 1
    assert (
        "30 steps, 90 values, 120 grads, 30 updates and 2 predictions compared with torch "
        "(242 numbers): all equal bit for bit" in lines
    )
    assert lines[-1] == "ok: stepgrad and torch agree"
    assert r.stderr == ""


@needs_torch
def test_json_parses_and_is_green():
    r = run("check", "lecture4-torch", "--json")
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert len(r.stdout.strip().splitlines()) == 1
    assert obj["ok"] is True and obj["dtype"] == "float32" and obj["steps"] == 30
    assert obj["first_disagreement"] is None
    grads = [row for row in obj["tables"][0]["rows"] if row["node"] == "w.grad"]
    assert grads[0]["stepgrad"] == grads[0]["torch"] == -2.0
    after = next(p for p in obj["predictions"] if p["note"] == "after")
    assert after["stepgrad"] == after["torch"] == 7.804864406585693


@needs_torch
def test_failed_expectation_exits_1(tmp_path):
    f = tmp_path / "wrong.yaml"
    f.write_text(
        "params: {w: 1.0}\ninputs: {x: 1.0, y: 2.0}\n"
        "model:\n  y_hat: x * w\n  loss: (y_hat - y) ** 2\nexpect:\n  grad: {w: -3.0}\n"
    )
    r = run("check", str(f))
    assert r.returncode == 1
    assert r.stdout.splitlines()[-1] == (
        "FAILED: expectation failed: grad w: stepgrad -2.0, expected -3.0 (diff 1)"
    )
    # --json in process (another subprocess would only re-import torch).
    out = io.StringIO()
    assert run_check(str(f), as_json=True, out=out) == 1
    obj = json.loads(out.getvalue())
    assert obj["ok"] is False and obj["exit"] == 1
    assert obj["failure"].startswith("expectation failed: grad w")
    assert obj["expect"][0]["verdict"] == "differs"


def test_bad_scenario_exits_2_with_one_line(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("params: {w: 1.0}\nmodel:\n  loss: w * yhat\n")
    r = run("check", str(f))
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1
    assert r.stderr.startswith(f"{f}:3:13: unknown name 'yhat'")


def test_missing_file_exits_2():
    r = run("check", "no-such-scenario.yaml")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "no such file" in r.stderr
    assert "Traceback" not in r.stderr


def test_nonfinite_run_exits_2_naming_the_event(tmp_path):
    f = tmp_path / "nan.yaml"
    f.write_text("params: {w: 1.0}\nmodel:\n  a: log(w - 2)\n  loss: a * w\n")
    r = run("check", str(f))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1
    assert r.stderr.startswith(f"{f}:3:")
    assert "non-finite value nan first appears at event 1 (forward a" in r.stderr


ZERO_INPUT = """\
name: a zero input
dtype: float64
params: {w: 1.0}
data:
  x: [0.0, 1.0]
  y: [2.0, 4.0]
model:
  y_hat: x * w
  s: y_hat - y
  loss: s ** 2
train:
  epochs: 2
  lr: 0.01
"""


@needs_torch
def test_signed_zero_gradient_counts_as_equal(tmp_path):
    """At x = 0, ∂loss/∂w = ∂loss/∂y_hat · x = (-4.0) × 0.0 = -0.0 in stepgrad, while torch's
    w.grad, zero_()'d to 0.0 and then += -0.0, holds +0.0. The same number: check says
    equal, as torch.equal does, not "1 close (largest difference 0)"."""
    (tmp_path / "zero.yaml").write_text(ZERO_INPUT)
    r = run("check", "zero.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (
        "4 steps, 12 values, 16 grads and 4 updates compared with torch (32 numbers): "
        "all equal bit for bit" in r.stdout.splitlines()
    ), r.stdout
    assert not re.search(r"\bclose\b", r.stdout.replace("tolerance for 'close'", "")), r.stdout


@needs_torch
def test_array_scenario_reads_one_line_per_array():
    """lecture9 (x @ W + b, cross_entropy, 100 steps): every array compared element by
    element, each on one line with its shape; a 0-d loss with its value."""
    out = io.StringIO()
    assert run_check("lecture9", out=out) == 0
    lines = out.getvalue().splitlines()
    assert "stepgrad vs torch, step 0 (epoch 0)" in lines  # full batch: no "batch 0"
    row = next(line for line in lines if "backward_end" in line and "W.grad (2, 3):" in line)
    assert re.search(r"W\.grad \(2, 3\): (✓ equal|≈ close, largest difference \S+ at \[\d, \d\])$", row)
    assert re.search(r"#\d+ +forward +loss: (✓ equal|≈ close, difference) ", next(
        line for line in lines if " loss: " in line))
    assert next(line for line in lines if "compared with torch" in line).startswith(
        "100 steps, 300 values, 500 grads and 200 updates compared with torch "
        "(1,000 arrays of 74,000 numbers)"
    )
    assert lines[-2] == ("three roads: no closed form (an array model; closed forms and hand derivations "
                         "are for the scalar lectures)")
    assert lines[-1] == "ok: stepgrad and torch agree"


ARRAYS = """\
name: arrays by momentum
params: {W: [[0.5, -0.5], [0.25, 1.0]], b: [0.0, 0.1]}
data: {x: [[1.0, 2.0], [-1.0, 0.5], [0.5, 0.5]], y: [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]}
model:
  h: sigmoid(x @ W + b)
  loss: bce(h, y)
train: {epochs: 2, lr: 0.5, batch_size: 2, shuffle: {seed: 1}, optimizer: {name: sgd, momentum: 0.9}}
"""


@needs_torch
def test_array_json_names_shapes_and_state(tmp_path):
    f = tmp_path / "arrays.yaml"
    f.write_text(ARRAYS)
    out = io.StringIO()
    assert run_check(str(f), as_json=True, out=out) == 0
    obj = json.loads(out.getvalue())
    assert obj["ok"] is True and obj["steps"] == 4
    # 4 steps x (W, b velocity) = 8 optimizer states beside the 8 updates.
    assert obj["counts"] == {"values": 16, "grads": 24, "updates": 8, "predictions": 0, "states": 8}
    rows = obj["tables"][0]["rows"]
    w = next(r for r in rows if r["node"] == "W.grad")
    assert w["shape"] == [2, 2] and set(w) >= {"at", "diff", "verdict"}
    velocity = next(r for r in rows if r["node"] == "W velocity")
    assert velocity["kind"] == "update" and velocity["verdict"] in ("equal", "close")
    from stepgrad.check.run import ARRAYS_NOT_COMPARABLE

    assert obj["roads"]["note"] == ARRAYS_NOT_COMPARABLE


def test_a_terminal_is_told_what_the_wait_is_for(monkeypatch, capsys) -> None:
    """On a terminal, check says first that it runs torch (seconds pass before its table)."""
    import io
    import sys

    from stepgrad.check import run_check

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = Tty()
    monkeypatch.setattr(sys, "stderr", err)
    assert run_check("lecture4", out=io.StringIO()) == 0
    assert err.getvalue().splitlines()[0] == (
        "stepgrad check: running 1 step in torch beside stepgrad (loading torch takes a few seconds)…"
    )
