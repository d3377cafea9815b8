"""``replay``'s lines, made fast: per event, and a whole training step at once.

Per event (``TextLines``, ``JsonLines``): the same text to the byte as the plain
``text_line`` and ``json.dumps(to_json(ev))``, made ``visible`` (a test holds them equal
on every bundled scenario); the part of a line in names is made once per event shape and
only the numbers are written per event.

Per step (``StepLines``): a training step's events always have the same shapes in the
same order, only their numbers differ. So a step's lines are written straight from the
step's numbers (``Timeline.step_numbers``, the engine's record, which the events are
made from too), without making its events: each number's text once (``float.__repr__``,
as ``fmt`` and json write it), then the shapes' heads and fills, from the same
``Describer`` and JSON templates as the per-event lines. A step whose numbers are not all
finite floats (a NaN, None for a missing grad) is left to the per-event lines, which
also stop the run at its first non-finite number; so is every step of a run on arrays or
with an optimizer's state (momentum, Adam).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import partial
from operator import itemgetter
from typing import Any

from stepgrad.engine.events import (
    Accumulate,
    AccumulateGrad,
    BackwardEnd,
    BackwardStart,
    Chain,
    Event,
    Forward,
    LocalGrad,
    Predict,
    Update,
    ZeroGrad,
    json_number,
)
from stepgrad.engine.events import numbers as numbers_of
from stepgrad.engine.timeline import Timeline
from stepgrad.explain import Describer, describe, digits, rounded
from stepgrad.explain.steps import step_unit
from stepgrad.streams import visible

Value = Any


def text_line(timeline: Timeline, ev: Event, forward_args: dict[str, tuple[Any, Any]]) -> str:
    """One aligned line: seq, where in training, kind, and the event in the lecture's words."""
    if isinstance(ev, Forward):
        forward_args[ev.node] = (ev.args, ev.value)
    args, out = forward_args.get(getattr(ev, "node", ""), (None, None))
    where = "" if ev.step is None else f"step {ev.step:<3} epoch {ev.epoch:<3}"
    word = sample_word(timeline)
    if ev.sample is not None and word is not None:
        where += f" {word} {ev.sample}"
    carried = ev.step is not None and timeline.plan.holding(ev.step)
    body = describe(
        timeline.graph,
        ev,
        args if isinstance(ev, LocalGrad) else None,
        out,
        carried=carried,
        to_none=timeline.program.grad_to_none,
    )
    width = where_width(timeline)
    return f"#{ev.seq:<5} {where:<{width}} {ev.kind.ljust(kind_width(timeline))} {body}".rstrip()


def sample_word(timeline: Timeline) -> str | None:
    """What a step feeds, as the text names it: ``sample`` (one row, the scalar lectures),
    ``batch`` (a DataLoader's rows), or None: a full-batch run's step is all samples, named
    by its step alone (``explain.steps``; JSON keeps the key ``sample``)."""
    p = timeline.program
    return step_unit(p.batch_size, p.n_samples)


def where_width(timeline: Timeline) -> int:
    """The where-in-training column's width: 28 where a step names its sample or batch
    (``step 0   epoch 0   sample 0``), else as wide as its longest ``step … epoch …``
    (a full-batch run had 12 blank columns for a sample it never names)."""
    if sample_word(timeline) is not None:
        return 28
    p = timeline.program
    return len(f"step {max(p.n_steps - 1, 0):<3} epoch {max(p.epochs - 1, 0):<3}")


def kind_width(timeline: Timeline) -> int:
    """The kind column's width: 14, or 15 in a run that has ``accumulate_grad`` events
    (params carried across steps), so that its lines stay aligned with the others
    while every other run's text stays as it always was."""
    plan = timeline.plan
    return 15 if plan.n_steps > 1 and plan.holding(1) else 14


_SEQ = "{:<5}".format
"""A seq as its column writes it (``#{seq:<5}``)."""


def _where(
    step: int | None, epoch: int | None, sample: int | None, word: str | None = "sample", width: int = 28
) -> str:
    """Where in training, padded as ``text_line`` pads it, with the spaces around it."""
    where = "" if step is None else f"step {step:<3} epoch {epoch:<3}"
    if sample is not None and word is not None:
        where += f" {word} {sample}"
    return f" {where:<{width}} "


