"""The three roads in `stepgrad check` and `stepgrad replay --roads`: closed form, chain rule,
torch's w.grad, and the scenario's own hand derivation (``manual:``)."""

from __future__ import annotations

import io
import itertools
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from stepgrad.check import check, first_failure, render_text, run_check
from stepgrad.engine import Timeline
from stepgrad.oracle import torch_available
from stepgrad.replay import replay
from stepgrad.scenario import load, loads
from stepgrad.symbolic import Derivation, compile_formula

needs_torch = pytest.mark.skipif(not torch_available(), reason="torch is not installed")
ROOT = Path(__file__).resolve().parents[2]

# The slides' float64 loop (seed 002): d loss/d w at the first six steps of ex4-3.
SEED_F64 = [-2.0, -7.84, -16.2288, -1.478624, -5.796206079999999, -11.998146585599997]
EX4_4 = "b + w1*x + w2*x**2 - y"
# ex4-4-wrong, step 1, by hand: step 0 (x = 1, y = 2, all params 1) gives s = 1 and every
# gradient 2, so every param becomes 0.98. Step 1 (x = 2, y = 4): y_hat = 0.98·(4 + 2 + 1)
# = 6.86, s = 2.86, ∂loss/∂w2 = 2·x²·s = 22.88; the wrong formula 2·x·s gives 11.44.
W2_CHAIN, W2_WRONG = 22.879999999999995, 11.439999999999998


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stepgrad", *args], capture_output=True, text=True, timeout=120
    )


def deep_model(layers: int, manual: str | None = None) -> str:
    """``layers`` nested tanh/sigmoid layers: 4 operations each, too many for sympy at 40."""
    params = ", ".join(f"w{k}: {0.1 + 0.01 * k}" for k in range(layers))
    lines = ["  h0: tanh(x * w0)"]
    for k in range(1, layers):
        f = "tanh" if k % 2 == 0 else "sigmoid"
        lines.append(f"  h{k}: {f}(h{k - 1} * w{k}) * sigmoid(h{k - 1})")
    lines.append(f"  loss: (h{layers - 1} - y) ** 2")
    text = f"inputs: {{x: 0.5, y: 0.25}}\nparams: {{{params}}}\nmodel:\n" + "\n".join(lines) + "\n"
    if manual:
        text += f'manual: {{w0: "{manual}"}}\n'
    return text


