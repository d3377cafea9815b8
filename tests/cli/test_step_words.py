"""Newcomer's item 16: a step's data named the same in replay and check: a scalar lecture's
step takes ``sample k``, a batched run's (lecture8, 32 rows of 759) ``batch k``, and a
full-batch run's step (lecture7: all 759 rows at once) is named by its step alone (replay
and check said ``batch 0``)."""

from __future__ import annotations

from stepgrad.engine.timeline import Timeline
from stepgrad.explain.steps import step_unit
from stepgrad.replay.lines import text_line
from stepgrad.scenario import load


def test_step_unit() -> None:
    assert step_unit(None, 1) == "sample"  # lecture4: one sample a step
    assert step_unit(32, 24) == "batch"  # lecture8: 24 batches of 32 rows
    assert step_unit(759, 1) is None  # lecture7: one batch, every row


def first_line(name: str) -> str:
    t = Timeline(load(name).program)
    return text_line(t, t.events_of_step(0)[0], {})


def test_replay_names_the_step_as_its_run_does() -> None:
    assert first_line("lecture4").startswith("#0     step 0   epoch 0   sample 0  forward ")
    assert first_line("lecture8").startswith("#0     step 0   epoch 0   batch 0   forward ")
    # A full-batch run names no sample: no blank column for one (step 99 epoch 99 is its widest).
    assert first_line("lecture7").startswith("#0     step 0   epoch 0   forward ")