class TextLines(Describer):
    """``text_line`` made fast, for ``replay``'s text: the same lines, ``visible``.

    The names are written once per event shape (``explain.Describer``, with the kind's
    column) and made visible then; the numbers, written per event, are ASCII and need no
    escaping.

    Args:
        timeline: the run.
    """

    def __init__(self, timeline: Timeline):
        self._kind_width = kind_width(timeline)
        super().__init__(
            timeline.graph,
            track_forward=True,
            frame=self._frame,
            holding=timeline.plan.holding,
            to_none=timeline.program.grad_to_none,
        )
        self.timeline = timeline
        self._step: int | None = None
        self._word = sample_word(timeline)
        self._width = where_width(timeline)
        self._where = _where(None, None, None, width=self._width)  # no step: a prediction

    def _frame(self, ev: Event, head: str) -> str:
        return visible(f"{ev.kind.ljust(self._kind_width)} {head}")

    def event_line(self, ev: Event) -> tuple[str, bool]:
        """The event's line (ending in a newline), and True when it may hold a NaN or an infinity."""
        shown, numbers, suspect = self.line(ev)
        if not numbers:  # the line ends in names: stripped as text_line strips it
            return visible(text_line(self.timeline, ev, self.forwarded)) + "\n", suspect
        if ev.step != self._step:  # a step's epoch and sample are the step's own
            self._step, self._where = ev.step, _where(ev.step, ev.epoch, ev.sample, self._word, self._width)
        # str.ljust, not a format spec: a third of the time, once per event.
        return f"#{str(ev.seq).ljust(5)}{self._where}{shown}{numbers}\n", suspect


class JsonLines:
    """``json.dumps(to_json(ev), ensure_ascii=False)``, ``visible``, made fast for ``replay``.

    The same text to the byte (a test holds them equal on every bundled scenario): numbers
    are ``float.__repr__`` as the json module writes them, NaN and infinities the strings
    of ``json_number``. Each event shape has a template (``template``): its keys in
    ``to_json``'s order and its names written once, a ``%s`` for its seq, for where in
    training and for each of its numbers (``events.numbers``).
    """

    def __init__(self) -> None:
        self._step: int | None = None
        self._where = where_json(None, None, None)  # a prediction's
        self._templates: dict[tuple[Any, ...], str] = {}
        self._repr: Callable[[Any], str] | None = float.__repr__
        self._misses = 0

    def template(self, ev: Event, n_args: int | None = None) -> str:
        """The line of ``ev``'s shape with ``%s`` for its seq, its where and its numbers
        (literal ``%`` doubled); ``n_args`` is a forward's number of arguments where
        ``ev`` is its outline (no numbers yet)."""
        key = Describer.key(ev)
        got = self._templates.get(key)
        if got is None:
            got = self._templates[key] = _template(ev, n_args)
        return got

    def event_line(self, ev: Event) -> tuple[str, bool]:
        """The event's JSON line (ending in a newline), and True when it may hold a NaN or an infinity."""
        if ev.step != self._step:  # a step's epoch and sample are the step's own
            self._step, self._where = ev.step, where_json(ev.step, ev.epoch, ev.sample)
        template = self._templates.get(Describer.key(ev)) or self.template(ev)
        values = numbers_of(ev)
        fast = self._repr
        if fast is not None:
            try:
                # float.__repr__ reads a float64 (a float subclass) as json does, without
                # the conversion; anything else (float32, an int, None, an array) raises.
                texts = tuple(map(fast, values))
                if "n" not in "".join(texts):  # nan and inf are the only reprs with an "n"
                    return template % (ev.seq, self._where, *texts), False
            except TypeError:
                self._misses += 1
                if self._misses > 16:
                    self._repr = None
        # A forward's arguments and a backward_end's grads are json_number's (floats even
        # when written as ints); every other field as to_json keeps it.
        each = _jnum if isinstance(ev, BackwardEnd) else _jfield
        texts = tuple(map(each, values))
        if isinstance(ev, Forward):
            texts = (*map(_jnum, ev.args), texts[-1])
        joined = "".join(texts)
        # "N" (NaN) or "I" (Infinity): a false alarm only costs the exact check.
        return template % (ev.seq, self._where, *texts), "N" in joined or "I" in joined


def where_json(step: int | None, epoch: int | None, sample: int | None) -> str:
    """The keys ``step``, ``epoch``, ``sample`` as ``to_json`` writes them."""
    return ", ".join(
        f'"{k}": {"null" if v is None else v}'
        for k, v in zip(("step", "epoch", "sample"), (step, epoch, sample), strict=True)
    )


