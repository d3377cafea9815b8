"""The engine on arrays: batches, broadcasting undone, optimizers, and seeking, each
compared with a torch loop written here (torch's own optimizers, not our oracle)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from stepgrad.engine.batches import batch_rows, epoch_order
from stepgrad.engine.events import BackwardEnd, Chain, Forward, Update, ZeroGrad
from stepgrad.engine.graph import Graph, Node
from stepgrad.engine.program import Optimizer, Program
from stepgrad.engine.shapes import unbroadcast
from stepgrad.engine.timeline import Timeline

torch = pytest.importorskip("torch")

X = ((1.0, 2.0), (2.0, 0.5), (3.0, 1.0), (0.5, 0.1), (1.5, 2.5))
Y = ((2.0,), (4.0,), (6.0,), (1.0,), (3.0,))
W0 = [[0.3], [-0.2]]
B0 = [0.1]


def linear_regression(
    dtype: str, optimizer: Optimizer, *, batch_size: int = 2, seed: int | None = 0, epochs: int = 3
) -> Program:
    """y_hat = x @ W + b, loss = mse(y_hat, y): lecture 5's model on two features."""
    nodes = (
        Node(0, "x", "input"),
        Node(1, "y", "input"),
        Node(2, "W", "param"),
        Node(3, "b", "param"),
        Node(4, "z", "matmul", (0, 2)),
        Node(5, "y_hat", "add", (4, 3)),
        Node(6, "loss", "mse", (5, 1)),
    )
    return Program(
        Graph(nodes, 6),
        dtype,
        {},
        {"W": W0, "b": B0},
        {"x": X, "y": Y},
        epochs=epochs,
        lr=0.01,
        batch_size=batch_size,
        shuffle_seed=seed,
        optimizer=optimizer,
    )


def torch_run(program: Program) -> list[dict[str, Any]]:
    """The same run as a torch user writes it: DataLoader-like batches, optimizer.step()."""
    tdt = getattr(torch, program.dtype)
    W = torch.tensor(W0, dtype=tdt, requires_grad=True)
    b = torch.tensor(B0, dtype=tdt, requires_grad=True)
    opt = program.optimizer
    if opt.name == "adam":
        o = torch.optim.Adam([W, b], lr=program.lr, betas=(opt.beta1, opt.beta2), eps=opt.eps)
    else:
        o = torch.optim.SGD([W, b], lr=program.lr, momentum=opt.momentum)
    xs, ys = torch.tensor(X, dtype=tdt), torch.tensor(Y, dtype=tdt)
    out = []
    for step in range(program.n_steps):
        rows = torch.as_tensor(batch_rows(program, step))
        o.zero_grad()
        loss = torch.nn.functional.mse_loss(xs[rows] @ W + b, ys[rows])
        loss.backward()
        grads = {"W": W.grad.numpy().copy(), "b": b.grad.numpy().copy()}
        o.step()
        out.append(
            {
                "loss": loss.item(),
                "grads": grads,
                "W": W.detach().numpy().copy(),
                "b": b.detach().numpy().copy(),
            }
        )
    return out


OPTIMIZERS = [Optimizer("sgd"), Optimizer("sgd", momentum=0.9), Optimizer("adam")]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=["sgd", "momentum", "adam"])
def test_every_step_agrees_with_torch_optim(dtype: str, optimizer: Optimizer) -> None:
    program = linear_regression(dtype, optimizer)
    t = Timeline(program)
    # The mean's and the matmul's sums run in another order than torch's: a few ulps.
    tol = 1e-13 if dtype == "float64" else 2e-6
    for step, want in enumerate(torch_run(program)):
        events = t.events_of_step(step)
        loss = next(e.value for e in events if isinstance(e, Forward) and e.node == "loss")
        assert float(loss) == pytest.approx(want["loss"], rel=tol, abs=tol)
        end = next(e for e in events if isinstance(e, BackwardEnd))
        for name, g in end.grads:
            np.testing.assert_allclose(g, want["grads"][name], rtol=tol, atol=tol)
        for e in events:
            if isinstance(e, Update):
                np.testing.assert_allclose(e.after, want[e.param], rtol=tol, atol=tol)


def test_a_batch_stacks_its_rows_and_the_last_is_smaller() -> None:
    program = linear_regression("float64", Optimizer("sgd"), batch_size=2, seed=None)
    t = Timeline(program)
    assert program.n_samples == 3  # 5 rows in batches of 2: 2 + 2 + 1
    shapes = [np.shape(t.events_of_step(s)[0].args[0]) for s in range(3)]
    assert shapes == [(2, 2), (2, 2), (1, 2)]
    first = t.events_of_step(0)[0].args[0]
    np.testing.assert_array_equal(first, [[1.0, 2.0], [2.0, 0.5]])


def test_shuffled_epochs_take_every_row_once_in_a_new_order() -> None:
    program = linear_regression("float64", Optimizer("sgd"), batch_size=2, seed=7)
    orders = [np.concatenate([batch_rows(program, e * 3 + k) for k in range(3)]) for e in range(3)]
    for order in orders:
        assert sorted(order.tolist()) == [0, 1, 2, 3, 4]
    assert not all((orders[0] == o).all() for o in orders[1:])
    np.testing.assert_array_equal(orders[1], epoch_order(7, 1, 5))


