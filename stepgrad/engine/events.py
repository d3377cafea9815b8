"""Timeline events: one small immutable value per thing that happens in backprop.

The JSON form of each event (``to_json``) is the public transcript format: every event
has ``seq``, ``kind``, ``step``, ``epoch`` and ``sample``, then its own fields. Numbers
are widened to Python floats exactly, so they read back to the very same value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, ClassVar

Value = Any  # a NumPy scalar or array of the scenario's dtype


@dataclass(frozen=True, slots=True)
class _Event:
    seq: int
    step: int | None
    epoch: int | None
    sample: int | None

    kind: ClassVar[str] = ""
    phase: ClassVar[str] = ""


@dataclass(frozen=True, slots=True)
class Forward(_Event):
    """A node's value computed from its arguments' values."""

    node: str
    op: str
    inputs: tuple[str, ...]
    args: tuple[Value, ...]
    value: Value

    kind: ClassVar[str] = "forward"
    phase: ClassVar[str] = "forward"


@dataclass(frozen=True, slots=True)
class LocalGrad(_Event):
    """∂node/∂wrt at this point, from the op's own rule (``formula``)."""

    node: str
    wrt: str
    arg: int
    formula: str
    value: Value

    kind: ClassVar[str] = "local_grad"
    phase: ClassVar[str] = "local"


@dataclass(frozen=True, slots=True)
class BackwardStart(_Event):
    """The backward pass begins: ∂loss/∂loss = 1."""

    node: str
    value: Value

    kind: ClassVar[str] = "backward_start"
    phase: ClassVar[str] = "backward"


@dataclass(frozen=True, slots=True)
class Chain(_Event):
    """Chain rule along one edge: ∂loss/∂wrt = ∂loss/∂node · ∂node/∂wrt."""

    node: str
    wrt: str
    arg: int
    upstream: Value
    local: Value
    product: Value

    kind: ClassVar[str] = "chain"
    phase: ClassVar[str] = "backward"


@dataclass(frozen=True, slots=True)
class Accumulate(_Event):
    """A node that already held a gradient receives another one and adds it."""

    node: str
    before: Value
    add: Value
    after: Value

    kind: ClassVar[str] = "accumulate"
    phase: ClassVar[str] = "backward"


@dataclass(frozen=True, slots=True)
class AccumulateGrad(_Event):
    """``param.grad ← param.grad + ∂loss/∂param``: this pass's gradient added to the one held.

    Only when gradients were not zeroed (a training step after the first, without
    ``zero_grad``). Like torch's AccumulateGrad node it comes once per param and pass,
    right after the param's last contribution: the pass's contributions are summed first
    (``add``), then added to what ``.grad`` held (``before``), i.e. ``old + (c1 + c2)``.
    """

    param: str
    before: Value
    add: Value
    after: Value

    kind: ClassVar[str] = "accumulate_grad"
    phase: ClassVar[str] = "backward"


@dataclass(frozen=True, slots=True)
class BackwardEnd(_Event):
    """The pass is over; ``grads`` is what torch's ``w.grad`` holds now (None: no grad)."""

    grads: tuple[tuple[str, Value | None], ...]

    kind: ClassVar[str] = "backward_end"
    phase: ClassVar[str] = "backward"


@dataclass(frozen=True, slots=True)
class Update(_Event):
    """One optimizer step on one param: after = before − lr · grad for the lecture's loop
    and plain SGD; with momentum or Adam, ``state`` holds what the optimizer kept, by name
    (``velocity``; ``m``, ``v``, ``bias_correction1``, ``bias_correction2``), after this step."""

    param: str
    before: Value
    grad: Value
    lr: Value
    after: Value
    state: tuple[tuple[str, Value], ...] = ()

    kind: ClassVar[str] = "update"
    phase: ClassVar[str] = "update"


@dataclass(frozen=True, slots=True)
class ZeroGrad(_Event):
    """A param's gradient is set back to zero after its update."""

    param: str
    before: Value

    kind: ClassVar[str] = "zero_grad"
    phase: ClassVar[str] = "update"


@dataclass(frozen=True, slots=True)
class Predict(_Event):
    """The model evaluated on the ``predict`` inputs, before or after training."""

    when: str
    node: str
    value: Value

    kind: ClassVar[str] = "predict"
    phase: ClassVar[str] = "predict"


Event = (
    Forward
    | LocalGrad
    | BackwardStart
    | Chain
    | Accumulate
    | AccumulateGrad
    | BackwardEnd
    | Update
    | ZeroGrad
    | Predict
)

EVENT_TYPES: tuple[type[_Event], ...] = (
    Forward,
    LocalGrad,
    BackwardStart,
    Chain,
    Accumulate,
    AccumulateGrad,
    BackwardEnd,
    Update,
    ZeroGrad,
    Predict,
)
KINDS: tuple[str, ...] = tuple(t.kind for t in EVENT_TYPES)


def json_number(v: Value) -> Any:
    """A value as JSON: floats widened exactly, arrays as nested lists, non-finite as strings.

    JSON has no NaN or infinity, so they are written ``"NaN"``, ``"Infinity"``, ``"-Infinity"``.
    """
    if v is None:
        return None
    if getattr(v, "ndim", 0) > 0:  # an array (NumPy scalars have ndim 0)
        return [json_number(x) for x in v]
    f = float(v)
    if math.isfinite(f):
        return f
    if math.isnan(f):
        return "NaN"
    return "Infinity" if f > 0 else "-Infinity"


def to_json(event: Event) -> dict[str, Any]:
    """The event's public JSON form."""
    out: dict[str, Any] = {"seq": event.seq, "kind": event.kind}
    for f in fields(event):
        if f.name == "seq":
            continue
        v = getattr(event, f.name)
        if f.name == "grads":
            out[f.name] = {k: json_number(g) for k, g in v}
        elif f.name == "state":
            # The optimizer's state as keys of their own (none for the lecture's update).
            out.update((k, json_number(x)) for k, x in v)
        elif f.name == "args":
            out[f.name] = [json_number(a) for a in v]
        elif f.name == "inputs":
            out[f.name] = list(v)
        elif isinstance(v, (str, int)) or v is None:
            out[f.name] = v
        else:
            out[f.name] = json_number(v)
    return out


def numbers(event: Event) -> tuple[Value, ...]:
    """The event's numbers in the order of its fields, a forward's arguments and a
    ``backward_end``'s grads one by one: what the step runner records of a step (its
    ``record`` is these, event after event), and what ``replay`` writes as text."""
    match event:
        case Forward(args=args, value=value):
            return (*args, value)
        case LocalGrad(value=value) | BackwardStart(value=value) | Predict(value=value):
            return (value,)
        case Chain(upstream=up, local=local, product=product):
            return (up, local, product)
        case Accumulate(before=before, add=add, after=after) | AccumulateGrad(
            before=before, add=add, after=after
        ):
            return (before, add, after)
        case BackwardEnd(grads=grads):
            return tuple(g for _, g in grads)
        case Update(before=before, grad=grad, lr=lr, after=after, state=state):
            return (before, grad, lr, after, *(x for _, x in state))
        case ZeroGrad(before=before):
            return (before,)
    raise TypeError(f"not an event: {event!r}")  # pragma: no cover
