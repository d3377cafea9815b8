"""Command line: ``stepgrad [open|replay|check|list] ...``.

Exit codes: 0 ok, 1 a disagreement (with torch, or of a ``manual:`` derivation) or a
failed expectation, 2 bad input. Textual is imported only by ``open``, torch only by
``check``, sympy only by ``check`` and ``replay --roads``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from stepgrad.errors import ScenarioError

DEFAULT_SCENARIO = "lecture4"


class _Parser(argparse.ArgumentParser):
    #: The command the arguments are for (``stepgrad replay ...``): argparse reports an
    #: unknown option of a command as the top parser's, whose help does not list it.
    command: str | None = None

    def error(self, message: str) -> NoReturn:
        # One line and exit 2, like every other mistake.
        prog = f"{self.prog} {self.command}" if self.command and " " not in self.prog else self.prog
        self.exit(2, f"{prog}: {message} (see {prog} --help)\n")


def _event_number(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an event number, not {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"event numbers start at 0, not {n}")
    return n


def _digits(text: str) -> int:
    """``--digits N``: significant digits, 1 to 17 (17 already is every float64's exact text)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of significant digits, not {text!r}") from None
    if not 1 <= n <= 17:
        raise argparse.ArgumentTypeError(f"significant digits go from 1 to 17, not {n}")
    return n


_DIGITS_HELP = "show numbers to N significant digits (1e-09 stays 1e-09, never 0.000); exact when left out"


def build_parser() -> _Parser:
    """The argument parser for every subcommand."""
    p = _Parser(
        prog="stepgrad",
        description="A terminal step-through debugger for backpropagation.",
        epilog=(
            "With no command, opens the app on the built-in 'lecture4' scenario; "
            "'stepgrad NAME' opens NAME (a file or a bundled scenario, see 'stepgrad list'). "
            "Options of open may come first: 'stepgrad --theme textual-light' for a projector, "
            "'stepgrad --digits 4' to round the numbers shown (see 'stepgrad open --help'). "
            "Exit status: 0 ok, 1 a disagreement or failed expectation, 2 bad input."
        ),
    )
    from stepgrad import __version__

    p.add_argument("--version", action="version", version=f"stepgrad {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    o = sub.add_parser("open", help="open the interactive app on a scenario")
    o.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO, help="file or bundled name")
    o.add_argument("--keys", help='keys to press, e.g. "n n n b" (headless when given)')
    o.add_argument("--screenshot", metavar="OUT.svg", help="save the screen as SVG and exit")
    o.add_argument("--size", default="120x40", help="terminal size for --keys/--screenshot (WxH)")
    o.add_argument(
        "--theme",
        metavar="NAME",
        help="one of Textual's themes, e.g. textual-light for a projector (default tokyo-night)",
    )
    o.add_argument("--digits", type=_digits, metavar="N", help=_DIGITS_HELP + " (the d key cycles them)")

    r = sub.add_parser("replay", help="print the timeline of events")
    r.add_argument("scenario", help="file or bundled name")
    r.add_argument(
        "--format",
        choices=("text", "jsonl"),
        default="text",
        help="text: one aligned line per event (default); jsonl: one JSON object per event",
    )
    r.add_argument("--until", type=_event_number, metavar="N", help="stop after event N (inclusive)")
    r.add_argument(
        "--roads",
        action="store_true",
        help="after each backward pass, each param's closed form, chain rule and manual formula",
    )
    r.add_argument(
        "--digits", type=_digits, metavar="N", help=_DIGITS_HELP + " (text only: jsonl stays exact)"
    )

    c = sub.add_parser(
        "check",
        help="compare every gradient and update with PyTorch, closed forms and manual: formulas",
        description="Runs the scenario in PyTorch in lock-step and compares every value, gradient and "
        "update. Exit status: 0 all agree and expect holds, 1 the first disagreement (named), "
        "2 bad input.",
    )
    c.add_argument("scenario", help="file or bundled name")
    c.add_argument("--json", action="store_true", help="print the comparison as JSON")

    sub.add_parser("list", help="list the bundled scenarios")
    return p


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``stepgrad`` console script."""
    from stepgrad import streams

    restore = streams.install()
    try:
        code = _main(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`| head -1`): stop quietly, as Unix tools do.
        streams.silence_stdout()
        code = 0
    except streams.OutputError as e:
        streams.silence_stdout()
        print(e, file=sys.stderr)
        code = 2
    finally:
        restore()
    sys.exit(code)


def _main(argv: Sequence[str] | None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    commands = {"open", "replay", "check", "list", "-h", "--help", "--version"}
    if not args or (args[0] not in commands and not args[0].startswith("-")) or _opens(args[0]):
        # `stepgrad` and `stepgrad FILE` open the app.
        if args and not _opens(args[0]) and _looks_like_a_command(args[0]):
            print(
                f"stepgrad: '{args[0]}' is neither a command (open, replay, check, list) "
                "nor a scenario file (see stepgrad --help)",
                file=sys.stderr,
            )
            return 2
        args = ["open", *args]
    parser = build_parser()
    if args[0] in commands - {"-h", "--help", "--version"}:
        parser.command = args[0]
    try:
        ns = parser.parse_args(args)
    except SystemExit as e:  # --help, --version, or a usage error (already said)
        sys.stdout.flush()
        return e.code if isinstance(e.code, int) else 0
    try:
        return _dispatch(ns)
    except ScenarioError as e:
        print(e, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


OPEN_OPTIONS = ("--keys", "--screenshot", "--size", "--theme", "--digits")
"""Options of ``open`` that may come first: ``stepgrad --theme textual-light`` opens the app."""


def _opens(word: str) -> bool:
    """``--theme``, ``--theme=NAME`` and the other options of ``open`` (no command before them)."""
    return word.split("=", 1)[0] in OPEN_OPTIONS


def _looks_like_a_command(word: str) -> bool:
    """A bare word that is no file and no bundled scenario is a mistyped command."""
    from pathlib import Path

    from stepgrad.scenario import bundled

    return not ("/" in word or "." in word or Path(word).exists() or word in bundled())


def _dispatch(ns: argparse.Namespace) -> int:
    if ns.command == "list":
        return _list()
    if ns.command == "replay":
        return _replay(ns)
    if ns.command == "check":
        from stepgrad.check import run_check

        return run_check(ns.scenario, as_json=ns.json)
    return _open(ns)


def _list() -> int:
    from stepgrad.scenario import bundled, load

    names = bundled()
    width = max(len(n) for n in names) if names else 0
    for short in names:
        s = load(short)
        print(f"{short:<{width}}  {s.name}")
    return 0


def _replay(ns: argparse.Namespace) -> int:
    from stepgrad.engine.timeline import Timeline
    from stepgrad.replay import replay
    from stepgrad.scenario import load

    if ns.digits is not None:
        if ns.format == "jsonl":
            # Refused, not ignored: JSON lines are the exact record a program reads back, and
            # a silently ignored --digits would let the reader think they were rounded.
            print(
                "stepgrad replay: --digits rounds the text only; --format jsonl keeps every number "
                "exact (leave out --digits)",
                file=sys.stderr,
            )
            return 2
        from stepgrad.explain import set_digits

        set_digits(ns.digits)
    scenario = load(ns.scenario)
    if ns.roads and scenario.program.arrays:
        # Refused, not ignored or half done: a road is one number three ways (closed form,
        # chain rule, hand formula); an array param has no closed form to derive.
        print(
            f"stepgrad replay: --roads compares a scalar param's three roads, and {ns.scenario}'s "
            "params are arrays (leave out --roads; stepgrad check compares every element with torch)",
            file=sys.stderr,
        )
        return 2
    timeline = Timeline(scenario.program)
    err = replay(scenario, timeline, sys.stdout, fmt=ns.format, until=ns.until, roads=ns.roads)
    sys.stdout.flush()
    if err is not None:
        print(err, file=sys.stderr)
        return 2
    return 0


def prepare_start() -> None:
    """Shorten the way to the app's first frame, and from a key to its screen.

    Start-up allocates a few hundred thousand objects (NumPy, Textual) and none of them is
    garbage, yet the collector would walk them all several times: about 100 of the 400 ms to
    the first frame. So it stays off until the app, once the screen is drawn, takes it over
    on its own schedule (``StepgradApp._gc_take_over``). And NumPy's BLAS gets one thread:
    the engine's numbers are scalars, and starting a pool of threads costs ~4 ms for nothing.

    Textual paints at most ``TEXTUAL_FPS`` frames a second and a key's new screen waits for
    the next frame's turn: at 120 instead of 60 that wait is at most 8 ms instead of 17 (the
    app paints only when something changed, so an idle screen costs nothing either way).
    Both are defaults: the environment can say otherwise.
    """
    import gc
    import os

    gc.disable()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("TEXTUAL_FPS", "120")


def _open(ns: argparse.Namespace) -> int:
    prepare_start()
    from stepgrad.scenario import load

    scenario = load(ns.scenario)
    if ns.theme is not None:
        # A mistyped theme is bad input, in a terminal or not: said before anything runs.
        from stepgrad.app.run import UsageError, check_theme

        try:
            check_theme(ns.theme)
        except UsageError as e:
            print(f"stepgrad: {e}", file=sys.stderr)
            return 2
    headless = ns.keys is not None or ns.screenshot is not None
    if not headless and not (sys.stdin is not None and sys.stdin.isatty() and sys.stdout.isatty()):
        # A full-screen app with no terminal would wait forever for keys nobody can press.
        print(
            "stepgrad: the app needs a terminal; for text use 'stepgrad replay "
            f"{ns.scenario}', for an image 'stepgrad open {ns.scenario} --screenshot out.svg'",
            file=sys.stderr,
        )
        return 2
    try:
        from stepgrad.app.run import run_app
    except ImportError as e:  # pragma: no cover - the app ships with the package
        print(f"stepgrad: the app is not available: {e}", file=sys.stderr)
        return 2
    return run_app(
        scenario, keys=ns.keys, screenshot=ns.screenshot, size=ns.size, theme=ns.theme, digits=ns.digits
    )
