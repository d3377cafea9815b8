"""One step of a run, computed from the params and grads at its start: the forward pass,
the local gradients, the backward pass (chain rule, accumulation) and the update.

The same code both records a step's numbers and only advances to the next step's start
(``record`` None), so the two agree to the bit. What it records is the step's numbers
alone, in the order of its events and of their fields (``events.numbers``): the step's
events are its outline (``Plan``) with those numbers filled in (``StepRunner.events``),
and ``replay`` writes its lines from the numbers without making the events at all.
Everything that does not change from step to step (the order of the nodes, their rules,
their arguments' slots, the texts of the events) is prepared once, when the runner is made.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator
from operator import itemgetter
from typing import Any, cast

import numpy as np

from stepgrad.engine import rules
from stepgrad.engine.batches import batch_rows
from stepgrad.engine.events import (
    Accumulate,
    AccumulateGrad,
    BackwardEnd,
    BackwardStart,
    Chain,
    Event,
    Forward,
    LocalGrad,
    Update,
    ZeroGrad,
)
from stepgrad.engine.graph import Const, Node
from stepgrad.engine.optimizers import fused_steps, make_update
from stepgrad.engine.plan import Plan
from stepgrad.engine.program import Program
from stepgrad.engine.shapes import unbroadcast, unbroadcast_all

Value = Any
"""A number of the run's dtype (a NumPy scalar; arrays later)."""

Start = tuple[list[Value], list[Value], list[tuple[Value, ...]]]
"""Param values, param grads and the optimizer's state per param (``()`` when it keeps
none: the lecture's update, plain SGD) at the start of a step, in the order of ``graph.params``."""

StepResult = tuple[list[Value | None], list[Value | None], bool, Start | None]
"""Node values, node grads, whether every number stayed finite, and the next step's start
(None without training)."""


