"""Array scenarios that would hang, eat the memory or read files elsewhere are refused at
load, in one line (found by an outsider's hostile files)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stepgrad.errors import ScenarioError
from stepgrad.scenario import load, loads

NOT_A_NUMBER = """
params: {W: [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]}
inputs: {x: [[1.0, 2.0, 3.0]]}
model:
  z: x @ W
  loss: z * 2.0
"""

HUGE = """
params: {W: {shape: [2, 50000], init: ones}}
inputs: {x: [[1.0, 2.0]]}
model:
  z: x @ W
  q: z.T @ z
  loss: mean(q)
"""


def error(text: str) -> str:
    with pytest.raises(ScenarioError) as info:
        loads(text, "s.yaml")
    return str(info.value)


def test_a_loss_must_be_one_number() -> None:
    assert error(NOT_A_NUMBER) == (
        "s.yaml:6:9: the loss 'loss' is (1, 2), not one number; take its mean(...) or sum(...), "
        "or use mse / bce / cross_entropy"
    )


def test_an_intermediate_too_large_is_refused_before_numpy_is_asked() -> None:
    assert error(HUGE) == (
        "s.yaml:6:6: z.T @ z would be (50000, 50000), 2,500,000,000 numbers (at most 2,000,000 in one array)"
    )


def _scenario(tmp_path: Path, file: str) -> str:
    path = tmp_path / "s.yaml"
    path.write_text(
        f"params: {{w: [[1.0]]}}\ndata: {{file: {file}, x: [0], y: [0]}}\nmodel:\n  loss: mse(x @ w, y)\n"
    )
    return str(path)


def test_a_tall_data_file_is_refused_by_its_line_count(tmp_path: Path) -> None:
    (tmp_path / "tall.csv").write_text("1\n" * 300_000)
    with pytest.raises(ScenarioError) as info:
        load(_scenario(tmp_path, "tall.csv"))
    assert str(info.value) == (
        f"{tmp_path / 'tall.csv'}:1:1: the data file has 300,001 lines; a scenario takes at most 200,000 rows"
    )


@pytest.mark.parametrize("file", ["/etc/passwd", "../../../etc/passwd"])
def test_a_data_file_outside_the_scenarios_folder_is_not_read(tmp_path: Path, file: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load(_scenario(tmp_path, file))
    assert str(info.value) == (
        f"{tmp_path / 's.yaml'}:2:14: data file '{file}' is outside the scenario's folder; "
        "put it beside the scenario"
    )


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
def test_a_data_file_that_is_no_regular_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    with pytest.raises(ScenarioError) as info:
        load(_scenario(tmp_path, "sub"))
    assert "data file 'sub' is a directory, not a CSV file" in str(info.value)


def test_shuffle_without_batch_size_on_arrays_is_refused() -> None:
    text = (
        "params: {w: [[1.0]]}\n"
        "data: {x: [[1.0], [2.0]], y: [[2.0], [4.0]]}\n"
        "model:\n  loss: mse(x @ w, y)\n"
        "train: {lr: 0.1, shuffle: {seed: 0}}\n"
    )
    assert error(text) == (
        "s.yaml:5:18: shuffle needs batch_size: without it every step takes the whole data set, "
        "whose order changes nothing (add batch_size: N, as a DataLoader's batch_size)"
    )
