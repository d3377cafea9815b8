"""`stepgrad open --keys`: key names as the help writes them, and one line saying where the
keys led when no screenshot is asked for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stepgrad.app.run import UsageError, parse_keys


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stepgrad", *args], capture_output=True, text=True, timeout=120
    )


class TestParseKeys:
    def test_names_in_any_case_as_the_help_spells_them(self):
        assert parse_keys("Home End Enter Space Esc") == ["home", "end", "enter", "space", "escape"]
        assert parse_keys("HOME escape esc Right") == ["home", "escape", "escape", "right"]

    def test_modifiers_in_any_case(self):
        assert parse_keys("Ctrl+Right shift+Home") == ["ctrl+right", "shift+home"]

    def test_one_character_keeps_its_case(self):
        # N is not n: an upper-case letter is another key.
        assert parse_keys("n N b ?") == ["n", "N", "b", "question_mark"]

    def test_unknown_name_is_quoted_as_typed(self):
        with pytest.raises(UsageError, match=r"^--keys: unknown key 'Homer' \(use names like"):
            parse_keys("n Homer")


class TestWhereItEnded:
    """lecture4 has 13 events (tests/cli/golden/lecture4.txt)."""

    def test_keys_without_screenshot_print_the_event_reached(self):
        # n n n: events #0, #1, #2; b: to the end of the backward pass, #10.
        r = run("open", "lecture4", "--keys", "n n n b")
        assert (r.returncode, r.stderr) == (0, "")
        assert r.stdout == "event #10 of 13 · step 0 · sample 0 · backward: grads: ∂loss/∂w = -2.0\n"

    def test_home_and_the_message_the_last_key_left(self):
        r = run("open", "lecture4", "--keys", "End Home")
        assert (r.returncode, r.stdout) == (0, "start: before event #0 of 13\n")
        r = run("open", "lecture4", "--keys", "e e")
        assert r.returncode == 0
        assert r.stdout == (
            "event #12 of 13 · step 0 · sample 0 · update: w.grad ← 0  (was -2.0)"
            " — already in the last epoch's last event\n"
        )

    def test_screenshot_prints_nothing(self, tmp_path: Path):
        out = tmp_path / "s.svg"
        r = run("open", "lecture4", "--keys", "n n", "--screenshot", str(out))
        assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
        assert out.read_text(encoding="utf-8").startswith("<svg")

    def test_unknown_key_is_one_line_and_exit_2(self):
        r = run("open", "lecture4", "--keys", "n Homer")
        assert (r.returncode, r.stdout) == (2, "")
        assert r.stderr == (
            "stepgrad: --keys: unknown key 'Homer' (use names like n, right, space, home, end, enter)\n"
        )


class TestQuitKey:
    """Issue 9 item 7: a key that quits the app ended the headless run's message loop while
    the pilot still waited for it (its next key, and torch's worker, cancelled by the exit):
    with two busy processes beside it, `--keys q` hung 3 times of 3."""

    @pytest.mark.parametrize("keys", ["q", "ctrl+q", "q q"])
    def test_quit_under_cpu_load_ends(self, keys: str, tmp_path: Path):
        busy = [subprocess.Popen([sys.executable, "-c", "while 1: pass"]) for _ in range(2)]
        try:
            # Quitting waits for a torch import already under way (tens of seconds on a
            # loaded machine); the hang never ended.
            r = run("open", "lecture4", "--keys", keys)
        finally:
            for b in busy:
                b.kill()
                b.wait()
        assert (r.returncode, r.stderr) == (0, "")
        assert r.stdout == "start: before event #0 of 13\n"

    def test_quit_with_screenshot_keeps_the_screen_before_quitting(self, tmp_path: Path):
        out = tmp_path / "q.svg"
        r = run("open", "lecture4", "--keys", "n q", "--screenshot", str(out))
        assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
        assert "y_hat" in out.read_text(encoding="utf-8")


class TestScreenshotPath:
    """Issue 9 item 8: a screenshot path that cannot be written gave ~44 lines of traceback;
    now one line naming the path and the system's reason, exit 2, checked before the app
    runs where it can be, and no empty file left behind."""

    def _refused(self, path: str, expected: str) -> None:
        r = run("open", "lecture4", "--keys", "n", "--screenshot", path)
        assert (r.returncode, r.stdout, r.stderr) == (2, "", expected + "\n")

    def test_a_directory(self, tmp_path: Path):
        self._refused(str(tmp_path), f"stepgrad: --screenshot {tmp_path}: is a directory")

    def test_an_empty_path(self):
        self._refused("", "stepgrad: --screenshot: the path is empty")

    def test_a_path_under_a_file(self, tmp_path: Path):
        (tmp_path / "f").write_text("x")
        path = str(tmp_path / "f" / "s.svg")
        self._refused(path, f"stepgrad: --screenshot {path}: cannot write there (not a directory)")

    def test_a_kernel_file(self):
        self._refused(
            "/proc/version", "stepgrad: --screenshot /proc/version: cannot write there (invalid argument)"
        )

    def test_a_place_that_refuses_files(self):
        # /proc takes no new files even from root (chmod would not stop root).
        self._refused(
            "/proc/s.svg",
            "stepgrad: --screenshot /proc/s.svg: cannot write there (no such file or directory)",
        )

    def test_a_name_too_long(self, tmp_path: Path):
        path = str(tmp_path / ("a" * 300 + ".svg"))
        self._refused(path, f"stepgrad: --screenshot {path}: cannot write there (file name too long)")

    def test_a_missing_directory(self, tmp_path: Path):
        path = str(tmp_path / "no" / "s.svg")
        self._refused(path, f"stepgrad: --screenshot: no such directory: {tmp_path / 'no'}")

    def test_a_full_device_fails_at_the_write(self):
        # /dev/full opens, and refuses the bytes: found after the run, still one line.
        self._refused(
            "/dev/full", "stepgrad: --screenshot /dev/full: cannot write there (no space left on device)"
        )

    def test_the_check_leaves_no_file(self, tmp_path: Path):
        from stepgrad.app.run import screenshot_problem

        assert screenshot_problem(str(tmp_path / "new.svg")) is None
        assert list(tmp_path.iterdir()) == []

    def test_a_path_with_a_terminal_escape_is_quoted(self, tmp_path: Path):
        from stepgrad.app.run import screenshot_problem

        missing = str(tmp_path / "\x1b[2J")
        line = screenshot_problem(missing + "/s.svg")
        assert line == f"stepgrad: --screenshot: no such directory: {missing!r}"
        assert "\x1b" not in line


class TestSizeAndEnd:
    """Issue 9 item 10 (the app's parts)."""

    def test_full_width_digits_are_refused(self):
        from stepgrad.app.run import parse_size

        # int() reads "１２０" as 120; a size is typed in ASCII digits.
        for bad in ("１２０x４０", "12０x40", "+120x40", "120x4\n0", "9" * 5000 + "x40"):
            with pytest.raises(UsageError, match=r"^--size must be WIDTHxHEIGHT like 120x40, not "):
                parse_size(bad)
        assert parse_size("120x40") == parse_size("120×40") == parse_size("120X40") == (120, 40)

    def test_full_width_size_is_one_line_exit_2(self):
        r = run("open", "lecture4", "--keys", "n", "--size", "１２０x４０")
        assert (r.returncode, r.stdout) == (2, "")
        assert r.stderr == "stepgrad: --size must be WIDTHxHEIGHT like 120x40, not '１２０x４０'\n"

    def test_a_prediction_says_after_training_once(self, tmp_path: Path):
        f = tmp_path / "p.yaml"
        f.write_text(
            "params: {w: 1.0}\ndata: {x: [1.0], y: [2.0]}\n"
            'model: {y_hat: "x * w", loss: "(y_hat - y) ** 2"}\n'
            "train: {epochs: 1, lr: 0.1}\npredict: {x: 3.0}\n"
        )
        r = run("open", str(f), "--keys", "End")
        # w = 1 - 0.1 * 2 * (1 - 2) = 1.2; y_hat = 3 * 1.2 (in float64).
        assert (r.returncode, r.stderr) == (0, "")
        assert r.stdout == "event #14 of 15 · after training: y_hat = 3.5999999999999996\n"
