"""Array scenarios (issue 12): nested lists, params by shape and initialiser, data from a
CSV file, batches, shuffling and the optimizer, as the loader puts them in ``Program``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stepgrad.engine.program import Optimizer
from stepgrad.errors import ScenarioError
from stepgrad.scenario import load, loads

SMALL = """\
params:
  W: [[0.5, -0.5], [0.25, 1.0]]
  b: [0.1, 0.2]
data:
  x: [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
  y: [0, 1, 1]
model:
  z: x @ W + b
  p: softmax(z, axis=1)
  loss: cross_entropy(z, y)
predict: {x: [[1.0, 1.0]]}
train: {epochs: 2, lr: 0.1}
"""


def error_of(text: str, path: str = "s.yaml") -> str:
    with pytest.raises(ScenarioError) as info:
        loads(text, path)
    return str(info.value)


class TestProgram:
    def test_small_array_scenario(self) -> None:
        p = loads(SMALL, "s.yaml").program
        assert p.params == {"W": [[0.5, -0.5], [0.25, 1.0]], "b": [0.1, 0.2]}
        assert p.data == {"x": ([1.0, 2.0], [3.0, 4.0], [5.0, 6.0]), "y": (0, 1, 1)}
        # Class labels are ints, the rest floats.
        assert all(type(v) is int for v in p.data["y"]) and type(p.data["x"][0][0]) is float
        assert p.predict == {"x": [[1.0, 1.0]]}
        assert p.arrays
        # The whole data set per step, torch's SGD.
        assert (p.batch_size, p.n_rows, p.n_samples, p.n_steps) == (3, 3, 1, 2)
        assert p.optimizer == Optimizer(name="sgd") and p.shuffle_seed is None
        ops = [(n.name, n.op, n.args, n.attrs) for n in p.graph.nodes if not n.is_leaf]
        x, y, w, b = (p.graph.by_name[k] for k in ("x", "y", "W", "b"))
        assert ops == [
            ("z₁", "matmul", (x, w), ()),
            ("z", "add", (p.graph.by_name["z₁"], b), ()),
            ("p", "softmax", (p.graph.by_name["z"],), (("axis", 1),)),
            ("loss", "cross_entropy", (p.graph.by_name["z"], y), ()),
        ]

    def test_keywords_sorted_and_transpose(self) -> None:
        text = (
            "params: {W: [[1.0, 2.0], [3.0, 4.0]]}\ninputs: {y: [[1.0, 2.0], [3.0, 4.0]]}\n"
            "model:\n  loss: 'mse(W.T, y, reduction=\"sum\")'\n"
        )
        g = loads(text).program.graph
        assert [(n.op, n.attrs) for n in g.nodes if not n.is_leaf] == [
            ("transpose", ()),
            ("mse", (("reduction", "sum"),)),
        ]

    def test_scalar_scenario_unchanged(self) -> None:
        p = load("lecture4").program
        assert not p.arrays and p.batch_size is None and p.optimizer == Optimizer()
        assert p.optimizer.name == "lecture"
        assert p.params == {"w": 1.0} and type(p.data["x"][0]) is float  # type: ignore[index]

    def test_scalar_scenario_may_name_an_optimizer(self) -> None:
        text = "params: {w: 1.0}\ndata: {x: [1.0, 2.0], y: [2.0, 4.0]}\nmodel:\n  loss: (x * w - y) ** 2\n"
        p = loads(text + "train: {lr: 0.01, optimizer: sgd}\n").program
        assert p.optimizer == Optimizer(name="sgd") and p.batch_size is None
        # Batched, the loss of a batch is the mean of its samples' (one number, as torch needs).
        batched = text.replace("loss: (x * w - y) ** 2", "loss: mean((x * w - y) ** 2)")
        p = loads(batched + "train: {lr: 0.01, batch_size: 2, shuffle: {seed: 3}}\n").program
        assert (p.batch_size, p.shuffle_seed, p.n_samples, p.arrays) == (2, 3, 1, True)

    @pytest.mark.parametrize(
        ("written", "expected"),
        [
            ("adam", Optimizer(name="adam")),
            ("{name: sgd, momentum: 0.9}", Optimizer(name="sgd", momentum=0.9)),
            ("{name: adam, betas: [0.8, 0.99], eps: 1.0e-6}", Optimizer("adam", 0.0, 0.8, 0.99, 1e-6)),
        ],
    )
    def test_optimizers(self, written: str, expected: Optimizer) -> None:
        text = SMALL.replace("train: {epochs: 2, lr: 0.1}", f"train: {{lr: 0.1, optimizer: {written}}}")
        assert loads(text).program.optimizer == expected


class TestInits:
    def spec(self, spec: str, dtype: str = "float64") -> Any:
        text = f"dtype: {dtype}\nparams:\n  W: {spec}\ninputs: {{x: [1.0, 2.0]}}\n"
        return loads(text + "model:\n  loss: sum(x @ W)\n").program.params["W"]

    def test_uniform_from_the_seed_rounded_to_the_dtype(self) -> None:
        w = self.spec("{shape: [2, 3], init: uniform, low: -0.3, high: 0.3, seed: 7}", "float32")
        drawn = np.random.default_rng(7).uniform(-0.3, 0.3, size=(2, 3))
        assert w == drawn.astype(np.float32).astype(np.float64).tolist()
        assert np.asarray(w).shape == (2, 3) and w != drawn.tolist()

    def test_linear_is_torch_default_bound(self) -> None:
        # fan_in = shape[0] = 4: U(-1/2, 1/2), as nn.Linear(4, 3) starts its weight.
        text = "params:\n  W: {shape: [4, 3], init: linear, seed: 1}\ninputs: {x: [1.0, 2.0, 3.0, 4.0]}\n"
        w = loads(text + "model:\n  loss: sum(x @ W)\n").program.params["W"]
        assert w == np.random.default_rng(1).uniform(-0.5, 0.5, size=(4, 3)).tolist()

    def test_linear_bias_with_fan_in(self) -> None:
        text = (
            "params:\n  W: {shape: [2, 3], init: zeros}\n"
            "  b: {shape: [3], init: linear, fan_in: 16, seed: 2}\n"
            "inputs: {x: [1.0, 2.0]}\nmodel:\n  loss: sum(x @ W + b)\n"
        )
        p = loads(text).program
        assert p.params["W"] == [[0.0] * 3] * 2
        assert p.params["b"] == np.random.default_rng(2).uniform(-0.25, 0.25, size=3).tolist()

    def test_normal_and_ones(self) -> None:
        w = self.spec("{shape: [2, 2], init: normal, mean: 1.0, std: 0.5, seed: 3}")
        assert w == np.random.default_rng(3).normal(1.0, 0.5, size=(2, 2)).tolist()
        assert self.spec("{shape: [2, 1], init: ones}") == [[1.0], [1.0]]


class TestCsv:
    def write(self, where: Path, csv: str, columns: str, model: str = "loss: mse(x @ W, y)") -> Path:
        (where / "data").mkdir(exist_ok=True)
        (where / "data" / "points.csv").write_text(csv)
        f = where / "s.yaml"
        f.write_text(
            f"params:\n  W: [[1.0], [2.0]]\ndata: {{file: data/points.csv, {columns}}}\nmodel:\n  {model}\n"
        )
        return f

    def test_columns_by_number(self, tmp_path: Path) -> None:
        f = self.write(tmp_path, "1,2,3\n4,5,6\n\n", "x: [0, 2], y: [1]")
        p = load(str(f)).program
        assert p.data == {"x": ([1.0, 3.0], [4.0, 6.0]), "y": ([2.0], [5.0])}
        assert p.batch_size == 2

    def test_columns_by_header_name(self, tmp_path: Path) -> None:
        f = self.write(tmp_path, "a, b ,label\n1,2,0\n4,5,1\n", "x: [a, b], y: label",
                       "loss: cross_entropy(x @ W, y)")
        with pytest.raises(ScenarioError) as info:
            load(str(f))
        # One logit, so the only class is 0: the label 1 (line 3 of the CSV) is refused there.
        assert str(info.value) == (
            f"{tmp_path}/data/points.csv:3:5: data 'y' row 2: label 1 is outside 0…0 "
            "(cross_entropy(x @ W, y) has 1 classes)"
        )

    def test_missing_file(self, tmp_path: Path) -> None:
        f = tmp_path / "s.yaml"
        f.write_text("params: {W: [[1.0]]}\ndata: {file: nope.csv, x: [0]}\nmodel:\n  loss: sum(x @ W)\n")
        with pytest.raises(ScenarioError) as info:
            load(str(f))
        assert str(info.value) == f"{f}:2:14: data file 'nope.csv' not found (looked for {tmp_path}/nope.csv)"

    def test_bad_cell_is_reported_in_the_csv(self, tmp_path: Path) -> None:
        f = self.write(tmp_path, "1,2,3\n4, five,6\n", "x: [0, 2], y: [1]")
        with pytest.raises(ScenarioError) as info:
            load(str(f))
        assert str(info.value) == f"{tmp_path}/data/points.csv:2:4: 'five' is not a number (column 1)"

    def test_a_cell_of_another_file_is_not_echoed(self, tmp_path: Path) -> None:
        f = self.write(tmp_path, "1,2,3\n4,$6$Zq.s4lt$h4sh:19000,6\n", "x: [0, 2], y: [1]")
        with pytest.raises(ScenarioError) as info:
            load(str(f))
        assert str(info.value) == f"{tmp_path}/data/points.csv:2:3: this cell is not a number (column 1)"

    def test_column_out_of_range(self, tmp_path: Path) -> None:
        f = self.write(tmp_path, "1,2,3\n4,5,6\n", "x: [0, 3], y: [1]")
        with pytest.raises(ScenarioError) as info:
            load(str(f))
        assert str(info.value) == (
            f"{f}:3:38: data 'x': column 3 is out of range: {tmp_path}/data/points.csv has 3 columns (0 to 2)"
        )

    def test_name_without_header(self, tmp_path: Path) -> None:
        f = self.write(tmp_path, "1,2,3\n4,5,6\n", "x: [0, 2], y: label")
        with pytest.raises(ScenarioError) as info:
            load(str(f))
        assert str(info.value) == (
            f"{f}:3:45: data 'y': column 'label' needs a header row, and {tmp_path}/data/points.csv "
            "has none; give the column's number (0 to 2)"
        )

    def test_row_with_fewer_cells(self, tmp_path: Path) -> None:
        f = self.write(tmp_path, "1,2,3\n4,5\n", "x: [0, 2], y: [1]")
        with pytest.raises(ScenarioError) as info:
            load(str(f))
        assert str(info.value) == f"{tmp_path}/data/points.csv:2:1: this row has 2 cells, the first row has 3"


def test_bundled_lectures_load() -> None:
    """The tensor lectures as their files say: lecture 8's batches of 32 shuffled, lecture 9's
    labels ints in 0…2, lecture 7's weights drawn as nn.Linear's."""
    p8 = load("lecture8").program
    assert (p8.n_rows, p8.batch_size, p8.shuffle_seed, p8.n_samples) == (759, 32, 0, 24)
    p9 = load("lecture9").program
    assert set(p9.data["y"]) == {0, 1, 2}  # type: ignore[index]
    w1 = np.asarray(load("lecture7").program.params["W1"])
    assert w1.shape == (8, 6) and np.abs(w1).max() <= 1 / np.sqrt(8)


def test_loading_a_scalar_lecture_imports_no_numpy() -> None:
    code = (
        "import sys\nfrom stepgrad.scenario import load\n"
        "for name in ('lecture4', 'ex4-5', 'no-zero-grad'):\n    load(name)\n"
        "print('numpy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_expect_takes_arrays() -> None:
    text = SMALL + "expect:\n  grad: {W: [[0.5, -0.5], [0.25, 1.0]]}\n  params: {b: [0.1, 0.2]}\n"
    expect = loads(text).expect
    assert expect is not None
    assert (expect.grad, expect.params) == ({"W": [[0.5, -0.5], [0.25, 1.0]]}, {"b": [0.1, 0.2]})
    assert error_of(SMALL + "expect:\n  grad: {W: [[0.5], [0.25, 1.0]]}\n") == (
        "s.yaml:14:21: grad: W: row 2 has 2 numbers, row 1 has 1"
    )
