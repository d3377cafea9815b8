"""Every mistake in a scenario is one line ``FILE:LINE:COL: what is wrong``.

Each case gives the YAML as written and the exact line a user sees; the line and column
can be checked by counting in the YAML text of the case.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bad_cases import CASES, H, M

from stepgrad.errors import ScenarioError
from stepgrad.scenario import load, loads


def error_of(text: str, path: str = "s.yaml") -> str:
    """The one-line error ``loads`` raises for ``text``."""
    with pytest.raises(ScenarioError) as info:
        loads(text, path)
    line = str(info.value)
    assert "\n" not in line and "\r" not in line
    return line


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_line(text: str, expected: str) -> None:
    assert error_of(text) == f"s.yaml:{expected}"


def test_cases_have_unique_names() -> None:
    names = [c[0] for c in CASES]
    assert len(names) == len(set(names))


class TestFiles:
    """Problems with the file itself: no position inside it, so 1:1 (as ruff does)."""

    def test_missing_file(self, tmp_path: Path) -> None:
        missing = tmp_path / "nope.yaml"
        with pytest.raises(ScenarioError) as info:
            load(str(missing))
        assert str(info.value).startswith(f"{missing}:1:1: no such file (bundled scenarios: lecture4, ")

    def test_missing_file_close_to_a_bundled_name(self) -> None:
        with pytest.raises(ScenarioError) as info:
            load("lecture44")
        assert str(info.value) == "lecture44:1:1: no such file; did you mean the bundled scenario 'lecture4'?"

    def test_directory(self, tmp_path: Path) -> None:
        with pytest.raises(ScenarioError) as info:
            load(str(tmp_path))
        assert str(info.value) == f"{tmp_path}:1:1: is a directory, not a scenario file"

    def test_not_utf8(self, tmp_path: Path) -> None:
        f = tmp_path / "latin1.yaml"
        f.write_bytes("name: é\nparams: {w: 1}\n".encode() + b"description: caf\xe9\n")
        with pytest.raises(ScenarioError) as info:
            load(str(f))
        # Line 3, 'caf' then the bad byte in column 17: counted in characters, not bytes.
        assert str(info.value) == f"{f}:3:17: the file is not UTF-8 text (byte 0xe9)"

    def test_name_too_long(self, tmp_path: Path) -> None:
        name = str(tmp_path / ("a" * 300))
        with pytest.raises(ScenarioError) as info:
            load(name)
        assert str(info.value) == f"{name}:1:1: cannot open the file: file name too long"

    def test_too_large(self, tmp_path: Path) -> None:
        f = tmp_path / "big.yaml"
        f.write_text("# " + "x" * 1_000_000 + "\n")
        with pytest.raises(ScenarioError) as info:
            load(str(f))
        assert str(info.value) == f"{f}:1:1: the file is too large (more than 1000000 bytes)"

    def test_error_inside_a_file_names_the_file(self, tmp_path: Path) -> None:
        f = tmp_path / "typo.yaml"
        f.write_text(H + "model:\n  y_hat: x * w\n  loss: (yhat - y) ** 2\n")
        with pytest.raises(ScenarioError) as info:
            load(str(f))
        assert str(info.value) == f"{f}:5:10: unknown name 'yhat'; did you mean 'y_hat'?"

    def test_password_file_is_not_echoed(self, tmp_path: Path) -> None:
        f = tmp_path / "passwd"
        f.write_text("root:x:0:0:root:/root:/bin/bash\nalice:$6$s4lt$h4sh:19000:0:99999:7:::\n")
        with pytest.raises(ScenarioError) as info:
            load(str(f))
        line = str(info.value)
        assert line == f"{f}:1:1: is not a stepgrad scenario (expected a mapping with params and model)"
        assert "h4sh" not in line and "/bin/bash" not in line

    def test_byte_order_mark_is_not_an_error(self) -> None:
        assert loads("\ufeff" + H + M, "bom.yaml").program.graph.by_name["loss"] is not None


class TestMergeKeys:
    """YAML's merge key ``<<``: a key written in the mapping overrides a merged one."""

    PARAMS = "params: &p {w: 1.0}\ninputs: {x: 1.0, y: 2.0}\n" + M

    def test_written_key_wins_over_merged(self) -> None:
        s = loads(self.PARAMS + "expect:\n  params:\n    <<: *p\n    w: 2.0\n", "m.yaml")
        assert s.expect is not None and s.expect.params == {"w": 2.0}

    def test_first_merged_mapping_wins(self) -> None:
        text = self.PARAMS + "expect:\n  grad: &g {w: 5.0}\n  params:\n    <<: [*g, *p]\n"
        s = loads(text, "m.yaml")
        assert s.expect is not None and s.expect.params == {"w": 5.0}


def test_every_bundled_scenario_loads() -> None:
    """The checks refuse nothing that the bundled scenarios use."""
    from stepgrad.scenario import bundled

    names = bundled()
    assert len(names) >= 8
    for name in names:
        load(name)
