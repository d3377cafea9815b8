"""The shapes a scenario's sections are made of, read with errors that point into the file."""

from __future__ import annotations

import keyword
import math
import re
import unicodedata

from stepgrad.engine.ops import FUNCTIONS
from stepgrad.errors import ScenarioError
from stepgrad.language.suggest import closest
from stepgrad.scenario.words import codes, kind, shorten, unshowable
from stepgrad.scenario.yamlloc import Loc

# The largest finite value of each dtype (numpy.finfo(dtype).max), written out so that
# loading a scenario does not import NumPy.
LARGEST = {"float64": 1.7976931348623157e308, "float32": 3.4028234663852886e38}
# What a misspelt key looks like (quoted back in the error); anything else is not echoed.
_KEYLIKE = re.compile(r"[\w .-]{1,40}")


def _empty_section_above(loc: Loc, line: int) -> tuple[str, int] | None:
    """The key of ``loc`` written just above ``line`` with nothing under it (``model:``),
    and its line; None when the key above holds a value."""
    above = [(pos[0], k) for k, pos in loc.keys.items() if pos[0] < line]
    if not above or not isinstance(loc.value, dict):
        return None
    row, key = max(above)
    return (key, row) if loc.value[key].value is None else None


class Fields:
    """Reads the shapes every section is made of (mappings, keys, numbers, names, text),
    with errors that point at the offending line.

    Args:
        path: the file as the user named it.
    """

    def __init__(self, path: str):
        self.path = path
        self.dtype = "float64"
        self.largest = LARGEST["float64"]
        self.node_where: dict[str, tuple[int, int]] = {}

    def fail(self, loc: Loc | tuple[int, int] | None, message: str) -> ScenarioError:
        """The error to raise for ``loc`` (a located value, a (line, col), or the file)."""
        if loc is None:
            return ScenarioError(self.path, message, 1, 1)
        if isinstance(loc, Loc):
            return ScenarioError(self.path, message, loc.line, loc.col)
        return ScenarioError(self.path, message, loc[0], loc[1])

    # ----- shapes ----------------------------------------------------------------------

    def mapping(self, loc: Loc, what: str) -> dict[str, Loc]:
        """The mapping ``loc`` holds, by key; an error when it holds something else."""
        if not isinstance(loc.value, dict):
            raise self.fail(loc, f"{what} must be a mapping of names to values, not {kind(loc.value)}")
        return loc.value

    def keys(self, loc: Loc, allowed: tuple[str, ...], what: str) -> None:
        """An error at the first key of ``loc`` not in ``allowed``, with the closest allowed one."""
        for key, pos in loc.keys.items():
            if key not in allowed:
                close = closest(key, allowed)
                hint = f"; did you mean '{close}'?" if close else f" (allowed: {', '.join(allowed)})"
                if not _KEYLIKE.fullmatch(key):
                    # A line of some other file, not a misspelt key: do not echo it.
                    raise self.fail(pos, f"this line is not a key of {what}{hint}")
                empty = _empty_section_above(loc, pos[0])
                if empty is not None and not close:
                    # `model:` then unindented lines: they were meant to be its entries.
                    hint = f"; indent it under '{empty[0]}:' (line {empty[1]}) if it belongs there"
                raise self.fail(pos, f"unknown key '{key}' in {what}{hint}")

    def number(self, loc: Loc, what: str) -> float:
        """A finite number that fits the dtype (YAML's text ``1e-2`` included)."""
        v = loc.value
        if isinstance(v, str) and loc.style in ("'", '"'):
            # Quoted, it is text even when it reads as a number: refused as `y: two` is, so
            # that `lr: "0.01"` is not silently a number here and text in torch's code.
            try:
                written = float(v.strip())
            except ValueError:
                raise self.fail(loc, f"{what} must be a number, not {kind(v)}") from None
            if math.isfinite(written):  # 'inf' and 'nan' are refused below, as not finite
                raise self.fail(loc, f"{what} must be a number, not {kind(v)}; remove the quotes")
        if isinstance(v, str):
            # YAML 1.1 reads `1e-2` as text; accept any number Python reads.
            try:
                v = float(v.strip())
            except ValueError:
                raise self.fail(loc, f"{what} must be a number, not {kind(loc.value)}") from None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(loc, f"{what} must be a number, not {kind(v)}")
        try:
            f = float(v)
        except OverflowError:
            f = math.inf
        if not math.isfinite(f):
            raise self.fail(loc, f"{what} must be a finite number, not {shorten(str(v))}")
        if abs(f) > self.largest:
            # The engine would silently turn it into an infinity.
            raise self.fail(
                loc, f"{what} = {f:g} does not fit in {self.dtype} (largest {self.largest:.4g})"
            )
        return f

    def whole(self, e: Loc, what: str, least: int) -> int:
        """A whole number of at least ``least`` (``epochs``, a seed, a size)."""
        if isinstance(e.value, bool) or not isinstance(e.value, int):
            shown = e.value if isinstance(e.value, float) else kind(e.value)
            quoted = isinstance(e.value, str) and e.value.strip().isdigit()
            unquote = "; remove the quotes" if quoted else ""
            raise self.fail(e, f"{what} must be a whole number, not {shown}{unquote}")
        if e.value < least:
            raise self.fail(e, f"{what} must be at least {least}, not {shorten(str(e.value), 20)}")
        return e.value

    def ident(self, name: str, pos: tuple[int, int], what: str) -> None:
        """An error unless ``name`` is a name expressions can use, and no function's name."""
        if not name.isidentifier() or keyword.iskeyword(name):
            raise self.fail(
                pos,
                f"'{shorten(name)}' is not a valid {what} name "
                "(letters, digits and _, not starting with a digit)",
            )
        if unicodedata.normalize("NFKC", name) != name:
            # Python reads `ｗ` in an expression as `w`: the two would not match.
            plain = unicodedata.normalize("NFKC", name)
            if unicodedata.normalize("NFC", name) == plain:
                # They look the same: only the code points tell them apart.
                raise self.fail(
                    pos,
                    f"'{name}' is written with a combining mark ({codes(name)}) and is read as "
                    f"{codes(plain)} in expressions; write it as one character",
                )
            raise self.fail(pos, f"'{name}' is read as '{plain}' in expressions; write '{plain}'")
        if name in FUNCTIONS:
            raise self.fail(pos, f"'{name}' is a function name; choose another {what} name")

    def numbers(self, loc: Loc, what: str) -> dict[str, tuple[float, Loc]]:
        """A mapping of names to numbers (``inputs``, ``params``), each with its location."""
        out: dict[str, tuple[float, Loc]] = {}
        for k, v in self.mapping(loc, what).items():
            self.ident(k, loc.keys[k], what.rstrip("s"))
            out[k] = (self.number(v, f"{what[:-1] if what.endswith('s') else what} '{k}'"), v)
        return out

    def text(self, loc: Loc | None, what: str, lines: bool = False) -> str | None:
        """One line of printable text (several with ``lines``), stripped; None when absent."""
        if loc is None or loc.value is None:
            return None
        if not isinstance(loc.value, (str, int, float)) or isinstance(loc.value, bool):
            raise self.fail(loc, f"{what} must be text, not {kind(loc.value)}")
        raw = str(loc.value)
        text = raw.strip()
        lead = len(raw) - len(raw.lstrip())
        # Printed by check, replay and the app: a terminal escape would act on the
        # terminal, and a lone surrogate cannot be written out at all.
        for i, ch in enumerate(text):
            if lines and ch in "\t\n":
                continue
            words = unshowable(ch)
            if words is not None:
                rule = "printable text" if lines else "printable text on one line"
                raise self.fail(loc.locate(lead + i), f"{what} contains {words}; it must be {rule}")
        return text
