"""`stepgrad replay`: golden transcripts, --until, and the exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stepgrad", *args], capture_output=True, text=True, timeout=120
    )


def test_lecture4_text_matches_golden():
    r = run("replay", "lecture4")
    assert r.returncode == 0, r.stderr
    assert r.stdout == (GOLDEN / "lecture4.txt").read_text()
    assert "∂loss/∂w = ∂loss/∂y_hat · ∂y_hat/∂w = (-2.0) × 1.0 = -2.0" in r.stdout


def test_lecture4_jsonl_matches_golden():
    r = run("replay", "lecture4", "--format", "jsonl")
    assert r.returncode == 0, r.stderr
    assert r.stdout == (GOLDEN / "lecture4.jsonl").read_text()
    events = [json.loads(line) for line in r.stdout.splitlines()]
    assert [e["seq"] for e in events] == list(range(13))
    assert events[9] == {
        "seq": 9,
        "kind": "chain",
        "step": 0,
        "epoch": 0,
        "sample": 0,
        "node": "y_hat",
        "wrt": "w",
        "arg": 1,
        "upstream": -2.0,
        "local": 1.0,
        "product": -2.0,
    }


def test_until_is_inclusive():
    r = run("replay", "ex4-3", "--until", "4", "--format", "jsonl")
    assert r.returncode == 0
    assert [json.loads(line)["seq"] for line in r.stdout.splitlines()] == [0, 1, 2, 3, 4]


def test_float32_transcript_has_widened_numbers():
    r = run("replay", "lecture4-torch", "--format", "jsonl")
    grads = [json.loads(line)["grads"]["w"] for line in r.stdout.splitlines() if '"backward_end"' in line]
    assert grads[:3] == [-2.0, -7.840000152587891, -16.228801727294922]


def test_list_names_every_bundled_scenario():
    r = run("list")
    assert r.returncode == 0
    names = [line.split()[0] for line in r.stdout.splitlines()]
    assert names == [
        "lecture4",
        "ex4-1",
        "ex4-2",
        "ex4-3",
        "ex4-4",
        "ex4-4-wrong",
        "ex4-5",
        "lecture4-torch",
        "no-zero-grad",
    ]


def test_every_bundled_scenario_replays():
    from stepgrad.scenario import bundled

    for name in bundled():
        r = run("replay", name, "--format", "jsonl")
        assert r.returncode == 0, (name, r.stderr)
        assert r.stdout.count("\n") > 5
