"""The torch oracle on array models: the same numbers as a torch loop written here by hand
(tensors, batches from a shuffled order, torch.optim's SGD with momentum and Adam)."""

from __future__ import annotations

import numpy as np
import pytest

from stepgrad.engine.batches import batch_rows
from stepgrad.engine.graph import Graph, Node
from stepgrad.engine.program import Optimizer, Program
from stepgrad.oracle import torch_available, torch_predictions, torch_steps
from stepgrad.scenario import loads

pytestmark = pytest.mark.skipif(not torch_available(), reason="torch is not installed")

W0 = [[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]]
B0 = [0.01, -0.02]
X = [[1.0, 2.0, 3.0], [0.5, -1.0, 2.0], [-1.5, 0.0, 1.0], [2.0, 1.0, -0.5], [0.3, 0.2, 0.1]]
Y = [[0.5, -0.5], [1.0, 0.0], [0.0, 1.0], [-1.0, 0.5], [0.2, 0.2]]


def small(train: str, dtype: str = "float64") -> Program:
    """x (rows of 3) @ W (3, 2) + b, tanh, mean squared error against y (rows of 2)."""
    text = f"""
name: small
dtype: {dtype}
params: {{W: {W0}, b: {B0}}}
data: {{x: {X}, y: {Y}}}
model:
  z: x @ W + b
  h: tanh(z)
  loss: mse(h, y)
train: {train}
predict: {{x: [[1.0, 1.0, 1.0], [0.0, -1.0, 2.0]]}}
"""
    return loads(text, "small.yaml").program


def torch_loop(program: Program, make_optimizer=None):
    """The lecture's loop in torch, written out: per step (rows, loss, W.grad, W, b, optimizer).
    An array scenario's update is torch.optim.SGD unless it names another optimizer."""
    import torch

    if make_optimizer is None and program.optimizer.name == "sgd":
        def make_optimizer(ps):
            return torch.optim.SGD(ps, lr=program.lr)

    dt = torch.float32 if program.dtype == "float32" else torch.float64
    W = torch.tensor(W0, dtype=dt, requires_grad=True)
    b = torch.tensor(B0, dtype=dt, requires_grad=True)
    x_all, y_all = torch.tensor(X, dtype=dt), torch.tensor(Y, dtype=dt)
    opt = make_optimizer([W, b]) if make_optimizer else None
    out = []
    for step in range(program.n_steps):
        rows = torch.as_tensor(np.asarray(batch_rows(program, step)))
        x, y = x_all[rows], y_all[rows]
        loss = torch.nn.functional.mse_loss(torch.tanh(x @ W + b), y)
        loss.backward()
        grad = W.grad.detach().numpy().copy()
        if opt is None:
            W.data = W.data - program.lr * W.grad.data
            b.data = b.data - program.lr * b.grad.data
            W.grad.data.zero_()
            b.grad.data.zero_()
        else:
            opt.step()
            opt.zero_grad()
        out.append((rows.tolist(), loss.item(), grad, W.detach().numpy().copy(),
                    b.detach().numpy().copy(), opt))
    return out


def test_values_grads_and_params_equal_a_torch_loop():
    """The whole data set per step (no batch_size: batch = all 5 rows), torch.optim.SGD."""
    program = small("{epochs: 3, lr: 0.1}")
    assert program.batch_size == 5 and program.n_steps == 3
    assert program.optimizer == Optimizer("sgd")
    ours = list(torch_steps(program))
    theirs = torch_loop(program)
    for ts, (rows, loss, grad, w, b, _) in zip(ours, theirs, strict=True):
        assert rows == [0, 1, 2, 3, 4]
        assert ts.loss == loss
        assert isinstance(ts.grads["W"], np.ndarray) and ts.grads["W"].shape == (3, 2)
        assert np.array_equal(ts.grads["W"], grad)
        assert np.array_equal(ts.params_after["W"], w) and np.array_equal(ts.params_after["b"], b)
        assert ts.values["h"].shape == (5, 2) and ts.values["loss"].shape == ()
        assert ts.state == {}  # plain SGD keeps nothing