class StepRunner:
    """Runs one step of a program at a time.

    Args:
        program: what to run.
        plan: where each event sits (the first seq of a step, which params hold a ``.grad``).
    """

    def __init__(self, program: Program, plan: Plan):
        self.program = program
        self.plan = plan
        g = self.graph = program.graph
        self.dtype = np.dtype(program.dtype)
        dt = self._dt = self.dtype.type
        self.n_samples = program.n_samples
        self.training = program.training
        self._lr = dt(program.lr) if program.lr is not None else None
        self._one = dt(1)
        self._zero = dt(0)
        self._params = g.params
        self.arrays = program.arrays
        """The tensor lectures: values are arrays, steps take batches, products are summed
        back to their input's shape (broadcasting undone)."""
        self.zeros: list[Value] = [
            np.zeros_like(v) if self.arrays else dt(0) for v in self.initial_params()
        ]
        """A grad of zero for every param (the start of step 0)."""
        self.no_state: list[tuple[Value, ...]] = [()] * len(self._params)
        self._update = make_update(program.optimizer, self.dtype)
        self._zeroed_in_place = program.optimizer.name == "lecture"
        # torch's plain SGD on float32 array params: every param's step in one go
        # (optimizers.fused_steps, the same numbers as param by param).
        opt = program.optimizer
        self._sgd_at_once = (
            opt.name == "sgd"
            and not opt.momentum
            and self.dtype == np.float32
            and all(isinstance(v, np.ndarray) and v.ndim > 0 for v in self.initial_params())
        )
        # Below this, n numbers of magnitude M with n·M under it sum to a finite number in
        # the dtype and as Python floats (StepRunner._left_sum).
        top = min(float(np.finfo(self.dtype).max), sys.float_info.max) if self.dtype.kind == "f" else 0.0
        self._sum_bound = top / 4
        # Constants live in extra slots after the nodes, so that every argument is an index
        # into one list and an itemgetter fetches a node's arguments in one call.
        n_nodes = len(g.nodes)
        consts: list[Value] = []
        slots: list[tuple[int, ...]] = []
        for n in g.nodes:
            idx = []
            for a in n.args:
                if isinstance(a, Const):
                    consts.append(dt(a.value))
                    idx.append(n_nodes + len(consts) - 1)
                else:
                    idx.append(a)
            slots.append(tuple(idx))
        self._template: list[Value | None] = [None] * n_nodes + consts
        getters = [_getter(ix) for ix in slots]
        self._forward_plan = [(i, _forward_fn(g.nodes[i]), getters[i]) for i in g.order]
        self._local_plan = [(e.arg, e.node, _local_fn(g.nodes[e.node], dt), getters[e.node]) for e in g.edges]
        # The chain product as torch's backward forms it, for the ops whose backward is not
        # a plain upstream × local: / and log divide (grad / b), relu and pow's masks give
        # +0.0 whatever the upstream's sign, sigmoid and softplus group their factors.
        self._vjps = [g.nodes[e.node].rule.vjp for e in g.edges]
        # What the chain rule does on each edge, looked up once: (edge, node, arg, wrt, vjp,
        # the node's arguments, whether the local is a 1 (+, −'s left side, =)).
        self._chain_plan = [
            (k, e.node, e.arg, e.wrt, self._vjps[k], getters[e.node], _by_one(g.nodes[e.node], e.arg))
            for k, e in enumerate(g.edges)
        ]
        # The edges out of a loss whose local is its vjp at an upstream of 1 (OpRule.local_is_vjp_at_one).
        self._local_is_product = {
            k for k, e in enumerate(g.edges) if e.node == g.loss and g.nodes[e.node].rule.local_is_vjp_at_one
        }
        # The edges that bring a param its one and only gradient of a pass: where such a
        # product is summed back to the param's shape (a bias over the batch), the sum
        # waits for the end of the backward pass, and every waiting sum is then computed
        # in one go (shapes.unbroadcast_all), the same numbers as one by one: nothing in
        # the pass reads a param's gradient. Not when gradients are held from earlier
        # steps (accumulate_grad adds the sum at once).
        edges_into: dict[int, int] = {}
        for e in g.edges:
            edges_into[e.wrt] = edges_into.get(e.wrt, 0) + 1
        params = set(g.params)
        self._sum_later = frozenset(
            k for k, e in enumerate(g.edges) if e.wrt in params and edges_into[e.wrt] == 1
        )
        self._fixed = {g.by_name[k]: self._value(v) for k, v in program.inputs.items()}
        self._data = {g.by_name[k]: np.asarray(v, dtype=self.dtype) for k, v in (program.data or {}).items()}
        # A step that takes every row in order (one batch of the whole data, not shuffled:
        # lecture7) takes the data itself, read-only, as it takes a fixed input: no copy
        # (3 µs a lecture7 step for its 759 x 8 and 759 x 1).
        self._whole: dict[int, Any] | None = None
        whole_batch = program.batch_size is not None and program.n_samples == 1
        if whole_batch and self._data and program.shuffle_seed is None:
            self._whole = {}
            for i, arr in self._data.items():
                whole = np.ascontiguousarray(arr)
                whole.flags.writeable = False
                self._whole[i] = whole
        self._arity = {n.name: len(n.args) for n in g.nodes}
        # Per shape of step (params holding earlier grads or not), how to make each event.
        self._makers: dict[bool, list[Callable[..., Event]]] = {}

    def _value(self, v: Any) -> Value:
        """A number of the dtype, or an array of it for a nested list."""
        if isinstance(v, (list, tuple)):
            return np.asarray(v, dtype=self.dtype)
        return self._dt(v)

    def initial_params(self) -> list[Value]:
        """The params' values before the first step, in the dtype."""
        g = self.graph
        return [self._value(self.program.params[g.nodes[p].name]) for p in self._params]

    def initial_start(self) -> Start:
        """Params, grads and optimizer state before the first step."""
        return self.initial_params(), list(self.zeros), list(self.no_state)

    def leaf_values(self, step: int, row: list[Value]) -> list[Value | None]:
        """Every slot at the start of ``step``: its sample's data, the fixed inputs, the
        constants, and the params' values ``row``; the other nodes None."""
        values = self._template.copy()
        for i, v in self._fixed.items():
            values[i] = v
        if self._whole is not None:
            for i, arr in self._whole.items():
                values[i] = arr
        elif self._data:
            if self.arrays:
                # take, not arr[rows]: the same rows copied, 0.8 µs instead of 5.7 for 759 × 8.
                rows = batch_rows(self.program, step)
                for i, arr in self._data.items():
                    values[i] = arr.take(rows, axis=0)
            else:
                k = step % self.n_samples
                for i, arr in self._data.items():
                    values[i] = arr[k]
        for j, p in enumerate(self._params):
            values[p] = row[j]
        return values

    def initial_grads(self, step: int, row: list[Value] | None) -> list[Value | None]:
        """Every node's ``.grad`` at the start of ``step``: the params' ``row`` when a
        training step after the first carries them over (``row`` is then required), None
        where the last step's ``zero_grad`` cleared them to None (``Program.grad_to_none``)."""
        grads: list[Value | None] = [None] * len(self.graph.nodes)
        if self.training and step > 0 and not self.program.grad_to_none:
            assert row is not None  # a training step after the first starts from its grads
            for j, p in enumerate(self._params):
                grads[p] = row[j]
        return grads

    def predict(self, inputs: dict[str, Any], row: list[Value]) -> list[Value | None]:
        """Every node's value for a prediction on ``inputs`` with the params' values ``row``;
        a node that needs an input not given stays None."""
        g = self.graph
        values = self._template.copy()
        for i, v in self._fixed.items():
            values[i] = v
        for k, v in inputs.items():
            values[g.by_name[k]] = self._value(v)
        for j, p in enumerate(self._params):
            values[p] = row[j]
        with np.errstate(all="ignore"):
            for i, fn, get in self._forward_plan:
                a = get(values)
                if all(x is not None for x in a):
                    values[i] = fn(*a)
        return values

    def run(self, step: int, record: list[Value] | None, start: Start) -> StepResult:
        """Run one step from ``start``; append its numbers to ``record`` when given (in
        the order of its events and their fields: ``events.numbers``).

        Returns node values, node grads, whether every number stayed finite, and the params
        and grads at the start of the next step (None without training).
        """
        g = self.graph
        dt = self._dt
        values = self.leaf_values(step, start[0])
        rec = record is not None
        keep = (record if record is not None else []).append
        keep_all = (record if record is not None else []).extend
        arrays = self.arrays
        # A running sum tells a finite step at once (scalars; arrays: see _Unchecked).
        check: Any = _UNCHECKED if arrays else 0.0

        scalars = not arrays  # (an array step adds nothing to check: _Unchecked)
        for i, fn, get in self._forward_plan:
            a = get(values)
            v = fn(*a)
            values[i] = v
            if scalars:
                check += v
            if rec:
                keep_all(a)
                keep(v)

        local: list[Value] = []
        for arg, node, fn, get in self._local_plan:
            lv = fn(arg, get(values), values[node], dt)
            local.append(lv)
            if scalars:
                check += lv
        if rec:
            keep_all(local)

        grads = self.initial_grads(step, start[1])
        # Without zero_grad (step > 0 of a training), params hold .grad from earlier passes.
        # As in torch, this pass's contributions are summed on their own into ∂loss/∂w, and
        # that sum is added to .grad once, after the last one: old + (c1 + c2), never
        # (old + c1) + c2. A param the loss never reaches keeps its .grad untouched.
        holding = self.plan.holding(step)
        last_edge = self.plan.last_edge if holding else {}
        held_grad: dict[int, Value] = {}
        for p in self._params:
            if holding:
                held_grad[p] = grads[p]
            if not holding or p in last_edge.values():
                grads[p] = None
        grads[g.loss] = self._one
        if rec:
            keep(self._one)  # backward_start
        ndarray = np.ndarray
        one = self._one
        local_is_product = self._local_is_product
        later = self._sum_later if arrays and not last_edge else _NONE
        # (param, product, its param's shape, its place in the record)
        waiting: list[tuple[int, Value, tuple[int, ...], int]] = []
        for k, node, arg, wrt, vjp, get, by_one in self._chain_plan:
            up = grads[node]
            lv = local[k]
            if up is one and k in local_is_product:
                # The loss's vjp at its upstream, this very 1: the same computation as its
                # local (bce: 4 µs for 759 rows), so the same numbers.
                prod = lv
            elif vjp is not None:
                prod = vjp(arg, get(values), values[node], up)
            elif by_one and arrays and type(up) is ndarray and up.shape == lv.shape and up.dtype == lv.dtype:
                # upstream × 1 is the upstream, every number of it (-0.0, NaN and ∞ too):
                # not multiplied (0.8 µs for 759 × 6, six times a lecture7 step).
                prod = up
            else:
                prod = up * lv
            if arrays:
                # Broadcasting undone: summed back to the shape of what it is the gradient of.
                w = values[wrt]
                shape = getattr(w, "shape", None)
                if shape is None:
                    prod = unbroadcast(prod, np.shape(cast(Value, w)))
                elif getattr(prod, "shape", None) != shape:
                    if k in later:  # summed with the others at the end of the pass
                        waiting.append((wrt, prod, shape, len(record) + 2 if record is not None else -1))
                        prod = None
                    else:
                        prod = unbroadcast(prod, shape)
            else:
                check += prod
            before = grads[wrt]
            if rec:
                keep_all((up, lv, prod))  # chain
            if before is None:
                grads[wrt] = prod
            else:
                after = before + prod
                grads[wrt] = after
                if rec:
                    keep_all((before, prod, after))  # accumulate
            if k in last_edge:
                p = wrt
                old = held_grad[p]
                this_pass = grads[p]
                total = old + this_pass
                grads[p] = total
                if rec:
                    keep_all((old, this_pass, total))  # accumulate_grad

        if waiting:
            sums = unbroadcast_all([w[1] for w in waiting], [w[2] for w in waiting])
            for (p, _, _, at), total in zip(waiting, sums, strict=True):
                grads[p] = total
                if at >= 0:
                    cast(list[Value], record)[at] = total  # the chain event's product

        if self.training and step > 0 and self.program.zero_grad and self._zeroed_in_place:
            # zero_grad zeroes .grad in place (w.grad.data.zero_()), so torch adds this
            # pass's gradient to a zero: 0.0 + (-0.0) is +0.0, the only number it changes.
            # (torch.optim's zero_grad() sets .grad to None instead: the pass's gradient is
            # .grad as it is.)
            zero = self._zero
            for p in self._params:
                grads[p] = zero + grads[p]
        if rec:
            keep_all([grads[p] for p in self._params])  # backward_end

        following: Start | None = None
        if self.training:
            lr: Value = self._lr  # set whenever training
            new_values = list(self.zeros)
            new_grads = list(self.zeros)
            update = self._update
            state = start[2]
            new_state = list(self.no_state) if update is None else list(state)
            following = (new_values, new_grads, new_state)
            params = self._params
            afters = (
                fused_steps([values[p] for p in params], [grads[p] for p in params], lr)
                if self._sgd_at_once
                else None
            )
            for j, p in enumerate(params):
                before = values[p]
                gr = grads[p]
                if afters is not None:  # torch's SGD, every param's step at once
                    after = afters[j]
                    if rec:
                        keep_all((before, gr, lr, after))  # update
                elif update is None:  # the lecture's update and plain SGD: no state kept
                    after = before - lr * gr
                    if rec:
                        keep_all((before, gr, lr, after))  # update
                else:
                    after, kept, shown = update(step, before, gr, lr, state[j])
                    new_state[j] = kept
                    if rec:
                        keep_all((before, gr, lr, after, *shown))  # update with its state
                if scalars:
                    check += after
                new_values[j] = after
            if self.program.zero_grad:
                zeros = self.zeros
                for j, p in enumerate(self._params):
                    new_grads[j] = zeros[j]
                    if rec:
                        keep(grads[p])  # zero_grad
            else:
                for j, p in enumerate(self._params):
                    new_grads[j] = grads[p]
        if arrays:
            # NaN and infinity carry through a sum: one reduction per array left.
            left: list[Value] = [values[g.loss], *(grads[p] for p in self._params)]
            if following is not None:
                left.extend(following[0])
            check = self._left_sum(left)
        finite = _finite(check)
        if not finite:
            # The running sum can overflow on finite numbers; look at each one to be sure.
            numbers = [*values, *local, *grads]
            if following is not None:
                numbers.extend(following[0])
            finite = all(bool(np.all(np.isfinite(v))) for v in numbers if v is not None)
        return values, grads, finite, following

    def _left_sum(self, left: list[Value]) -> float:
        """The running check of an array step: the sum of each array's sum (in the dtype,
        NumPy's order), or 0.0 where that sum is surely finite, told in four NumPy calls
        instead of one a array (4 µs a lecture7 step, not 8.5): every number finite and
        none larger than ``M``, no sum of ``n ≤ 2**20`` of them, in any order, goes past
        ``2·n·M``, below the largest number when ``n·M`` is below a quarter of it. Otherwise
        the sums themselves, so the step's verdict is theirs in every case."""
        try:
            flat = np.concatenate(left, axis=None)  # each flattened, laid end to end
        except (AttributeError, TypeError, ValueError):  # not all arrays of one kind: the sums say
            flat = None
        surely = (
            flat is not None
            and 0 < flat.size <= 2**20
            and float(np.abs(flat).max()) * flat.size < self._sum_bound  # (never for NaN and ∞)
        )
        if surely:
            return 0.0
        check = 0.0
        for v in left:
            check += float(_add_reduce(v, axis=None))
        return check

    def events(self, step: int, record: list[Value]) -> list[Event]:
        """The events of ``step`` from its numbers (``run``'s ``record``): its outline with
        the numbers filled in, field by field."""
        holding = self.plan.holding(step)
        makers = self._makers.get(holding)
        if makers is None:
            makers = self._makers[holding] = [
                *_makers(
                    self.plan.outline_of_step(1 if holding else 0),
                    self._arity,
                    self.program.optimizer.state_names,
                )
            ]
        seq = self.plan.step_start(step)
        epoch = step // self.n_samples
        sample = step % self.n_samples if self._data else None
        return [make(seq + k, step, epoch, sample, record) for k, make in enumerate(makers)]


