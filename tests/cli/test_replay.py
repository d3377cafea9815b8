"""`stepgrad replay`: golden transcripts, --until, and the exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


_HEAD = re.compile(r"#\d+\s+(?:step \d+\s+epoch \d+\s+(?:(?:sample|batch) \d+\s+)?)?\S+\s+")


def body_of(line: str) -> str:
    """A replay line less its seq, where-in-training and kind columns (whose widths
    depend on the run: a full-batch run names no sample)."""
    return _HEAD.sub("", line, count=1)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stepgrad", *args], capture_output=True, text=True, timeout=120
    )


def test_lecture4_text_matches_golden():
    r = run("replay", "lecture4")
    assert r.returncode == 0, r.stderr
    assert r.stdout == (GOLDEN / "lecture4.txt").read_text()
    assert "∂loss/∂w = ∂loss/∂y_hat · local ∂y_hat/∂w = (-2.0) × 1.0 = -2.0" in r.stdout


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
        "lecture5",
        "lecture6",
        "lecture7",
        "lecture8",
        "lecture9",
        "xor",
        "adam",
    ]


def test_every_bundled_scenario_replays():
    """Every bundled scenario replays whole; a run on arrays (lecture 5 on: several MB of
    JSON a step, a 759×8 table in every forward) in text whole and in JSON lines for its
    first steps."""
    from stepgrad.scenario import bundled, load

    for name in bundled():
        if not load(name).program.arrays:
            r = run("replay", name, "--format", "jsonl")
            assert r.returncode == 0, (name, r.stderr)
            assert r.stdout.count("\n") > 5
            continue
        r = run("replay", name)
        assert r.returncode == 0, (name, r.stderr)
        assert r.stdout.count("\n") > 1000 and max(map(len, r.stdout.splitlines())) < 1000, name
        r = run("replay", name, "--format", "jsonl", "--until", "100")
        assert r.returncode == 0, (name, r.stderr)
        assert [json.loads(line)["seq"] for line in r.stdout.splitlines()] == list(range(101))



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
    assert lines[1].endswith("b₁ = sin(a) = sin(-1.0) = -0.8414709848078965")
    assert lines[2].endswith("b₂ = a^2 = (-1.0)^2 = 1.0")
    assert lines[4].endswith("c = 1 ÷ a = 1 ÷ (-1.0) = -1.0")
    assert lines[6].endswith("loss₂ = log(a) = log(-1.0) = nan")
    # log(-1) is NaN: replay stops there with one line pointing at log on line 7, column 17.
    assert r.returncode == 2
    assert r.stderr == (
        f"{f}:7:17: non-finite value nan first appears at event 6 (forward loss₂, value; step 0, epoch 0)"
        "; log(-1.0) has no real value: outside the op's domain, not a divergence\n"
    )


def test_local_gradients_of_a_negative_number(tmp_path: Path):
    """``cos(-1.0)`` in a local gradient; ``2*(-1.0)`` and ``1/(-1.0)`` keep their parentheses."""
    f = tmp_path / "neg.yaml"
    f.write_text("params: {w: 1.0}\ninputs: {x: -1.0}\nmodel:\n  a: w / x\n  loss: sin(a) + a ** 2\n")
    r = run("replay", str(f))
    assert r.returncode == 0, r.stderr
    local = [line.split("local_grad     ")[1] for line in r.stdout.splitlines() if " local_grad " in line]
    assert local[2:] == [
        "local ∂loss₂/∂a = 2*a = 2*(-1.0) = -2.0",
        "local ∂loss₁/∂a = cos(a) = cos(-1.0) = 0.5403023058681398",
        "local ∂a/∂w = 1/x = 1/(-1.0) = -1.0",
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


# Every op, negative arguments, constants in every position, a power to a variable
# exponent (torch's zero rules), reuse (accumulate), no zero_grad (accumulate_grad), and
# a NaN at the end (log of a negative): the fast writers must say all of it as the plain ones.
_EVERY_OP = """
params: {w: 0.5, b: -1.0}
data: {x: [-1.0, 0.0, 2.0], y: [1.0, -2.0, 0.5]}
model:
  a: x * w + b
  c: sin(a) + cos(a) + tanh(a) + exp(a) + sigmoid(a) + relu(a)
  e: abs(a) + softplus(a) + log1p(abs(a)) + sqrt(abs(a) + 1) + log(abs(a) + 2) + -a
  f: a ** 2 + a ** 3 + 2 ** a + abs(a) ** w + (x - 2) / (a - 3) + a * a - 1.5
  loss: (c + e + f - y) ** 2
