"""What the command line writes, made safe for whatever stdout turns out to be.

The CLI's output goes through ``SafeStream`` (``install``), which

- writes characters a terminal would act on (escape sequences, carriage returns, C1
  controls, bidi overrides) and lone surrogates as visible ``\\uXXXX`` text, whatever string
  of the scenario they come from: a name can never clear the screen or retitle the window.
  ``\\uXXXX`` is valid inside a JSON string too, so ``--format jsonl`` stays JSON;
- spells ``∂ × · − ← ✓`` in ASCII (``d * * - <- ok``) on a stdout that cannot encode them
  (``PYTHONIOENCODING=ascii``, the C locale), rather than stopping at the first one;
- turns a write that fails (a full disk, a closed stdout, an I/O error) into ``OutputError``,
  which ``cli.main`` reports in one line. A reader that went away (``| head -1``) is a
  ``BrokenPipeError``, which ``cli.main`` ends quietly.
"""

from __future__ import annotations

import codecs
import errno
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any, TextIO

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Control characters but tab and newline, DEL, C1 controls, lone surrogates, bidi controls."""

ASCII_SPELLING = {
    "∂": "d",
    "×": "*",
    "·": "*",
    "−": "-",
    "←": "<-",
    "→": "->",
    "✓": "ok",
    "✗": "X",
    "≈": "~",
    "≠": "!=",
    "≤": "<=",
    "≥": ">=",
    "…": "...",
    "—": "--",
    "–": "-",
    "²": "^2",
    "³": "^3",
    "η": "eta",
    "σ": "sigma",
    "Σ": "sum",
    "∑": "sum",
    "∇": "grad",
    "√": "sqrt",
}
"""How the output's own symbols read in ASCII."""

ERRORS = "stepgrad-ascii"
"""The codec error handler that spells what the stream cannot encode (``ASCII_SPELLING``)."""


class OutputError(Exception):
    """The output could not be written (``str`` of it is the one line to print)."""


_ASCII_UNSAFE = bytes(range(0x20)).replace(b"\t", b"").replace(b"\n", b"") + b"\x7f"
"""``UNSAFE``'s ASCII characters, as bytes to delete."""


def visible(text: str) -> str:
    """``text`` with every character a terminal would act on written as ``\\uXXXX``."""
    # Nearly all text has none: found with a scan at C speed (7x the regex for replay's
    # JSON), the regex only where there may be one. Every UNSAFE character is a control,
    # a format character or a surrogate, none of which str.isprintable accepts.
    if text.isascii():
        raw = text.encode("ascii")
        if len(raw.translate(None, _ASCII_UNSAFE)) == len(raw):
            return text
    elif text.replace("\n", "").replace("\t", "").isprintable():
        return text
    return UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _spell(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = []
    text = error.object
    for i in range(error.start, error.end):
        ch = text[i]
        spelt = ASCII_SPELLING.get(ch)
        if (
            ch == "·"
            and text[i - 1 : i] == " "
            and text[i + 1 : i + 2] == " "
            and text[i + 2 : i + 3] != "∂"
            and text[i + 2 : i + 9] != "local ∂"
        ):
            # A separator (``event #3 · step 0``), not a product (``lr·∂loss/∂w``, or the
            # chain rule's ``∂loss/∂s · local ∂s/∂y_hat``, which must not read as a difference).
            spelt = "-"
        if "₀" <= ch <= "₉":
            # A generated name's count (``y_hat₁₂``): ``y_hat~12``, not ``y_hat12``, which
            # could be a name the user wrote.
            spelt = ("" if "₀" <= text[i - 1 : i] <= "₉" else "~") + str(ord(ch) - ord("₀"))
        if spelt is None:
            # é -> e; what has no ASCII base letter is written by its code point.
            base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            spelt = base or f"\\u{ord(ch):04x}"
        out.append(spelt)
    return "".join(out), error.end


codecs.register_error(ERRORS, _spell)


class _Closed:
    """Stands for a stdout the shell closed (``>&-``): Python has then no ``sys.stdout``."""

    encoding = "utf-8"

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class SafeStream:
    """A text stream that writes ``visible`` text and raises ``OutputError`` when it cannot."""

    def __init__(self, stream: Any, *, quiet: bool = False) -> None:
        self._stream = stream
        self._quiet = quiet
        """True for stderr: where its own failure could be said, nobody would read it."""

    def write(self, text: str) -> int:
        try:
            return self._stream.write(visible(text))
        except OSError as e:
            if self._quiet:
                return len(text)
            if isinstance(e, BrokenPipeError):
                raise
            raise OutputError(_reason(e)) from None

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as e:
            if self._quiet:
                return
            if isinstance(e, BrokenPipeError):
                raise
            raise OutputError(_reason(e)) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _reason(e: OSError) -> str:
    reason = (e.strerror or str(e)).strip()
    return f"stepgrad: cannot write the output: {reason[:1].lower()}{reason[1:]}"


def _can_encode(stream: Any, sample: str = "∂×·−←✓≈") -> bool:
    try:
        sample.encode(stream.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def install() -> Callable[[], None]:
    """Put ``SafeStream`` around stdout and stderr; returns what puts them back."""
    before = sys.stdout, sys.stderr
    streams: list[TextIO | Any] = []
    for stream, quiet in zip(before, (False, True), strict=True):
        if stream is None:
            stream = _Closed()
        elif not _can_encode(stream) and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors=ERRORS)
        streams.append(SafeStream(stream, quiet=quiet))
    sys.stdout, sys.stderr = streams

    def restore() -> None:
        sys.stdout, sys.stderr = before

    return restore


def silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null after stdout failed.

    What Python still holds in stdout's buffer is flushed again as the interpreter exits;
    into a closed pipe or a full disk that prints "Exception ignored ..." after our one line.
    """
    import os

    try:
        fd = sys.__stdout__.fileno() if sys.__stdout__ is not None else -1
    except (OSError, ValueError, AttributeError):
        return
    if fd < 0:
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
