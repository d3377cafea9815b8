"""A step's events written out as one function (step._step_maker, used once a timeline
has made _WRITE_AFTER steps of a shape) are the events the one-maker-an-event path makes
(step._maker), field by field, and the events their dataclass's own __init__ makes."""

import dataclasses

import pytest

from stepgrad.engine import Timeline
from stepgrad.engine import step as step_module
from stepgrad.scenario import load

NAMES = ["lecture4", "lecture7", "lecture8", "adam", "no-zero-grad", "xor", "ex4-5", "lecture9"]


def _same(a, b):
    assert type(a) is type(b)
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, tuple):  # made anew by each maker: the same items
            assert len(x) == len(y) and all(
                u is v or (isinstance(u, tuple) and all(p is q for p, q in zip(u, v, strict=True)))
                for u, v in zip(x, y, strict=True)
            ), f.name
        else:
            assert x is y or x == y, f.name


@pytest.mark.parametrize("name", NAMES)
def test_written_out_events_are_one_by_one_events(name):
    t = Timeline(load(name).program)
    runner = t._runner
    names = runner.program.optimizer.state_names
    for step in range(min(3, t.n_steps)):
        record = t.step_numbers(step)
        holding = runner.plan.holding(step)
        outline = runner.plan.outline_of_step(1 if holding else 0)
        written = step_module._step_maker(outline, runner._arity, names)
        one_by_one = [*step_module._makers(outline, runner._arity, names)]
        q, e = runner.plan.step_start(step), step // runner.n_samples
        m = step % runner.n_samples if runner.program.data else None
        got = written(q, step, e, m, record)
        want = [mk(q + k, step, e, m, record) for k, mk in enumerate(one_by_one)]
        assert len(got) == len(want)
        for a, b in zip(got, want, strict=True):
            _same(a, b)
            values = {f.name: getattr(a, f.name) for f in dataclasses.fields(a)}
            assert repr(type(a)(**values)) == repr(a)


@pytest.mark.parametrize("name", ["lecture7", "no-zero-grad"])
def test_a_long_run_switches_to_the_written_out_maker(name, monkeypatch):
    monkeypatch.setattr(step_module, "_WRITE_AFTER", 4)
    monkeypatch.setattr(step_module, "_WRITTEN", {})
    program = load(name).program
    t, fresh = Timeline(program), Timeline(program)
    fresh._runner._makers.clear()
    steps = min(t.n_steps, 9)
    events = [ev for s in range(steps) for ev in t.events_of_step(s)]
    assert t._runner._makers[t._runner.plan.holding(steps - 1)].__name__ == "make_step"
    # the last steps, written out, are what the one-by-one makers make
    monkeypatch.setattr(step_module, "_WRITTEN", {})
    for s in range(steps - 3, steps):
        for a, b in zip(t.events_of_step(s), fresh.events_of_step(s), strict=True):
            assert repr(a) == repr(b)
    assert fresh._runner._makers[t._runner.plan.holding(steps - 1)].__name__ == "make"
    assert len(events) == t.plan.step_start(steps) - t.plan.step_start(0)


def test_another_timeline_of_the_model_takes_the_written_out_maker(monkeypatch):
    monkeypatch.setattr(step_module, "_WRITE_AFTER", 2)
    monkeypatch.setattr(step_module, "_WRITTEN", {})
    program = load("lecture7").program
    first = Timeline(program)
    for s in range(3):
        first.events_of_step(s)
    second = Timeline(program)
    second.events_of_step(0)
    assert second._runner._makers[False] is first._runner._makers[False]
    assert second._runner._makers[False].__name__ == "make_step"