def _template(ev: Event, n_args: int | None) -> str:
    """The event's JSON line with ``%s`` for its seq, its where and each of its numbers."""
    names = "".join(f", {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in _names_of(ev))
    match ev:
        case Forward():
            n = len(ev.args) if ev.args is not None else n_args
            assert n is not None, "an outline's forward needs its number of arguments"
            nums = ', "args": [' + ", ".join(["%s"] * n) + '], "value": %s'
        case BackwardEnd(grads=grads):
            keys = [json.dumps(p, ensure_ascii=False).replace("%", "%%") for p, _ in grads]
            nums = ', "grads": {' + ", ".join(f"{k}: %s" for k in keys) + "}"
        case Update(state=state):  # the optimizer's state as keys of their own (to_json)
            named = (*_NUMBER_KEYS[Update], *(k for k, _ in state))
            nums = "".join(f", {json.dumps(k)}: %s" for k in named)
        case _:
            nums = "".join(f', "{k}": %s' for k in _NUMBER_KEYS[type(ev)])
    return visible(f'{{"seq": %s, "kind": "{ev.kind}", %s{names.replace("%", "%%")}{nums}}}\n')


_NUMBER_KEYS: dict[type, tuple[str, ...]] = {
    LocalGrad: ("value",),
    BackwardStart: ("value",),
    Predict: ("value",),
    Chain: ("upstream", "local", "product"),
    Accumulate: ("before", "add", "after"),
    AccumulateGrad: ("before", "add", "after"),
    Update: ("before", "grad", "lr", "after"),
    ZeroGrad: ("before",),
}
"""The keys of each event class's numbers (``events.numbers``), in ``to_json``'s order
(a forward's and a backward_end's are written apart)."""


def _names_of(ev: Event) -> list[tuple[str, Any]]:
    """The event's fields that are not numbers, in ``to_json``'s order."""
    match ev:
        case Forward():
            return [("node", ev.node), ("op", ev.op), ("inputs", list(ev.inputs))]
        case LocalGrad():
            return [("node", ev.node), ("wrt", ev.wrt), ("arg", ev.arg), ("formula", ev.formula)]
        case Chain():
            return [("node", ev.node), ("wrt", ev.wrt), ("arg", ev.arg)]
        case BackwardStart() | Accumulate():
            return [("node", ev.node)]
        case AccumulateGrad() | Update() | ZeroGrad():
            return [("param", ev.param)]
        case Predict():
            return [("when", ev.when), ("node", ev.node)]
    return []


_JSON_FLOATS: set[type] = {float}
"""Number types written by ``float.__repr__`` (not ints or strings, which to_json keeps)."""

_NONFINITE = {"nan": '"NaN"', "inf": '"Infinity"', "-inf": '"-Infinity"'}


def _jnum(v: Any) -> str:
    """``json.dumps(json_number(v))``, fast for a scalar."""
    if type(v) in _JSON_FLOATS:
        s = repr(float(v))
        return _NONFINITE.get(s, s) if "n" in s else s
    if v is not None and not hasattr(v, "__len__") and not isinstance(v, (str, int)):
        _JSON_FLOATS.add(type(v))
    elif getattr(v, "ndim", 0) > 0:
        return _json_array(v)
    return json.dumps(json_number(v))


def _json_array(v: Any) -> str:
    """``json.dumps(json_number(v))`` of an array, in C where every number is finite:
    ``tolist`` widens each to a Python float exactly (as ``json_number`` does), and the
    encoder writes it by ``float.__repr__``; half the time of an array event's line."""
    import numpy as np

    with np.errstate(all="ignore"):
        if v.dtype.kind == "f" and bool(np.isfinite(v).all()):
            return json.dumps(v.tolist())
    return json.dumps(json_number(v))


def _jfield(v: Any) -> str:
    """A number field as ``to_json`` writes it (ints and None as they are)."""
    if type(v) in _JSON_FLOATS:
        s = repr(float(v))
        return _NONFINITE.get(s, s) if "n" in s else s
    if isinstance(v, (str, int)) or v is None:
        return json.dumps(v, ensure_ascii=False)
    return _jnum(v)


def _round_text(n: int, v: float) -> str:
    """``rounded`` with the digits first (for ``partial``); a non-float raises TypeError."""
    if not isinstance(v, float):
        raise TypeError(v)
    return rounded(v, n)


class StepLines:
    """A whole training step's lines at once, from its numbers (``Timeline.step_numbers``),
    without making its events: the same text as the per-event lines (a test holds them
    equal), for a step whose numbers are all finite floats.

    Per shape of step (params carrying earlier grads or not), the events' outline gives
    each event's head and fill (``TextLines.shape``) or JSON template (``JsonLines``),
    and where its numbers sit in the step's record; a step then costs one text per
    number and one join.

    Args:
        timeline: the run.
        lines: the per-event writer whose text this one writes.
    """

    def __init__(self, timeline: Timeline, lines: TextLines | JsonLines):
        self.timeline = timeline
        self.lines = lines
        self._plans: dict[bool, Any] = {}
        program = timeline.program
        self._per_event = program.arrays or bool(program.optimizer.state_names)
        """Arrays, or an optimizer's state: every step is left to the per-event lines
        (their numbers are not floats; an update's state widens its record)."""
        self._f32 = None if timeline.dtype == "float64" else timeline.dtype.type
        self._reprs: dict[Value, str] = {}
        n = digits()
        self._repr: Any = float.__repr__ if n is None else partial(_round_text, n)
        """Each number's text: ``float.__repr__`` as ``fmt`` writes it, or rounded to
        ``--digits``."""

    def write(self, step: int, record: list[Value]) -> str | None:
        """The lines of ``step`` from its ``record``; None when a number is not a finite
        float (the per-event lines then write the step, and stop at a NaN)."""
        if self._per_event:
            return None
        texts = self._texts(record)
        if texts is None:
            return None
        plan = self.timeline.plan
        holding = plan.holding(step)
        shape = self._plans.get(holding)
        if shape is None:
            shape = self._plans[holding] = self._shape(plan.outline_of_step(step))
        seq = plan.step_start(step)
        epoch = step // plan.n_samples
        sample = plan.sample_of(step)
        if isinstance(self.lines, JsonLines):
            template, pick, count = shape
            return str(template % pick([*texts, where_json(step, epoch, sample), *range(seq, seq + count)]))
        pieces, fills, count = shape
        numbers = [fill(texts[a:b] if get is None else get(texts)) for fill, a, b, get in fills]
        if "" in numbers:  # a line that ends in names is stripped: the per-event lines do it
            return None
        # Each line is "#", its seq, where in training, its head, its numbers, "\n".
        lines = pieces.copy()
        lines[1::6] = map(_SEQ, range(seq, seq + count))
        where = _where(step, epoch, sample, sample_word(self.timeline), where_width(self.timeline))
        lines[2::6] = [where] * count
        lines[4::6] = numbers
        return "".join(lines)

    def _texts(self, record: list[Value]) -> list[str] | None:
        """Each number's text as ``fmt`` writes it, or None when one is not a finite float.

        The texts are kept from step to step (a number's text is a third of a line's
        cost): a run's inputs, constants and learning rate come back every step, and the
        params it has just updated start the next one. 0.0 and -0.0 are equal keys but
        not the same text: a step with a zero is written without the kept texts.
        """
        try:
            if self._f32 is not None:  # float32, widened as fmt widens it
                if any(type(v) is not self._f32 for v in record):
                    return None  # None (a param the loss does not reach), say
                record = list(map(float, record))
            seen = dict.fromkeys(record)
            if 0.0 in seen:
                texts = list(map(self._repr, record))
            else:
                known = self._reprs
                new = set(seen).difference(known)  # looks each of seen up in known, not the reverse
                if new:
                    if len(known) > 65536:  # a long run's numbers mostly never come back
                        known.clear()
                        new = set(seen)
                    known.update(zip(new, map(self._repr, new), strict=True))
                texts = list(map(known.__getitem__, record))
        except TypeError:  # None, or an array
            return None
        if "n" in "".join(texts):  # nan and inf are the only reprs with an "n"
            return None
        return texts

    def _shape(self, outline: Sequence[Event]) -> Any:
        """For each event of the outline: where its numbers sit in the record, and its
        text's pieces."""
        graph = self.timeline.graph
        spans: list[tuple[int, int]] = []
        forwards: dict[str, tuple[int, int]] = {}
        i = 0
        for ev in outline:
            if isinstance(ev, Forward):
                n = len(graph[ev.node].args) + 1
                forwards[ev.node] = (i, i + n)
            elif isinstance(ev, BackwardEnd):
                n = len(ev.grads)
            else:
                n = len(_NUMBER_KEYS[type(ev)])
            spans.append((i, i + n))
            i += n
        if isinstance(self.lines, JsonLines):
            # One template for the step; its %s in order: each event's seq, where, numbers.
            where, first_seq = i, i + 1
            order: list[int] = []
            for k, (a, b) in enumerate(spans):
                order += [first_seq + k, where, *range(a, b)]
            template = "".join(
                self.lines.template(ev, len(graph[ev.node].args) if isinstance(ev, Forward) else None)
                for ev in outline
            )
            return template, itemgetter(*order), len(outline)
        fills = []
        pieces: list[str] = []
        for ev, (a, b) in zip(outline, spans, strict=True):
            head, fill = self.lines.shape(ev)
            pieces += ("#", "", "", head, "", "\n")  # the seq, where and numbers filled per step
            get = None
            if isinstance(ev, LocalGrad) and ev.node in forwards:
                # Its value, then its node's forward arguments and value (Describer's order).
                f0, f1 = forwards[ev.node]
                get = itemgetter(a, *range(f0, f1))
            fills.append((fill, a, b, get))
        return pieces, fills, len(outline)
