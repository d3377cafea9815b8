"""Issue 9 item 9: whatever stdout is (full, closed, ASCII only, a pipe nobody reads), the
commands end with one line or quietly, never a traceback; and nothing a scenario says can
act on the terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stepgrad.streams import visible

FULL = "stepgrad: cannot write the output: no space left on device\n"


def run(*args: str, stdout: object = subprocess.PIPE, env: dict[str, str] | None = None, **kw: object):
    return subprocess.run(
        [sys.executable, "-m", "stepgrad", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        timeout=120,
        env={**os.environ, **(env or {})},
        **kw,
    )


@pytest.mark.parametrize(
    "args", [["replay", "lecture4"], ["check", "lecture4"], ["list"], ["replay", "ex4-5", "--roads"]]
)
def test_a_full_disk_is_one_line(args: list[str]):
    with open("/dev/full", "w") as full:
        r = run(*args, stdout=full)
    assert (r.returncode, r.stderr.decode()) == (2, FULL)


def test_a_closed_stdout_is_one_line():
    # `stepgrad replay lecture4 --format jsonl >&-`: Python starts with no sys.stdout at all.
    r = run("replay", "lecture4", "--format", "jsonl", preexec_fn=lambda: os.close(1))
    assert (r.returncode, r.stderr.decode()) == (
        2,
        "stepgrad: cannot write the output: standard output is closed\n",
    )


@pytest.mark.parametrize(
    "args",
    [["replay", "lecture4"], ["check", "lecture4"], ["list"], ["replay", "lecture4", "--format", "jsonl"]],
)
def test_a_reader_that_went_away_ends_quietly(args: list[str]):
    # `| head -1` once head has gone: every write meets a closed pipe.
    read, write = os.pipe()
    os.close(read)
    try:
        r = run(*args, stdout=write)
    finally:
        os.close(write)
    assert (r.returncode, r.stderr.decode()) == (0, "")


def test_an_ascii_stdout_gets_ascii_spellings():
    r = run("replay", "lecture4", env={"PYTHONIOENCODING": "ascii"})
    assert (r.returncode, r.stderr.decode()) == (0, "")
    lines = r.stdout.decode("ascii").splitlines()
    # The golden lines with × ∂ ← · spelt * d <- * (tests/cli/golden/lecture4.txt).
    assert lines[0] == "#0     step 0   epoch 0   sample 0  forward        y_hat = x * w = 1.0 * 1.0 = 1.0"
    assert lines[11] == (
        "#11    step 0   epoch 0   sample 0  update         w <- w - lr*dloss/dw = 1.0 - 0.01 * (-2.0) = 1.02"
    )
    # The chain rule's spaced product stays a product (it read as a difference: 'dloss/dloss - dloss/ds').
    assert lines[7].endswith("chain          dloss/ds = dloss/dloss * local dloss/ds = 1.0 * (-2.0) = -2.0")


def test_an_ascii_stdout_for_check():
    r = run("check", "lecture4", env={"PYTHONIOENCODING": "ascii"})
    assert (r.returncode, r.stderr.decode()) == (0, "")
    assert r.stdout.decode("ascii").splitlines()[-1] == "ok: stepgrad and torch agree"


HOSTILE = "X\x1b[2J\x9b31m\u202e\ud800Y"
"""An escape sequence, a C1 control, a bidi override and a lone surrogate."""

HOSTILE_SHOWN = "X\\u001b[2J\\u009b31m\\u202e\\ud800Y"

SHIM = f"""
import dataclasses, sys
import stepgrad.check, stepgrad.cli, stepgrad.scenario
load = stepgrad.scenario.load
def hostile(spec):
    # The loader refuses such names; this checks the output would not trust it to.
    return dataclasses.replace(load(spec), name={HOSTILE!r})
stepgrad.scenario.load = stepgrad.check.load = hostile
stepgrad.cli.main(sys.argv[1:])
"""


def _shim(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    script = tmp_path / "shim.py"
    script.write_text(SHIM, encoding="utf-8")
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, timeout=120)


def _no_raw_controls(data: bytes) -> None:
    text = data.decode("utf-8")  # a lone surrogate would not even decode
    assert not any(c in text for c in ("\x1b", "\x9b", "\u202e"))


def test_check_writes_a_hostile_name_visibly(tmp_path: Path):
    r = _shim(tmp_path, "check", "lecture4")
    assert (r.returncode, r.stderr) == (0, b"")
    _no_raw_controls(r.stdout)
    assert r.stdout.decode().splitlines()[0].startswith(f"{HOSTILE_SHOWN}  (")


def test_check_json_stays_json_with_a_hostile_name(tmp_path: Path):
    r = _shim(tmp_path, "check", "lecture4", "--json")
    assert (r.returncode, r.stderr) == (0, b"")
    _no_raw_controls(r.stdout)
    # \\uXXXX is JSON's own escape: the name reads back as it was.
    assert json.loads(r.stdout)["name"] == HOSTILE


def test_visible_keeps_text_and_escapes_what_a_terminal_acts_on():
    assert visible("w ← w − lr·∂loss/∂w\tok\n") == "w ← w − lr·∂loss/∂w\tok\n"
    assert visible(HOSTILE) == HOSTILE_SHOWN
    assert visible("a\rb\x7f") == "a\\u000db\\u007f"
