"""The computational graph: leaves (inputs, params) and one node per operation."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from stepgrad.engine.ops import RULES, OpRule, pow_scalar_rule, rdiv_rule, specialized_rule


@dataclass(frozen=True, slots=True)
class Const:
    """A number written in an expression, kept as an argument of its op, not a node.

    Attributes:
        value: the number as written (converted to the dtype when run).
        text: the number's source text, shown in formulas.
    """

    value: float
    text: str


Arg = int | Const  # a node id, or a constant


@dataclass(frozen=True, slots=True)
class Node:
    """One box of the graph.

    Attributes:
        id: stable integer, creation order; ties in every ordering are broken by it.
        name: the model's name for it (``y_hat``) or a generated one (``y_hat₁``).
        op: ``input``, ``param`` or an op name from ``RULES``.
        args: the op's arguments in order: node ids or constants.
        named: True when the user wrote the name.
        attrs: the op's keyword arguments as written (``mean(x, axis=0)`` -> ``(("axis", 0),)``,
            ``mse(y_hat, y, reduction="sum")``); they choose the op's rule, never carry a gradient.
    """

    id: int
    name: str
    op: str
    args: tuple[Arg, ...] = ()
    named: bool = True
    attrs: tuple[tuple[str, int | str], ...] = ()

    @property
    def is_leaf(self) -> bool:
        """True for inputs and params."""
        return self.op in ("input", "param")

    @property
    def inputs(self) -> tuple[int, ...]:
        """The node ids among the arguments, in order, repeats kept."""
        return tuple(a for a in self.args if isinstance(a, int))

    @property
    def rule(self) -> OpRule:
        """This node's op rule (a power to a constant follows torch's pow(tensor, number))."""
        if self.op == "pow" and isinstance(self.args[1], Const):
            return pow_scalar_rule(self.args[1].value)
        if self.op == "div" and isinstance(self.args[0], Const) and not isinstance(self.args[1], Const):
            return rdiv_rule()
        if self.attrs:
            return specialized_rule(self.op, self.attrs)
        return RULES[self.op]


@dataclass(frozen=True, slots=True)
class Edge:
    """A (node, argument) pair along which a gradient flows.

    Attributes:
        node: the consumer's id.
        arg: which argument of the consumer.
        wrt: the producer's id (``node.args[arg]``).
    """

    node: int
    arg: int
    wrt: int


@dataclass(frozen=True)
class Graph:
    """Nodes in creation order with the orders the engine walks them in.

    Attributes:
        nodes: every node, indexed by id.
        loss: id of the loss node.
        order: op nodes in topological order (ties by id): the forward pass.
        requires_grad: per node id, True when a param lies upstream of it (or it is one).
        edges: gradient-carrying edges in reverse topological order: the backward pass.
    """

    nodes: tuple[Node, ...]
    loss: int
    order: tuple[int, ...] = field(init=False)
    requires_grad: tuple[bool, ...] = field(init=False)
    edges: tuple[Edge, ...] = field(init=False)
    by_name: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {n.name: n.id for n in self.nodes})
        order = _topological_order(self.nodes, self.loss)
        object.__setattr__(self, "order", order)
        req = [n.op == "param" for n in self.nodes]
        for i in order:
            req[i] = any(req[a] for a in self.nodes[i].inputs)
        object.__setattr__(self, "requires_grad", tuple(req))
        # Only nodes the loss depends on receive a gradient (a model name the loss never uses
        # gets none, as in torch).
        feeds = {self.loss}
        for i in reversed(order):
            if i in feeds:
                feeds.update(self.nodes[i].inputs)
        edges = [
            Edge(i, k, a)
            for i in reversed(order)
            if req[i] and i in feeds
            for k, a in enumerate(self.nodes[i].args)
            if isinstance(a, int) and req[a]
        ]
        object.__setattr__(self, "edges", tuple(edges))

    @property
    def params(self) -> tuple[int, ...]:
        """Param ids in declaration order."""
        return tuple(n.id for n in self.nodes if n.op == "param")

    @property
    def inputs(self) -> tuple[int, ...]:
        """Input ids in declaration order."""
        return tuple(n.id for n in self.nodes if n.op == "input")

    def __getitem__(self, key: int | str) -> Node:
        return self.nodes[self.by_name[key] if isinstance(key, str) else key]

    def arg_text(self, node: Node, k: int) -> str:
        """The name (or constant text) of ``node``'s argument ``k``."""
        a = node.args[k]
        return a.text if isinstance(a, Const) else self.nodes[a].name

    def expression(self, node: Node) -> str:
        """The node's own operation written with its arguments' names: ``x × w``."""
        texts = [self.arg_text(node, k) for k in range(len(node.args))]
        return node.rule.infix.format(*texts)

    def local_formula(self, edge: Edge, texts: list[str] | None = None, out: str | None = None) -> str:
        """The local gradient ∂node/∂wrt as text, with names or with given texts substituted.

        Args:
            edge: the edge whose local gradient to write.
            texts: what to write for each argument; names when None.
            out: what to write for the node's own value; its name when None.
        """
        node = self.nodes[edge.node]
        if texts is None:
            texts = [self.arg_text(node, k) for k in range(len(node.args))]
        if out is None:
            out = node.name
        # The rule says it (a power to a constant writes `2*s`, torch's zeros say so).
        return node.rule.local_text(edge.arg, texts, out)


def _topological_order(nodes: tuple[Node, ...], loss: int) -> tuple[int, ...]:
    """Op nodes in dependency order, ties broken by id, computed without recursion."""
    indegree = {n.id: 0 for n in nodes if not n.is_leaf}
    consumers: dict[int, list[int]] = {}
    for n in nodes:
        if n.is_leaf:
            continue
        for a in set(n.inputs):
            if not nodes[a].is_leaf:
                indegree[n.id] += 1
                consumers.setdefault(a, []).append(n.id)
    ready = [i for i, d in indegree.items() if d == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for c in consumers.get(i, ()):
            indegree[c] -= 1
            if indegree[c] == 0:
                heapq.heappush(ready, c)
    return tuple(order)