def test_float32_arrays_stay_float32():
    (ts, *_) = torch_steps(small("{epochs: 1, lr: 0.1}", "float32"))
    assert ts.values["h"].dtype == np.float32 and ts.grads["b"].dtype == np.float32
    assert ts.params_after["W"].dtype == np.float32


def test_sgd_with_momentum_keeps_torchs_velocity():
    """torch.optim.SGD(lr=0.1, momentum=0.9), 3 steps: the velocity is torch's momentum_buffer."""
    import torch

    program = small("{epochs: 3, lr: 0.1, optimizer: {name: sgd, momentum: 0.9}}")
    assert program.optimizer == Optimizer("sgd", momentum=0.9)
    ours = list(torch_steps(program))
    theirs = torch_loop(program, lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9))
    opt = theirs[-1][-1]
    *_, w, b, _ = theirs[-1]
    last = ours[-1]
    assert np.array_equal(last.params_after["W"], w) and np.array_equal(last.params_after["b"], b)
    assert set(last.state) == {"W", "b"} and set(last.state["W"]) == {"velocity"}
    params = opt.param_groups[0]["params"]
    assert np.array_equal(last.state["W"]["velocity"], opt.state[params[0]]["momentum_buffer"].numpy())
    assert np.array_equal(last.state["b"]["velocity"], opt.state[params[1]]["momentum_buffer"].numpy())
    # After the first step the velocity is that step's gradient itself (torch copies it).
    assert np.array_equal(ours[0].state["W"]["velocity"], ours[0].grads["W"])
    # Each step's state is a copy, not torch's buffer updated in place afterwards.
    assert not np.array_equal(ours[0].state["W"]["velocity"], last.state["W"]["velocity"])


def test_adam_keeps_torchs_moments_and_bias_corrections():
    """torch.optim.Adam(lr=0.05, betas=(0.8, 0.99), eps=1e-6), 3 steps, float32."""
    import torch

    train = "{epochs: 3, lr: 0.05, optimizer: {name: adam, betas: [0.8, 0.99], eps: 1.0e-6}}"
    program = small(train, "float32")
    ours = list(torch_steps(program))
    theirs = torch_loop(
        program, lambda ps: torch.optim.Adam(ps, lr=0.05, betas=(0.8, 0.99), eps=1e-6)
    )
    opt = theirs[-1][-1]
    *_, w, b, _ = theirs[-1]
    last = ours[-1]
    assert np.array_equal(last.params_after["W"], w) and np.array_equal(last.params_after["b"], b)
    state = opt.state[opt.param_groups[0]["params"][0]]
    assert float(state["step"]) == 3
    kept = last.state["W"]
    assert list(kept) == ["m", "v", "bias_correction1", "bias_correction2"]
    assert np.array_equal(kept["m"], state["exp_avg"].numpy())
    assert np.array_equal(kept["v"], state["exp_avg_sq"].numpy())
    # 1 - 0.8**3 = 0.488 and 1 - 0.99**3 = 0.029701, as float32 numbers.
    assert kept["bias_correction1"] == np.float32(1 - 0.8**3) == np.float32(0.488)
    assert kept["bias_correction2"] == np.float32(1 - 0.99**3)
    assert ours[0].state["W"]["bias_correction1"] == np.float32(0.2)  # 1 - 0.8 after step 1


def test_batches_follow_the_shuffled_order():
    """batch_size 2 over 5 rows: 3 steps per epoch (2, 2 and the last row alone), every
    epoch in its own order from the seed; the oracle takes exactly those rows."""
    program = small("{epochs: 3, lr: 0.1, batch_size: 2, shuffle: {seed: 7}}")
    assert program.n_samples == 3 and program.n_steps == 9
    theirs = torch_loop(program)
    orders = []
    for epoch in range(3):
        rows = [r for step in range(3 * epoch, 3 * epoch + 3) for r in theirs[step][0]]
        assert sorted(rows) == [0, 1, 2, 3, 4]  # each row once per epoch
        assert [len(theirs[s][0]) for s in range(3 * epoch, 3 * epoch + 3)] == [2, 2, 1]
        orders.append(rows)
    assert len({tuple(o) for o in orders}) > 1  # shuffled anew each epoch
    for ts, (rows, loss, grad, w, b, _) in zip(torch_steps(program), theirs, strict=True):
        assert ts.values["h"].shape == (len(rows), 2)
        assert ts.loss == loss and np.array_equal(ts.grads["W"], grad)
        assert np.array_equal(ts.params_after["b"], b)
        assert np.array_equal(ts.params_after["W"], w)


