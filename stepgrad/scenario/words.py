"""How a scenario error quotes the file: values, names and characters in words, and the
whole message made safe for one terminal line."""

from __future__ import annotations

import unicodedata
from typing import Any

from stepgrad.errors import ScenarioError
from stepgrad.language.suggest import did_you_mean


def printable(e: ScenarioError) -> ScenarioError:
    """The error with its text made safe for one terminal line.

    Names and values quoted from the file may hold line breaks or control characters
    (even terminal escapes); they are shown escaped, so the error stays one harmless line.
    """
    e.message = clean(e.message)
    e.path = clean(e.path)
    e.args = (e.message,)
    return e


def clean(text: str) -> str:
    """``text`` with every unprintable character written as its escape."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


# Invisible characters that reorder the text around them ("Trojan source").
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def unshowable(ch: str) -> str | None:
    """What ``ch`` is, in words, if it cannot be shown as text on a terminal; else None."""
    category = unicodedata.category(ch)
    if category == "Cs":
        return f"a lone surrogate U+{ord(ch):04X} (half of a UTF-16 pair, not a character)"
    if ch in "\n\r":
        return "a line break"
    if category == "Cc":
        return f"the control character U+{ord(ch):04X}"
    if category in ("Zl", "Zp"):
        return f"the line break U+{ord(ch):04X}"
    if ch in _BIDI:
        return f"the direction mark U+{ord(ch):04X}"
    return None


def codes(text: str) -> str:
    """The code points of ``text`` (``U+0077 U+0301``)."""
    return " ".join(f"U+{ord(ch):04X}" for ch in text)


def hint(name: str, names: list[str]) -> str:
    """``; did you mean 'x'?`` for the closest of ``names``, or nothing."""
    return did_you_mean(name, names)


def article(word: str) -> str:
    """``word`` with its article (``an input``, ``a param``)."""
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def reason(e: Exception) -> str:
    """Why an OS call failed, in lower-case words."""
    if isinstance(e, OSError) and e.strerror:
        return e.strerror.lower()
    return str(e)


def shorten(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def kind(v: Any) -> str:
    """What a YAML value is, in words, quoting at most a short piece of it."""
    if v is None:
        return "nothing"
    if isinstance(v, bool):
        return f"the boolean {str(v).lower()}"
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, str):
        return f"the text {shorten(repr(v))}"
    if isinstance(v, (int, float)):
        return f"the number {shorten(repr(v))}"
    return f"{type(v).__name__} {shorten(str(v))}"
