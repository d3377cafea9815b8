"""The numbers printed in the seeds (slides of Lecture 4, the video), reproduced bit for bit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "002_585a9dceb8081b84.txt"

# The slides' float64 run (manual gradient = computational graph), all 30 steps.
FLOAT64_GRADS = [
    -2.0,
    -7.84,
    -16.2288,
    -1.478624,
    -5.796206079999999,
    -11.998146585599997,
    -1.093164466688,
    -4.285204709416961,
    -8.87037374849311,
    -0.8081896081960389,
    -3.1681032641284723,
    -6.557973756745939,
    -0.59750427561463,
    -2.3422167604093502,
    -4.848388694047353,
    -0.44174208101320334,
    -1.7316289575717576,
    -3.584471942173538,
    -0.3265852213980338,
    -1.2802140678802925,
    -2.650043120512205,
    -0.241448373202223,
    -0.946477622952715,
    -1.9592086795121197,
    -0.17850567968888198,
    -0.6997422643804168,
    -1.4484664872674653,
    -0.13197139106214673,
    -0.5173278529636143,
    -1.0708686556346834,
]

# The slides' PyTorch run in float32, as printed (the slide stops in epoch 8).
FLOAT32_GRADS = [
    -2.0,
    -7.840000152587891,
    -16.228801727294922,
    -1.478623867034912,
    -5.796205520629883,
    -11.998146057128906,
    -1.0931644439697266,
    -4.285204887390137,
    -8.870372772216797,
    -0.8081896305084229,
    -3.1681032180786133,
    -6.557973861694336,
    -0.5975041389465332,
    -2.3422164916992188,
    -4.848389625549316,
    -0.4417421817779541,
    -1.7316293716430664,
    -3.58447265625,
    -0.3265852928161621,
    -1.2802143096923828,
    -2.650045394897461,
    -0.24144840240478516,
    -0.9464778900146484,
    -1.9592113494873047,
    -0.17850565910339355,
    -0.699742317199707,
    -1.4484672546386719,
]
FLOAT32_EPOCH_LOSS = [
    7.315943717956543,
    3.9987640380859375,
    2.1856532096862793,
    1.1946394443511963,
    0.6529689431190491,
    0.35690122842788696,
    0.195076122879982,
    0.10662525147199631,
]


def grads_of(timeline) -> list[float]:
    return [float(dict(e.grads)["w"]) for e in timeline if e.kind == "backward_end"]


def test_the_tables_above_are_the_seeds_own_numbers():
    """Guard against a typo in this file: every number above is printed in the slides."""
    if not SEEDS.exists():
        pytest.skip("shared seeds not beside the checkout")
    text = SEEDS.read_text()
    printed = {float(m) for m in re.findall(r"grad:\s+[\d.]+\s+[\d.]+\s+(-?[\d.e-]+)", text)}
    assert set(FLOAT64_GRADS) <= printed
    assert set(FLOAT32_GRADS) <= printed
    assert "7.804863933862125" in text


def test_ex4_3_float64_grads_bit_for_bit(timeline_of):
    assert grads_of(timeline_of("ex4-3")) == FLOAT64_GRADS


def test_ex4_3_predict_after_training(timeline_of):
    t = timeline_of("ex4-3")
    preds = {(e.when, e.node): float(e.value) for e in t if e.kind == "predict"}
    assert preds == {("before", "y_hat"): 4.0, ("after", "y_hat"): 7.804863933862125}


def test_lecture4_torch_float32_grads_bit_for_bit(timeline_of):
    assert grads_of(timeline_of("lecture4-torch"))[: len(FLOAT32_GRADS)] == FLOAT32_GRADS


def test_lecture4_torch_loss_at_end_of_each_epoch(timeline_of):
    t = timeline_of("lecture4-torch")
    t.ensure(t.n_steps)
    losses = t.losses()
    assert losses.dtype.name == "float32"
    assert [float(losses[3 * e + 2]) for e in range(8)] == FLOAT32_EPOCH_LOSS


def test_lecture4_video_numbers(timeline_of):
    """The video: y_hat = 1, s = -1, loss = 1; local gradients 2s = -2, 1, x = 1; dloss/dw = -2."""
    t = timeline_of("lecture4")
    forward = {e.node: float(e.value) for e in t if e.kind == "forward"}
    assert forward == {"y_hat": 1.0, "s": -1.0, "loss": 1.0}
    local = [(e.node, e.wrt, e.formula, float(e.value)) for e in t if e.kind == "local_grad"]
    assert local == [("loss", "s", "2*s", -2.0), ("s", "y_hat", "1", 1.0), ("y_hat", "w", "x", 1.0)]
    chain = [(e.wrt, float(e.upstream), float(e.local), float(e.product)) for e in t if e.kind == "chain"]
    assert chain == [("s", 1.0, -2.0, -2.0), ("y_hat", -2.0, 1.0, -2.0), ("w", -2.0, 1.0, -2.0)]
    update = next(e for e in t if e.kind == "update")
    assert (float(update.before), float(update.grad), float(update.after)) == (1.0, -2.0, 1.02)
