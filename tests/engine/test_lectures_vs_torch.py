"""The tensor lectures (5 to 9, XOR, Adam) against an outsider's torch loops, at every step.

Each loop below is written from the course's code (PyTorchZeroToAll's 05_linear_regression.py
to 09_01_softmax_loss.py), not from stepgrad's: torch tensors in place of ``nn.Linear`` only so
that the starting weights can be the scenario's (``nn.Linear(in, out).weight`` is ``W.T``), then
the course's ``optimizer.zero_grad(); loss.backward(); optimizer.step()`` with
``torch.optim.SGD``/``Adam`` objects and ``torch.nn.functional``'s losses. The learning rate,
epochs and batches are the course's, written here, and checked against what the scenario says.
stepgrad's timeline must then agree at every step: the loss, every ``w.grad`` after the
backward pass, every param after the update (and Adam's two moments), and the predictions.

The data sets are made by ``scripts/make_diabetes_like.py``; the last tests check that the
committed CSV files are what it makes, and of the shape the course's table has.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from stepgrad.engine import Timeline
from stepgrad.engine.events import BackwardEnd, Forward, Predict, Update
from stepgrad.engine.program import Program
from stepgrad.scenario import bundled, load

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "scenarios" / "data"

Tensors = dict[str, torch.Tensor]

# ----- the course's models, written as its forward() methods are ------------------------------


def linear(p: Tensors, x: torch.Tensor) -> torch.Tensor:
    """Lectures 5 and 6's ``self.linear(x)``, nn.Linear(1, 1)."""
    return x @ p["w"] + p["b"]


def wide_and_deep(p: Tensors, x: torch.Tensor) -> torch.Tensor:
    """Lecture 7's forward: out1 = sigmoid(l1(x)), out2 = sigmoid(l2(out1)), y_pred = sigmoid(l3(out2))."""
    out1 = torch.sigmoid(x @ p["W1"] + p["b1"])
    out2 = torch.sigmoid(out1 @ p["W2"] + p["b2"])
    return torch.sigmoid(out2 @ p["W3"] + p["b3"])


def xor_net(p: Tensors, x: torch.Tensor) -> torch.Tensor:
    """A 2-2-1 network: tanh hidden layer, sigmoid output."""
    return torch.sigmoid(torch.tanh(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])


@dataclass(frozen=True)
class Course:
    """One lecture's training loop, as the course writes it."""

    forward: Callable[[Tensors, torch.Tensor], torch.Tensor]
    output: str  # the model name of the forward's result, for the predictions
    criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    optimizer: str  # torch.optim.SGD or torch.optim.Adam, with torch's defaults
    lr: float
    epochs: int
    batch_size: int | None = None  # None: the whole data set per step
    shuffle_seed: int | None = None
    labels: bool = False  # y holds class numbers (CrossEntropyLoss's target, int64)


