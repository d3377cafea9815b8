"""A CSV file of numbers beside the scenario (``data: {file: points.csv, x: [0, 1], y: 2}``).

One row per sample, cells separated by commas; a first row that is not all numbers is
the header, whose names can pick columns instead of their 0-based numbers. A bad cell is
reported at its own place in the CSV file (``points.csv:LINE:COL``), a bad column choice
at the scenario's key. Blank lines and lines starting with ``#`` are skipped.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from stepgrad.errors import ScenarioError
from stepgrad.scenario.words import reason

MAX_CSV_BYTES = 20_000_000
MAX_CSV_ROWS = 200_000
"""Rows of a data file at most: counted before any is read, so that a tall file is refused
at once instead of after minutes of parsing."""
# A cell's text is quoted back only when it looks like a number or a short word: the file
# may be anything (a password file named by mistake), and its text is not ours to echo.
_SHOWABLE = re.compile(r"[\w .+-]{1,20}")


@dataclass(frozen=True)
class Table:
    """The numbers of a CSV file.

    Attributes:
        shown: the file as errors name it (the scenario's folder joined with ``file:``).
        header: the column names, when the first row is a header.
        rows: the numbers, one list per row.
        lines: for each row, its 1-based line number and its text (to find a cell's column
            when an error needs it).
    """

    shown: str
    header: tuple[str, ...] | None
    rows: list[list[float]]
    lines: list[tuple[int, str]]

    @property
    def n_cols(self) -> int:
        return len(self.rows[0])

    def where(self, row: int, col: int) -> tuple[int, int]:
        """The 1-based line and column of cell ``col`` of row ``row`` (both 0-based)."""
        number, text = self.lines[row]
        return number, _cells(text)[col][1]


def read_table(path: Path, shown: str, largest: float, dtype: str) -> Table:
    """Read ``path`` (which exists).

    Raises:
        ScenarioError: at the file (1:1) when it cannot be read, at the cell otherwise.
    """
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_CSV_BYTES + 1)
    except OSError as e:
        raise ScenarioError(shown, f"cannot read the data file: {reason(e)}", 1, 1) from None
    if len(raw) > MAX_CSV_BYTES:
        raise ScenarioError(shown, f"the data file is too large (more than {MAX_CSV_BYTES} bytes)", 1, 1)
    try:
        text = raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError:
        raise ScenarioError(shown, "the data file is not UTF-8 text", 1, 1) from None
    n_lines = text.count("\n") + 1
    if n_lines > MAX_CSV_ROWS:
        raise ScenarioError(
            shown,
            f"the data file has {n_lines:,} lines; a scenario takes at most {MAX_CSV_ROWS:,} rows",
            1,
            1,
        )
    header: tuple[str, ...] | None = None
    rows: list[list[float]] = []
    lines: list[tuple[int, str]] = []
    first_line = 0
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            # The usual row, all numbers that fit: no cell needs looking at one by one.
            values = [float(c) for c in line.split(",")]
            if not all(map(math.isfinite, values)) or max(map(abs, values)) > largest:
                values = []
        except ValueError:
            values = []
        cells = _cells(line) if not values else []
        if header is None and not rows and not values and not all(_is_number(c) for c, _ in cells):
            header = tuple(c.strip().strip('"').strip() for c, _ in cells)
            first_line = number
            continue
        n = len(values) or len(cells)
        if rows and n != len(rows[0]):
            raise ScenarioError(shown, f"this row has {n} cells, the first row has {len(rows[0])}", number, 1)
        if header is not None and n != len(header):
            raise ScenarioError(
                shown, f"this row has {n} cells, the header (line {first_line}) has {len(header)}", number, 1
            )
        if not values:
            values = [
                _number(cell, j, shown, number, col, largest, dtype) for j, (cell, col) in enumerate(cells)
            ]
        rows.append(values)
        lines.append((number, line))
    if not rows:
        raise ScenarioError(shown, "the data file has no rows of numbers", 1, 1)
    return Table(shown, header, rows, lines)


def _cells(line: str) -> list[tuple[str, int]]:
    """The cells of one line and the 1-based column where each starts (its first
    character that is not a space)."""
    out: list[tuple[str, int]] = []
    start = 0
    for part in line.split(","):
        lead = len(part) - len(part.lstrip())
        out.append((part, start + lead + 1))
        start += len(part) + 1
    return out


def _is_number(cell: str) -> bool:
    try:
        float(cell.strip())
    except ValueError:
        return False
    return True


def _number(cell: str, j: int, shown: str, line: int, col: int, largest: float, dtype: str) -> float:
    text = cell.strip()
    try:
        v = float(text)
    except ValueError:
        what = f"'{text}'" if _SHOWABLE.fullmatch(text) else "this cell" if text else "an empty cell"
        raise ScenarioError(shown, f"{what} is not a number (column {j})", line, col) from None
    if not math.isfinite(v):
        raise ScenarioError(shown, f"'{text}' is not a finite number (column {j})", line, col)
    if abs(v) > largest:
        raise ScenarioError(
            shown, f"{v:g} does not fit in {dtype} (largest {largest:.4g}; column {j})", line, col
        )
    return v
