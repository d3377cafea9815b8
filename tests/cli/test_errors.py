"""Bad input on the command line: one line on stderr, exit status 2, no traceback.

Every bad scenario of tests/scenario/bad_cases.py goes through ``replay``, ``check`` and
``open`` in-process (fast); a sample runs as ``python -m stepgrad`` in real processes,
which is where a stray traceback or NumPy warning would show.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from stepgrad.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _bad_cases() -> list[tuple[str, str, str]]:
    spec = importlib.util.spec_from_file_location("bad_cases", ROOT / "tests" / "scenario" / "bad_cases.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CASES


CASES = _bad_cases()
COMMANDS = ("replay", "check", "open")

LECTURE = """\
params: {w: 1.0}
data:
  x: [1.0, 2.0, 3.0]
  y: [2.0, 4.0, 6.0]
model:
  y_hat: x * w
  s: y_hat - y
  loss: s ** 2
train:
"""
# lr 10 on the lecture's model: |w| grows about 19-fold per step until s ** 2 overflows.
DIVERGES = LECTURE + "  epochs: 100\n  lr: 10\n"
# The first update already overflows: w - 1e308 × (-2) is infinite.
LR_HUGE = LECTURE + "  epochs: 3\n  lr: 1.0e308\n"
LOG_NEGATIVE = "params: {w: 1.0}\ninputs: {x: 1.0, y: 2.0}\nmodel:\n  y_hat: x * w\n  loss: log(y_hat - y)\n"

DIVERGES_ERROR = (
    "8:9: non-finite value inf first appears at event 1120 (forward loss, value; step 86, epoch 28)"
    "; training diverged: lr (line 11) may be too large"
)
LR_HUGE_ERROR = (
    "11:7: non-finite value inf first appears at event 11 (update w, after; step 0, epoch 0); "
    "the learning rate may be too large"
)
LOG_NEGATIVE_ERROR = (
    "5:9: non-finite value nan first appears at event 2 (forward loss, value; step 0, epoch 0)"
    "; log(-1.0) has no real value: outside the op's domain, not a divergence"
)
# A negative base to a fractional power after two good steps: NaN, but nothing diverged.
POW_NEGATIVE = (
    "params: {w: 0.7}\ndata:\n  x: [0.0, 1.3, -2.5]\nmodel:\n  loss: x ** w\ntrain: {epochs: 2, lr: 0.125}\n"
)


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the CLI in this process: exit status, stdout, stderr."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 1), out, err


@pytest.fixture(scope="module")
def case_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each bad case written to its own file, once for all commands."""
    where = tmp_path_factory.mktemp("bad")
    files = {}
    for i, (name, text, _) in enumerate(CASES):
        files[name] = where / f"case{i}.yaml"
        files[name].write_text(text, encoding="utf-8")
    return files


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("name", "expected"), [(c[0], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_every_bad_scenario_every_command(
    command: str, name: str, expected: str, case_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    f = case_files[name]
    code, out, err = run_main([command, str(f)], capsys)
    assert (code, out, err) == (2, "", f"{f}:{expected}\n")


@pytest.mark.parametrize("command", COMMANDS)
def test_file_problems_every_command(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Missing file, directory, not UTF-8: the same one line from every command."""
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(b"name: caf\xe9\nparams: {w: 1}\n")
    code, out, err = run_main([command, str(tmp_path / "nope.yaml")], capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"{tmp_path}/nope.yaml:1:1: no such file (bundled scenarios: lecture4, ")
    assert err.count("\n") == 1
    directory = f"{tmp_path}:1:1: is a directory, not a scenario file\n"
    assert run_main([command, str(tmp_path)], capsys) == (2, "", directory)
    not_utf8 = f"{latin1}:1:10: the file is not UTF-8 text (byte 0xe9)\n"
    assert run_main([command, str(latin1)], capsys) == (2, "", not_utf8)


USAGE = [
    (
        ["replay", "lecture4", "--until", "-1"],
        "stepgrad replay: argument --until: event numbers start at 0, not -1",
    ),
    (
        ["replay", "lecture4", "--until", "abc"],
        "stepgrad replay: argument --until: expected an event number, not 'abc'",
    ),
    (["replay", "lecture4", "--format", "xml"], "stepgrad replay: argument --format: invalid choice: 'xml'"),
    (["replay"], "stepgrad replay: the following arguments are required: scenario"),
    # An unknown option of a command is the command's, and its own help lists its options
    # (`stepgrad --help` does not): a newcomer's `replay --steps 0` was sent to the wrong help.
    (
        ["replay", "lecture4", "--bogus"],
        "stepgrad replay: unrecognized arguments: --bogus (see stepgrad replay --help)",
    ),
    (
        ["check", "lecture4", "--bogus"],
        "stepgrad check: unrecognized arguments: --bogus (see stepgrad check --help)",
    ),
    (
        ["open", "lecture4", "--bogus"],
        "stepgrad open: unrecognized arguments: --bogus (see stepgrad open --help)",
    ),
    (["lecture4", "--bogus"], "stepgrad open: unrecognized arguments: --bogus (see stepgrad open --help)"),
    (["--bogus"], "stepgrad: unrecognized arguments: --bogus (see stepgrad --help)"),
    (["list", "extra"], "stepgrad list: unrecognized arguments: extra (see stepgrad list --help)"),
    # Not a command, so a scenario for `open`: and there is no such file.
    (
        ["frobnicate"],
        "stepgrad: 'frobnicate' is neither a command (open, replay, check, list) nor a scenario file",
    ),
]


@pytest.mark.parametrize(("argv", "start"), USAGE, ids=[" ".join(u[0]) for u in USAGE])
def test_usage_errors(argv: list[str], start: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(argv, capsys)
    assert (code, out) == (2, "")
    assert err.startswith(start)
    assert err.count("\n") == 1


class TestNonFiniteInProcess:
    """``replay`` prints the events up to the first non-finite one, then the error line."""

    def test_text(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        f = tmp_path / "diverges.yaml"
        f.write_text(DIVERGES)
        code, out, err = run_main(["replay", str(f)], capsys)
        lines = out.splitlines()
        assert code == 2
        assert err == f"{f}:{DIVERGES_ERROR}\n"
        assert len(lines) == 1121
        assert lines[-1].startswith("#1120 ")
        assert lines[-1].endswith("loss = s^2 = (-4.69944095314767e+155)^2 = inf")

    def test_jsonl(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        f = tmp_path / "diverges.yaml"
        f.write_text(DIVERGES)
        code, out, err = run_main(["replay", "--format", "jsonl", str(f)], capsys)
        last = json.loads(out.splitlines()[-1])
        assert (code, err) == (2, f"{f}:{DIVERGES_ERROR}\n")
        assert (last["seq"], last["kind"], last["node"], last["step"]) == (1120, "forward", "loss", 86)
        assert last["value"] == "Infinity"

    def test_until_stops_before_the_trouble(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        f = tmp_path / "diverges.yaml"
        f.write_text(DIVERGES)
        assert run_main(["replay", "--until", "1119", str(f)], capsys)[0] == 0

    def test_update_points_at_lr(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        f = tmp_path / "lr.yaml"
        f.write_text(LR_HUGE)
        code, out, err = run_main(["replay", str(f)], capsys)
        assert (code, err) == (2, f"{f}:{LR_HUGE_ERROR}\n")
        assert out.splitlines()[-1].startswith("#11 ")

    def test_log_of_a_negative(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        f = tmp_path / "log.yaml"
        f.write_text(LOG_NEGATIVE)
        code, out, err = run_main(["replay", str(f)], capsys)
        assert (code, err) == (2, f"{f}:{LOG_NEGATIVE_ERROR}\n")
        assert out.splitlines()[-1].endswith("loss = log(loss₁) = log(-1.0) = nan")


# --- real processes ------------------------------------------------------------------------

UNKNOWN_NAME = "params: {w: 1.0}\ninputs: {x: 1.0, y: 2.0}\nmodel:\n  y_hat: x * w\n  loss: (yhat - y) ** 2\n"
UNKNOWN_NAME_ERROR = "5:10: unknown name 'yhat'; did you mean 'y_hat'?"
IMPORT = "params: {w: 1.0}\ninputs: {x: 1.0}\nmodel:\n  loss: __import__('os').system('echo hi')\n"
IMPORT_ERROR = (
    "4:25: attribute access ('.system') is not allowed; a model may use numbers, names, + - * / ** @, "
    "unary -, x.T, parentheses and exp, log, sqrt, sigmoid, tanh, relu, sin, cos, abs, softplus, log1p, "
    "transpose, sum, mean, softmax, log_softmax, mse, bce, cross_entropy"
)
# Arrays (issue 12): shapes that do not fit, a bad cell of a CSV file, a label that is no class.
MATMUL = (
    "params:\n  W1: {shape: [2, 6], init: linear, seed: 1}\n"
    "data:\n  x: [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [1.0, 1.0, 1.0], [0.0, 0.0, 1.0]]\n"
    "model:\n  h: sigmoid(x @ W1)\n  loss: mean(h)\n"
)
MATMUL_ERROR = "6:14: x @ W1: (4, 3) @ (2, 6) cannot be multiplied (3 ≠ 2)"
FILES = {
    "unknown.yaml": UNKNOWN_NAME.encode(),
    "import.yaml": IMPORT.encode(),
    "latin1.yaml": b"name: caf\xe9\nparams: {w: 1}\n",
    "invalid.yaml": b"params: {w: 1.0\nmodel: {}\n",
    "diverges.yaml": DIVERGES.encode(),
    "lr.yaml": LR_HUGE.encode(),
    "log.yaml": LOG_NEGATIVE.encode(),
    # 0x and 3,600 f: Python reads it, but str() of it raised in the step count's f-string.
    "passwd": b"root:x:0:0:root:/root:/bin/bash\nalice:$6$s4lt$h4sh:19000:0:99999:7:::\n",
    "hex.yaml": (LECTURE + "  epochs: 0x" + "f" * 3600 + "\n  lr: 0.1\n").encode(),
    "matmul.yaml": MATMUL.encode(),
    "csv.yaml": b"params: {W: [[1.0], [2.0]]}\ndata: {file: points.csv, x: [0, 1], y: 2}\n"
    b"model:\n  loss: cross_entropy(x @ W, y)\n",
    "points.csv": b"a,b,label\n1.0,2.0,0\n3.0,4.0,x1\n",
    "labels.yaml": b"params: {W: [[1.0, 0.5], [2.0, 0.5]]}\ndata: {file: labels.csv, x: [0, 1], y: 2}\n"
    b"model:\n  loss: cross_entropy(x @ W, y)\n",
    "labels.csv": b"1.0,2.0,0\n3.0,4.0,2\n",
}
NOT_A_SCENARIO = "1:1: is not a stepgrad scenario (expected a mapping with params and model)"
HEX_ERROR = "10:11: 'epochs': integer too large (beyond 1.8e+308, the largest float64)"
BUNDLED = "lecture4, ex4-1, ex4-2, ex4-3, ex4-4, ex4-5, lecture4-torch, no-zero-grad"

# (id, arguments, the one stderr line, stdout's last line or None for no output).
# Paths are relative: the processes run in the directory holding FILES. Kept short: each
# process costs a third of a second; the in-process tests above cover every case.
PROCESSES: list[tuple[str, list[str], str, str | None]] = [
    (
        "replay missing file",
        ["replay", "nope.yaml"],
        f"nope.yaml:1:1: no such file (bundled scenarios: {BUNDLED}",
        None,
    ),
    (
        "replay not UTF-8",
        ["replay", "latin1.yaml"],
        "latin1.yaml:1:10: the file is not UTF-8 text (byte 0xe9)",
        None,
    ),
    ("replay unknown name", ["replay", "unknown.yaml"], f"unknown.yaml:{UNKNOWN_NAME_ERROR}", None),
    ("replay __import__", ["replay", "import.yaml"], f"import.yaml:{IMPORT_ERROR}", None),
    ("replay diverges", ["replay", "diverges.yaml"], f"diverges.yaml:{DIVERGES_ERROR}", "#1120 "),
    ("replay lr too large", ["replay", "lr.yaml"], f"lr.yaml:{LR_HUGE_ERROR}", "#11 "),
    ("replay log of a negative", ["replay", "log.yaml"], f"log.yaml:{LOG_NEGATIVE_ERROR}", "#2 "),
    (
        "replay --until abc",
        ["replay", "lecture4", "--until", "abc"],
        "stepgrad replay: argument --until: expected an event number, not 'abc' (see stepgrad replay --help)",
        None,
    ),
    (
        "unknown subcommand",
        ["frobnicate"],
        "stepgrad: 'frobnicate' is neither a command (open, replay, check, list) nor a scenario file "
        "(see stepgrad --help)",
        None,
    ),
    ("check unknown name", ["check", "unknown.yaml"], f"unknown.yaml:{UNKNOWN_NAME_ERROR}", None),
    ("check diverges", ["check", "diverges.yaml"], f"diverges.yaml:{DIVERGES_ERROR}", ""),
    ("check a password file", ["check", "passwd"], f"passwd:{NOT_A_SCENARIO}", None),
    ("replay hex epochs", ["replay", "hex.yaml"], f"hex.yaml:{HEX_ERROR}", None),
    ("check hex epochs", ["check", "hex.yaml"], f"hex.yaml:{HEX_ERROR}", None),
    ("open hex epochs", ["open", "hex.yaml", "--screenshot", "hex.svg"], f"hex.yaml:{HEX_ERROR}", None),
    ("replay matmul shapes", ["replay", "matmul.yaml"], f"matmul.yaml:{MATMUL_ERROR}", None),
    ("check matmul shapes", ["check", "matmul.yaml"], f"matmul.yaml:{MATMUL_ERROR}", None),
    # A bad cell is reported where it is, in the CSV file.
    ("replay bad CSV cell", ["replay", "csv.yaml"], "points.csv:3:9: 'x1' is not a number (column 2)", None),
    (
        "replay label outside the classes",
        ["replay", "labels.yaml"],
        "labels.csv:2:9: data 'y' row 2: label 2 is outside 0…1 (cross_entropy(x @ W, y) has 2 classes)",
        None,
    ),
    (
        "open invalid YAML",
        ["open", "invalid.yaml"],
        "invalid.yaml:2:6: invalid YAML: expected ',' or '}', but got ':' (the { opened at line 1, column 9)",
        None,
    ),
]


@pytest.fixture(scope="module")
def processes(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, subprocess.CompletedProcess[str]]]:
    """Run every process of PROCESSES at once (two at a time per core is plenty)."""
    where = tmp_path_factory.mktemp("cli")
    for name, data in FILES.items():
        (where / name).write_bytes(data)

    def run(args: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "stepgrad", *args],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "default"},
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(zip([p[0] for p in PROCESSES], pool.map(run, [p[1] for p in PROCESSES]), strict=True))
    yield results


@pytest.mark.parametrize(
    ("name", "stderr", "stdout_last"), [(p[0], p[2], p[3]) for p in PROCESSES], ids=[p[0] for p in PROCESSES]
)
def test_process(
    name: str, stderr: str, stdout_last: str | None, processes: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    r = processes[name]
    assert "Traceback" not in r.stderr
    assert r.returncode == 2
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    if stderr.endswith(BUNDLED):  # the bundled list may grow
        assert lines[0].startswith(stderr.removesuffix(BUNDLED) + "lecture4, ")
    else:
        assert lines[0] == stderr
    if stdout_last is None:
        assert r.stdout == ""
    elif stdout_last:
        assert r.stdout.splitlines()[-1].startswith(stdout_last)


def test_nothing_ran(processes: dict[str, subprocess.CompletedProcess[str]]) -> None:
    """``__import__('os').system('echo hi')`` printed nothing: it was never executed."""
    assert "hi" not in processes["replay __import__"].stdout


# --- hostile files that are valid scenarios --------------------------------------------------

# A byte order mark, CRLF line ends, names in three scripts, a merge key overridden by a
# written key, a sexagesimal epochs (1:00 is 60), a 200,000-character description line
# and a 300-character wide name: a scenario still, which every command must run.
HOSTILE_OK = (
    "\ufeffname: " + "講" * 300 + "\n"
    "description: " + "x" * 200_000 + "\n"
    "params: &p {ŵ: 1.0, 重み: 0.5}\n"
    "data:\n  x: [1.0, 2.0]\n  y: [2.0, 4.0]\n"
    "model:\n  ŷ: x * ŵ + 重み\n  loss: (ŷ - y) ** 2\n"
    "train: {epochs: 1:00, lr: 0.01}\n"
    "expect:\n  params:\n    <<: *p\n    ŵ: 1.0\n"
).replace("\n", "\r\n")


def test_hostile_but_valid_file_every_command(tmp_path: Path) -> None:
    """Runs in real processes: exit 0 or 1 (the expectation may fail), no traceback, no escape."""
    f = tmp_path / "hostile.yaml"
    f.write_text(HOSTILE_OK, encoding="utf-8", newline="")
    svg = tmp_path / "hostile.svg"

    def run(args: list[str]) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "stepgrad", *args],
            capture_output=True,
            timeout=120,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "default"},
        )

    commands = [["replay", str(f)], ["check", str(f)], ["open", str(f), "--screenshot", str(svg)]]
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(run, commands))
    for args, r in zip(commands, results, strict=True):
        assert r.returncode in (0, 1), (args[0], r.stderr.decode()[-500:])
        assert b"Traceback" not in r.stderr and b"\x1b" not in r.stdout, args[0]
    assert results[0].returncode == 0 and results[0].stdout.count(b"\n") > 60 * 2 * 10
    assert svg.stat().st_size > 0


def test_a_domain_error_after_good_steps_is_not_called_a_divergence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "pow.yaml"
    f.write_text(POW_NEGATIVE)
    code, _, err = run_main(["replay", str(f)], capsys)
    assert code == 2
    assert "diverged" not in err
    assert err.rstrip().endswith("has no real value: outside the op's domain, not a divergence")
    assert "pow(-2.5, " in err
