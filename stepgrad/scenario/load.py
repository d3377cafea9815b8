"""Scenario files: YAML in, a checked ``Program`` out, or one ``ScenarioError`` line.

By concern: ``scenario`` (``Scenario``, ``Expect``), ``bundled`` (the shipped files),
``sections`` and ``fields`` (the checks, section by section), ``words`` (how errors
quote the file), ``yamlloc`` (YAML with line and column). The names stay importable here.
"""

from __future__ import annotations

import re
from pathlib import Path

from stepgrad.errors import ScenarioError
from stepgrad.language.suggest import closest
from stepgrad.scenario.bundled import bundled, bundled_dir, resolve
from stepgrad.scenario.fields import LARGEST
from stepgrad.scenario.scenario import Expect, Scenario
from stepgrad.scenario.sections import (
    DTYPES,
    EXPECT_KEYS,
    MAX_STEPS,
    NOT_A_SCENARIO,
    TOP_KEYS,
    Checker,
)
from stepgrad.scenario.training import TRAIN_KEYS
from stepgrad.scenario.words import printable, reason
from stepgrad.scenario.yamlloc import load_located

__all__ = [
    "DTYPES",
    "EXPECT_KEYS",
    "LARGEST",
    "MAX_FILE_BYTES",
    "MAX_STEPS",
    "NOT_A_SCENARIO",
    "TOP_KEYS",
    "TRAIN_KEYS",
    "Expect",
    "Scenario",
    "bundled",
    "bundled_dir",
    "load",
    "loads",
    "resolve",
]

MAX_FILE_BYTES = 1_000_000


def load(spec: str) -> Scenario:
    """Load a scenario by path or bundled short name.

    Raises:
        ScenarioError: anything wrong with the file, as one line.
    """
    path, short = resolve(spec)
    shown = spec if short is None else str(path)
    try:
        is_dir = path.is_dir()
        exists = is_dir or path.exists()
    except (OSError, ValueError) as e:  # a name too long, or with a NUL byte
        raise printable(ScenarioError(spec, f"cannot open the file: {reason(e)}", 1, 1)) from None
    if not exists:
        hint = ""
        names = list(bundled())
        close = closest(spec, names)
        if close:
            hint = f"; did you mean the bundled scenario '{close}'?"
        elif names:
            hint = f" (bundled scenarios: {', '.join(names)})"
        raise printable(ScenarioError(spec, f"no such file{hint}", 1, 1))
    if is_dir:
        raise printable(ScenarioError(spec, "is a directory, not a scenario file", 1, 1))
    try:
        with path.open("rb") as f:
            # Bounded, so that /dev/zero or a huge file cannot eat the memory.
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise printable(ScenarioError(spec, f"cannot read the file: {reason(e)}", 1, 1)) from None
    if len(raw) > MAX_FILE_BYTES:
        raise printable(
            ScenarioError(spec, f"the file is too large (more than {MAX_FILE_BYTES} bytes)", 1, 1)
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        col = len(raw[raw.rfind(b"\n", 0, e.start) + 1 : e.start].decode("utf-8", "replace")) + 1
        raise printable(
            ScenarioError(spec, f"the file is not UTF-8 text (byte 0x{raw[e.start]:02x})", line, col)
        ) from None
    return loads(text, shown, short=short, cached=path)


def loads(
    text: str, path: str = "<scenario>", *, short: str | None = None, cached: Path | None = None
) -> Scenario:
    """Load a scenario from YAML text; ``path`` names it in errors.

    Args:
        cached: the file the text was read from, whose parsed tree may be kept and read
            back (``treecache``); None: the text is parsed.

    Raises:
        ScenarioError: anything wrong with the text, as one line.
    """
    text = text.lstrip("\ufeff")
    try:
        try:
            root = load_located(text, path, cached)
        except ScenarioError as e:
            if e.message.startswith("invalid YAML") and not _names_a_top_key(text):
                # Not YAML and not a scenario (a password file, say): quote none of it.
                raise ScenarioError(path, NOT_A_SCENARIO, 1, 1) from None
            raise
        return Checker(path).scenario(root, short)
    except ScenarioError as e:
        raise printable(e) from None


def _names_a_top_key(text: str) -> bool:
    """True when some line starts with a scenario's top-level key and a colon."""
    keys = "|".join(TOP_KEYS)
    return re.search(rf"^\s*({keys})\s*:", text, re.MULTILINE) is not None