train: {epochs: 2, lr: 0.001, zero_grad: false}
predict: {x: 1.0}
"""


def _texts_match(name: str, scenario, stop: int = 3000) -> int:
    from stepgrad.engine import Timeline
    from stepgrad.engine.events import Forward, LocalGrad, to_json
    from stepgrad.engine.timeline import nonfinite_field
    from stepgrad.explain import Describer, describe
    from stepgrad.replay import JsonLines, TextLines, text_line
    from stepgrad.streams import visible

    t = Timeline(scenario.program)
    text, jsonl, describer = TextLines(t), JsonLines(), Describer(t.graph)
    forward_args: dict = {}
    n = 0
    for ev in t.iter_events(0, stop):
        args = out = None
        if isinstance(ev, LocalGrad) and ev.node in forward_args:
            args, out = forward_args[ev.node]
        assert describer(ev, args, out) == describe(t.graph, ev, args, out), (name, ev)
        line, suspect = text.event_line(ev)
        assert line == visible(text_line(t, ev, forward_args)) + "\n", (name, ev)
        assert suspect or nonfinite_field(ev) is None, (name, ev)
        line, suspect = jsonl.event_line(ev)
        assert line == visible(json.dumps(to_json(ev), ensure_ascii=False)) + "\n", (name, ev)
        assert suspect or nonfinite_field(ev) is None, (name, ev)
        if isinstance(ev, Forward):
            forward_args[ev.node] = (ev.args, ev.value)
        n += 1
    return n


def test_fast_writers_write_what_describe_and_to_json_write():
    """replay's fast text and JSON (one per event class, names made once) are the plain
    ``text_line`` and ``json.dumps(to_json(ev))`` to the byte, float32 and NaN included."""
    from stepgrad.scenario import bundled, load, loads

    for name in bundled():
        sc = load(name)
        # On arrays: the first steps (each a few MB of JSON), the last batch's too.
        stop = 3000 if not sc.program.arrays else 3 * len(sc.program.graph.nodes) * 6
        assert _texts_match(name, sc, stop) > 10
    every = loads(_EVERY_OP, "every-op.yaml")
    assert _texts_match("every-op", every) > 100
    f32 = loads(_EVERY_OP.replace("params:", "dtype: float32\nparams:"), "every-op-32.yaml")
    assert _texts_match("every-op-32", f32) > 100
    # NaN and infinities: log of a negative, then a division by zero.
    bad = loads("params: {w: 1.0}\ninputs: {x: -1.0}\nmodel:\n  a: log(x * w)\n  loss: a + 1 / (x + 1)\n")
    assert _texts_match("nan", bad) > 3


def test_output_is_written_in_batches_and_all_of_it_before_an_error(tmp_path: Path):
    """Lines go out a batch at a time; a run stopped by a NaN still prints every line up to it."""
    import io

    from stepgrad.engine import Timeline
    from stepgrad.replay import replay
    from stepgrad.scenario import load, loads

    class Counting(io.StringIO):
        writes = 0

        def write(self, s: str) -> int:
            Counting.writes += 1
            return super().write(s)

    sc = load("ex4-3")
    out = Counting()
    assert replay(sc, Timeline(sc.program), out, fmt="jsonl") is None
    lines = out.getvalue().splitlines()
    assert len(lines) == len(Timeline(sc.program)) and Counting.writes < len(lines) / 100
    bad = loads("params: {w: 1.0}\ninputs: {x: -1.0}\nmodel:\n  loss: log(x * w)\n", "bad.yaml")
    out = io.StringIO()
    err = replay(bad, Timeline(bad.program), out, fmt="text")
    assert err is not None and out.getvalue().splitlines()[-1].endswith("= nan")


def test_visible_fast_path_escapes_what_the_pattern_escapes():
    """``visible`` skips the regex where a C-speed scan finds nothing to escape: the same
    text as the pattern alone, for every character class it names and a few it does not."""
    import random

    from stepgrad.streams import UNSAFE, visible

    def by_pattern(text: str) -> str:
        return UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

    pool = [*map(chr, range(0x00, 0xA1)), "\t", "\n", "∂", "×", "·", "\u00a0", "\u061c", "\u200b",
            "\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\u2069", "\ud800", "\udfff", "é", "\u0301",
            "\u2028", "\ufeff", "😀"]  # fmt: skip
    rng = random.Random(10)
    for _ in range(3000):
        text = "".join(rng.choice(pool) for _ in range(rng.randrange(0, 12)))
        assert visible(text) == by_pattern(text), repr(text)
    for ch in pool:
        assert visible(f"a{ch}b") == by_pattern(f"a{ch}b"), repr(ch)


def test_accumulate_grad_lines_stay_in_the_kind_column():
    """no-zero-grad has accumulate_grad (15 letters): its kind column widens by one for
    the whole run, so every line's text starts in one column; lecture4 keeps its 14."""
    for name, width in (("no-zero-grad", 15), ("lecture4", 14)):
        lines = run("replay", name).stdout.splitlines()
        body = 36 + width + 1  # '#seq  ' (7) + where (28) + ' ', the kind, ' '
        for line in lines:
            assert line[body - 1] == " " and line[body] != " ", (name, line)
            assert line[36:body].strip() in {"predict", "forward", "local_grad", "backward_start",
                                             "chain", "accumulate", "accumulate_grad",
                                             "backward_end", "update", "zero_grad"}, line
        acc = [line[body:] for line in lines if line[36:body].strip() == "accumulate_grad"]
        assert (len(acc) > 0) == (name == "no-zero-grad")
        if acc:
            assert acc[0] == "w.grad ← w.grad + ∂loss/∂w = -2.0 + (-7.840000152587891) = -9.84000015258789"


