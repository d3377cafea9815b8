"""Values that may be arrays: a number, or a rectangular nested list of numbers (``W:
[[0.5], [0.1]]``); and a param declared by its shape and a deterministic initialiser
(``W1: {shape: [8, 6], init: linear, seed: 1}``).

Every value stays a plain Python float or a nested list of floats, as ``Program`` holds
it. An initialiser draws with ``numpy.random.default_rng(seed)`` in float64 and rounds
to the dtype, so that the torch oracle starts from the very same numbers; NumPy is
imported only then (a scalar lecture never imports it while loading).
"""

from __future__ import annotations

from typing import Any

from stepgrad.language.suggest import did_you_mean
from stepgrad.scenario.fields import Fields
from stepgrad.scenario.words import kind, shorten
from stepgrad.scenario.yamlloc import Loc

#: The most numbers a scenario's arrays may hold together (aliases of aliases included).
MAX_NUMBERS = 2_000_000

INITS = ("uniform", "normal", "linear", "zeros", "ones")
# What each initialiser reads besides shape (required, then optional).
_INIT_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "uniform": (("low", "high", "seed"), ()),
    "normal": (("std", "seed"), ("mean",)),
    "linear": (("seed",), ("fan_in",)),
    "zeros": ((), ()),
    "ones": ((), ()),
}
_SPEC_KEYS = ("shape", "init", "seed", "low", "high", "mean", "std", "fan_in")
_EXAMPLE = {
    "uniform": "low: -0.3, high: 0.3, seed: 0",
    "normal": "mean: 0, std: 0.1, seed: 0",
    "linear": "seed: 0",
}

Shape = tuple[int, ...]


def shape_of(value: Any) -> Shape:
    """The shape of a (rectangular) nested list: ``()`` for a number."""
    shape: list[int] = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0]
    return tuple(shape)