def _section(text: str) -> list[str]:
    """The lines of check's three-roads section (up to the blank line after it)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("three roads to each gradient"))
    end = lines.index("", start)
    return lines[start:end]


@needs_torch
class TestCheck:
    def test_ex4_3_three_roads_agree(self):
        """Lecture 3's formula, and closed form, chain rule and torch equal at all 30 steps."""
        r = run("check", "ex4-3")
        assert r.returncode == 0, r.stderr
        assert _section(r.stdout) == [
            "three roads to each gradient: closed form (sympy), chain rule (stepgrad), w.grad (torch)",
            "  ∂loss/∂w = 2*x*(w*x - y)",
            "    closed form = chain rule at all 30 steps (all equal bit for bit)",
            "    torch w.grad = stepgrad w.grad at all 30 steps (all equal bit for bit)",
        ]
        lines = r.stdout.splitlines()
        assert "three roads: 1 closed form agrees with the chain rule at every step" in lines
        assert lines[-1] == "ok: stepgrad and torch agree"

    def test_ex4_4_closed_forms_for_w1_w2_b(self):
        """The slides' ∂loss/∂w1 = 2x·s, ∂loss/∂w2 = 2x²·s and ∂loss/∂b = 2s, all agreeing."""
        out = io.StringIO()
        assert run_check("ex4-4", out=out) == 0
        section = _section(out.getvalue())
        heads = [line for line in section if line.startswith("  ∂")]
        assert heads == [
            f"  ∂loss/∂w1 = 2*x*({EX4_4})",
            f"  ∂loss/∂w2 = 2*x**2*({EX4_4})",
            f"  ∂loss/∂b = 2*({EX4_4})",
        ]
        assert section.count("    closed form = chain rule at the only step (all equal bit for bit)") == 3
        for p in ("w1", "w2", "b"):
            line = f"    torch {p}.grad = stepgrad {p}.grad at the only step (all equal bit for bit)"
            assert line in section

    def test_ex4_4_wrong_exits_1_naming_w2(self):
        """torch agrees, the closed forms agree; the hand derivation of w2 does not, from step 1."""
        r = run("check", "ex4-4-wrong")
        assert r.returncode == 1
        assert r.stderr == ""
        lines = r.stdout.splitlines()
        manual = lines[lines.index("manual derivations (manual:), against the chain rule at every step") + 1:]
        assert manual[0] == (
            "  manual ∂loss/∂w1 = 2 * x * (x ** 2 * w2 + x * w1 + b - y) agrees with the chain rule "
            "at all 9 steps"
        )
        wrong = (
            "manual ∂loss/∂w2 = 2 * x * (x ** 2 * w2 + x * w1 + b - y) disagrees at step 1 "
            f"(epoch 0, sample 1): it gives {W2_WRONG}, the chain rule {W2_CHAIN} "
            f"(off by {W2_WRONG}); the closed form is 2*x**2*({EX4_4})"
        )
        assert manual[1] == "  " + wrong
        assert lines[-1] == "FAILED: " + wrong
        assert "ok: stepgrad and torch agree" not in lines

    def test_ex4_4_wrong_json(self):
        out = io.StringIO()
        assert run_check("ex4-4-wrong", as_json=True, out=out) == 1
        obj = json.loads(out.getvalue())
        assert obj["ok"] is False and obj["exit"] == 1
        assert obj["first_disagreement"] is None  # torch agrees everywhere
        assert [p["closed_form"] for p in obj["roads"]["params"]] == [
            f"2*x*({EX4_4})", f"2*x**2*({EX4_4})", f"2*({EX4_4})",
        ]
        assert all(p["closed"]["ok"] and p["closed"]["steps"] == 9 for p in obj["roads"]["params"])
        assert all(p["torch"]["equal"] == 9 for p in obj["roads"]["params"])
        w1, w2 = obj["manual"]
        assert (w1["param"], w1["ok"], w1["steps"], w1["first_disagreement"]) == ("w1", True, 9, None)
        assert (w2["param"], w2["ok"], w2["steps"]) == ("w2", False, 2)
        d = w2["first_disagreement"]
        assert (d["step"], d["manual"], d["chain"], d["closed"]) == (1, W2_WRONG, W2_CHAIN, W2_CHAIN)
        assert d["manual"] * 2 == d["chain"]  # 2x where 2x² belongs, at x = 2
        assert obj["failure"] == w2["message"]

    def test_a_wrong_closed_form_fails_naming_step_and_values(self):
        """A stand-in derivation that forgot the -y: 2*x*w gives 2 at step 0 (x = w = 1),
        where the chain rule gives -2. A road that parts from the others is a failure."""
        wrong = Derivation("(w*x - y)**2", {"w": "2*x*w"}, {"w": compile_formula("2*x*w", {"x", "w"})})
        report = check(load("ex4-3"), derivation=wrong)
        assert report.torch_ok and not report.roads_ok and report.exit_code == 1
        assert first_failure(report) == (
            "the closed form disagrees with the chain rule: ∂loss/∂w = 2*x*w at step 0 "
            "(epoch 0, sample 0, event #11): closed form 2.0, chain rule -2.0 (diff 4)"
        )
        (line,) = [ln for ln in _section(render_text(report)) if "closed form ≠" in ln]
        assert line.startswith("    closed form ≠ chain rule at 30 of 30 steps; first at step 0")

    def test_too_large_degrades_gracefully(self):
        """40 layers: no closed form, a note instead, and the check still passes."""
        report = check(loads(deep_model(40), "deep.yaml"))
        assert report.exit_code == 0, first_failure(report)
        text = render_text(report)
        note = "too large to show symbolically: the model has 160 operations (at most 100)"
        assert f"  {note}" in _section(text)
        assert f"three roads: no closed form ({note})" in text.splitlines()
        assert text.splitlines()[-1] == "ok: stepgrad and torch agree"
        # torch's road is still walked, for every one of the 40 params.
        assert report.roads is not None
        assert [pr.torch.steps for pr in report.roads.params.values()] == [1] * 40

    def test_too_large_still_checks_a_manual_formula(self):
        """Without a closed form a wrong hand derivation is still caught, just without the answer."""
        report = check(loads(deep_model(40, manual="0"), "deep.yaml"))
        assert report.exit_code == 1
        line = first_failure(report)
        assert line is not None
        assert line.startswith("manual ∂loss/∂w0 = 0 disagrees at step 0")
        assert "the closed form" not in line

    def test_sympy_timeout_is_no_failure(self):
        """sympy stopped by the timeout: the note says so, the check passes."""
        sc = loads(
            "inputs: {x: 0.7, y: 0.2}\nparams: {w: 0.4, v: 1.3}\n"
            "model:\n  h: tanh(x * w) * sigmoid(v * x)\n  loss: (h - y) ** 2 + cos(h * v)\n",
            "slow.yaml",
        )
        report = check(sc, timeout_s=1e-6)
        assert report.exit_code == 0, first_failure(report)
        assert report.roads is not None
        assert report.roads.note == "too large to show symbolically: sympy did not finish within 1e-06 s"

    def test_float32_closed_forms_of_every_function(self):
        """A float32 training through every function: closed form and chain rule agree
        at every step (within float32's tolerance), as do torch and stepgrad."""
        sc = loads(
            "dtype: float32\nparams: {w: 0.3, v: 0.7}\n"
            "data: {x: [0.5, 1.5, 2.5], y: [1.0, 0.0, 2.0]}\n"
            "model:\n  a: sigmoid(x * w) * tanh(v * x) + exp(-w) / (1 + v ** 2)"
            " + log(1 + abs(x * w - 1)) + relu(x * v - 0.2)\n  loss: (a - y) ** 2\n"
            "train: {epochs: 2, lr: 0.05}\n",
            "f32.yaml",
        )
        report = check(sc)
        assert report.exit_code == 0, first_failure(report)
        assert report.roads is not None and report.roads.note is None
        assert [pr.closed.steps for pr in report.roads.params.values() if pr.closed] == [6, 6]