_add_reduce = np.add.reduce

Maker = Callable[[int, int, int, "int | None", list[Value]], Event]
"""Makes one event of a step from its seq, step, epoch, sample and the step's record."""


def _makers(
    outline: tuple[Event, ...], arity: dict[str, int], state_names: tuple[str, ...]
) -> Iterator[Maker]:
    """For each event of a step's outline, how to make it from the step's record: its
    fields in names from the outline, its numbers from their place in the record."""
    i = 0  # where the event's numbers start in the record
    for ev in outline:
        if isinstance(ev, Forward):
            width = arity[ev.node] + 1
        elif isinstance(ev, BackwardEnd):
            width = len(ev.grads)
        elif isinstance(ev, Update):
            width = _WIDTHS[Update] + len(state_names)
        else:
            width = _WIDTHS[type(ev)]
        yield _maker(ev, i, width, state_names)
        i += width


_WIDTHS: dict[type, int] = {
    LocalGrad: 1,
    BackwardStart: 1,
    Chain: 3,
    Accumulate: 3,
    AccumulateGrad: 3,
    Update: 4,
    ZeroGrad: 1,
}
"""Numbers per event in the record (a forward has its arguments' and its value, a
backward_end a grad per param): the fields of ``events.numbers``."""


_new = object.__new__