def test_batches_without_shuffle_are_in_order():
    program = small("{epochs: 1, lr: 0.1, batch_size: 2}")
    assert [list(batch_rows(program, s)) for s in range(3)] == [[0, 1], [2, 3], [4]]
    steps = list(torch_steps(program))
    assert [ts.values["h"].shape for ts in steps] == [(2, 2), (2, 2), (1, 2)]


def test_predictions_on_arrays():
    import torch

    program = small("{epochs: 2, lr: 0.1}")
    before = torch_predictions(program, "before")
    x = torch.tensor([[1.0, 1.0, 1.0], [0.0, -1.0, 2.0]], dtype=torch.float64)
    want = torch.tanh(x @ torch.tensor(W0, dtype=torch.float64) + torch.tensor(B0, dtype=torch.float64))
    assert np.array_equal(before["h"], want.numpy())
    *_, last = torch_steps(program)
    after = torch_predictions(program, "after", last.params_after)
    assert np.array_equal(after["h"], torch_predictions(program, "after")["h"])
    assert not np.array_equal(after["h"], before["h"])


def hand_made(attrs: tuple[tuple[str, int | str], ...]) -> Program:
    """Built by hand, no parser: logits = x @ W; loss = cross_entropy(logits, labels, **attrs)."""
    nodes = (
        Node(0, "x", "input"),
        Node(1, "labels", "input"),
        Node(2, "W", "param"),
        Node(3, "logits", "matmul", (0, 2)),
        Node(4, "loss", "cross_entropy", (3, 1), attrs=attrs),
    )
    return Program(
        Graph(nodes, loss=4),
        inputs={"x": [[1.0, 2.0], [0.5, -1.0], [-2.0, 0.3]], "labels": [2.0, 0.0, 1.0]},
        params={"W": [[0.1, -0.2, 0.3], [0.4, 0.0, -0.6]]},
        lr=0.5,
        epochs=2,
    )


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_labels_as_int64_and_keywords(reduction):
    """Labels are floats in the program; torch's cross_entropy takes them as int64. A
    keyword (reduction="sum") chooses the op's rule and its torch form."""
    import torch

    attrs: tuple[tuple[str, int | str], ...] = () if reduction == "mean" else (("reduction", "sum"),)
    program = hand_made(attrs)
    steps = list(torch_steps(program))
    W = torch.tensor([[0.1, -0.2, 0.3], [0.4, 0.0, -0.6]], dtype=torch.float64, requires_grad=True)
    x = torch.tensor([[1.0, 2.0], [0.5, -1.0], [-2.0, 0.3]], dtype=torch.float64)
    labels = torch.tensor([2, 0, 1])
    for ts in steps:
        loss = torch.nn.functional.cross_entropy(x @ W, labels, reduction=reduction)
        loss.backward()
        assert ts.loss == loss.item()
        assert np.array_equal(ts.grads["W"], W.grad.numpy())
        W.data = W.data - 0.5 * W.grad.data
        W.grad.data.zero_()
        assert np.array_equal(ts.params_after["W"], W.detach().numpy())


def test_torch_runs_on_one_thread():
    """Split over threads a small matmul waited 10x longer on a busy machine (2 ms against
    0.2 ms for (759, 8) @ (8, 6)), and a threaded sum may change its order: one thread."""
    import torch

    torch.set_num_threads(2)
    next(iter(torch_steps(small("{epochs: 1, lr: 0.1}"))))
    assert torch.get_num_threads() == 1