def _plain_replay(scenario, fmt: str, stop: int | None = None) -> tuple[str, bool]:
    """What replay prints, made the slow and plain way: ``text_line`` (``describe``) or
    ``json.dumps(to_json(ev))`` for every event in turn, up to the first non-finite one."""
    from stepgrad.engine import Timeline
    from stepgrad.engine.events import to_json
    from stepgrad.engine.timeline import nonfinite_field
    from stepgrad.replay import text_line
    from stepgrad.streams import visible

    t = Timeline(scenario.program)
    forward_args: dict = {}
    out = []
    for ev in t.iter_events(0, stop):
        if fmt == "jsonl":
            out.append(visible(json.dumps(to_json(ev), ensure_ascii=False)) + "\n")
        else:
            out.append(visible(text_line(t, ev, forward_args)) + "\n")
        if nonfinite_field(ev) is not None:
            return "".join(out), True
    return "".join(out), False


def _whole_replay(scenario, fmt: str, until: int | None = None) -> tuple[str, bool]:
    import io

    from stepgrad.engine import Timeline
    from stepgrad.replay import replay

    out = io.StringIO()
    err = replay(scenario, Timeline(scenario.program), out, fmt=fmt, until=until)
    return out.getvalue(), err is not None


def test_replay_writes_whole_steps_as_the_plain_lines():
    """replay writes a whole step at once from the step's numbers (StepLines), without its
    events: the same bytes as text_line and json.dumps(to_json(ev)) event by event, on every
    bundled scenario (float32 in lecture4-torch, accumulate_grad in no-zero-grad,
    predictions before and after training), every op, a run that meets a NaN, and
    --until in the middle of a step."""
    from stepgrad.engine import Timeline
    from stepgrad.replay.lines import JsonLines, StepLines, TextLines
    from stepgrad.scenario import bundled, load, loads

    scenarios = {name: load(name) for name in bundled()}
    scenarios["every-op"] = loads(_EVERY_OP, "every-op.yaml")
    scenarios["every-op-32"] = loads(_EVERY_OP.replace("params:", "dtype: float32\nparams:"), "e32.yaml")
    # Training that diverges: the loss overflows to inf in step 97, after 96 whole steps.
    scenarios["nan"] = loads(
        "params: {w: 0.3}\ndata: {x: [1.0, 2.0], y: [5.0, 6.0]}\nmodel:\n  loss: (w * x - y) ** 2\n"
        "train: {epochs: 100, lr: 10.0}\n",
        "nan.yaml",
    )
    for name, sc in scenarios.items():
        for fmt in ("text", "jsonl"):
            n = len(Timeline(sc.program))
            if sc.program.arrays:  # every step per event: its first steps say it (a few MB each)
                step = Timeline(sc.program).plan.step_range(1)
                for until in (0, 5, step.start + 3, step.stop - 1):
                    assert _whole_replay(sc, fmt, until) == _plain_replay(sc, fmt, until + 1), (name, until)
                continue
            assert _whole_replay(sc, fmt) == _plain_replay(sc, fmt), (name, fmt)
            for until in (0, 5, n // 2, n - 2):
                assert _whole_replay(sc, fmt, until) == _plain_replay(sc, fmt, until + 1), (name, until)
    text, stopped = _whole_replay(scenarios["nan"], "text")
    assert stopped and text.splitlines()[-1].endswith("= inf") and "step 97" in text.splitlines()[-1]
    # The whole-step path is the one taken (not the per-event one, for every step).
    sc = load("ex4-3")
    t = Timeline(sc.program)
    for lines in (TextLines(t), JsonLines()):
        assert StepLines(t, lines).write(1, t.step_numbers(1)) is not None
    sc32 = load("lecture4-torch")
    t32 = Timeline(sc32.program)
    assert StepLines(t32, TextLines(t32)).write(1, t32.step_numbers(1)) is not None


# ----- issue 12: replay on arrays --------------------------------------------------------


def test_lecture5_text_matches_golden():
    """Lecture 5's first two steps (x = [[1], [2], [3]], y = [[2], [4], [6]], float32, sum-
    reduced MSE): small arrays whole and exact, x @ w's local gradient as its rule with
    shapes, ∂loss/∂b summed over the rows, 'batch 0' (the whole set per step)."""
    r = run("replay", "lecture5", "--until", "30")
    assert r.returncode == 0, r.stderr
    assert r.stdout == (GOLDEN / "lecture5-until-30.txt").read_text()
    lines = r.stdout.splitlines()
    assert lines[7].endswith("local_grad     local ∂y_hat₁/∂w: xᵀ · upstream, (3, 1)ᵀ · (3, 1) → (1, 1)")
    assert lines[1].startswith(
        "#1     step 0   epoch 0   forward        y_hat₁ = x @ w = [[1.0], [2.0], [3.0]] @ "
    )
    # ∂loss/∂w = Σ x·∂loss/∂y_hat₁ = 1·(-2.627...) + 2·(-5.407...) + 3·(-8.187...) = -38.0039
    assert lines[12].endswith(
        "∂loss/∂w (1, 1) = xᵀ · ∂loss/∂y_hat₁ = [[1.0], [2.0], [3.0]]ᵀ · [[-2.627330780029297],"
        " [-5.407319068908691], [-8.187307357788086]] = [[-38.00389099121094]]"
    )
    assert ", summed over axis 0: broadcasting undone = [-16.22195816040039]" in lines[11]


def test_lecture7_text_names_shapes_never_a_dump():
    """759 × 8 @ 8 × 6: operands by shape, values compact (shape, first entries, norm), the
    local gradient of @ as its rule with shapes, b1's product summed back from (759, 6)."""
    r = run("replay", "lecture7", "--until", "53")
    assert r.returncode == 0, r.stderr
    lines = [body_of(line) for line in r.stdout.splitlines()]
    assert max(map(len, lines)) < 600
    assert lines[0].startswith("h1₁ = x @ W1 = (759, 8) @ (8, 6) = (759, 6) [[") and " ‖·‖ " in lines[0]
    assert "local ∂h1₁/∂W1: xᵀ · upstream, (759, 8)ᵀ · (759, 6) → (8, 6)" in lines
    assert "local ∂h1₂/∂b1 = 1 = (759, 6) all 1.0" in lines
    # bce's mean divides by its 759 elements: the count written in.
    assert lines[10].startswith(
        "local ∂loss/∂y_hat = (y_hat-y)/(y_hat*(1-y_hat))/n = (y_hat-y)/(y_hat*(1-y_hat))/759 = (759, 1) [["
    )
    b1 = next(line for line in lines if line.startswith("∂loss/∂b1 (6,)"))
    assert "= (759, 6) × (759, 6), summed over axis 0: broadcasting undone = [" in b1
    w1 = next(line for line in lines if line.startswith("∂loss/∂W1"))
    assert w1.startswith("∂loss/∂W1 (8, 6) = xᵀ · ∂loss/∂h1₁ = (759, 8)ᵀ · (759, 6) = (8, 6) [[")
    update = next(line for line in lines if line.startswith("W1 ←"))
    assert update.startswith("W1 ← W1 − lr·∂loss/∂W1 = (8, 6) − ") and " × (8, 6) = (8, 6) [[" in update


def test_adam_update_lines_and_json_carry_the_optimizer_state():
    """adam: the update reads W1 ← W1 − lr·m̂/(√v̂ + ε) with m, v and the bias corrections
    after it; in JSON they are keys of their own, m and v of the param's shape, exact."""
    r = run("replay", "adam", "--format", "jsonl", "--until", "60")
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines()]
    ups = [e for e in events if e["kind"] == "update"]
    assert [u["param"] for u in ups] == ["W1", "b1", "W2", "b2", "W3", "b3"]
    w1, b3 = ups[0], ups[-1]
    keys = ["before", "grad", "lr", "after", "m", "v", "bias_correction1", "bias_correction2"]
    assert list(w1)[-8:] == keys
    assert len(w1["m"]) == 8 and len(w1["m"][0]) == 6 and len(w1["v"][7]) == 6
    # Step 1 (t = 1): 1 − 0.9 and 1 − 0.999, in the run's dtype, widened exactly.
    assert abs(w1["bias_correction1"] - 0.1) < 1e-8 and abs(w1["bias_correction2"] - 0.001) < 1e-10
    r = run("replay", "adam", "--until", "60")
    assert r.returncode == 0, r.stderr
    text = next(line for line in r.stdout.splitlines() if " update " in line and "b3 ←" in line)
    assert text.endswith(
        f"update         b3 ← b3 − lr·m̂/(√v̂ + ε) = {b3['before']} − {b3['lr']} × m̂/(√v̂ + ε) = {b3['after']}"
        f"  (m ← β1·m + (1 − β1)·∂loss/∂b3: {b3['m']}; v ← β2·v + (1 − β2)·(∂loss/∂b3)²: {b3['v']}"
        f"; m̂ ← m/(1 − β1ᵗ), 1 − β1ᵗ: {b3['bias_correction1']}"
        f"; v̂ ← v/(1 − β2ᵗ), 1 − β2ᵗ: {b3['bias_correction2']})"
    )


