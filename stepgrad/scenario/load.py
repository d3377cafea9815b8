"""Scenario files: YAML in, a checked ``Program`` out, or one ``ScenarioError`` line."""

from __future__ import annotations

import decimal
import difflib
import keyword
import math
import re
import struct
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stepgrad.engine.graph import Graph, Node
from stepgrad.engine.ops import FUNCTIONS
from stepgrad.engine.plan import Plan
from stepgrad.engine.program import Program
from stepgrad.errors import ScenarioError
from stepgrad.language.expr import ExprError, ModelBuilder, parse_expression, referenced_names
from stepgrad.language.formula import FormulaError, compile_formula
from stepgrad.scenario.yamlloc import Loc, load_located

TOP_KEYS = (
    "name", "description", "dtype", "inputs", "params", "model", "loss", "data", "train",
    "predict", "expect", "manual",
)
TRAIN_KEYS = ("epochs", "lr", "zero_grad")
EXPECT_KEYS = ("grad", "loss", "params", "predict")
DTYPES = ("float64", "float32")
# The largest finite value of each dtype (numpy.finfo(dtype).max), written out so that
# loading a scenario does not import NumPy.
LARGEST = {"float64": 1.7976931348623157e308, "float32": 3.4028234663852886e38}
MAX_STEPS = 10_000_000
# What a misspelt key looks like (quoted back in the error); anything else is not echoed.
_KEYLIKE = re.compile(r"[\w .-]{1,40}")
MAX_FILE_BYTES = 1_000_000


@dataclass(frozen=True)
class Expect:
    """Values ``stepgrad check`` asserts.

    Attributes:
        grad: each param's gradient after the first backward pass.
        loss: the loss of the first forward pass.
        params: param values after training.
        predict: prediction values after training, by node name.
    """

    grad: dict[str, float] = field(default_factory=dict)
    loss: float | None = None
    params: dict[str, float] = field(default_factory=dict)
    predict: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """A loaded scenario.

    Attributes:
        path: the file as the user named it (or the bundled short name's file).
        name: the display name.
        description: free text shown in the app.
        program: what the engine runs.
        expect: values to assert, if any.
        manual: hand-derived gradient formulas by param, as written.
        short: the bundled short name, when opened by one.
        where: 1-based (line, col) of each model name, param and input, and of ``lr``,
            so that later errors (a NaN in training) can point into the file.
    """

    path: str
    name: str
    description: str
    program: Program
    expect: Expect | None = None
    manual: dict[str, str] = field(default_factory=dict)
    short: str | None = None
    where: dict[str, tuple[int, int]] = field(default_factory=dict)


def bundled_dir() -> Path:
    """Where the bundled scenarios live: inside the wheel, or the checkout's ``scenarios/``."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_scenarios"
    if packaged.is_dir():
        return packaged
    return here.parent / "scenarios"


_ORDER = (
    "lecture4", "ex4-1", "ex4-2", "ex4-3", "ex4-4", "ex4-4-wrong", "ex4-5", "lecture4-torch", "no-zero-grad",
)


def bundled() -> dict[str, Path]:
    """Bundled scenarios by short name: the lecture's order first, then any others by name."""
    d = bundled_dir()
    if not d.is_dir():
        return {}
    files = {p.stem: p for p in d.glob("*.yaml")}
    rank = {n: i for i, n in enumerate(_ORDER)}
    return {n: files[n] for n in sorted(files, key=lambda n: (rank.get(n, len(rank)), n))}


