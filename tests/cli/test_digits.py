"""Issue 11, --digits: numbers to N significant digits in replay's text and the app,
never hiding a sign or turning a nonzero number into 0; JSON lines stay exact."""

from __future__ import annotations

import subprocess
import sys

import pytest

from stepgrad.explain import describe, fmt, rounded, set_digits


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stepgrad", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(autouse=True)
def exact_afterwards():
    """The setting is the process's: every test leaves it exact."""
    yield
    set_digits(None)


def test_rounded_keeps_signs_and_nonzero_numbers():
    """3 digits: 3.8415999999999997 -> 3.84; 1e-09 -> 1e-09 (not 0.000); -1e-09 keeps its
    minus; -0.0 stays -0.0; 2.0 stays a float (2.0, not 2); 123456.0 -> 1.23e+05."""
    assert rounded(3.8415999999999997, 3) == "3.84"
    assert rounded(3.8415999999999997, 6) == "3.8416"
    assert rounded(0.009999999776482582, 6) == "0.01"
    assert rounded(1e-9, 3) == "1e-09"
    assert rounded(-1e-9, 3) == "-1e-09"
    assert rounded(-0.0, 3) == "-0.0"
    assert rounded(2.0, 3) == "2.0"
    assert rounded(123456.0, 3) == "1.23e+05"
    assert rounded(float("nan"), 3) == "nan" and rounded(float("-inf"), 3) == "-inf"


def test_fmt_follows_the_setting(timeline_of):
    """fmt, and every line made with it, to the digits set; exact again with None."""
    t = timeline_of("no-zero-grad")
    ev = next(e for e in t.events_of_step(1) if e.kind == "accumulate_grad")
    set_digits(3)
    assert fmt(-9.84000015258789) == "-9.84"
    assert describe(t.graph, ev) == "w.grad ← w.grad + ∂loss/∂w = -2.0 + (-7.84) = -9.84"
    set_digits(None)
    assert fmt(-9.84000015258789) == "-9.84000015258789"
    with pytest.raises(ValueError):
        set_digits(0)


def test_replay_digits_text():
    """replay --digits 3: no-zero-grad's step 1 update 1.0199999809265137 − 0.009999999776482582
    × (-9.84000015258789) = 1.118399977684021 reads 1.02 − 0.01 × (-9.84) = 1.12."""
    r = run("replay", "no-zero-grad", "--digits", "3", "--until", "25")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[25].endswith("update          w ← w − lr·w.grad = 1.02 − 0.01 × (-9.84) = 1.12")
    assert lines[24].endswith("backward_end    grads: w.grad = -9.84")


def test_replay_digits_refused_with_jsonl():
    """JSON lines are the exact record: --digits with --format jsonl is refused (exit 2, one line)."""
    r = run("replay", "lecture4", "--digits", "3", "--format", "jsonl")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == (
        "stepgrad replay: --digits rounds the text only; --format jsonl keeps every number exact "
        "(leave out --digits)\n"
    )


@pytest.mark.parametrize("bad", ["0", "18", "x"])
def test_replay_digits_out_of_range(bad: str):
    r = run("replay", "lecture4", "--digits", bad)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1 and "--digits" in r.stderr


def test_open_digits_in_a_screenshot(tmp_path):
    """stepgrad --digits 3 opens the app with rounded numbers: lecture4-torch's update at
    #11 shows 1.02, not 1.0199999809265137, and the status line says 3 digits."""
    out = tmp_path / "shot.svg"
    r = run("open", "lecture4-torch", "--digits", "3", "--keys", "u", "--screenshot", str(out))
    assert r.returncode == 0, r.stderr
    svg = out.read_text()
    import re

    context = re.findall(".{200}1.0199999809265137.{50}", svg)
    assert not context, context
    assert "3&#160;digits" in svg


def test_fast_and_plain_replay_agree_with_digits():
    """The whole-step writer (StepLines) and the plain lines (text_line) round alike, on
    every bundled scenario (float32 in lecture4-torch, accumulate_grad in no-zero-grad)."""
    from test_replay import _plain_replay, _whole_replay

    from stepgrad.scenario import bundled, load

    for n in (3, 6):
        set_digits(n)
        for name in bundled():
            sc = load(name)
            if sc.program.arrays:  # written per event: its first steps say it (issue 12)
                until = 3 * len(sc.program.graph.nodes) * 6
                assert _whole_replay(sc, "text", until) == _plain_replay(sc, "text", until + 1), (name, n)
                continue
            assert _whole_replay(sc, "text") == _plain_replay(sc, "text"), (name, n)