def test_broadcasting_is_undone_on_the_way_back() -> None:
    # b (1,) was added to every row of z (2, 1): its gradient is the sum of the rows'.
    program = linear_regression("float64", Optimizer("sgd"), seed=None)
    events = Timeline(program).events_of_step(0)
    to_b = next(e for e in events if isinstance(e, Chain) and e.wrt == "b")
    to_z = next(e for e in events if isinstance(e, Chain) and e.wrt == "z")
    assert np.shape(to_b.product) == (1,)
    assert float(to_b.product[0]) == float(np.sum(to_z.product))
    assert unbroadcast(np.ones((4, 3)), (3,)).tolist() == [4.0, 4.0, 4.0]
    assert unbroadcast(np.ones((4, 3)), (4, 1)).tolist() == [[3.0]] * 4


def test_momentum_and_adam_show_their_state() -> None:
    t = Timeline(linear_regression("float64", Optimizer("sgd", momentum=0.9)))
    u0 = next(e for e in t.events_of_step(0) if isinstance(e, Update) and e.param == "W")
    u1 = next(e for e in t.events_of_step(1) if isinstance(e, Update) and e.param == "W")
    ((name, v0),) = u0.state
    assert name == "velocity"
    np.testing.assert_array_equal(v0, u0.grad)  # torch: the buffer starts as the first gradient
    np.testing.assert_array_equal(u1.state[0][1], v0 * 0.9 + u1.grad)
    a = Timeline(linear_regression("float64", Optimizer("adam")))
    u = next(e for e in a.events_of_step(0) if isinstance(e, Update))
    assert [k for k, _ in u.state] == ["m", "v", "bias_correction1", "bias_correction2"]
    assert float(dict(u.state)["bias_correction1"]) == pytest.approx(0.1)


def test_any_step_is_reached_again_to_the_bit() -> None:
    # 60 steps (checkpoints every few): a step seeked to from far away equals the first walk.
    program = linear_regression("float32", Optimizer("adam"), epochs=20)
    walk = Timeline(program)
    first = [walk.events_of_step(s) for s in range(program.n_steps)]
    seek = Timeline(program)
    for s in (59, 3, 40, 17, 0, 33):
        for a, b in zip(seek.events_of_step(s), first[s], strict=True):
            for x, y in zip(_numbers(a), _numbers(b), strict=True):
                assert np.array_equal(x, y)


def _grad_after_zero_grad(optimizer: Optimizer) -> tuple[Any, Any]:
    """W's .grad just after step 0's zero_grad, and at the start of step 1 (seeked to)."""
    t = Timeline(linear_regression("float64", optimizer))
    events = t.events_of_step(0)
    last = next(e for e in reversed(events) if isinstance(e, ZeroGrad))
    w = t.graph.by_name["W"]
    first = t.events_of_step(1)[0]
    return t.state_at(last.seq).grads[w], Timeline(t.program).state_at(first.seq).grads[w]


def test_zero_grad_leaves_zeros_of_the_params_shape() -> None:
    # The lecture's own loop: w.grad.data.zero_() keeps a tensor of zeros.
    after, next_step = _grad_after_zero_grad(Optimizer("lecture"))
    np.testing.assert_array_equal(after, np.zeros((2, 1)))
    np.testing.assert_array_equal(next_step, np.zeros((2, 1)))


def test_an_optimizers_zero_grad_leaves_none() -> None:
    # torch >= 2.0: optimizer.zero_grad() sets .grad to None (set_to_none=True), and the
    # next step starts from None, whether reached by stepping or by a seek.
    after, next_step = _grad_after_zero_grad(Optimizer("sgd"))
    assert after is None
    assert next_step is None


def _numbers(ev: Any) -> list[Any]:
    from stepgrad.engine.events import numbers

    return list(numbers(ev))


def test_checkpoints_stay_within_their_budget_however_long_the_run() -> None:
    from stepgrad.engine.checkpoints import ARRAY_BUDGET

    short = Timeline(linear_regression("float64", Optimizer("adam"), epochs=20))
    assert short._ck.every == 1  # 60 steps: a checkpoint at every step, a seek recomputes one
    long = Timeline(linear_regression("float64", Optimizer("adam"), epochs=200_000))
    every = long._ck.every
    assert every > 1
    long.ensure(every * 10)
    rows = long._ck.memory_bytes - long._ck.loss.nbytes
    # 11 checkpoints kept for 10·every steps: the whole run's would be n_steps / every of them.
    per_row = rows / 11
    assert per_row * (long.n_steps / every) <= ARRAY_BUDGET


def test_a_nonfinite_array_is_named_by_its_first_bad_element() -> None:
    from stepgrad.engine.nonfinite import describe_nonfinite

    ev = Forward(7, 0, 0, 0, "r", "div", ("x", "a"), (), np.array([[1.0, 2.0], [np.inf, np.nan]]))
    line = describe_nonfinite(ev, "value", ev.value)
    assert line == (
        "non-finite value inf first appears at event 7 (forward r, value[1, 0] of (2, 2); step 0, epoch 0)"
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sgds_step_is_torchs_fused_multiply_add(dtype: Any) -> None:
    from stepgrad.engine.optimizers import fused_step

    rng = np.random.default_rng(0)
    for _ in range(50):
        before = rng.normal(size=64).astype(dtype)
        grad = (rng.normal(size=64) * 10.0 ** rng.integers(-3, 3)).astype(dtype)
        want = torch.tensor(before)
        want.add_(torch.tensor(grad), alpha=-0.01)  # torch.optim.SGD's step
        np.testing.assert_array_equal(fused_step(before, grad, dtype(0.01)), want.numpy())
