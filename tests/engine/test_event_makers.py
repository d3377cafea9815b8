"""The step's events, made by setting their slots (step._maker), are the events their
dataclass's own __init__ makes from the same fields: every field set, the same values."""

import dataclasses

import pytest

from stepgrad.engine import Timeline
from stepgrad.scenario import load


@pytest.mark.parametrize("name", ["lecture4", "lecture7", "adam", "no-zero-grad", "xor"])
def test_made_events_are_their_dataclasses(name):
    t = Timeline(load(name).program)
    for step in range(min(2, t.n_steps)):
        for ev in t.events_of_step(step):
            fields = [f.name for f in dataclasses.fields(ev)]
            # every slot set (reading an unset slot raises AttributeError)
            values = {f: getattr(ev, f) for f in fields}
            made = type(ev)(**values)
            assert repr(made) == repr(ev)
            assert all(getattr(made, f) is values[f] for f in fields)