def resolve(spec: str) -> tuple[Path, str | None]:
    """A path or a bundled short name to a file path (and the short name if it was one)."""
    names = bundled()
    if spec in names and not Path(spec).exists():
        return names[spec], spec
    return Path(spec), None


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
        raise _printable(ScenarioError(spec, f"cannot open the file: {_reason(e)}", 1, 1)) from None
    if not exists:
        hint = ""
        names = list(bundled())
        close = difflib.get_close_matches(spec, names, n=1)
        if close:
            hint = f"; did you mean the bundled scenario '{close[0]}'?"
        elif names:
            hint = f" (bundled scenarios: {', '.join(names)})"
        raise _printable(ScenarioError(spec, f"no such file{hint}", 1, 1))
    if is_dir:
        raise _printable(ScenarioError(spec, "is a directory, not a scenario file", 1, 1))
    try:
        with path.open("rb") as f:
            # Bounded, so that /dev/zero or a huge file cannot eat the memory.
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise _printable(ScenarioError(spec, f"cannot read the file: {_reason(e)}", 1, 1)) from None
    if len(raw) > MAX_FILE_BYTES:
        raise _printable(
            ScenarioError(spec, f"the file is too large (more than {MAX_FILE_BYTES} bytes)", 1, 1)
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        col = len(raw[raw.rfind(b"\n", 0, e.start) + 1 : e.start].decode("utf-8", "replace")) + 1
        raise _printable(
            ScenarioError(spec, f"the file is not UTF-8 text (byte 0x{raw[e.start]:02x})", line, col)
        ) from None
    return loads(text, shown, short=short)


def loads(text: str, path: str = "<scenario>", *, short: str | None = None) -> Scenario:
    """Load a scenario from YAML text; ``path`` names it in errors.

    Raises:
        ScenarioError: anything wrong with the text, as one line.
    """
    text = text.lstrip("\ufeff")
    try:
        try:
            root = load_located(text, path)
        except ScenarioError as e:
            if e.message.startswith("invalid YAML") and not _names_a_top_key(text):
                # Not YAML and not a scenario (a password file, say): quote none of it.
                raise ScenarioError(path, NOT_A_SCENARIO, 1, 1) from None
            raise
        return _Checker(path).scenario(root, short)
    except ScenarioError as e:
        raise _printable(e) from None


NOT_A_SCENARIO = "is not a stepgrad scenario (expected a mapping with params and model)"


def _names_a_top_key(text: str) -> bool:
    """True when some line starts with a scenario's top-level key and a colon."""
    keys = "|".join(TOP_KEYS)
    return re.search(rf"^\s*({keys})\s*:", text, re.MULTILINE) is not None


def _printable(e: ScenarioError) -> ScenarioError:
    """The error with its text made safe for one terminal line.

    Names and values quoted from the file may hold line breaks or control characters
    (even terminal escapes); they are shown escaped, so the error stays one harmless line.
    """
    e.message = _clean(e.message)
    e.path = _clean(e.path)
    e.args = (e.message,)
    return e


def _clean(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


class _Checker:
    def __init__(self, path: str):
        self.path = path
        self.dtype = "float64"
        self.largest = LARGEST["float64"]
        self.node_where: dict[str, tuple[int, int]] = {}

    def fail(self, loc: Loc | tuple[int, int] | None, message: str) -> ScenarioError:
        if loc is None:
            return ScenarioError(self.path, message, 1, 1)
        if isinstance(loc, Loc):
            return ScenarioError(self.path, message, loc.line, loc.col)
        return ScenarioError(self.path, message, loc[0], loc[1])

    # ----- shapes ----------------------------------------------------------------------

    def mapping(self, loc: Loc, what: str) -> dict[str, Loc]:
        if not isinstance(loc.value, dict):
            raise self.fail(loc, f"{what} must be a mapping of names to values, not {_kind(loc.value)}")
        return loc.value

    def keys(self, loc: Loc, allowed: tuple[str, ...], what: str) -> None:
        for key, pos in loc.keys.items():
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f"; did you mean '{close[0]}'?" if close else f" (allowed: {', '.join(allowed)})"
                if not _KEYLIKE.fullmatch(key):
                    # A line of some other file, not a misspelt key: do not echo it.
                    raise self.fail(pos, f"this line is not a key of {what}{hint}")
                raise self.fail(pos, f"unknown key '{key}' in {what}{hint}")

    def number(self, loc: Loc, what: str) -> float:
        v = loc.value
        if isinstance(v, str):
            # YAML 1.1 reads `1e-2` as text; accept any number Python reads.
            try:
                v = float(v.strip())
            except ValueError:
                raise self.fail(loc, f"{what} must be a number, not {_kind(loc.value)}") from None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(loc, f"{what} must be a number, not {_kind(v)}")
        try:
            f = float(v)
        except OverflowError:
            f = math.inf
        if not math.isfinite(f):
            raise self.fail(loc, f"{what} must be a finite number, not {_short(str(v))}")
        if abs(f) > self.largest:
            # The engine would silently turn it into an infinity.
            raise self.fail(
                loc, f"{what} = {f:g} does not fit in {self.dtype} (largest {self.largest:.4g})"
            )
        return f

    def ident(self, name: str, pos: tuple[int, int], what: str) -> None:
        if not name.isidentifier() or keyword.iskeyword(name):
            raise self.fail(
                pos,
                f"'{_short(name)}' is not a valid {what} name "
                "(letters, digits and _, not starting with a digit)",
            )
        if unicodedata.normalize("NFKC", name) != name:
            # Python reads `ｗ` in an expression as `w`: the two would not match.
            plain = unicodedata.normalize("NFKC", name)
            if unicodedata.normalize("NFC", name) == plain:
                # They look the same: only the code points tell them apart.
                raise self.fail(
                    pos,
                    f"'{name}' is written with a combining mark ({_codes(name)}) and is read as "
                    f"{_codes(plain)} in expressions; write it as one character",
                )
            raise self.fail(pos, f"'{name}' is read as '{plain}' in expressions; write '{plain}'")
        if name in FUNCTIONS:
            raise self.fail(pos, f"'{name}' is a function name; choose another {what} name")

    def numbers(self, loc: Loc, what: str) -> dict[str, tuple[float, Loc]]:
        out: dict[str, tuple[float, Loc]] = {}
        for k, v in self.mapping(loc, what).items():
            self.ident(k, loc.keys[k], what.rstrip("s"))
            out[k] = (self.number(v, f"{what[:-1] if what.endswith('s') else what} '{k}'"), v)
        return out

    # ----- the scenario ----------------------------------------------------------------

    def scenario(self, root: Loc, short: str | None) -> Scenario:
        if not isinstance(root.value, dict) or not set(root.value) & set(TOP_KEYS):
            # Some other file (a password file, notes): its text is not ours to echo.
            raise self.fail((1, 1), NOT_A_SCENARIO)
        top = root.value
        self.keys(root, TOP_KEYS, "the scenario")
        for required in ("params", "model"):
            if required not in top:
                raise self.fail(root, f"missing required key '{required}'")

        name = self.text(top.get("name"), "name") or Path(self.path).stem
        description = self.text(top.get("description"), "description", lines=True) or ""
        dtype = "float64"
        if "dtype" in top:
            dtype = str(top["dtype"].value)
            if dtype not in DTYPES:
                close = _hint(dtype, list(DTYPES))
                raise self.fail(
                    top["dtype"], f"dtype must be float64 or float32, not {_kind(top['dtype'].value)}{close}"
                )
        self.dtype = dtype
        self.largest = LARGEST[dtype]

        inputs = self.numbers(top["inputs"], "inputs") if "inputs" in top else {}
        params = self.numbers(top["params"], "params")
        if not params:
            raise self.fail(top["params"], "params is empty; a scenario needs at least one param")
        for k in params:
            if k in inputs:
                raise self.fail(top["params"].keys[k], f"'{k}' is both an input and a param")

        data = self.data(top["data"], inputs, params) if "data" in top else None
        input_names = list(inputs) + [k for k in (data or {}) if k not in inputs]

        leaves = [Node(i, k, "input") for i, k in enumerate(input_names)]
        leaves += [Node(len(leaves) + j, k, "param") for j, k in enumerate(params)]
        graph = self.model(top["model"], leaves, top.get("loss"), dtype)

        for k in params:
            pid = graph.by_name[k]
            if not graph.requires_grad[graph.loss] or not _reaches(graph, pid, graph.loss):
                raise self.fail(
                    top["params"].keys[k],
                    f"param '{k}' is never used by the loss '{graph.nodes[graph.loss].name}'",
                )

        epochs, lr, zero_grad = 1, None, True
        if "train" in top:
            epochs, lr, zero_grad = self.train(top["train"], data)
        n_samples = len(next(iter(data.values()))) if data else 1
        if n_samples * epochs > MAX_STEPS:
            raise self.fail(
                top["train"],
                f"{_short(str(n_samples * epochs), 20)} training steps is too many (at most {MAX_STEPS})",
            )

        predict = None
        if "predict" in top:
            predict = {}
            for k, (v, _) in self.numbers(top["predict"], "predict").items():
                if k not in input_names:
                    raise self.fail(
                        top["predict"].keys[k],
                        f"predict gives '{k}', which is not an input{_hint(k, input_names)}",
                    )
                predict[k] = v
            if not predict:
                raise self.fail(top["predict"], "predict is empty; give at least one input value")

        program = Program(
            graph=graph,
            dtype=dtype,
            inputs={k: v for k, (v, _) in inputs.items()},
            params={k: v for k, (v, _) in params.items()},
            data=data,
            epochs=epochs,
            lr=lr,
            zero_grad=zero_grad,
            predict=predict,
        )
        expect = self.expect(top["expect"], program) if "expect" in top else None
        manual = self.manual(top["manual"], params, graph) if "manual" in top else {}
        where = dict(self.node_where)
        where.update({k: (v.line, v.col) for k, (_, v) in params.items()})
        where.update({k: (v.line, v.col) for k, (_, v) in inputs.items()})
        if "data" in top:
            where.update({k: (v.line, v.col) for k, v in top["data"].value.items()})
        if "train" in top and "lr" in top["train"].value:
            lr_loc = top["train"].value["lr"]
            where["lr"] = (lr_loc.line, lr_loc.col)
        return Scenario(self.path, name, description, program, expect, manual, short, where)

    def text(self, loc: Loc | None, what: str, lines: bool = False) -> str | None:
        if loc is None or loc.value is None:
            return None
        if not isinstance(loc.value, (str, int, float)) or isinstance(loc.value, bool):
            raise self.fail(loc, f"{what} must be text, not {_kind(loc.value)}")
        raw = str(loc.value)
        text = raw.strip()
        lead = len(raw) - len(raw.lstrip())
        # Printed by check, replay and the app: a terminal escape would act on the
        # terminal, and a lone surrogate cannot be written out at all.
        for i, ch in enumerate(text):
            if lines and ch in "\t\n":
                continue
            words = _unshowable(ch)
            if words is not None:
                rule = "printable text" if lines else "printable text on one line"
                raise self.fail(loc.locate(lead + i), f"{what} contains {words}; it must be {rule}")
        return text

    def data(
        self, loc: Loc, inputs: dict[str, tuple[float, Loc]], params: dict[str, tuple[float, Loc]]
    ) -> dict[str, tuple[float, ...]]:
        out: dict[str, tuple[float, ...]] = {}
        length: tuple[str, int] | None = None
        for k, v in self.mapping(loc, "data").items():
            pos = loc.keys[k]
            self.ident(k, pos, "input")
            if k in params:
                raise self.fail(pos, f"'{k}' is a param; data can only feed inputs")
            if k in inputs:
                raise self.fail(pos, f"'{k}' is in both inputs and data; keep it in one of them")
            if not isinstance(v.value, list):
                raise self.fail(v, f"data '{k}' must be a list of numbers, not {_kind(v.value)}")
            if not v.value:
                raise self.fail(v, f"data '{k}' is empty; give at least one sample")
            values = tuple(self.number(x, f"data '{k}' item {i}") for i, x in enumerate(v.value))
            if length is None:
                length = (k, len(values))
            elif len(values) != length[1]:
                samples = "sample" if len(values) == 1 else "samples"
                raise self.fail(
                    v,
                    f"data '{k}' has {len(values)} {samples} but '{length[0]}' has {length[1]}; "
                    "every list needs one value per sample",
                )
            out[k] = values
        if not out:
            raise self.fail(loc, "data is empty; give one list per input")
        return out

    def model(self, loc: Loc, leaves: list[Node], loss_loc: Loc | None, dtype: str) -> Graph:
        entries = self.mapping(loc, "model")
        if not entries:
            raise self.fail(
                loc, "model is empty; write at least one assignment like 'loss: (x * w - y) ** 2'"
            )
        taken = {n.name: n.op for n in leaves}
        trees = {}
        for target, eloc in entries.items():
            pos = loc.keys[target]
            self.ident(target, pos, "model")
            if target in taken:
                raise self.fail(pos, f"'{target}' is already {_article(taken[target])}; pick another name")
            if isinstance(eloc.value, bool) or not isinstance(eloc.value, (str, int, float)):
                raise self.fail(eloc, f"model '{target}' must be an expression, not {_kind(eloc.value)}")
            try:
                trees[target] = parse_expression(str(eloc.value))
            except ExprError as e:
                raise self.expr_fail(eloc, e) from None
        refs = {t: referenced_names(tree) for t, tree in trees.items()}
        builder = ModelBuilder(
            leaves, list(entries), refs, dtype=dtype, largest=LARGEST[dtype]
        )
        for target, tree in trees.items():
            try:
                builder.add(target, tree)
            except ExprError as e:
                raise self.expr_fail(entries[target], e) from None
            except RecursionError:
                raise self.fail(entries[target], "expression is nested too deeply") from None
        self.node_where = {}
        for name, off in builder.offsets.items():
            self.node_where[name] = entries[name.split(".")[0]].locate(off)
        names = list(entries)
        loss_name = names[-1]
        if loss_loc is not None:
            if not isinstance(loss_loc.value, str):
                raise self.fail(loss_loc, f"loss must be a model name, not {_kind(loss_loc.value)}")
            loss_name = loss_loc.value
            if loss_name not in names:
                what = f"{_article(taken[loss_name])}, not a model name" if loss_name in taken else (
                    "not a model name"
                )
                raise self.fail(loss_loc, f"loss '{loss_name}' is {what}{_hint(loss_name, names)}")
        return Graph(tuple(builder.nodes), builder.names[loss_name])

    def expr_fail(self, eloc: Loc, e: ExprError) -> ScenarioError:
        line, col = eloc.locate(e.offset)
        return ScenarioError(self.path, e.message, line, col)

    def train(self, loc: Loc, data: dict[str, tuple[float, ...]] | None) -> tuple[int, float, bool]:
        m = self.mapping(loc, "train")
        self.keys(loc, TRAIN_KEYS, "train")
        if data is None:
            raise self.fail(loc, "train needs data: add a 'data:' section with one list per input")
        epochs = 1
        if "epochs" in m:
            e = m["epochs"]
            if isinstance(e.value, bool) or not isinstance(e.value, int):
                shown = e.value if isinstance(e.value, float) else _kind(e.value)
                raise self.fail(e, f"epochs must be a whole number, not {shown}")
            if e.value < 1:
                raise self.fail(e, f"epochs must be at least 1, not {e.value}")
            epochs = e.value
        if "lr" not in m:
            raise self.fail(loc, "train needs a learning rate 'lr', e.g. lr: 0.01")
        lr = self.number(m["lr"], "lr")
        rounded = _as_float32(lr) if self.dtype == "float32" else lr
        if rounded == 0.0 and (lr > 0.0 or _written_positive(m["lr"])):
            # The updates would silently do nothing.
            raise self.fail(
                m["lr"],
                f"lr = {_short(_written(m['lr']), 20)} rounds to 0 in {self.dtype} "
                f"(the smallest positive is {_TINY[self.dtype]:.4g})",
            )
        if lr <= 0:
            raise self.fail(m["lr"], f"lr must be positive, not {m['lr'].value}")
        zero_grad = True
        if "zero_grad" in m:
            z = m["zero_grad"]
            if not isinstance(z.value, bool):
                raise self.fail(z, f"zero_grad must be true or false, not {z.value!r}")
            zero_grad = z.value
        return epochs, lr, zero_grad

    def expect(self, loc: Loc, program: Program) -> Expect:
        graph, predict = program.graph, program.predict
        m = self.mapping(loc, "expect")
        self.keys(loc, EXPECT_KEYS, "expect")
        params = [graph.nodes[p].name for p in graph.params]
        grad: dict[str, float] = {}
        values: dict[str, float] = {}
        for key, target in (("grad", grad), ("params", values)):
            if key in m:
                for k, (v, _) in self.numbers(m[key], key).items():
                    if k not in params:
                        raise self.fail(m[key].keys[k], f"'{k}' is not a param{_hint(k, params)}")
                    target[k] = v
        loss = self.number(m["loss"], "expect loss") if "loss" in m else None
        pred: dict[str, float] = {}
        if "predict" in m:
            if predict is None:
                raise self.fail(m["predict"], "expect predict needs a 'predict:' section")
            shown = [graph.nodes[i].name for i in Plan(program).predict_nodes]
            for k, (v, _) in self.numbers(m["predict"], "predict").items():
                if k not in graph.by_name or graph[k].is_leaf:
                    raise self.fail(m["predict"].keys[k], f"'{k}' is not a model name")
                if k not in shown:
                    raise self.fail(m["predict"].keys[k], _not_predicted(program, k, shown))
                pred[k] = v
        return Expect(grad, loss, values, pred)

    def manual(self, loc: Loc, params: dict[str, tuple[float, Loc]], graph: Graph) -> dict[str, str]:
        allowed = {n.name for n in graph.nodes if n.named}
        out: dict[str, str] = {}
        for k, v in self.mapping(loc, "manual").items():
            if k not in params:
                raise self.fail(
                    loc.keys[k], f"manual gives '{k}', which is not a param{_hint(k, list(params))}"
                )
            if not isinstance(v.value, str):
                raise self.fail(v, f"manual '{k}' must be an expression, not {_kind(v.value)}")
            try:
                parse_expression(v.value)
                compile_formula(v.value, allowed)
            except ExprError as e:
                raise self.expr_fail(v, e) from None
            except FormulaError as e:
                raise self.expr_fail(v, ExprError(e.message, e.offset)) from None
            out[k] = v.value
        return out


# Invisible characters that reorder the text around them ("Trojan source").
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _unshowable(ch: str) -> str | None:
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


# The smallest positive (subnormal) value of each dtype.
_TINY = {"float64": 5e-324, "float32": 1.401298464324817e-45}


def _written(loc: Loc) -> str:
    """A scalar as written in the file (for numbers YAML reads as 0.0 or inf)."""
    if loc.span is not None and loc.source is not None and loc.style is None:
        return loc.source.text[loc.span[0] : loc.span[1]].strip()
    return str(loc.value).strip()


def _written_positive(loc: Loc) -> bool:
    """True when the number was written positive although it reads as 0 (``1e-400``)."""
    try:
        return decimal.Decimal(_written(loc).replace("_", "")) > 0
    except (decimal.InvalidOperation, ValueError):
        return False


def _as_float32(x: float) -> float:
    """``x`` rounded to float32 and back, without importing NumPy."""
    return float(struct.unpack("<f", struct.pack("<f", x))[0])


def _not_predicted(program: Program, name: str, shown: list[str]) -> str:
    """Why ``predict`` gives no value of model node ``name``, for ``expect: predict:``."""
    graph, known = program.graph, {**program.inputs, **(program.predict or {})}
    which = f"; expect predict can check {', '.join(shown)}" if shown else ""
    missing = [
        graph.nodes[i].name for i in graph.inputs
        if graph.nodes[i].name not in known and _reaches(graph, i, graph.by_name[name])
    ]
    if missing:
        needs = ", ".join(missing)
        return f"predict cannot compute '{name}': it needs {needs}, which predict does not give{which}"
    return f"'{name}' is not one of the model's outputs that predict shows{which}"


def _codes(text: str) -> str:
    return " ".join(f"U+{ord(ch):04X}" for ch in text)


def _reaches(graph: Graph, src: int, dst: int) -> bool:
    seen = {dst}
    stack = [dst]
    while stack:
        n = stack.pop()
        if n == src:
            return True
        for a in graph.nodes[n].inputs:
            if a not in seen:
                seen.add(a)
                stack.append(a)
    return False


def _hint(name: str, names: list[str]) -> str:
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _article(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def _reason(e: Exception) -> str:
    if isinstance(e, OSError) and e.strerror:
        return e.strerror.lower()
    return str(e)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kind(v: Any) -> str:
    if v is None:
        return "nothing"
    if isinstance(v, bool):
        return f"the boolean {str(v).lower()}"
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, str):
        return f"the text {_short(repr(v))}"
    if isinstance(v, (int, float)):
        return f"the number {_short(repr(v))}"
    return f"{type(v).__name__} {_short(str(v))}"
