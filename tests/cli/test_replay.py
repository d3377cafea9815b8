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



def test_a_function_of_a_negative_number_has_one_pair_of_parentheses(tmp_path: Path):
    """``log(-1.0)``, not ``log((-1.0))``; a power or a quotient keeps ``(-1.0)``."""
    f = tmp_path / "neg.yaml"
    f.write_text(
        "params: {w: 1.0}\ninputs: {x: -1.0}\n"
        "model:\n  a: x * w\n  b: sin(a) + a ** 2\n  c: 1 / a\n  loss: b * c * log(a)\n"
    )
    r = run("replay", str(f))
    lines = r.stdout.splitlines()
    assert "((" not in r.stdout
    assert lines[0].endswith("forward        a = x × w = (-1.0) × 1.0 = -1.0")
    assert lines[1].endswith("b.1 = sin(a) = sin(-1.0) = -0.8414709848078965")
    assert lines[2].endswith("b.2 = a^2 = (-1.0)^2 = 1.0")
    assert lines[4].endswith("c = 1 ÷ a = 1 ÷ (-1.0) = -1.0")
    assert lines[6].endswith("loss.2 = log(a) = log(-1.0) = nan")
    # log(-1) is NaN: replay stops there with one line pointing at log on line 7, column 17.
    assert r.returncode == 2
    assert r.stderr == (
        f"{f}:7:17: non-finite value nan first appears at event 6 (forward loss.2, value; step 0, epoch 0)\n"
    )


def test_local_gradients_of_a_negative_number(tmp_path: Path):
    """``cos(-1.0)`` in a local gradient; ``2*(-1.0)`` and ``1/(-1.0)`` keep their parentheses."""
    f = tmp_path / "neg.yaml"
    f.write_text("params: {w: 1.0}\ninputs: {x: -1.0}\nmodel:\n  a: w / x\n  loss: sin(a) + a ** 2\n")
    r = run("replay", str(f))
    assert r.returncode == 0, r.stderr
    local = [line.split("local_grad     ")[1] for line in r.stdout.splitlines() if " local_grad " in line]
    assert local[2:] == [
        "∂loss.2/∂a = 2*a = 2*(-1.0) = -2.0",
        "∂loss.1/∂a = cos(a) = cos(-1.0) = 0.5403023058681398",
        "∂a/∂w = 1/x = 1/(-1.0) = -1.0",
    ]


def test_bare_calls_drops_only_a_function_arguments_own_parentheses():
    from stepgrad.explain import bare_calls

    assert bare_calls("log((-1.0))") == "log(-1.0)"
    assert bare_calls("log((-1.0))*(-2.0)") == "log(-1.0)*(-2.0)"
    assert bare_calls("sigmoid((-1e-05))") == "sigmoid(-1e-05)"
    for kept in ("(-1.0)^2", "2*(-1.0)", "1/(-1.0)", "1/(2*(-1.0))", "((-1.0) > 0)", "−(-1.0)"):
        assert bare_calls(kept) == kept


def test_no_zero_grad_adds_each_pass_to_w_grad_in_one_event():
    """Issue 9, item 2: step 1 of no-zero-grad adds this pass's ∂loss/∂w to the -2.0 held
    from step 0, in one accumulate_grad event (text and JSON)."""
    text = run("replay", "no-zero-grad").stdout.splitlines()
    assert text[23].endswith(
        "accumulate_grad w.grad ← w.grad + ∂loss/∂w = -2.0 + (-7.840000152587891) = -9.84000015258789"
    )
    ev = json.loads(run("replay", "no-zero-grad", "--format", "jsonl").stdout.splitlines()[23])
    assert ev == {"seq": 23, "kind": "accumulate_grad", "step": 1, "epoch": 0, "sample": 1,
                  "param": "w", "before": -2.0, "add": -7.840000152587891, "after": -9.84000015258789}