class TestReplayRoads:
    def test_text_after_every_backward_end(self):
        r = run("replay", "ex4-3", "--roads")
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        ends = [i for i, line in enumerate(lines) if " backward_end " in line]
        assert len(ends) == 30
        assert all(lines[i + 1].startswith("  ∂loss/∂w  closed 2*x*(w*x - y) = ") for i in ends)
        assert lines[ends[1] + 1] == "  ∂loss/∂w  closed 2*x*(w*x - y) = -7.84 ✓ · chain -7.84"
        # Without the roads lines, the transcript is replay's own, unchanged.
        plain = run("replay", "ex4-3").stdout.splitlines()
        assert [line for line in lines if not line.startswith("  ")] == plain

    def test_jsonl_values_bit_equal_to_the_chain_rule(self):
        r = run("replay", "ex4-3", "--roads", "--format", "jsonl")
        assert r.returncode == 0, r.stderr
        objs = [json.loads(line) for line in r.stdout.splitlines()]
        roads = [(prev, o) for prev, o in itertools.pairwise(objs) if o["kind"] == "roads"]
        assert len(roads) == 30
        for end, o in roads:
            # It follows its backward_end and reuses that event's seq.
            assert end["kind"] == "backward_end" and o["seq"] == end["seq"] and o["step"] == end["step"]
            assert o["closed"] == o["chain"] == end["grads"]["w"]
            assert (o["param"], o["closed_form"], o["closed_ok"]) == ("w", "2*x*(w*x - y)", True)
            assert o["manual"] is o["manual_value"] is o["manual_ok"] is None
        assert [o["closed"] for _, o in roads[:6]] == SEED_F64
        events = [o for o in objs if o["kind"] != "roads"]
        assert [o["seq"] for o in events] == list(range(len(events)))

    @pytest.mark.parametrize("name", ["xor", "lecture5"])
    def test_array_model_refused_in_one_line(self, name):
        """An array param has no closed form: --roads on it is refused, exit 2, one line, no
        traceback (xor's 2x2 W1 raised ValueError on an array's truth value)."""
        r = run("replay", name, "--roads")
        assert r.returncode == 2
        assert r.stdout == ""
        assert r.stderr.splitlines() == [
            f"stepgrad replay: --roads compares a scalar param's three roads, and {name}'s params are "
            "arrays (leave out --roads; stepgrad check compares every element with torch)"
        ]

    def test_ex4_4_wrong_text_marks_step_1(self):
        r = run("replay", "ex4-4-wrong", "--roads")
        assert r.returncode == 0, r.stderr
        w2 = [line for line in r.stdout.splitlines() if line.startswith("  ∂loss/∂w2 ")]
        assert len(w2) == 9
        assert w2[0] == f"  ∂loss/∂w2  closed 2*x**2*({EX4_4}) = 2.0 ✓ · chain 2.0 · manual 2.0 ✓"
        assert w2[1] == (
            f"  ∂loss/∂w2  closed 2*x**2*({EX4_4}) = {W2_CHAIN} ✓ · chain {W2_CHAIN} · manual {W2_WRONG} ✗"
        )

    def test_close_is_marked_approximately_not_tick(self):
        """✓ is the same bits, as in the app and check: at ex4-4-wrong's step 2 the closed form
        gives 77.0472 and the chain rule 77.04720000000003, close but not equal: ≈."""
        r = run("replay", "ex4-4-wrong", "--roads")
        assert r.returncode == 0, r.stderr
        w2 = [line for line in r.stdout.splitlines() if line.startswith("  ∂loss/∂w2 ")]
        assert w2[2] == (
            f"  ∂loss/∂w2  closed 2*x**2*({EX4_4}) = 77.0472 ≈ · chain 77.04720000000003"
            " · manual 25.682400000000012 ✗"
        )
        # check counts 3 of the 9 steps "close" for each of the 3 params: 9 marks in all.
        marks = [line.split(" · chain")[0][-1] for line in r.stdout.splitlines() if line.startswith("  ∂")]
        assert (marks.count("≈"), marks.count("✓"), marks.count("✗")) == (9, 18, 0)

    def test_marks_follow_the_agreement_status(self):
        from stepgrad.replay import _mark
        from stepgrad.symbolic import Agreement

        assert _mark(None) == ""
        assert _mark(Agreement("equal", 0.0, 0.0)) == " ✓"
        assert _mark(Agreement("close", 3e-14, 1e-10)) == " ≈"
        assert _mark(Agreement("differs", 11.44, 1e-10)) == " ✗"
        assert _mark(Agreement("missing", float("nan"), 0.0)) == " ✗"

    def test_ex4_4_wrong_jsonl_first_miss_is_w2_at_step_1(self):
        r = run("replay", "ex4-4-wrong", "--roads", "--format", "jsonl")
        roads = [o for o in map(json.loads, r.stdout.splitlines()) if o["kind"] == "roads"]
        assert len(roads) == 27  # 9 steps x 3 params
        misses = [o for o in roads if o["manual_ok"] is False]
        assert (misses[0]["param"], misses[0]["step"]) == ("w2", 1)
        assert misses[0]["manual_value"] == W2_WRONG and misses[0]["chain"] == W2_CHAIN
        assert all(o["param"] == "w2" for o in misses)
        assert all(o["closed_ok"] for o in roads)
        assert [o["manual_ok"] for o in roads if o["param"] == "b"] == [None] * 9

    def test_too_large_in_replay(self):
        sc = loads(deep_model(40), "deep.yaml")
        out = io.StringIO()
        assert replay(sc, Timeline(sc.program), out, roads=True) is None
        roads = [line for line in out.getvalue().splitlines() if line.startswith("  ")]
        assert len(roads) == 40
        assert roads[0].startswith(
            "  ∂loss/∂w0   closed: too large to show symbolically: the model has 160 operations"
        )
        assert " · chain " in roads[0]

    def test_no_zero_grad_shows_the_held_grad(self):
        """Without zero_grad, w.grad (the running sum) is shown beside this pass's gradient."""
        sc = load("no-zero-grad")
        out = io.StringIO()
        replay(sc, Timeline(sc.program), out, roads=True, until=30)
        roads = [line for line in out.getvalue().splitlines() if line.startswith("  ")]
        assert roads[0].endswith("· chain -2.0")  # step 0: nothing accumulated yet
        assert roads[1].endswith("· chain -7.840000152587891 · w.grad -9.84000015258789")

    def test_roads_load_sympy_but_never_torch(self):
        probe = textwrap.dedent(
            """
            import io, json, sys
            from contextlib import redirect_stdout
            from stepgrad.cli import main
            with redirect_stdout(io.StringIO()):
                try:
                    main(["replay", "ex4-4-wrong", "--roads"])
                except SystemExit as e:
                    code = e.code
            print(json.dumps({"code": code, "mods": sorted({m.split(".")[0] for m in sys.modules})}))
            """
        )
        r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           timeout=60, cwd=ROOT)
        assert r.returncode == 0, r.stderr
        result = json.loads(r.stdout)
        assert result["code"] == 0
        assert "sympy" in result["mods"]
        assert not {"torch", "textual", "rich"} & set(result["mods"])