def test_digits_round_small_arrays_and_keep_json_exact():
    """--digits 3: a small array's entries to 3 digits, a large one's preview and norm too."""
    r = run("replay", "lecture5", "--until", "12", "--digits", "3")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[12].endswith(
        "∂loss/∂w (1, 1) = xᵀ · ∂loss/∂y_hat₁ = [[1.0], [2.0], [3.0]]ᵀ"
        " · [[-2.63], [-5.41], [-8.19]] = [[-38.0]]"
    )
    r = run("replay", "lecture7", "--until", "0", "--digits", "3")
    assert r.stdout.rstrip().endswith("= (759, 6) [[0.126, 0.0447, -0.183, …], …] ‖·‖ 20.6")


def test_a_reused_array_accumulates_and_a_nan_in_an_array_is_located(tmp_path: Path):
    """z used twice (z * z): two contributions, then accumulate adds them entry by entry
    (-1.5 + -1.5 = -3.0); a NaN in an array stops replay at its event, naming the entry."""
    f = tmp_path / "reuse.yaml"
    f.write_text(
        "params: {w: [[0.5], [-1.0]]}\ndata: {x: [[1.0, 2.0], [2.0, 1.0], [0.0, 1.0]]}\n"
        "model:\n  z: x @ w\n  loss: sum(z * z)\ntrain: {epochs: 1, lr: 0.1}\n"
    )
    r = run("replay", str(f))
    assert r.returncode == 0, r.stderr
    body = [body_of(line) for line in r.stdout.splitlines()]
    assert body[9] == (
        "∂loss/∂z (3, 1) via loss₁ (arg 1) = ∂loss/∂loss₁ · local ∂loss₁/∂z"
        " = [[1.0], [1.0], [1.0]] × [[-1.5], [0.0], [-1.0]] = [[-1.5], [0.0], [-1.0]]"
    )
    assert body[11] == (
        "∂loss/∂z += [[-1.5], [0.0], [-1.0]]: [[-1.5], [0.0], [-1.0]] + [[-1.5], [0.0], [-1.0]]"
        " = [[-3.0], [0.0], [-2.0]]"
    )
    # ∂loss/∂w = xᵀ · [[-3], [0], [-2]] = [[1·-3 + 0 + 0], [2·-3 + 0 + 1·-2]] = [[-3], [-8]]
    assert body[12].endswith("ᵀ · [[-3.0], [0.0], [-2.0]] = [[-3.0], [-8.0]]")
    f.write_text(f.read_text().replace("sum(z * z)", "sum(log(z) * z)"))
    r = run("replay", str(f))
    assert r.returncode == 2
    last = r.stdout.splitlines()[-1]
    assert last.endswith("loss₁ = log(z) = log([[-1.5], [0.0], [-1.0]]) = [[nan], [-inf], [nan]]")
    # Line 5, column 13: the log in "  loss: sum(log(z) * z)".
    assert r.stderr == (
        f"{f}:5:13: non-finite value nan first appears at event 1"
        " (forward loss₁, value[0, 0]; step 0, epoch 0)\n"
    )
