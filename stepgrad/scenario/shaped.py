"""Shapes at load time: every node's shape from the leaves' (``engine.shapes``), so that a
model whose shapes do not fit is refused at the expression that does not, before the
first step (``x @ W1: (4, 3) @ (2, 6) cannot be multiplied (3 ≠ 2)``); and the class
labels of ``cross_entropy``, each in ``0…C-1``, reported at their own row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import prod
from typing import Any

from stepgrad.engine.graph import Graph, Node
from stepgrad.errors import ScenarioError
from stepgrad.language.expr import line_of
from stepgrad.scenario.fields import Fields
from stepgrad.scenario.values import MAX_NUMBERS, Shape
from stepgrad.scenario.yamlloc import Loc

Where = tuple[str, int, int]


class ShapeCheck(Fields):
    """Checks a built graph's shapes and class labels."""

    node_text: dict[str, str]

    def infer(self, graph: Graph, leaf_shapes: dict[int, Shape]) -> list[Shape] | None:
        """Every node's shape (None when the engine cannot infer shapes).

        Raises:
            ScenarioError: at the expression whose arguments' shapes do not fit.
        """
        try:
            from stepgrad.engine.shapes import ShapeError, infer_shapes
        except ImportError:  # pragma: no cover - the engine without shapes
            return None
        try:
            shapes = infer_shapes(graph, leaf_shapes)
        except ShapeError as e:
            if e.node is None:
                raise
            name = graph.nodes[e.node].name
            raise self.fail(self.node_where.get(name, (1, 1)), self._said(graph, e.node, e.message)) from None
        for i in graph.order:
            # Refused before NumPy is asked for the memory (z.T @ z of a long z).
            size = prod(shapes[i])
            if size > MAX_NUMBERS:
                node = graph.nodes[i]
                own = self.node_text.get(node.name, node.name)
                raise self.fail(
                    self.node_where.get(node.name, (1, 1)),
                    f"{own} would be {_shape(shapes[i])}, {size:,} numbers "
                    f"(at most {MAX_NUMBERS:,} in one array)",
                )
        loss = graph.nodes[graph.loss]
        if shapes[graph.loss] != ():
            raise self.fail(
                self.node_where.get(loss.name, (1, 1)),
                f"the loss '{loss.name}' is {_shape(shapes[graph.loss])}, not one number; "
                f"take its mean(...) or sum(...), or use mse / bce / cross_entropy",
            )
        return shapes

    def infer_predict(
        self, graph: Graph, leaf_shapes: dict[int, Shape], predict: dict[str, tuple[Shape, Loc]]
    ) -> None:
        """The shapes of what ``predict`` computes, from its inputs' shapes.

        Raises:
            ScenarioError: at the first predict value, when a node predict computes cannot
                take its arguments' shapes (``predict: x @ W: (3,) @ (2, 2) cannot be ...``).
        """
        try:
            from stepgrad.engine.shapes import ShapeError, infer_shapes
        except ImportError:  # pragma: no cover - the engine without shapes
            return
        known = {graph.by_name[k] for k in predict} | set(leaf_shapes)
        for i in graph.order:
            if all(a in known for a in graph.nodes[i].inputs):
                known.add(i)
        # What predict cannot compute (it needs a data input predict does not give) is left
        # out: a leaf in its place, which nothing predict computes reads.
        nodes = tuple(n if n.is_leaf or n.id in known else Node(n.id, n.name, "input") for n in graph.nodes)
        shapes = dict(leaf_shapes)
        shapes.update({graph.by_name[k]: shape for k, (shape, _) in predict.items()})
        try:
            infer_shapes(Graph(nodes, graph.loss), shapes)
        except ShapeError as e:
            if e.node is None:
                raise
            first = next(iter(predict.values()))[1]
            raise self.fail(first, f"predict: {self._said(graph, e.node, e.message)}") from None

    def _said(self, graph: Graph, i: int, message: str) -> str:
        """A shape error's message led by the expression as the user wrote it (``x @ W1 +
        b1``), not as the graph names its parts (``h1₁ + b1``)."""
        from stepgrad.engine.shapes import written

        node = graph.nodes[i]
        texts = [graph.arg_text(node, k) for k in range(len(node.args))]
        prefix = written(node, texts) + ": "
        own = self.node_text.get(node.name)
        if own and message.startswith(prefix):
            message = f"{own}: {message[len(prefix) :]}"
        # A part the graph names by a generated name (``h1₁``, which no user writes) is
        # said as the user wrote it (``x @ W1``).
        for part in sorted(self.node_text, key=len, reverse=True):
            if part != line_of(part) and part in message:
                message = message.replace(part, self.node_text[part])
        return message

    def labels(
        self,
        graph: Graph,
        shapes: list[Shape],
        columns: dict[str, tuple[Any, ...]],
        where: Mapping[str, Sequence[Where]],
        section: str = "data",
    ) -> dict[str, tuple[Any, ...]]:
        """``columns`` (data's, or the inputs' rows) with the class labels of each
        ``cross_entropy`` as ints, each checked to be a class of its logits (``0…C-1``, C
        the logits' last axis).

        Raises:
            ScenarioError: at the row (in the scenario or the CSV file) of the first label
                that is no class.
        """
        out = dict(columns)
        for node in graph.nodes:
            if node.op != "cross_entropy" or len(node.args) != 2:
                continue
            logits, labels = node.args
            if not isinstance(labels, int) or not isinstance(logits, int):
                continue
            name = graph.nodes[labels].name
            if name not in out or not shapes[logits]:
                continue
            classes = shapes[logits][-1]
            said = f"{section} '{name}'"
            out[name] = tuple(
                self._label(v, i, said, classes, node, where.get(name)) for i, v in enumerate(out[name])
            )
        return out

    def _label(
        self, v: Any, i: int, said: str, classes: int, node: Node, where: Sequence[Where] | None
    ) -> Any:
        if isinstance(v, list):
            return [self._label(x, i, said, classes, node, where) for x in v]
        own = self.node_text.get(node.name, node.name)
        problem = None
        if v != int(v):
            problem = f"label {v:g} is not a whole number (a class is 0…{classes - 1})"
        elif not 0 <= v < classes:
            problem = f"label {v:g} is outside 0…{classes - 1} ({own} has {classes} classes)"
        if problem is None:
            return int(v)
        message = f"{said} row {i + 1}: {problem}"
        if where is None:
            raise self.fail((1, 1), message)
        path, line, col = where[i]
        raise ScenarioError(path, message, line, col)


def _shape(shape: Shape) -> str:
    """A shape as the lecture writes it: ``(3, 2)``, ``(6,)``."""
    return str(tuple(shape))
