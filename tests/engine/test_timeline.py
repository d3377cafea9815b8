"""The timeline: event order, accumulation, random access in both directions, exact JSON."""

from __future__ import annotations

import json
import random
import time

import numpy as np

from stepgrad.engine import to_json

REUSE = """
params: {a: 3.0}
model:
  b: a + a
  c: b + b
"""

SQUARE_BY_HAND = """
inputs: {x: 3.0}
params: {w: 2.0}
model:
  loss: x * w * w
"""


def kinds(t) -> list[str]:
    return [e.kind for e in t]


def test_lecture4_event_order(timeline_of):
    t = timeline_of("lecture4")
    assert kinds(t) == (
        ["forward"] * 3
        + ["local_grad"] * 3
        + ["backward_start"]
        + ["chain"] * 3
        + ["backward_end", "update", "zero_grad"]
    )
    assert [e.seq for e in t] == list(range(len(t)))


def test_reused_non_leaf_node_accumulates(model_timeline):
    """b = a + a, c = b + b: dc/db = 1 + 1 = 2, dc/da = 2*1 + 2*1 = 4."""
    t = model_timeline(REUSE)
    acc = [(e.node, float(e.before), float(e.add), float(e.after)) for e in t if e.kind == "accumulate"]
    assert acc == [("b", 1.0, 1.0, 2.0), ("a", 2.0, 2.0, 4.0)]
    end = next(e for e in t if e.kind == "backward_end")
    assert dict(end.grads) == {"a": 4.0}


def test_param_used_twice_gets_two_chain_events(model_timeline):
    """loss = (x*w)*w = x*w^2: dloss/dw = 2*x*w = 12, built as 6 + 6."""
    t = model_timeline(SQUARE_BY_HAND)
    chains = [(e.node, e.wrt, float(e.product)) for e in t if e.kind == "chain"]
    assert chains == [("loss", "loss₁", 2.0), ("loss", "w", 6.0), ("loss₁", "w", 6.0)]
    acc = [e for e in t if e.kind == "accumulate"]
    assert [(float(e.before), float(e.add), float(e.after)) for e in acc] == [(6.0, 6.0, 12.0)]


def test_no_zero_grad_accumulates_across_steps(timeline_of):
    """Without zero_grad, w.grad after step 1 is -2 + (gradient at the new w)."""
    t = timeline_of("no-zero-grad")
    assert not any(e.kind == "zero_grad" for e in t)
    assert not any(e.kind == "accumulate" for e in t)  # w is used once per pass
    acc = next(e for e in t if e.kind == "accumulate_grad")
    assert acc.step == 1
    assert float(acc.before) == -2.0
    # The update of step 1 uses the accumulated gradient.
    upd = next(e for e in t if e.kind == "update" and e.step == 1)
    assert upd.grad == acc.after
    assert float(upd.after) == float(np.float32(upd.before) - np.float32(0.01) * acc.after)


def test_length_matches_events_generated(timeline_of):
    for name in ("lecture4", "ex4-3", "ex4-5", "no-zero-grad", "lecture4-torch"):
        t = timeline_of(name)
        assert sum(1 for _ in t) == len(t), name


def test_seek_backwards_gives_the_same_state_as_forwards(timeline_of):
    t = timeline_of("ex4-5")
    forward = [t.state_at(i) for i in range(len(t))]
    fresh = timeline_of("ex4-5")
    order = list(range(len(t)))
    random.Random(4).shuffle(order)
    for i in order:
        s = fresh.state_at(i)
        assert s.seq == forward[i].seq
        assert s.values == forward[i].values
        assert s.grads == forward[i].grads
        assert s.local == forward[i].local
    assert [fresh[i] for i in range(len(t))] == [e for e in t]


def test_state_marks_unknown_values(timeline_of):
    t = timeline_of("lecture4")
    g = t.graph
    s0 = t.state_at(0)  # y_hat computed, s and loss not yet
    assert float(s0.values[g.by_name["y_hat"]]) == 1.0
    assert s0.values[g.by_name["s"]] is None
    assert s0.values[g.by_name["loss"]] is None
    assert all(v is None for v in s0.grads)
    s8 = t.state_at(8)  # chain to y_hat done, w not yet
    assert float(s8.grads[g.by_name["y_hat"]]) == -2.0
    assert s8.grads[g.by_name["w"]] is None
    last = t.state_at(len(t) - 1)  # after update and zero_grad
    assert float(last.values[g.by_name["w"]]) == 1.02
    assert float(last.grads[g.by_name["w"]]) == 0.0


