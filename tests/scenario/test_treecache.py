"""The cache of parsed scenario files: the same tree as the parser's, or no cache at all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stepgrad.errors import ScenarioError
from stepgrad.scenario import bundled, load, treecache
from stepgrad.scenario.yamlloc import Loc, Source, load_located


def shape(loc: Loc) -> Any:
    """Everything a Loc holds, positions and spans included, as plain data."""
    value = loc.value
    if isinstance(value, dict):
        value = {k: shape(v) for k, v in value.items()}
    elif isinstance(value, list):
        value = [shape(v) for v in value]
    else:
        value = (type(value).__name__, repr(value))
    return (value, loc.line, loc.col, loc.keys, loc.style, loc.span, loc.source is not None)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("STEPGRAD_CACHE_DIR", str(folder))
    return folder


@pytest.mark.parametrize("name", sorted(bundled()))
def test_every_bundled_scenario_reads_back_as_parsed(name: str, cache: Path) -> None:
    path = bundled()[name]
    text = path.read_text("utf-8")
    parsed = load_located(text, str(path), path)  # parsed, then kept
    assert len(list(cache.iterdir())) == 1
    kept = treecache.get(path, text, Source(text))
    assert kept is not None
    assert shape(kept) == shape(parsed)
    # And what the scenario makes of it: the same model, data and numbers.
    again = load(name)
    assert again.program.graph.order == load(str(path)).program.graph.order
    assert repr(again.program.params) == repr(load(str(path)).program.params)


def test_second_open_does_not_import_the_yaml_parser(cache: Path) -> None:
    probe = "import sys; from stepgrad.scenario import load; load('lecture4'); print('yaml' in sys.modules)"
    env = {**os.environ, "STEPGRAD_CACHE_DIR": str(cache)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
        ).stdout
        for _ in range(2)
    ]
    assert runs == ["True\n", "False\n"]


def test_an_edited_file_is_parsed_again(tmp_path: Path, cache: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("params: {w: 1.0}\ninputs: {x: 2.0}\nmodel:\n  loss: (x * w) ** 2\n")
    assert load(str(f)).program.params["w"] == 1.0
    f.write_text("params: {w: 3.0}\ninputs: {x: 2.0}\nmodel:\n  loss: (x * w) ** 2\n")
    assert load(str(f)).program.params["w"] == 3.0


def test_a_file_with_a_mistake_is_never_kept(tmp_path: Path, cache: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("params: {w: 1.0}\nmodel:\n  loss: [w\n")
    for _ in range(2):
        with pytest.raises(ScenarioError) as e:
            load(str(f))
        assert "invalid YAML" in e.value.message
    assert not cache.exists() or not list(cache.iterdir())


def test_a_damaged_cache_file_is_a_miss(tmp_path: Path, cache: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("params: {w: 1.0}\ninputs: {x: 2.0}\nmodel:\n  loss: (x * w) ** 2\n")
    load(str(f))
    (kept,) = cache.iterdir()
    for junk in (b"", b"\x00garbage", kept.read_bytes()[:-7]):
        kept.write_bytes(junk)
        assert load(str(f)).program.params["w"] == 1.0


def test_an_unwritable_cache_or_none_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("params: {w: 1.0}\ninputs: {x: 2.0}\nmodel:\n  loss: (x * w) ** 2\n")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("STEPGRAD_CACHE_DIR", str(blocker / "cache"))  # cannot be made
    assert load(str(f)).program.params["w"] == 1.0
    monkeypatch.setenv("STEPGRAD_CACHE_DIR", "")  # turned off
    assert treecache.cache_dir() is None
    assert load(str(f)).program.params["w"] == 1.0


def test_aliases_stay_shared(tmp_path: Path, cache: Path) -> None:
    # Nine levels of nine aliases: 9**9 items expanded, a few dozen nodes kept.
    lines = ["a0: &a0 [1.0]"] + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    text = "\n".join(lines) + "\n"
    f = tmp_path / "alias.yaml"
    parsed = load_located(text, str(f), f)
    (kept_file,) = cache.iterdir()
    assert kept_file.stat().st_size < 10_000
    kept = treecache.get(f, text, Source(text))
    assert kept is not None
    a9 = kept.value["a9"].value
    assert all(item is a9[0] for item in a9)
    assert kept.value["a1"].value[0] is kept.value["a0"]
    assert parsed.value["a1"].value[0].line == kept.value["a1"].value[0].line == 1


def test_a_value_marshal_cannot_keep_is_not_cached(tmp_path: Path, cache: Path) -> None:
    text = "when: 2001-12-14\n"  # YAML reads a date
    f = tmp_path / "d.yaml"
    load_located(text, str(f), f)
    assert not cache.exists() or not list(cache.iterdir())


def test_the_cache_keeps_a_bounded_number_of_files(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(treecache, "KEEP", 3)
    for i in range(5):
        f = tmp_path / f"s{i}.yaml"
        f.write_text(f"params: {{w: {i}.0}}\ninputs: {{x: 2.0}}\nmodel:\n  loss: (x * w) ** 2\n")
        load(str(f))
    assert len(list(cache.iterdir())) == 3
    # The newest stay: the last file opened reads back from the cache.
    text = f.read_text()
    assert treecache.get(f, text, Source(text)) is not None