def _count(shape: Shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _units(shape: Shape) -> str:
    """What the items of an array of ``shape`` are, in words (``3 numbers``, ``2 rows``)."""
    if not shape:
        return "a number"
    unit = "number" if len(shape) == 1 else "row"
    return f"{shape[0]} {unit}{'' if shape[0] == 1 else 's'}"


class Values(Fields):
    """Reads values that may be arrays, with errors that point at the row that is wrong."""

    numbers_read = 0

    def value(self, loc: Loc, what: str, where: str) -> tuple[Any, Shape]:
        """A number or a rectangular nested list of numbers, and its shape.

        Args:
            what: how a number's error names it (``param 'W'``).
            where: how a row error names the value (``params: W``).
        """
        if not isinstance(loc.value, list):
            return self.number(loc, what), ()
        return self._array(loc, what, where)

    def named_values(self, loc: Loc, what: str, *, inits: bool = False) -> dict[str, tuple[Any, Loc, Shape]]:
        """A mapping of names to values that may be arrays (``inputs``, ``params``,
        ``predict``), each with its location and shape; with ``inits``, a value may be an
        initialiser (``{shape: [8, 6], init: linear, seed: 1}``)."""
        single = what[:-1] if what.endswith("s") else what
        out: dict[str, tuple[Any, Loc, Shape]] = {}
        for k, v in self.mapping(loc, what).items():
            self.ident(k, loc.keys[k], what.rstrip("s"))
            if inits and isinstance(v.value, dict):
                value, shape = self.initialised(v, k)
            else:
                value, shape = self.value(v, f"{single} '{k}'", f"{what}: {k}")
            out[k] = (value, v, shape)
        return out

    def _array(self, loc: Loc, what: str, where: str) -> tuple[Any, Shape]:
        items: list[Loc] = loc.value
        if not items:
            raise self.fail(loc, f"{where}: an empty list; an array needs at least one number")
        out: list[Any] = []
        first: Shape | None = None
        for i, item in enumerate(items):
            label = f"{what}[{i}]" if not what.endswith("]") else f"{what[:-1]}, {i}]"
            if isinstance(item.value, list):
                v, shape = self._array(item, label, where)
            else:
                v, shape = self.number(item, label), ()
                self._counted(1, item, where)
            if first is None:
                first = shape
            elif shape != first:
                raise self.fail(item, f"{where}: {ragged(i, shape, first)}")
            out.append(v)
        return out, (len(items), *(first or ()))

    def _counted(self, n: int, loc: Loc, where: str) -> None:
        self.numbers_read += n
        if self.numbers_read > MAX_NUMBERS:
            raise self.fail(
                loc, f"{where}: too many numbers (the scenario's arrays hold at most {MAX_NUMBERS})"
            )

    def sample(self, loc: Loc, k: str, i: int) -> tuple[Any, Shape]:
        """Item ``i`` of data column ``k``: one sample, a number or a row of numbers."""
        if not isinstance(loc.value, list):
            return self.number(loc, f"data '{k}' item {i}"), ()
        for x in loc.value:
            if isinstance(x.value, list):
                raise self.fail(
                    loc, f"data '{k}' item {i} must be a number or a row of numbers, not a list of lists"
                )
        row, shape = self._array(loc, f"data '{k}' item {i}", f"data: {k}")
        return row, shape

    def initialised(self, loc: Loc, name: str) -> tuple[Any, Shape]:
        """A param given as ``{shape: [...], init: ..., ...}``: its values, drawn and rounded."""
        spec = loc.value
        assert isinstance(spec, dict)
        self.keys(loc, _SPEC_KEYS, f"param '{name}'")
        if "shape" not in spec:
            example = "{shape: [8, 6], init: linear, seed: 0}"
            raise self.fail(loc, f"param '{name}': an initialiser needs a shape, e.g. {example}")
        shape = self._shape(spec["shape"], name)
        if "init" not in spec:
            raise self.fail(loc, f"param '{name}' needs init: one of {', '.join(INITS)}")
        init_loc = spec["init"]
        init = init_loc.value
        if not isinstance(init, str) or init not in INITS:
            shown = f"'{shorten(init)}'{did_you_mean(init, INITS)}" if isinstance(init, str) else kind(init)
            raise self.fail(init_loc, f"unknown init {shown} (allowed: {', '.join(INITS)})")
        required, optional = _INIT_KEYS[init]
        for key in spec:
            if key not in ("shape", "init", *required, *optional):
                takes = ", ".join((*required, *optional)) or "nothing besides shape"
                raise self.fail(loc.keys[key], f"init {init} does not use '{key}' (it takes {takes})")
        for key in required:
            if key not in spec:
                example = _EXAMPLE.get(init, "")
                raise self.fail(loc, f"init {init} needs {_needs(required)}, e.g. {example}")
        if init == "linear" and "fan_in" not in spec and len(shape) != 2:
            raise self.fail(
                loc,
                f"init linear of a {len(shape)}-D param needs fan_in: (the layer's inputs; "
                "a 2-D weight used as x @ W has fan_in = shape[0])",
            )
        self._counted(_count(shape), loc, f"params: {name}")
        given = [k for k in ("low", "high", "mean", "std") if k in spec]
        numbers = {k: self.number(spec[k], f"param '{name}' {k}") for k in given}
        if init == "uniform" and numbers["low"] >= numbers["high"]:
            raise self.fail(spec["high"], f"param '{name}': high must be above low ({numbers['low']:g})")
        if init == "normal" and numbers["std"] < 0:
            raise self.fail(spec["std"], f"param '{name}': std must not be negative")
        seed = self.whole(spec["seed"], f"param '{name}' seed", 0) if "seed" in spec else 0
        fan_in = self.whole(spec["fan_in"], f"param '{name}' fan_in", 1) if "fan_in" in spec else 0
        if init == "linear" and not fan_in:
            fan_in = shape[0]
        return _draw(init, shape, seed, numbers, fan_in, self.dtype), shape

    def _shape(self, loc: Loc, name: str) -> Shape:
        v = loc.value
        if not isinstance(v, list):
            raise self.fail(loc, f"param '{name}' shape must be a list of sizes like [8, 6], not {kind(v)}")
        return tuple(self.whole(x, f"param '{name}' shape", 1) for x in v)


def _needs(keys: tuple[str, ...]) -> str:
    return keys[0] if len(keys) == 1 else ", ".join(keys[:-1]) + " and " + keys[-1]


def ragged(i: int, shape: Shape, first: Shape) -> str:
    """Why row ``i`` (0-based) does not fit row 0, in words (rows counted from 1)."""
    if shape and first and shape[1:] == first[1:]:
        return f"row {i + 1} has {_units(shape)}, row 1 has {first[0]}"
    if not shape or not first:
        return f"row {i + 1} has {_units(shape)}, row 1 has {_units(first)}"
    return f"row {i + 1} has shape {shape}, row 1 has {first}"


def _draw(init: str, shape: Shape, seed: int, numbers: dict[str, float], fan_in: int, dtype: str) -> Any:
    """The initialiser's values: drawn in float64, rounded to ``dtype``, as nested lists."""
    import numpy as np

    if init in ("zeros", "ones"):
        values = np.full(shape, 0.0 if init == "zeros" else 1.0)
    else:
        rng = np.random.default_rng(seed)
        if init == "uniform":
            values = rng.uniform(numbers["low"], numbers["high"], size=shape)
        elif init == "normal":
            values = rng.normal(numbers.get("mean", 0.0), numbers["std"], size=shape)
        else:
            # torch's nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
            bound = 1.0 / np.sqrt(fan_in)
            values = rng.uniform(-bound, bound, size=shape)
    return np.asarray(values, dtype=np.float64).astype(dtype).astype(np.float64).tolist()