def test_json_numbers_read_back_exactly(timeline_of):
    t = timeline_of("lecture4-torch")
    for e in t.iter_events(0, 60):
        d = json.loads(json.dumps(to_json(e)))
        assert set(d) >= {"seq", "kind", "step", "epoch", "sample"}
        for key in ("value", "product", "after"):
            if key in d:
                assert np.float32(d[key]) == getattr(e, key)
                assert d[key] == float(getattr(e, key))
    g = next(e for e in t if e.kind == "backward_end" and e.step == 1)
    assert to_json(g)["grads"] == {"w": -7.840000152587891}


def test_json_fields_per_kind(timeline_of):
    t = timeline_of("ex4-3")
    expected = {
        "forward": {"node", "op", "inputs", "value"},
        "local_grad": {"node", "wrt", "formula", "value"},
        "backward_start": {"node"},
        "chain": {"node", "wrt", "upstream", "local", "product"},
        "backward_end": {"grads"},
        "update": {"param", "before", "grad", "lr", "after"},
        "zero_grad": {"param", "before"},
        "predict": {"when", "node", "value"},
    }
    seen = set()
    for e in t:
        d = to_json(e)
        assert expected[d["kind"]] <= set(d), d
        seen.add(d["kind"])
    assert seen == set(expected)


def test_nonfinite_is_found_at_its_first_event(model_timeline):
    t = model_timeline(
        """
params: {w: 1.0}
data: {x: [1.0, 2.0, 3.0], y: [2.0, 4.0, 6.0]}
model:
  y_hat: x * w
  loss: (y_hat - y) ** 2
train: {epochs: 200, lr: 10.0}
"""
    )
    ev, _field, value = t.first_nonfinite()
    assert not np.isfinite(value)
    # Every event before it is finite.
    for e in t.iter_events(0, ev.seq):
        for k in ("value", "product", "after"):
            v = getattr(e, k, None)
            assert v is None or np.isfinite(v)


def test_long_training_opens_at_once_and_seeks_fast(model_timeline):
    t0 = time.perf_counter()
    t = model_timeline(
        """
params: {w: 1.0}
data: {x: [1.0, 2.0, 3.0, 4.0], y: [2.0, 4.0, 6.0, 8.0]}
model:
  y_hat: x * w
  loss: (y_hat - y) ** 2
train: {epochs: 25000, lr: 0.001}
"""
    )
    assert t.n_steps == 100_000
    assert time.perf_counter() - t0 < 0.5
    assert t.known_steps == 0  # nothing precomputed
    t.ensure(t.n_steps)
    rng = random.Random(1)
    worst = 0.0
    for _ in range(50):
        i = rng.randrange(len(t))
        s = time.perf_counter()
        t.state_at(i)
        worst = max(worst, time.perf_counter() - s)
    assert worst < 0.005


def test_a_model_name_the_loss_never_uses_gets_no_gradient(model_timeline):
    t = model_timeline(
        """
inputs: {x: 1.0, y: 2.0}
params: {w: 1.0}
model:
  extra: w * 3
  y_hat: x * w
  loss: (y_hat - y) ** 2
loss: loss
"""
    )
    assert float(next(e for e in t if e.kind == "forward" and e.node == "extra").value) == 3.0
    assert not any(getattr(e, "node", None) == "extra" for e in t if e.kind != "forward")
    assert dict(next(e for e in t if e.kind == "backward_end").grads) == {"w": -2.0}
    assert t.state_at(len(t) - 1).grads[t.graph.by_name["extra"]] is None


def test_state_has_one_value_per_node(timeline_of):
    t = timeline_of("ex4-4")
    for i in range(len(t)):
        s = t.state_at(i)
        assert len(s.values) == len(s.grads) == len(t.graph.nodes)


def test_no_zero_grad_sums_the_pass_then_adds_it_to_w_grad(model_timeline):
    """Issue 9, item 2: b = w * w, no zero_grad. Step 1's pass sums its two contributions
    (w·1 + 1·w = 2w), then one accumulate_grad adds that to w.grad: old + (c1 + c2)."""
    t = model_timeline(
        "params: {w: 1.0}\ndata: {x: [1.0]}\nmodel: {loss: w * w * x}\n"
        "train: {epochs: 2, lr: 0.5, zero_grad: false}\n"
    )
    # Step 0: ∂loss/∂w = 1 + 1 = 2; w ← 1 − 0.5·2 = 0. Step 1: this pass 0 + 0 = 0, w.grad 2 + 0.
    ag = [e for e in t if e.kind == "accumulate_grad"]
    assert [(e.step, e.param, float(e.before), float(e.add), float(e.after)) for e in ag] == [
        (1, "w", 2.0, 0.0, 2.0)
    ]
    acc1 = [e for e in t if e.kind == "accumulate" and e.step == 1]
    assert len(acc1) == 1 and float(acc1[0].before) == 0.0  # in-pass: this pass's first product
    # The state shows torch's w.grad: the carried 2.0 until accumulate_grad, then the sum.
    w = t.graph.by_name["w"]
    assert float(t.state_at(acc1[0].seq).grads[w]) == 2.0
    assert float(t.state_at(ag[0].seq).grads[w]) == 2.0
    assert to_json(ag[0]) == {
        "seq": ag[0].seq, "kind": "accumulate_grad", "step": 1, "epoch": 1, "sample": 0,
        "param": "w", "before": 2.0, "add": 0.0, "after": 2.0,
    }


