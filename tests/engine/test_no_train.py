"""A run without ``train``: every sample is evaluated with the initial params, nothing is
updated, and no number is ever read from storage that was not written (issue 9, item 1)."""

from __future__ import annotations

import io

import numpy as np

from stepgrad.engine import Timeline
from stepgrad.replay import replay
from stepgrad.scenario import loads

NO_TRAIN = """
params: {w: 1.0}
data: {x: [1.0, 2.0], y: [2.0, 4.0]}
model: {y_hat: "x * w", loss: "(y_hat - y) ** 2"}
predict: {x: 3.0}
"""


def _many_params(n: int) -> str:
    params = ", ".join(f"w{i}: {i + 1}.5" for i in range(n))
    terms = " + ".join(f"w{i} * x" for i in range(n))
    return (
        f"params: {{{params}}}\n"
        "data: {x: [1.0, 2.0, 3.0], y: [2.0, 4.0, 6.0]}\n"
        f"model: {{y_hat: \"{terms}\", loss: \"(y_hat - y) ** 2\"}}\n"
        "predict: {x: 3.0}\n"
    )


def test_second_sample_and_prediction_use_the_initial_params():
    """By hand: w stays 1.0, so sample 1 gives 2.0 × 1.0 and predict gives 3.0 × 1.0."""
    scenario = loads(NO_TRAIN, "no-train.yaml")
    out = io.StringIO()
    assert replay(scenario, Timeline(scenario.program), out) is None
    text = out.getvalue()
    assert "step 1   epoch 0   sample 1  forward        y_hat = x × w = 2.0 × 1.0 = 2.0" in text
    assert "predict        after training: y_hat = 3.0" in text
    # Each pass starts from no gradient: sample 1's ∂loss/∂w is 2·(2−4)·2 = −8 alone.
    assert "backward_end   grads: ∂loss/∂w = -8.0" in text


def test_forty_params_never_read_unwritten_memory():
    """With 40 params the old code printed whatever was in np.empty rows, different from
    run to run; now every step and the prediction see the initial params exactly."""
    text = _many_params(40)
    initial = {f"w{i}": float(f"{i + 1}.5") for i in range(40)}
    runs = []
    for _ in range(2):
        t = Timeline(loads(text, "forty.yaml").program)
        # Fill any memory the timeline may allocate later with garbage first: a read of an
        # unwritten row would then show as a wrong number.
        garbage = np.full(1 << 16, 4.74e-322)
        del garbage
        for step in range(t.n_steps + 1):
            assert {k: float(v) for k, v in t.param_values(step).items()} == initial
        values = [float(getattr(e, "value", 0.0) or 0.0) for e in t]
        assert all(np.isfinite(values))
        runs.append(values)
    assert runs[0] == runs[1]
    # y_hat = x · Σ w_i = 3.0 × 820.0 for the prediction after the run.
    assert runs[0][-1] == 3.0 * sum(initial.values())


def test_state_of_prediction_after_a_run_without_train_shows_the_initial_params():
    t = Timeline(loads(NO_TRAIN, "no-train.yaml").program)
    state = t.state_at(len(t) - 1)
    assert float(state.values[t.graph.by_name["w"]]) == 1.0
    assert float(state.predictions["y_hat"]) == 3.0