def _setters(cls: type, *names: str) -> tuple[Callable[[Any, Any], None], ...]:
    """The slots' own setters of ``cls``'s fields ``names``.

    The commonest events (forward, local_grad, chain) are made by setting their slots
    through these, as their frozen dataclass's ``__init__`` sets them (same fields, same
    values, same frozen object) but without its ``object.__setattr__(self, name, value)``,
    which looks each name up again for every event: half the time to make one.
    """
    return tuple(getattr(cls, n).__set__ for n in names)


_seq, _step, _epoch, _sample = _setters(Forward, "seq", "step", "epoch", "sample")  # _Event's own


def _maker(ev: Event, i: int, width: int, state_names: tuple[str, ...] = ()) -> Maker:
    """How to make the event ``ev`` outlines, its numbers at ``i`` .. ``i + width`` in the record."""
    match ev:
        case Forward(node=node, op=op, inputs=inputs):
            args = _getter(tuple(range(i, i + width - 1)))
            v = i + width - 1

            nd, op_, inp, ar, va = _setters(Forward, "node", "op", "inputs", "args", "value")

            def forward(q: int, s: int, e: int, m: int | None, r: list[Value]) -> Event:
                ev = _new(Forward)
                _seq(ev, q), _step(ev, s), _epoch(ev, e), _sample(ev, m)
                nd(ev, node), op_(ev, op), inp(ev, inputs), ar(ev, args(r)), va(ev, r[v])
                return ev

            return forward
        case LocalGrad(node=node, wrt=wrt, arg=arg, formula=formula):

            nd, wr, ag, fo, va = _setters(LocalGrad, "node", "wrt", "arg", "formula", "value")

            def local_grad(q: int, s: int, e: int, m: int | None, r: list[Value]) -> Event:
                ev = _new(LocalGrad)
                _seq(ev, q), _step(ev, s), _epoch(ev, e), _sample(ev, m)
                nd(ev, node), wr(ev, wrt), ag(ev, arg), fo(ev, formula), va(ev, r[i])
                return ev

            return local_grad
        case BackwardStart(node=node):

            nd, va = _setters(BackwardStart, "node", "value")

            def backward_start(q: int, s: int, e: int, m: int | None, r: list[Value]) -> Event:
                ev = _new(BackwardStart)
                _seq(ev, q), _step(ev, s), _epoch(ev, e), _sample(ev, m)
                nd(ev, node), va(ev, r[i])
                return ev

            return backward_start
        case Chain(node=node, wrt=wrt, arg=arg):

            nd, wr, ag, up, lo, pr = _setters(Chain, "node", "wrt", "arg", "upstream", "local", "product")

            def chain(q: int, s: int, e: int, m: int | None, r: list[Value]) -> Event:
                ev = _new(Chain)
                _seq(ev, q), _step(ev, s), _epoch(ev, e), _sample(ev, m)
                nd(ev, node), wr(ev, wrt), ag(ev, arg), up(ev, r[i]), lo(ev, r[i + 1]), pr(ev, r[i + 2])
                return ev

            return chain
        case Accumulate(node=node):

            def accumulate(q: int, s: int, e: int, m: int | None, r: list[Value]) -> Event:
                return Accumulate(q, s, e, m, node, r[i], r[i + 1], r[i + 2])

            return accumulate
        case AccumulateGrad(param=param):

            def accumulate_grad(q: int, s: int, e: int, m: int | None, r: list[Value]) -> Event:
                return AccumulateGrad(q, s, e, m, param, r[i], r[i + 1], r[i + 2])

            return accumulate_grad
        case BackwardEnd(grads=grads):
            names = tuple(p for p, _ in grads)
            get = _getter(tuple(range(i, i + width)))

            def backward_end(q: int, s: int, e: int, m: int | None, r: list[Value]) -> Event:
                return BackwardEnd(q, s, e, m, tuple(zip(names, get(r), strict=True)))

            return backward_end
        case Update(param=param):
            if state_names:

                def update_with_state(q: int, s: int, e: int, m: int | None, r: list[Value]) -> Event:
                    kept = tuple(zip(state_names, r[i + 4 : i + width], strict=True))
                    return Update(q, s, e, m, param, r[i], r[i + 1], r[i + 2], r[i + 3], kept)

                return update_with_state

            pa, be, gr, lr, af, st = _setters(Update, "param", "before", "grad", "lr", "after", "state")

            def update(q: int, s: int, e: int, m: int | None, r: list[Value]) -> Event:
                ev = _new(Update)
                _seq(ev, q), _step(ev, s), _epoch(ev, e), _sample(ev, m)
                pa(ev, param), be(ev, r[i]), gr(ev, r[i + 1]), lr(ev, r[i + 2]), af(ev, r[i + 3]), st(ev, ())
                return ev

            return update
        case ZeroGrad(param=param):

            pa, bf = _setters(ZeroGrad, "param", "before")

            def zero_grad(q: int, s: int, e: int, m: int | None, r: list[Value]) -> Event:
                ev = _new(ZeroGrad)
                _seq(ev, q), _step(ev, s), _epoch(ev, e), _sample(ev, m)
                pa(ev, param), bf(ev, r[i])
                return ev

            return zero_grad
    raise TypeError(f"not an event of a step: {ev!r}")  # pragma: no cover - predictions


