"""The shape of a run, known before a single number is computed.

How many events a run has, which step each belongs to and what each will be (its kind,
node, argument, formula) follow from the graph and the training settings alone. The
timeline places its events with this plan, and the app draws its first frame from it
while NumPy is still loading: a step's outline is its events with every number None.
"""

from __future__ import annotations

from collections import OrderedDict

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
)
from stepgrad.engine.graph import Graph
from stepgrad.engine.program import Program

_OUTLINE_CACHE = 8


class Plan:
    """Where every event of a run sits, and what it is.

    Per step: a forward event per op node (topological order), a local gradient per
    gradient-carrying edge (reverse topological, like the video), ``backward_start``, a
    chain event per edge (followed by ``accumulate`` when its input already received a
    gradient in this pass; after a param's last chain event, when gradients were not
    zeroed, an ``accumulate_grad`` adds the pass's sum to ``param.grad``),
    ``backward_end``, then when training an update per param and, with
    ``zero_grad``, a zero_grad per param. Predictions, if asked for, come first and last.

    Args:
        program: what will run.
    """

    def __init__(self, program: Program):
        self.program = program
        self.graph: Graph = program.graph
        g = self.graph
        self.n_samples = program.n_samples
        self.n_steps = program.n_steps
        self.training = program.training
        self.has_data = bool(program.data)
        self.predict_nodes = self._find_predict_nodes()
        self.pre = len(self.predict_nodes)
        """Prediction events before training (as many come after it)."""
        self.accumulates = self._accumulates()
        """Per edge, True when its input already received a gradient earlier in the pass
        (an ``accumulate`` follows the chain event)."""
        self.last_edge = self._last_edges()
        """Edge index -> param, for the edge that brings a param its last contribution of a pass."""
        self.count0, self.count1 = self._step_counts()
        """Events in step 0, and in every later step (which may also accumulate into params)."""
        self.length = self.pre + self.count0 + (self.n_steps - 1) * self.count1 + self.pre
        self._names = tuple(n.name for n in g.nodes)
        self._formulas = tuple(g.local_formula(e) for e in g.edges)
        self._outlines: OrderedDict[int, tuple[Event, ...]] = OrderedDict()

    def _step_counts(self) -> tuple[int, int]:
        g = self.graph
        F = len(g.order)
        L = len(g.edges)
        acc = sum(self.accumulates)
        P = len(g.params)
        U = P if self.training else 0
        Z = P if self.training and self.program.zero_grad else 0
        first = F + L + 1 + L + acc + 1 + U + Z
        carried = len(self.last_edge) if self.holding(1) else 0
        return first, first + carried

    def _accumulates(self) -> tuple[bool, ...]:
        seen: set[int] = set()
        out = []
        for e in self.graph.edges:
            out.append(e.wrt in seen)
            seen.add(e.wrt)
        return tuple(out)

    def _last_edges(self) -> dict[int, int]:
        g = self.graph
        params = set(g.params)
        last: dict[int, int] = {}
        for k, e in enumerate(g.edges):
            if e.wrt in params:
                last[e.wrt] = k
        return {k: p for p, k in last.items()}

    def _find_predict_nodes(self) -> tuple[int, ...]:
        """The model's outputs computable from the ``predict`` inputs, params and fixed inputs."""
        pred = self.program.predict
        if not pred:
            return ()
        g = self.graph
        known = {g.by_name[k] for k in pred} | set(g.params)
        known |= {g.by_name[k] for k in self.program.inputs if k not in pred}
        computable: list[int] = []
        for i in g.order:
            if all(a in known for a in g.nodes[i].inputs):
                known.add(i)
                computable.append(i)
        used = {a for i in computable for a in g.nodes[i].inputs}
        return tuple(i for i in computable if i not in used)

    def __len__(self) -> int:
        return self.length

    def holding(self, step: int) -> bool:
        """True when params enter ``step`` holding gradients from earlier steps (no zero_grad).

        Never without training: each pass of such a run starts from no gradient.
        """
        return self.training and not self.program.zero_grad and step > 0

    def step_start(self, step: int) -> int:
        """Seq of the first event of ``step``."""
        if step == 0:
            return self.pre
        return self.pre + self.count0 + (step - 1) * self.count1

    def step_range(self, step: int) -> range:
        """Seqs of ``step``'s events."""
        start = self.step_start(step)
        return range(start, start + (self.count0 if step == 0 else self.count1))

    def locate(self, seq: int) -> int | None:
        """The step that event ``seq`` belongs to, or None for a prediction."""
        if seq < 0 or seq >= self.length:
            raise IndexError(f"event {seq} is outside 0..{self.length - 1}")
        if seq < self.pre or seq >= self.length - self.pre:
            return None
        rel = seq - self.pre
        if rel < self.count0:
            return 0
        return 1 + (rel - self.count0) // self.count1

    def epoch_of(self, step: int) -> int:
        """The epoch a step belongs to."""
        return step // self.n_samples

    def sample_of(self, step: int) -> int | None:
        """The sample a step feeds, or None without data."""
        return step % self.n_samples if self.has_data else None

    # ----- outlines ----------------------------------------------------------------------

    def outline(self, seq: int) -> Event:
        """Event ``seq`` as it will be, every number None (``backward_start`` is 1 already)."""
        if seq < 0:
            seq += self.length
        step = self.locate(seq)
        if step is None:
            when = "before" if seq < self.pre else "after"
            k = seq if when == "before" else seq - (self.length - self.pre)
            name = self._names[self.predict_nodes[k]]
            return Predict(seq, None, None, None, when, name, None)
        return self.outline_of_step(step)[seq - self.step_start(step)]

    def outline_of_step(self, step: int) -> tuple[Event, ...]:
        """Every event of ``step``, numbers None (cached for a few steps)."""
        got = self._outlines.get(step)
        if got is None:
            got = self._outline_step(step)
            self._outlines[step] = got
            if len(self._outlines) > _OUTLINE_CACHE:
                self._outlines.popitem(last=False)
        return got

    def _outline_step(self, step: int) -> tuple[Event, ...]:
        g = self.graph
        names = self._names
        epoch = self.epoch_of(step)
        sample = self.sample_of(step)
        seq = self.step_start(step)
        out: list[Event] = []

        def add(make: type, *fields: object) -> None:
            nonlocal seq
            out.append(make(seq, step, epoch, sample, *fields))
            seq += 1

        for i in g.order:
            node = g.nodes[i]
            add(Forward, node.name, node.op, tuple(names[x] for x in node.inputs), None, None)
        for k, e in enumerate(g.edges):
            add(LocalGrad, names[e.node], names[e.wrt], e.arg, self._formulas[k], None)
        add(BackwardStart, names[g.loss], 1)
        holding = self.holding(step)
        for k, e in enumerate(g.edges):
            add(Chain, names[e.node], names[e.wrt], e.arg, None, None, None)
            if self.accumulates[k]:
                add(Accumulate, names[e.wrt], None, None, None)
            if holding and k in self.last_edge:
                add(AccumulateGrad, names[e.wrt], None, None, None)
        add(BackwardEnd, tuple((names[p], None) for p in g.params))
        if self.training:
            # The optimizer's state by name, its numbers to come (as backward_end's grads).
            kept = tuple((name, None) for name in self.program.optimizer.state_names)
            for p in g.params:
                add(Update, names[p], None, None, None, None, kept)
            if self.program.zero_grad:
                for p in g.params:
                    add(ZeroGrad, names[p], None)
        return tuple(out)
