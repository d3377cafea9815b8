"""Issue 12, text on arrays: a value is never a 759×6 dump (small ones whole, larger ones
their shape, first entries and norm), an array op's local gradient is its rule with the
shapes it works on, a product summed back over broadcast axes says so, and an update by
momentum or Adam shows the optimizer's state in the lecture's words.

The small run is ``y_hat = x @ W + b`` on three rows, ``mse`` (mean), checkable by hand:
x = [[1, 2], [2, 0.5], [3, 1]], W = [[0.5], [-0.25]], b = [0.5], y = [[2], [4], [6]]:
z = x @ W = [[0], [0.875], [1.25]], y_hat = [[0.5], [1.375], [1.75]], y_hat − y =
[[-1.5], [-2.625], [-4.25]], loss = (2.25 + 6.890625 + 18.0625)/3 = 9.067708333...;
∂loss/∂y_hat = 2·(y_hat − y)/3 = [[-1], [-1.75], [-2.8333...]], ∂loss/∂b = their sum
-5.58333..., ∂loss/∂W = xᵀ · ∂loss/∂y_hat = [[-1 − 3.5 − 8.5], [-2 − 0.875 − 2.8333...]]
= [[-13], [-5.708333...]].
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from stepgrad.engine.events import Chain, Forward, LocalGrad, Update, to_json
from stepgrad.engine.graph import Graph, Node
from stepgrad.engine.program import Optimizer, Program
from stepgrad.engine.timeline import Timeline
from stepgrad.explain import Describer, describe, edge_label, fit, fmt, set_digits

X = [[1.0, 2.0], [2.0, 0.5], [3.0, 1.0]]
Y = [[2.0], [4.0], [6.0]]


@pytest.fixture(autouse=True)
def exact_afterwards():
    yield
    set_digits(None)


SGD = Optimizer("sgd")


def linear(opt: Optimizer = SGD, rows: int = 3, epochs: int = 2, lr: float = 0.1) -> Program:
    """``y_hat = x @ W + b``, ``loss = mse(y_hat, y)`` on ``rows`` rows (the three above, or
    ``rows`` generated ones with 3 features and 2 outputs), the whole set per step."""
    nodes = (
        Node(0, "x", "input"),
        Node(1, "y", "input"),
        Node(2, "W", "param"),
        Node(3, "b", "param"),
        Node(4, "z", "matmul", (0, 2)),
        Node(5, "y_hat", "add", (4, 3)),
        Node(6, "loss", "mse", (5, 1)),
    )
    if rows == 3:
        x, y, w, b = X, Y, [[0.5], [-0.25]], [0.5]
    else:
        x = [[(i * 7 + j * 3) % 5 / 4 - 0.5 for j in range(3)] for i in range(rows)]
        y = [[(i % 3) / 2, (i % 2) * 1.0] for i in range(rows)]
        w, b = [[0.1, -0.2], [0.3, 0.0], [-0.1, 0.2]], [0.05, -0.05]
    return Program(
        Graph(nodes, 6),
        "float64",
        params={"W": w, "b": b},
        data={"x": tuple(x), "y": tuple(y)},
        epochs=epochs,
        lr=lr,
        batch_size=rows,
        optimizer=opt,
    )


def _step0(t: Timeline) -> list[str]:
    seen: dict[str, tuple] = {}
    out = []
    for ev in t.events_of_step(0):
        if isinstance(ev, Forward):
            seen[ev.node] = (ev.args, ev.value)
        args, value = seen.get(ev.node, (None, None)) if isinstance(ev, LocalGrad) else (None, None)
        out.append(describe(t.graph, ev, args, value))
    return out


def test_a_small_array_run_reads_by_hand():
    """Every line of step 0 of the 3×2 @ 2×1 run: small arrays whole, the @'s local
    gradient as its rule with shapes, ∂loss/∂b summed over the rows (broadcasting undone)."""
    lines = _step0(Timeline(linear()))
    assert lines == [
        "z = x @ W = [[1.0, 2.0], [2.0, 0.5], [3.0, 1.0]] @ [[0.5], [-0.25]] = [[0.0], [0.875], [1.25]]",
        "y_hat = z + b = [[0.0], [0.875], [1.25]] + [0.5] = [[0.5], [1.375], [1.75]]",
        "loss = mse(y_hat, y) = mse([[0.5], [1.375], [1.75]], [[2.0], [4.0], [6.0]]) = 9.067708333333334",
        "local ∂loss/∂y_hat = 2*(y_hat-y)/n = 2*(y_hat-y)/3 = [[-1.0], [-1.75], [-2.833333333333333]]",
        "local ∂y_hat/∂z = 1 = [[1.0], [1.0], [1.0]]",
        "local ∂y_hat/∂b = 1 = [[1.0], [1.0], [1.0]]",
        "local ∂z/∂W: xᵀ · upstream, (3, 2)ᵀ · (3, 1) → (2, 1)",
        "∂loss/∂loss = 1.0",
        "∂loss/∂y_hat (3, 1) = ∂loss/∂loss · local ∂loss/∂y_hat"
        " = 1.0 × [[-1.0], [-1.75], [-2.833333333333333]] = [[-1.0], [-1.75], [-2.833333333333333]]",
        "∂loss/∂z (3, 1) = ∂loss/∂y_hat · local ∂y_hat/∂z = [[-1.0], [-1.75], [-2.833333333333333]]"
        " × [[1.0], [1.0], [1.0]] = [[-1.0], [-1.75], [-2.833333333333333]]",
        "∂loss/∂b (1,) = ∂loss/∂y_hat · local ∂y_hat/∂b = [[-1.0], [-1.75], [-2.833333333333333]]"
        " × [[1.0], [1.0], [1.0]], summed over axis 0: broadcasting undone = [-5.583333333333333]",
        "∂loss/∂W (2, 1) = xᵀ · ∂loss/∂z = [[1.0, 2.0], [2.0, 0.5], [3.0, 1.0]]ᵀ"
        " · [[-1.0], [-1.75], [-2.833333333333333]] = [[-13.0], [-5.708333333333333]]",
        "grads: ∂loss/∂W = [[-13.0], [-5.708333333333333]], ∂loss/∂b = [-5.583333333333333]",
        "W ← W − lr·∂loss/∂W = [[0.5], [-0.25]] − 0.1 × [[-13.0], [-5.708333333333333]]"
        " = [[1.8], [0.32083333333333336]]",
        "b ← b − lr·∂loss/∂b = [0.5] − 0.1 × [-5.583333333333333] = [1.0583333333333333]",
        "W.grad ← 0  (was [[-13.0], [-5.708333333333333]])",
        "b.grad ← 0  (was [-5.583333333333333])",
    ]


def test_a_large_array_is_its_shape_first_entries_and_norm():
    """More than 8 entries: shape, the first 3 entries row by row (4 digits), ‖·‖ the
    Frobenius norm; equal entries say so; 8 or fewer are written whole and exact."""
    m = np.arange(12.0).reshape(4, 3) / 8  # norm √(506)/8 = 2.8117...
    assert fmt(m) == "(4, 3) [[0.0, 0.125, 0.25], …] ‖·‖ 2.812"
    assert fmt(np.arange(12.0).reshape(3, 4) / 3) == "(3, 4) [[0.0, 0.3333, 0.6667, …], …] ‖·‖ 7.498"
    assert fmt(np.array([[1.5], [-2.0], [0.25], [4.0], [0.0], [1.0], [2.0], [0.0], [0.0]])) == (
        "(9, 1) [[1.5], [-2.0], [0.25], …] ‖·‖ 5.226"  # √27.3125
    )
    assert fmt(np.arange(9.0)) == "(9,) [0.0, 1.0, 2.0, …] ‖·‖ 14.28"  # √204
    assert fmt(np.ones((759, 6), dtype=np.float32)) == "(759, 6) all 1.0"
    assert fmt(np.array([[0.1, 0.2, 0.30000000000000004], [1.0, 2.0, 3.0]])) == (
        "[[0.1, 0.2, 0.30000000000000004], [1.0, 2.0, 3.0]]"
    )
    assert fmt(np.array([0.1], dtype=np.float32)) == "[0.10000000149011612]"  # widened, as a scalar is
    big = fmt(np.random.default_rng(0).normal(size=(759, 6)))
    assert big.startswith("(759, 6) [[0.1257, -0.1321, 0.6404, …], …] ‖·‖ ") and len(big) < 60
    # NaN shows, in the entries or the norm.
    assert fmt(np.array([np.nan] + [1.0] * 8)).endswith("‖·‖ nan")
    # --digits: small arrays to those digits, large ones never more than 4.
    set_digits(3)
    assert fmt(np.array([[0.30000000000000004], [2 / 3]])) == "[[0.3], [0.667]]"
    assert fmt(m) == "(4, 3) [[0.0, 0.125, 0.25], …] ‖·‖ 2.81"
    set_digits(6)
    assert fmt(np.arange(12.0).reshape(3, 4) / 3) == "(3, 4) [[0.0, 0.3333, 0.6667, …], …] ‖·‖ 7.498"
    assert fmt(2 / 3) == "0.666667"


def test_a_large_run_writes_shapes_in_its_middle_terms():
    """40 rows × 3 features @ 3 × 2: operands by shape, results compact; b (2,) is summed
    back from (40, 2); no line holds a dump."""
    t = Timeline(linear(rows=40))
    lines = _step0(t)
    assert lines[0].startswith("z = x @ W = (40, 3) @ [[0.1, -0.2], [0.3, 0.0], [-0.1, 0.2]] = (40, 2) [[")
    assert "local ∂z/∂W: xᵀ · upstream, (40, 3)ᵀ · (40, 2) → (3, 2)" in lines
    chain_b = next(line for line in lines if line.startswith("∂loss/∂b"))
    assert chain_b.startswith(
        "∂loss/∂b (2,) = ∂loss/∂y_hat · local ∂y_hat/∂b = (40, 2) × (40, 2) all 1.0"
        ", summed over axis 0: broadcasting undone = ["
    ) or chain_b.startswith(
        "∂loss/∂b (2,) = ∂loss/∂y_hat · local ∂y_hat/∂b = (40, 2) × (40, 2)"
        ", summed over axis 0: broadcasting undone = ["
    )
    chain_w = next(line for line in lines if line.startswith("∂loss/∂W"))
    assert chain_w.startswith("∂loss/∂W (3, 2) = xᵀ · ∂loss/∂z = (40, 3)ᵀ · (40, 2) = ")
    # The product written last is torch's .grad, compact: (3, 2) has 6 entries, whole.
    end = t.events_of_step(0)[-5]
    assert end.kind == "backward_end"
    w_grad = dict(end.grads)["W"]
    assert chain_w.endswith(" = " + fmt(w_grad)) and fmt(w_grad).startswith("[[")
    # No dump: at most 8 numbers of an array in a row, the preview ends a row or an array with …
    assert lines[1] == "y_hat = z + b = (40, 2) + [0.05, -0.05] = (40, 2) [[0.1, 0.0], …] ‖·‖ 1.072"
    assert max(map(len, lines)) < 300


def test_momentum_and_adam_updates_show_their_state():
    """SGD with momentum: velocity starts as the gradient (torch's buffer), then
    momentum·velocity + grad; W ← W − lr·velocity. Adam: m, v and the bias corrections
    1 − 0.9¹ = 0.1, 1 − 0.999¹ = 0.001 on the first step."""
    t = Timeline(linear(Optimizer("sgd", momentum=0.9), lr=0.01))
    up0 = [ev for ev in t.events_of_step(0) if isinstance(ev, Update)]
    assert describe(t.graph, up0[1]) == (
        "b ← b − lr·velocity = [0.5] − 0.01 × [-5.583333333333333] = [0.5558333333333333]"
        "  (velocity ← momentum·velocity + ∂loss/∂b: [-5.583333333333333])"
    )
    up1 = [ev for ev in t.events_of_step(1) if isinstance(ev, Update)]
    grad = float(up1[1].grad[0])
    velocity = float(dict(up1[1].state)["velocity"][0])
    assert velocity == 0.9 * -5.583333333333333 + grad
    assert describe(t.graph, up1[1]).endswith(f"  (velocity ← momentum·velocity + ∂loss/∂b: [{velocity!r}])")

    t = Timeline(linear(Optimizer("adam"), lr=0.1))
    up = next(ev for ev in t.events_of_step(0) if isinstance(ev, Update) and ev.param == "b")
    m = 0 + (1 - 0.9) * (-5.583333333333333 - 0)  # torch's m.lerp_(grad, 1 − β1) from zeros
    line = describe(t.graph, up)
    assert line.startswith("b ← b − lr·m̂/(√v̂ + ε) = [0.5] − 0.1 × m̂/(√v̂ + ε) = [0.59999999982")
    assert f"(m ← β1·m + (1 − β1)·∂loss/∂b: [{m!r}]; v ← β2·v + (1 − β2)·(∂loss/∂b)²: [" in line
    assert line.endswith(
        "; m̂ ← m/(1 − β1ᵗ), 1 − β1ᵗ: 0.09999999999999998; v̂ ← v/(1 − β2ᵗ), 1 − β2ᵗ: 0.0010000000000000009)"
    )


def test_json_lines_keep_arrays_exact_and_the_state_keys():
    """Arrays as nested lists of the exact numbers; velocity, m, v and the bias
    corrections as keys of their own; the fast writers write what to_json and describe do."""
    from stepgrad.replay import JsonLines, TextLines, text_line
    from stepgrad.streams import visible

    for opt, keys in (
        (Optimizer("sgd"), []),
        (Optimizer("sgd", momentum=0.9), ["velocity"]),
        (Optimizer("adam"), ["m", "v", "bias_correction1", "bias_correction2"]),
    ):
        for rows in (3, 40):
            t = Timeline(linear(opt, rows=rows))
            text, jsonl, describer = TextLines(t), JsonLines(), Describer(t.graph)
            seen: dict[str, tuple] = {}
            for ev in t.iter_events(0, len(t)):
                args = out = None
                if isinstance(ev, LocalGrad):
                    args, out = seen[ev.node]
                assert describer(ev, args, out) == describe(t.graph, ev, args, out), (opt, ev)
                assert text.event_line(ev)[0] == visible(text_line(t, ev, seen)) + "\n", (opt, ev)
                line = jsonl.event_line(ev)[0]
                assert line == visible(json.dumps(to_json(ev), ensure_ascii=False)) + "\n", (opt, ev)
                if isinstance(ev, Forward):
                    seen[ev.node] = (ev.args, ev.value)
                if isinstance(ev, Update):
                    got = json.loads(line)
                    assert list(got)[-len(keys) - 4 :] == ["before", "grad", "lr", "after", *keys]
                    if rows == 3 and ev.param == "W" and ev.step == 0:
                        assert got["grad"] == [[-13.0], [-5.708333333333333]]


def test_fit_and_edge_labels_on_arrays():
    """A line on arrays still loses its middle terms first (an array's commas are not a
    list's); an edge shows the rule or the product's compact form, never a dump."""
    t = Timeline(linear(rows=40))
    evs = t.events_of_step(0)
    chain = next(ev for ev in evs if isinstance(ev, Chain) and ev.wrt == "W")
    line = describe(t.graph, chain)
    # "a = rule = numbers = result" loses the numbers first: the rule stays (newcomer's
    # item 14), and on an array the entries are cut before the rule is.
    assert fit(line, len(line) - 1) == "∂loss/∂W (3, 2) = xᵀ · ∂loss/∂z = " + fmt(chain.product)
    cut = (
        "∂loss/∂W (3, 2) = xᵀ · ∂loss/∂z = [[-0.009374999999999994, -0.024999999999999994], "
        "[0.028125000000000004, 0.0], [-0.015624999999999997, …"
    )
    assert fit(line, len(line) - 30) == cut
    assert fit("grads: ∂loss/∂w1 = 8.0, ∂loss/∂w2 = 16.0", 30) == "grads: ∂loss/∂w1 = 8.0, …"
    local = next(ev for ev in evs if isinstance(ev, LocalGrad) and ev.wrt == "W")
    assert edge_label(local) == ("local ∂z/∂W: xᵀ · upstream", "xᵀ · upstream")
    to_z = next(ev for ev in evs if isinstance(ev, Chain) and ev.wrt == "z")
    labels = edge_label(to_z)
    assert labels[0] == fmt(to_z.product) and labels[-1] == "(40, 2)"
    assert labels[1].startswith("(40, 2) ‖·‖ ")


SOFT = """
params: {W: [[0.5, -0.5, 0.1], [0.2, 0.3, -0.4]]}
data: {x: [[1.0, 2.0], [2.0, 1.0]], y: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]}
model:
  p: softmax(x @ W)
  q: log_softmax(W.T, axis=0)
  loss: mean(p * y, axis=0) @ mean(q, axis=1)
train: {epochs: 1, lr: 0.1}
"""


def test_softmax_transpose_and_means_over_an_axis_read_as_rules():
    """softmax and log_softmax name their rule and the shapes (no Jacobian), Wᵀ's gradient
    is the upstream transposed back, and a mean over axis 1 spreads its upstream (3,)
    along that axis: each of ∂loss/∂q's rows is its upstream entry times 1/2."""
    from stepgrad.scenario import loads

    t = Timeline(loads(SOFT, "soft.yaml").program)
    lines = _step0(t)
    assert "local ∂p/∂p₁: p·(upstream − Σ upstream·p), upstream (2, 3) → (2, 3)" in lines
    assert "local ∂q/∂q₁: upstream − exp(q)·Σ upstream, upstream (3, 2) → (3, 2)" in lines
    assert "local ∂q₁/∂W: upstreamᵀ, (3, 2)ᵀ → (2, 3)" in lines
    mean_q = "local ∂loss₃/∂q = 1/n (n: the length of axis 1) = 1/2 = [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]"
    assert mean_q in lines
    dq = next(line for line in lines if line.startswith("∂loss/∂q (3, 2)"))
    up = dict((ev.wrt, ev) for ev in t.events_of_step(0) if isinstance(ev, Chain))["loss₃"].product
    assert dq == (
        f"∂loss/∂q (3, 2) = ∂loss/∂loss₃ · local ∂loss₃/∂q = {fmt(up)} × [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]"
        f", the upstream spread along axis 1 = {fmt(np.repeat(up[:, None] / 2, 2, axis=1))}"
    )
    assert any(line.startswith("∂loss/∂W (2, 3) via q₁ = ∂loss/∂q₁ᵀ = [[") for line in lines)
    assert any(line.startswith("∂loss/∂p₁ (2, 3) = p·(∂loss/∂p − Σ ∂loss/∂p·p) = [[") for line in lines)
    assert any(line.startswith("∂loss/∂W += [[") for line in lines)


def test_an_edge_of_a_transpose_shows_its_rule():
    """Wᵀ's local value is the number 1 (nothing multiplies): the edge still shows the rule."""
    from stepgrad.scenario import loads

    t = Timeline(loads(SOFT, "soft.yaml").program)
    ev = next(e for e in t.events_of_step(0) if isinstance(e, LocalGrad) and e.node == "q₁")
    assert edge_label(ev) == ("local ∂q₁/∂W: upstreamᵀ", "upstreamᵀ")
