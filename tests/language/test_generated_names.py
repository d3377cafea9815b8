"""Generated names: ``y_hat₁``, ``y_hat₂``, ... for the operations inside one model line.

Not ``y_hat.2`` (an attribute? a decimal?): a subscript, the lecture's notation for "the
first, the second", which no name a user writes can contain, spelt ``y_hat~2`` in ASCII.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from stepgrad.language.expr import intermediate_name, line_of
from stepgrad.scenario import load, loads


def test_ex4_4_names_its_operations_with_subscripts():
    """y_hat: x ** 2 * w2 + x * w1 + b computes x**2, then × w2, then x × w1, then their sum."""
    g = load("ex4-4").program.graph
    assert [n.name for n in g.nodes if not n.named] == ["y_hat₁", "y_hat₂", "y_hat₃", "y_hat₄"]
    assert g.expression(g["y_hat₄"]) == "y_hat₂ + y_hat₃"


def test_a_generated_name_is_no_name_a_user_can_write():
    for count in (1, 2, 10, 123):
        name = intermediate_name("y_hat", count)
        assert not name.isidentifier() and "." not in name
        assert line_of(name) == "y_hat"
    assert intermediate_name("h", 12) == "h₁₂"
    assert line_of("w2") == "w2"  # a user's digits are not a subscript


def test_no_clash_with_the_users_own_numbered_names():
    """A user's y_hat1 and y_hat2 next to y_hat's generated operations: all distinct."""
    text = (
        "params: {w: 1.0}\ninputs: {x: 2.0, y: 4.0}\nmodel:\n"
        "  y_hat1: x * w\n  y_hat2: y_hat1 * w\n  y_hat: y_hat1 * w + y_hat2 * w\n  loss: (y_hat - y) ** 2\n"
    )
    g = loads(text, "inline.yaml").program.graph
    names = [n.name for n in g.nodes]
    assert len(names) == len(set(names))
    assert {"y_hat1", "y_hat2", "y_hat₁", "y_hat₂"} <= set(names)


def _replay(*args: str, encoding: str) -> str:
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    r = subprocess.run([sys.executable, "-m", "stepgrad", "replay", "ex4-4", *args],
                       capture_output=True, text=True, encoding="utf-8", env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_replay_writes_them_in_unicode_ascii_and_json():
    line = _replay(encoding="utf-8").splitlines()[3]
    assert line.endswith("forward        y_hat₄ = y_hat₂ + y_hat₃ = 4.0 + 2.0 = 6.0")
    ascii_line = _replay(encoding="ascii").splitlines()[3]
    assert ascii_line.endswith("forward        y_hat~4 = y_hat~2 + y_hat~3 = 4.0 + 2.0 = 6.0")
    event = json.loads(_replay("--format", "jsonl", encoding="utf-8").splitlines()[3])
    assert (event["node"], event["inputs"]) == ("y_hat₄", ["y_hat₂", "y_hat₃"])