LONG_RUN = """
params: {w: 1.0}
data: {x: [1.0, 2.0, 3.0, 4.0], y: [2.0, 4.0, 6.0, 8.0]}
model:
  y_hat: x * w
  loss: (y_hat - y) ** 2
train: {epochs: 25000, lr: 0.001}
"""


def test_memory_per_step_is_the_loss_plus_a_sixteenth_of_a_checkpoint(model_timeline):
    """Issue 9, item 12: 100,000 float64 steps with one param keep 8 bytes of loss per step
    and a checkpoint (w and w.grad, 16 bytes) every 16 steps: 9 bytes a step, where one
    checkpoint per step took 24 (and 10,000,000 steps took 1.04 GB)."""
    t = model_timeline(LONG_RUN)
    t.ensure(t.n_steps)
    assert t.memory_bytes <= 100_000 * 8 + (100_000 // 16 + 1) * 16 * 2  # rows grow by doubling
    assert len(t.losses()) == 100_000


def test_steps_between_checkpoints_are_recomputed_to_the_bit(model_timeline):
    """A step between checkpoints starts from the update event of the step before it."""
    t = model_timeline(LONG_RUN)
    t.ensure(t.n_steps)
    for step in (1, 15, 16, 17, 12_345, 99_999):
        upd = t.events_of_step(step - 1)[-2]  # then zero_grad
        assert upd.kind == "update"
        assert t.param_values(step)["w"] == upd.after
        assert t.events_of_step(step)[0].args[1] == upd.after  # y_hat = x × w uses it
        assert t.losses()[step] == t.events_of_step(step)[2].value


def test_a_steps_numbers_make_its_events():
    """A step records its numbers alone (what replay writes from) and its events are its
    outline filled with them: the same events, on every bundled scenario, whether the
    numbers come one step at a time, a batch at a time as the run goes on, or from the
    checkpoints after the whole run is computed; and events.numbers reads them back."""
    import dataclasses

    import pytest

    from stepgrad.engine import Timeline
    from stepgrad.engine.events import numbers, to_json
    from stepgrad.scenario import bundled, load

    for name in bundled():
        program = load(name).program
        fresh, batched, later = Timeline(program), Timeline(program), Timeline(program)
        later.ensure(later.n_steps)
        n = min(program.n_steps, 40)
        k = min(7, n)
        got = batched.steps_numbers(0, k) + (batched.steps_numbers(k, n - k) if n > k else [])
        assert _same_records(later.steps_numbers(0, n), got), name
        for step in range(n):
            record = fresh.step_numbers(step)
            assert _same_records([record], [got[step]]), (name, step)
            events = Timeline(program).events_of_step(step)
            made_events = tuple(fresh.step_events(step, record))
            if program.arrays:  # arrays have no ==: their JSON (exact numbers) and bits
                assert [to_json(e) for e in made_events] == [to_json(e) for e in events], (name, step)
                assert _same_records([[x for ev in events for x in numbers(ev)]], [record]), (name, step)
            else:
                assert made_events == events, (name, step)
                assert [x for ev in events for x in numbers(ev)] == record, (name, step)
            for ev in events:  # every field set, the dataclass's own object, still frozen
                made = type(ev)(*(getattr(ev, f.name) for f in dataclasses.fields(ev)))
                assert type(made) is type(ev)
                if program.arrays:
                    assert to_json(made) == to_json(ev)
                else:
                    assert made == ev and hash(made) == hash(ev)
                with pytest.raises(dataclasses.FrozenInstanceError):
                    ev.seq = 0  # type: ignore[misc]


def _same_records(a: list, b: list) -> bool:
    """Records equal number by number, arrays to the bit (dtype and shape included)."""
    import numpy as np

    return len(a) == len(b) and all(
        len(x) == len(y)
        and all(
            np.asarray(u).dtype == np.asarray(v).dtype
            and np.shape(u) == np.shape(v)
            and np.asarray(u).tobytes() == np.asarray(v).tobytes()
            for u, v in zip(x, y, strict=True)
        )
        for x, y in zip(a, b, strict=True)
    )