def _getter(idx: tuple[int, ...]) -> Callable[[list[Value | None]], tuple[Value, ...]]:
    if not idx:  # leaves
        return lambda values: ()
    if len(idx) == 1:
        (i,) = idx
        return lambda values: (values[i],)
    return cast(Callable[[list[Value | None]], tuple[Value, ...]], itemgetter(*idx))


class _Unchecked:
    """Stands for the running sum of an array step, where adding costs a reduction per
    array: it takes nothing, and ``run`` looks at what the step leaves instead (the loss,
    the params' gradients and new values), so that a step is finite when they are."""

    __slots__ = ()

    def __iadd__(self, other: Value) -> _Unchecked:
        return self


_UNCHECKED = _Unchecked()

_NONE: frozenset[int] = frozenset()


def _finite(x: Value) -> bool:
    try:
        return math.isfinite(x)
    except TypeError:  # an array
        return bool(np.all(np.isfinite(x)))


def _by_one(node: Node, arg: int) -> bool:
    """Whether the local of ``node`` with respect to its argument ``arg`` is a 1 (a number,
    or ``rules.one_like``'s ones in the output's shape)."""
    local = node.rule.local
    return local is rules.add_local or local is rules.id_local or (local is rules.sub_local and arg == 0)


def _local_fn(node: Node, dt: Any) -> Callable[..., Value]:
    # The registry's rule (a power to a constant has its own: `s ** 2` gives s + s = 2*s).
    # The chain step forms its product with the op's vjp where it has one (see
    # StepRunner.__init__), so that it is torch's to the bit.
    return node.rule.local


def _forward_fn(node: Node) -> Callable[..., Value]:
    # The registry's rule: `s ** 2`, the commonest power, is squared without testing the exponent.
    return node.rule.forward


__all__ = ["Start", "StepResult", "StepRunner", "Value"]
