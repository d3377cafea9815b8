"""``stepgrad open``: the app in a terminal, or headless with keys and a screenshot."""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

from stepgrad.scenario import Scenario


class UsageError(Exception):
    """A bad ``--size`` or ``--keys``: one line, exit 2."""


def parse_size(size: str) -> tuple[int, int]:
    """``120x40`` -> (120, 40).

    Raises:
        UsageError: not WxH with both at least 20x10.
    """
    parts = size.lower().replace("×", "x").split("x")
    try:
        w, h = (int(p) for p in parts)
    except ValueError:
        raise UsageError(f"--size must be WIDTHxHEIGHT like 120x40, not {size!r}") from None
    if w < 40 or h < 12 or w > 1000 or h > 500:
        raise UsageError(f"--size {w}x{h} is out of range (40x12 to 1000x500)")
    return w, h


def parse_keys(keys: str) -> list[str]:
    """Split ``"n n b ?"`` into Textual key names, checking each.

    A key is one character (``n``, ``?``, ``+``) or a Textual key name (``right``,
    ``space``, ``home``, ``end``, ``enter``, ``escape``, ``question_mark``...).

    Raises:
        UsageError: a name Textual does not know.
    """
    from textual.keys import KEY_NAME_REPLACEMENTS, Keys, _character_to_key, _get_unicode_name_from_key

    names = {k.value for k in Keys} | set(KEY_NAME_REPLACEMENTS.values())
    out = []
    for token in keys.split():
        key = token.split("+")[-1] if len(token) > 1 else token
        if len(key) == 1:
            out.append(token if len(token) > 1 or key.isalnum() else _character_to_key(key))
            continue
        ok = key in names
        if not ok:
            try:
                unicodedata.lookup(_get_unicode_name_from_key(key))
                ok = True
            except KeyError:
                ok = False
        if not ok:
            raise UsageError(
                f"--keys: unknown key {token!r} (use names like n, right, space, home, end, enter)"
            )
        out.append(token)
    return out


def run_app(
    scenario: Scenario, keys: str | None = None, screenshot: str | None = None, size: str = "120x40"
) -> int:
    """Run the app; headless when ``keys`` or ``screenshot`` is given.

    Args:
        scenario: the loaded scenario.
        keys: keys to press, separated by spaces.
        screenshot: where to save the final screen as SVG.
        size: terminal size for the headless run, ``WxH``.

    Returns:
        The exit code: 0, or 2 for a bad size or key (one line on stderr).
    """
    try:
        dims = parse_size(size)
        presses = parse_keys(keys or "")
    except UsageError as e:
        print(f"stepgrad: {e}", file=sys.stderr)
        return 2
    if screenshot is not None:
        out = Path(screenshot)
        if out.parent and not out.parent.exists():
            print(f"stepgrad: --screenshot: no such directory: {out.parent}", file=sys.stderr)
            return 2

    from stepgrad.app.app import make_app

    app = make_app(scenario, size=dims)
    if keys is None and screenshot is None:
        app.run()
        return app.return_code or 0

    async def pilot(p) -> None:  # type: ignore[no-untyped-def]
        await p.pause()
        for key in presses:
            await p.press(key)
            await app.settle()
        await app.settle()
        await p.pause()
        if screenshot is not None:
            Path(screenshot).write_text(
                app.export_screenshot(title=f"stepgrad · {scenario.name}"), encoding="utf-8"
            )
        app.exit(0)

    app.run(headless=True, size=dims, auto_pilot=pilot)
    return app.return_code or 0
