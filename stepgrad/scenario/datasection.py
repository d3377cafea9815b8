"""``data:``: one list per input, each entry one sample (a number, or a row of numbers);
or columns of a CSV file beside the scenario (``data: {file: points.csv, x: [0, 1], y: 2}``).

Besides the values, the loader keeps where each sample was written (``data_where``): a
label outside the classes found later is reported at its own row, in the scenario or in
the CSV file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, overload

from stepgrad.language.suggest import did_you_mean
from stepgrad.scenario.table import Table, read_table
from stepgrad.scenario.values import Shape, Values, ragged
from stepgrad.scenario.words import kind, shorten
from stepgrad.scenario.yamlloc import Loc

#: Where each sample of a data column was written: (file, line, col).
Where = tuple[str, int, int]


class DataSection(Values):
    """Reads ``data:``."""

    data_where: dict[str, Sequence[Where]]

    def data(
        self, loc: Loc, inputs: dict[str, Any], params: dict[str, Any]
    ) -> tuple[dict[str, tuple[Any, ...]], dict[str, Shape]]:
        """``data:``: the columns (one entry per sample), and each column's sample shape."""
        self.data_where = {}
        m = self.mapping(loc, "data")
        if "file" in m:
            return self._from_file(loc, inputs, params)
        out: dict[str, tuple[Any, ...]] = {}
        shapes: dict[str, Shape] = {}
        length: tuple[str, int] | None = None
        for k, v in m.items():
            self._column_name(k, loc.keys[k], inputs, params)
            if not isinstance(v.value, list):
                raise self.fail(v, f"data '{k}' must be a list of numbers, not {kind(v.value)}")
            if not v.value:
                raise self.fail(v, f"data '{k}' is empty; give at least one sample")
            values = []
            first: Shape | None = None
            for i, x in enumerate(v.value):
                value, shape = self.sample(x, k, i)
                if first is None:
                    first = shape
                elif shape != first:
                    raise self.fail(x, f"data: {k}: {ragged(i, shape, first)}")
                values.append(value)
            if length is None:
                length = (k, len(values))
            elif len(values) != length[1]:
                samples = "sample" if len(values) == 1 else "samples"
                raise self.fail(
                    v,
                    f"data '{k}' has {len(values)} {samples} but '{length[0]}' has {length[1]}; "
                    "every list needs one value per sample",
                )
            out[k] = tuple(values)
            shapes[k] = first or ()
            self.data_where[k] = [(self.path, x.line, x.col) for x in v.value]
        if not out:
            raise self.fail(loc, "data is empty; give one list per input")
        return out, shapes

    def _column_name(
        self, k: str, pos: tuple[int, int], inputs: dict[str, Any], params: dict[str, Any]
    ) -> None:
        self.ident(k, pos, "input")
        if k in params:
            raise self.fail(pos, f"'{k}' is a param; data can only feed inputs")
        if k in inputs:
            raise self.fail(pos, f"'{k}' is in both inputs and data; keep it in one of them")

    def _from_file(
        self, loc: Loc, inputs: dict[str, Any], params: dict[str, Any]
    ) -> tuple[dict[str, tuple[Any, ...]], dict[str, Shape]]:
        """``data: {file: points.csv, x: [0, 1], y: 2}``: a row of the chosen columns per
        sample for a list, one number per sample for a single column."""
        m = loc.value
        file_loc = m["file"]
        name = file_loc.value
        if not isinstance(name, str) or not name.strip():
            raise self.fail(file_loc, f"data file must be a file name like points.csv, not {kind(name)}")
        folder = Path(self.path).parent
        path = folder / name
        shown = str(path)
        try:
            # The scenario's folder and below only: a scenario someone sends you reads no
            # file of yours elsewhere (../../etc/passwd, /dev/zero).
            inside = path.resolve().is_relative_to(folder.resolve())
            exists = path.exists()
            found = path.is_file()
        except (OSError, ValueError, RuntimeError):
            inside, exists, found = True, False, False
        if not inside:
            raise self.fail(
                file_loc,
                f"data file '{shorten(name)}' is outside the scenario's folder; put it beside the scenario",
            )
        if not found:
            what = (
                "is a directory, not a CSV file"
                if _is_dir(path)
                else "is not a regular file"
                if exists
                else "not found"
            )
            raise self.fail(file_loc, f"data file '{shorten(name)}' {what} (looked for {shorten(shown, 80)})")
        table = read_table(path, shown, self.largest, self.dtype)
        out: dict[str, tuple[Any, ...]] = {}
        shapes: dict[str, Shape] = {}
        for k, v in m.items():
            if k == "file":
                continue
            self._column_name(k, loc.keys[k], inputs, params)
            if isinstance(v.value, list):
                if not v.value:
                    raise self.fail(v, f"data '{k}' names no column; give some, e.g. {k}: [0, 1]")
                cols = [self._column(x, k, table) for x in v.value]
                out[k] = tuple([row[c] for c in cols] for row in table.rows)
                shapes[k] = (len(cols),)
            else:
                cols = [self._column(v, k, table)]
                out[k] = tuple(row[cols[0]] for row in table.rows)
                shapes[k] = ()
            self._counted(len(cols) * len(table.rows), v, f"data: {k}")
            self.data_where[k] = _CellsOf(table, cols[0])
        if not out:
            raise self.fail(
                loc, "data names no columns of the file: give one key per input, e.g. x: [0, 1], y: 2"
            )
        return out, shapes

    def _column(self, loc: Loc, k: str, table: Table) -> int:
        """A column of ``table`` by its 0-based number or its header name."""
        c = loc.value
        n = table.n_cols
        span = f"0 to {n - 1}" if n > 1 else "only column 0"
        if isinstance(c, int) and not isinstance(c, bool):
            if not 0 <= c < n:
                raise self.fail(
                    loc,
                    f"data '{k}': column {shorten(str(c), 20)} is out of range: {table.shown} has {n} "
                    f"column{'s' if n != 1 else ''} ({span})",
                )
            return c
        if isinstance(c, str):
            if table.header is None:
                raise self.fail(
                    loc,
                    f"data '{k}': column '{shorten(c)}' needs a header row, and {table.shown} has none; "
                    f"give the column's number ({span})",
                )
            if c in table.header:
                return table.header.index(c)
            close = did_you_mean(c, table.header)
            raise self.fail(loc, f"data '{k}': {table.shown} has no column '{shorten(c)}'{close}")
        raise self.fail(loc, f"data '{k}': a column is its number (from 0) or its header name, not {kind(c)}")


class _CellsOf(Sequence[Where]):
    """Where each row's cell of one column is, found only when an error asks."""

    def __init__(self, table: Table, col: int):
        self._table = table
        self._col = col

    def __len__(self) -> int:
        return len(self._table.rows)

    @overload
    def __getitem__(self, i: int) -> Where: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[Where]: ...

    def __getitem__(self, i: int | slice) -> Where | Sequence[Where]:
        if isinstance(i, slice):
            return [self[k] for k in range(len(self))[i]]
        return (self._table.shown, *self._table.where(i, self._col))


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False