def bce(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy(y_hat, y)


COURSE: dict[str, Course] = {
    # torch.nn.MSELoss(size_average=False): the squared errors summed.
    "lecture5": Course(
        linear, "y_hat", lambda a, b: F.mse_loss(a, b, reduction="sum"), "sgd", 0.01, 500
    ),
    "lecture6": Course(lambda p, x: torch.sigmoid(linear(p, x)), "y_hat", bce, "sgd", 0.01, 1000),
    "lecture7": Course(wide_and_deep, "y_hat", bce, "sgd", 0.1, 100),
    # DataLoader(dataset, batch_size=32, shuffle=True) for 2 epochs.
    "lecture8": Course(wide_and_deep, "y_hat", bce, "sgd", 0.1, 2, batch_size=32, shuffle_seed=0),
    # logits = self.linear(x); torch.nn.CrossEntropyLoss()(logits, target)
    "lecture9": Course(
        lambda p, x: x @ p["W"] + p["b"], "logits", F.cross_entropy, "sgd", 0.1, 100, labels=True
    ),
    "xor": Course(xor_net, "y_hat", bce, "sgd", 0.5, 500),
    "adam": Course(wide_and_deep, "y_hat", bce, "adam", 0.01, 300),
}

# ----- the runs, side by side -----------------------------------------------------------------


@dataclass
class Step:
    """What one training step leaves: its loss, each w.grad, each param after the update."""

    loss: Any
    grads: dict[str, Any]
    after: dict[str, Any]
    state: dict[str, dict[str, Any]]  # Adam's m and v per param (empty for SGD)


def epoch_rows(seed: int | None, epoch: int, n_rows: int, batch_size: int) -> list[np.ndarray]:
    """One epoch's batches of row numbers, as a DataLoader would cut them (the last may be
    smaller, drop_last=False). Shuffled, the order is stepgrad's documented rule: a fresh
    ``numpy.random.default_rng([seed, epoch])`` permutation per epoch (so that any epoch's
    order is known without drawing the ones before it)."""
    order = np.arange(n_rows) if seed is None else np.random.default_rng([seed, epoch]).permutation(n_rows)
    return [order[k : k + batch_size] for k in range(0, n_rows, batch_size)]


def torch_dtype(program: Program) -> torch.dtype:
    return torch.float32 if program.dtype == "float32" else torch.float64


_TORCH_RUNS: dict[str, tuple[list[Step], Any]] = {}


def torch_run_of(name: str, program: Program) -> tuple[list[Step], Any]:
    """``torch_run`` of a bundled scenario, made once per test session."""
    if name not in _TORCH_RUNS:
        threads = torch.get_num_threads()
        # One thread: a 759 x 8 batch gains nothing from two, and the machine is shared.
        torch.set_num_threads(1)
        try:
            _TORCH_RUNS[name] = torch_run(program, COURSE[name])
        finally:
            torch.set_num_threads(threads)
    return _TORCH_RUNS[name]


def torch_run(program: Program, course: Course) -> tuple[list[Step], Any]:
    """The course's loop from the scenario's starting weights and data; also the predictions
    after training (None without a ``predict:``)."""
    dt = torch_dtype(program)
    assert program.data is not None
    x_all = torch.tensor(np.asarray(program.data["x"], dtype=np.float64), dtype=dt)
    y_np = np.asarray(program.data["y"], dtype=np.float64)
    y_all = torch.tensor(y_np, dtype=torch.int64) if course.labels else torch.tensor(y_np, dtype=dt)
    params = {k: torch.tensor(v, dtype=dt, requires_grad=True) for k, v in program.params.items()}
    make = torch.optim.Adam if course.optimizer == "adam" else torch.optim.SGD
    optimizer = make(list(params.values()), lr=course.lr)
    n = len(x_all)
    steps: list[Step] = []
    for epoch in range(course.epochs):
        for rows in epoch_rows(course.shuffle_seed, epoch, n, course.batch_size or n):
            index = torch.from_numpy(rows)
            y_pred = course.forward(params, x_all[index])
            loss = course.criterion(y_pred, y_all[index])
            optimizer.zero_grad()
            loss.backward()
            grads = {k: p.grad.detach().clone().numpy() for k, p in params.items() if p.grad is not None}
            optimizer.step()
            after = {k: p.detach().clone().numpy() for k, p in params.items()}
            state = {
                k: {"m": s["exp_avg"].clone().numpy(), "v": s["exp_avg_sq"].clone().numpy()}
                for k, p in params.items()
                if (s := optimizer.state.get(p)) and "exp_avg" in s
            }
            steps.append(Step(loss.detach().numpy().copy(), grads, after, state))
    predicted = None
    if program.predict:
        with torch.no_grad():
            x_new = torch.tensor(np.asarray(program.predict["x"], dtype=np.float64), dtype=dt)
            predicted = course.forward(params, x_new).numpy()
    return steps, predicted


def stepgrad_run(program: Program, output: str) -> tuple[list[Step], Any]:
    """The same from stepgrad's timeline: the loss node's forward value, backward_end's
    grads, each update's after (and state); the prediction of ``output`` after training."""
    steps: dict[int, Step] = {}
    predicted = None
    for ev in Timeline(program).iter_events():
        match ev:
            case Forward(step=int(k), node="loss", value=value):
                steps[k] = Step(value, {}, {}, {})
            case BackwardEnd(step=int(k), grads=grads):
                steps[k].grads = {name: g for name, g in grads if g is not None}
            case Update(step=int(k), param=param, after=after, state=state):
                steps[k].after[param] = after
                if state:
                    steps[k].state[param] = dict(state)
            case Predict(when="after", node=node, value=value) if node == output:
                predicted = value
    return [steps[k] for k in sorted(steps)], predicted


# ----- tolerances --------------------------------------------------------------------------------

# float64: both sides do the same IEEE operations on the same numbers; only a reduction's
# or a matmul's order of summation may differ (NumPy's pairwise sums and BLAS against
# torch's kernels), a few units in the last place of the terms summed.
# float32: the same, but a unit in the last place is 6e-8, and torch's vectorised float32
# reductions over 759 rows sum in blocks, NumPy pairwise: a few ulps per step that the
# next steps carry along.
RTOL = {"float64": 1e-12, "float32": 1e-5}


def assert_close(what: str, ours: Any, theirs: Any, rtol: float, scale: float) -> None:
    """``ours`` equals ``theirs`` within ``rtol`` of the larger of the value and ``scale``.

    A reordered sum is off by ulps of its terms, not of its result: when training has made
    a gradient (or a loss) small by cancellation, those ulps are large beside it. So the
    bound is relative to the larger of the value and the size the same quantity had at the
    first step (``scale``), which is the size of the terms it still sums.
    """
    a = np.asarray(ours, dtype=np.float64)
    b = np.asarray(theirs, dtype=np.float64)
    assert a.shape == b.shape, f"{what}: shape {a.shape}, torch {b.shape}"
    bound = rtol * np.maximum(np.abs(b), scale)
    worst = np.abs(a - b) - bound
    if worst.size and worst.max() > 0:
        where = np.unravel_index(int(np.argmax(worst)), a.shape) if a.ndim else ()
        raise AssertionError(
            f"{what}{list(where) if where else ''}: stepgrad {a[where]!r}, torch {b[where]!r} "
            f"(bound {bound[where]:.3g})"
        )


def scale_of(value: Any) -> float:
    return float(np.max(np.abs(np.asarray(value, dtype=np.float64)), initial=0.0))


# ----- the tests -----------------------------------------------------------------------------------


def _program(name: str) -> Program:
    return load(name).program


@pytest.mark.parametrize("name", list(COURSE))
def test_scenario_says_what_the_course_does(name):
    """The scenario's learning rate, epochs, batches and optimizer are the course's."""
    program = _program(name)
    course = COURSE[name]
    assert program.lr == course.lr
    assert program.epochs == course.epochs
    assert program.shuffle_seed == course.shuffle_seed
    n = program.n_rows
    assert program.batch_size == (course.batch_size or n)
    assert program.optimizer.name == course.optimizer
    assert program.optimizer.momentum == 0.0
    # every step stays cheap to check against torch
    assert program.n_steps <= 2000


@pytest.mark.parametrize("name", list(COURSE))
def test_every_step_matches_torch(name):
    """Loss, w.grad, params (and Adam's moments) at every step, and the predictions."""
    program = _program(name)
    course = COURSE[name]
    rtol = RTOL[program.dtype]
    theirs, their_prediction = torch_run_of(name, program)
    ours, our_prediction = stepgrad_run(program, course.output)
    assert len(ours) == len(theirs) == program.n_steps
    first = theirs[0]
    loss_scale = scale_of(first.loss)
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert_close(f"{name} step {k} loss", a.loss, b.loss, rtol, loss_scale)
        assert a.grads.keys() == b.grads.keys() == program.params.keys()
        for p in b.grads:
            assert_close(f"{name} step {k} {p}.grad", a.grads[p], b.grads[p], rtol, scale_of(first.grads[p]))
            assert_close(f"{name} step {k} {p}", a.after[p], b.after[p], rtol, scale_of(first.after[p]))
        assert a.state.keys() == b.state.keys()
        for p, moments in b.state.items():
            for m in ("m", "v"):
                assert_close(
                    f"{name} step {k} {p} {m}", a.state[p][m], moments[m], rtol, scale_of(first.state[p][m])
                )
    if their_prediction is not None:
        assert_close(f"{name} prediction", our_prediction, their_prediction, rtol, 0.0)


def _losses(name: str) -> tuple[list[float], Any]:
    steps, predicted = torch_run_of(name, _program(name))
    return [float(s.loss) for s in steps], predicted


def test_lecture5_learns_y_is_2x():
    """After 500 epochs the line predicts about 8 for 4 hours, as the course prints."""
    losses, predicted = _losses("lecture5")
    assert losses[-1] < 1e-3 < losses[0]
    assert abs(float(np.asarray(predicted).ravel()[0]) - 8.0) < 0.05


def test_lecture6_predicts_fail_at_1_hour_and_pass_at_7():
    losses, predicted = _losses("lecture6")
    assert losses[-1] < losses[0]
    one, seven = np.asarray(predicted).ravel()
    assert one < 0.5 < seven


def test_xor_learns():
    """The brief's promise for the bundled XOR: the loss ends below 0.1."""
    losses, _ = _losses("xor")
    assert losses[-1] < 0.1 < losses[0]


def test_adam_beats_lecture7s_sgd():
    """The Adam scenario's point: the same network and data, where SGD stalls."""
    sgd_losses, _ = _losses("lecture7")
    adam_losses, _ = _losses("adam")
    assert adam_losses[-1] < sgd_losses[-1] - 0.05


def test_lecture9_classifies_most_points():
    program = _program("lecture9")
    losses, _ = _losses("lecture9")
    assert losses[-1] < 0.5 * losses[0]
    assert len(program.data["y"]) == 60


def test_bundled_in_the_courses_order():
    """Listed after lecture 4's scenarios as the course goes: lectures 5 to 9, then XOR and Adam."""
    assert list(bundled())[-7:] == list(COURSE)


# ----- the data -----------------------------------------------------------------------------------


def _script() -> Any:
    path = ROOT / "scripts" / "make_diabetes_like.py"
    spec = importlib.util.spec_from_file_location("make_diabetes_like", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_data_is_what_the_script_makes(tmp_path):
    _script().main(tmp_path)
    for name in ("diabetes.csv", "three_classes.csv"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_diabetes_has_the_course_tables_shape():
    """759 rows, 8 features in [-1, 1] with 6 decimals, a 0/1 label, about two in three 1s."""
    text = (DATA / "diabetes.csv").read_text()
    rows = [line.split(",") for line in text.splitlines()]
    assert len(rows) == 759
    assert {len(r) for r in rows} == {9}
    assert all(len(v.split(".")[1]) == 6 for r in rows for v in r[:8])
    table = np.array(rows, dtype=np.float64)
    assert table[:, :8].min() >= -1.0 and table[:, :8].max() <= 1.0
    assert set(table[:, 8]) == {0.0, 1.0}
    assert 0.55 < table[:, 8].mean() < 0.75


def test_three_classes_has_twenty_points_per_class():
    table = np.loadtxt(DATA / "three_classes.csv", delimiter=",")
    assert table.shape == (60, 3)
    assert np.bincount(table[:, 2].astype(int)).tolist() == [20, 20, 20]
