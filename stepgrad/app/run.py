"""``stepgrad open``: the app in a terminal, or headless with keys and a screenshot."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from stepgrad.scenario import Scenario

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from stepgrad.app.app import StepgradApp


class UsageError(Exception):
    """A bad ``--size`` or ``--keys``: one line, exit 2."""


def parse_size(size: str) -> tuple[int, int]:
    """``120x40`` -> (120, 40).

    Raises:
        UsageError: not WxH with both at least 20x10.
    """
    # ASCII digits only: int() would read ``１２０`` (full width) or ``１２0`` too.
    m = re.fullmatch(r"([0-9]{1,6})[x×]([0-9]{1,6})", size.strip().lower())
    if m is None:
        raise UsageError(f"--size must be WIDTHxHEIGHT like 120x40, not {size!r}")
    w, h = int(m[1]), int(m[2])
    if w < 40 or h < 12 or w > 1000 or h > 500:
        raise UsageError(f"--size {w}x{h} is out of range (40x12 to 1000x500)")
    return w, h


def check_theme(name: str) -> str:
    """``name`` if it is one of Textual's built-in themes.

    Raises:
        UsageError: any other name (the message lists them all, on one line).
    """
    from textual.theme import BUILTIN_THEMES

    if name not in BUILTIN_THEMES:
        names = ", ".join(sorted(BUILTIN_THEMES))
        raise UsageError(f"--theme: no theme {name!r}; the themes are {names}")
    return name


KEY_ALIASES = {"esc": "escape"}
"""Short names people type (the help and the README write ``Esc``) for Textual's."""


def _normalise_key(token: str) -> str:
    """``Home`` -> ``home``, ``Ctrl+Right`` -> ``ctrl+right``, ``Esc`` -> ``escape``.

    The help, footer and README spell keys ``Home``, ``End``, ``Enter``, ``Space``, ``Esc``;
    Textual's names are all lower case, so lowering a name of several letters cannot pick
    another key. One character keeps its case: ``N`` is not ``n``.
    """
    if len(token) == 1:
        return token
    *mods, key = token.split("+")
    if len(key) > 1:
        key = key.lower()
        key = KEY_ALIASES.get(key, key)
    return "+".join([*(m.lower() for m in mods), key])


def parse_keys(keys: str) -> list[str]:
    """Split ``"n n b ?"`` into Textual key names, checking each.

    A key is one character (``n``, ``?``, ``+``) or a key name in any case (``right``,
    ``Space``, ``Home``, ``End``, ``Enter``, ``Esc`` or ``escape``, ``question_mark``...).

    Raises:
        UsageError: a name Textual does not know.
    """
    from textual.keys import KEY_NAME_REPLACEMENTS, Keys, _character_to_key, _get_unicode_name_from_key

    names = {k.value for k in Keys} | set(KEY_NAME_REPLACEMENTS.values())
    out = []
    for given in keys.split():
        token = _normalise_key(given)
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
                f"--keys: unknown key {given!r} (use names like n, right, space, home, end, enter)"
            )
        out.append(token)
    return out


def where_it_ended(app: StepgradApp) -> str:
    """Where a headless run stopped, as the header and the timeline say it.

    e.g. ``event #3 of 13 · step 0 · sample 0 · local ∂: ∂loss/∂s = 2*s = 2*(-1.0) = -2.0``
    (``batch 24`` in a batched run; a full-batch run's step, all the rows, is named alone),
    then the status message the last key left, if any (``— no update after this point``).
    """
    from stepgrad.app.trace import PHASE_LABEL, START
    from stepgrad.explain.steps import step_unit

    trace = app.trace
    pos = app.position
    if pos == START:
        text = f"start: before event #0 of {trace.length}"
    else:
        state = trace.state(pos)
        parts = [f"event #{pos} of {trace.length}"]
        if state.step is None:
            # The line says it already: ``after training: y_hat = 3.6``.
            pass
        else:
            parts.append(f"step {state.step}")
            plan = trace.plan
            if plan.training and plan.program.epochs > 1:
                parts.append(f"epoch {state.epoch}")
            # A step's data in replay's words: ``sample k``, ``batch k`` (lecture8), or
            # nothing for a full-batch run, whose step is all the rows (lecture7).
            unit = step_unit(plan.program.batch_size, plan.program.n_samples)
            if state.sample is not None and unit is not None:
                parts.append(f"{unit} {state.sample}")
            parts.append(PHASE_LABEL[state.phase])
        sep = " · " if state.step is None else ": "
        text = " · ".join(parts) + sep + trace.line(pos)
    if app.message:
        text += f" — {app.message}"
    return text


def _shown(path: str) -> str:
    """The path as typed, quoted when it holds characters a terminal would act on."""
    return path if path.isprintable() else repr(path)


def _os_error_line(path: str, e: OSError) -> str:
    """``stepgrad: --screenshot out.svg: cannot write there (no space left on device)``: one
    line, no traceback; the system's reason alone (``invalid argument``) did not say what failed."""
    reason = (e.strerror or str(e)).strip()
    return f"stepgrad: --screenshot {_shown(path)}: cannot write there ({reason[:1].lower()}{reason[1:]})"


