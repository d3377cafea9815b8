"""A walk through a run computes fewer steps ahead where a step's numbers are large
(timeline.AHEAD_BYTES), and gives the same events as computing AHEAD steps at once."""

import pytest

from stepgrad.engine import Timeline
from stepgrad.engine import timeline as timeline_module
from stepgrad.scenario import load


def test_steps_ahead_follow_a_step_size():
    seen = {}
    for name in ("lecture7", "lecture8", "ex4-3"):
        t = Timeline(load(name).program)
        for _ in t.iter_events(0, t.plan.step_start(min(3, t.n_steps - 1))):
            pass
        seen[name] = t._ahead
    assert 1 <= seen["lecture7"] < timeline_module.AHEAD  # 759-row arrays: a few steps
    assert seen["lecture8"] == seen["ex4-3"] == timeline_module.AHEAD


@pytest.mark.parametrize("name", ["lecture7", "lecture8", "no-zero-grad"])
def test_steps_ahead_change_no_event(name, monkeypatch):
    program = load(name).program
    stop = Timeline(program).plan.step_start(min(12, program.n_steps - 1)) + 3
    monkeypatch.setattr(timeline_module, "AHEAD_BYTES", 1)  # one step at a time
    one = list(Timeline(program).iter_events(2, stop))
    monkeypatch.setattr(timeline_module, "AHEAD_BYTES", 1 << 40)  # AHEAD steps at a time
    many = list(Timeline(program).iter_events(2, stop))
    assert len(one) == len(many) == stop - 2
    assert [repr(e) for e in one] == [repr(e) for e in many]