def screenshot_problem(path: str) -> str | None:
    """Why a screenshot cannot be saved at ``path`` (one line), or None if it looks possible.

    Checked before the app starts, so that a mistyped path costs no run: an empty path, a
    directory, a missing directory, a file where a directory should be, a name too long, a
    place that refuses to be written. The file is opened for appending (nothing it holds is
    lost) and, if it did not exist, removed again: no empty file stays behind if the run
    stops before the screenshot. A device that accepts the open and refuses the write
    (``/dev/full``) is caught when writing (``write_screenshot``).
    """
    if path == "":
        return "stepgrad: --screenshot: the path is empty"
    try:
        return _path_problem(path)
    except OSError as e:  # e.g. a name too long for the file system, met by stat
        return _os_error_line(path, e)
    except ValueError:  # a NUL in the path
        return f"stepgrad: --screenshot {_shown(path)}: not a valid path"


def _path_problem(path: str) -> str | None:
    out = Path(path)
    if out.is_dir():
        return f"stepgrad: --screenshot {_shown(path)}: is a directory"
    parent = out.parent
    if not parent.exists() and not parent.is_symlink():
        return f"stepgrad: --screenshot: no such directory: {_shown(str(parent))}"
    existed = out.exists()
    try:
        with open(out, "a", encoding="utf-8"):
            pass
    except OSError as e:
        return _os_error_line(path, e)
    if not existed:
        with contextlib.suppress(OSError):
            out.unlink()
    return None


def write_screenshot(path: str, svg: str) -> None:
    """Write the SVG; a write that fails leaves no empty or half file behind.

    Raises:
        OSError: the write failed (full device, read-only place, ...).
    """
    out = Path(path)
    existed = out.exists()
    try:
        with open(out, "w", encoding="utf-8") as f:
            f.write(svg)
    except OSError:
        if not existed or (out.is_file() and out.stat().st_size == 0):
            with contextlib.suppress(OSError):
                if out.is_file():
                    out.unlink()
        raise


def run_app(
    scenario: Scenario,
    keys: str | None = None,
    screenshot: str | None = None,
    size: str = "120x40",
    theme: str | None = None,
    digits: int | None = None,
) -> int:
    """Run the app; headless when ``keys`` or ``screenshot`` is given.

    Args:
        scenario: the loaded scenario.
        keys: keys to press, separated by spaces.
        screenshot: where to save the final screen as SVG.
        size: terminal size for the headless run, ``WxH``.
        theme: one of Textual's themes (None: the app's own, ``app.DEFAULT_THEME``).
        digits: significant digits of the numbers shown (None: exact).

    Returns:
        The exit code: 0, or 2 for a bad size, key or theme (one line on stderr). Keys without a
        screenshot print one line on stdout: where the keys led (``where_it_ended``).
    """
    try:
        dims = parse_size(size)
        presses = parse_keys(keys or "")
        if theme is not None:
            check_theme(theme)
    except UsageError as e:
        print(f"stepgrad: {e}", file=sys.stderr)
        return 2
    if screenshot is not None:
        problem = screenshot_problem(screenshot)
        if problem is not None:
            print(problem, file=sys.stderr)
            return 2

    from stepgrad.app.app import DEFAULT_THEME, make_app

    app = make_app(scenario, size=dims, theme=theme or DEFAULT_THEME, digits=digits)
    if keys is None and screenshot is None:
        app.run()
        return app.return_code or 0

    async def press_all(p: Pilot[object]) -> None:
        await p.pause()
        for key in presses:
            await p.press(key)
            await app.settle()
        await app.settle()
        await p.pause()

    async def pilot(p: Pilot[object]) -> None:
        # A key may quit the app (q, ctrl+q): its message loop then stops, and the pilot's
        # next wait for it to answer (the key's own, or settle's for torch, whose worker was
        # cancelled) would never end. So the keys race the app's exit, and the exit wins.
        keys_done = asyncio.ensure_future(press_all(p))
        quit_ = asyncio.ensure_future(app.exiting.wait())
        await asyncio.wait({keys_done, quit_}, return_when=asyncio.FIRST_COMPLETED)
        quit_.cancel()
        if not keys_done.done():
            keys_done.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keys_done
        elif (error := keys_done.exception()) is not None:
            raise error
        if screenshot is not None:
            # The screen as the keys left it, even when the last one quit.
            svg = app.export_screenshot(title=f"stepgrad · {scenario.name}")
            try:
                write_screenshot(screenshot, svg)
            except OSError as e:
                app.exit(2, return_code=2)
                failed.append(_os_error_line(screenshot, e))
                return
        app.exit(0)

    failed: list[str] = []
    app.run(headless=True, size=dims, auto_pilot=pilot)
    if failed:
        print(failed[0], file=sys.stderr)
        return 2
    if screenshot is None:
        # Otherwise the keys were pressed and nothing shows it: say where they led.
        print(where_it_ended(app))
    return app.return_code or 0
