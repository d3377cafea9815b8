"""Shapes: what each node's value will look like before anything is computed, and how a
gradient that was broadcast on the way forward is summed back to its argument's shape.

``infer_shapes`` walks a graph with the leaves' shapes and asks each op its output's shape
(``OpRule.shape``; None means elementwise, NumPy's and torch's broadcasting), so that a
scenario whose shapes do not fit is refused with the lecture's words before the first step
(``x @ W1: (4, 3) @ (2, 6) cannot be multiplied (3 ≠ 2)``). ``unbroadcast`` is the chain
rule's last move for a broadcast argument: torch's ``sum_to_size``, summed in torch's order
(``reduce.torch_sum``).

Shape arithmetic is plain tuples: loading a scenario does not import NumPy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from stepgrad.engine.reduce import sums_plan, torch_sum, torch_sums
from stepgrad.lazy import LazyModule

if TYPE_CHECKING:
    from stepgrad.engine.graph import Graph, Node

np: Any = LazyModule("numpy", globals(), "np")

Shape = tuple[int, ...]


class ShapeError(ValueError):
    """Arguments whose shapes an op cannot take, said as the lecture would:
    ``x @ W1: (4, 3) @ (2, 6) cannot be multiplied (3 ≠ 2)``.

    An op's shape rule says what is wrong with ``{0}``, ``{1}`` standing for its arguments
    (``{0} has 2 axes (0 and 1)``); ``infer_shapes`` puts in their names, writes the node's
    expression in front and sets ``node``.

    Attributes:
        node: the id of the node whose shapes do not fit (None when not raised by
            ``infer_shapes``).
    """

    def __init__(self, message: str, node: int | None = None):
        super().__init__(message)
        self.message = message
        self.node = node


def shape_text(shape: Shape) -> str:
    """A shape as Python writes it: ``(4, 3)``, ``(6,)``, ``()``."""
    return str(tuple(shape))


def axes_text(ndim: int) -> str:
    """``2 axes (0 and 1)``, ``1 axis (0)``, ``no axes (a number)``."""
    if ndim == 0:
        return "no axes (a number)"
    if ndim == 1:
        return "1 axis (0)"
    names = [str(i) for i in range(ndim)]
    return f"{ndim} axes ({', '.join(names[:-1])} and {names[-1]})"


def broadcast(shapes: tuple[Shape, ...], symbol: str = ",") -> Shape:
    """The shape NumPy and torch broadcast ``shapes`` to (trailing axes aligned, 1 stretched).

    Raises:
        ShapeError: ``(4, 3) + (2,) cannot be broadcast`` (``symbol`` between the shapes).
    """
    ndim = max((len(s) for s in shapes), default=0)
    out: list[int] = []
    for i in range(-ndim, 0):
        sizes = {s[i] for s in shapes if len(s) >= -i} - {1}
        if len(sizes) > 1:
            raise ShapeError(f" {symbol} ".join(shape_text(s) for s in shapes) + " cannot be broadcast")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def elementwise(shapes: tuple[Shape, ...]) -> Shape:
    """The output shape of an elementwise op (``OpRule.shape`` None)."""
    return broadcast(shapes)


def written(node: Node, texts: list[str]) -> str:
    """The node's expression as a model writes it: ``x @ W1``, ``z * b``, ``-z``, ``h.T``,
    ``mean(h, axis=2)``, ``mse(y_hat, y, reduction="sum")``."""
    rule = node.rule
    if rule.written == "-x":
        return f"-{texts[0]}"
    if rule.written == ".T":
        return f"{texts[0]}.T"
    if rule.written and len(texts) == 2:
        return f"{texts[0]} {rule.written} {texts[1]}"
    keywords = "".join(f', {k}="{v}"' if isinstance(v, str) else f", {k}={v}" for k, v in node.attrs)
    return f"{node.op}({', '.join(texts)}{keywords})"


def infer_shapes(graph: Graph, leaf_shapes: dict[int, Shape]) -> list[Shape]:
    """Every node's shape, one per node id (``()`` for a number).

    Args:
        graph: the model.
        leaf_shapes: each input's and param's shape by node id (a leaf missing here is a number).

    Raises:
        ShapeError: the first node (in the forward order) whose arguments do not fit, its
            message led by the node's expression (``z + b: (4, 3) + (2,) cannot be
            broadcast``), ``node`` its id.
    """
    shapes: list[Shape] = [tuple(leaf_shapes.get(n.id, ())) for n in graph.nodes]
    for i in graph.order:
        node = graph.nodes[i]
        args = tuple(shapes[a] if isinstance(a, int) else () for a in node.args)
        rule = node.rule
        texts = [graph.arg_text(node, k) for k in range(len(node.args))]
        try:
            if rule.shape is not None:
                shapes[i] = tuple(rule.shape(args))
            else:
                symbol = rule.written if rule.written and len(args) == 2 else ","
                shapes[i] = broadcast(args, symbol)
        except ShapeError as e:
            said = e.message.format(*texts)
            raise ShapeError(f"{written(node, texts)}: {said}", node=i) from None
    return shapes


def unbroadcast(grad: Any, shape: Shape) -> Any:
    """``grad`` summed back to ``shape``, as torch's ``sum_to_size`` does: over the leading
    axes ``shape`` lacks, and over the axes where ``shape`` has 1 and ``grad`` does not
    (kept, size 1); one sum over all of them, in torch's order. ``grad`` itself when its
    shape is already ``shape``."""
    gshape = grad.shape if isinstance(grad, np.ndarray) else np.shape(grad)
    shape = tuple(shape)
    if gshape == shape:
        return grad
    if len(gshape) < len(shape):  # never from broadcasting (it only adds axes): the same numbers, reshaped
        return np.reshape(grad, shape)
    axes = _summed_axes(gshape, shape)
    summed = torch_sum(np.asarray(grad), axes, keepdims=True) if axes else np.asarray(grad)
    return _shaped(summed, shape)


def unbroadcast_all(grads: list[Any], shapes: list[Shape]) -> list[Any]:
    """``unbroadcast(g, s)`` for each gradient ``g`` of ``grads`` and shape ``s`` of
    ``shapes``, the same numbers, the sums computed together (``reduce.torch_sums``: one
    plan for lecture7's three bias gradients, not three).

    Args:
        grads: gradients, each of the shape its op's output has.
        shapes: for each, the shape of what it is the gradient of.

    Returns:
        The gradients summed back to their shapes, in order.
    """
    try:  # arrays, as a step's are: their plan, worked out once per shapes
        key = (*((g.shape, g.dtype.char) for g in grads), *shapes)
        summed = _SUMS.get(key, _UNKNOWN)
        if summed is _UNKNOWN:
            if len(_SUMS) >= 256:
                _SUMS.clear()
            summed = _SUMS[key] = _sums_of(grads, shapes)
    except (AttributeError, TypeError):  # a number among them, a shape as a list
        summed = None
    if summed is not None:
        result: list[Any] = summed(grads)
        return result
    out: list[Any] = list(grads)
    at: list[int] = []
    xs: list[Any] = []
    axes: list[tuple[int, ...]] = []
    for j, (grad, shape) in enumerate(zip(grads, shapes, strict=True)):
        gshape = grad.shape if isinstance(grad, np.ndarray) else np.shape(grad)
        shape = tuple(shape)
        if gshape == shape or len(gshape) < len(shape):
            out[j] = unbroadcast(grad, shape)
            continue
        summed = _summed_axes(gshape, shape)
        if not summed:
            out[j] = _shaped(np.asarray(grad), shape)
            continue
        at.append(j)
        xs.append(np.asarray(grad))
        axes.append(summed)
    if xs:
        sums = torch_sums(xs, list(axes), keepdims=True) if len(xs) > 1 else [torch_sum(xs[0], axes[0], True)]
        for j, total in zip(at, sums, strict=True):
            out[j] = _shaped(total, tuple(shapes[j]))
    return out


def _sums_of(grads: list[Any], shapes: list[Shape]) -> Callable[[list[Any]], list[Any]] | None:
    """The plan of ``unbroadcast_all(grads, shapes)`` where every gradient is summed (one
    ``reduce.sums_plan``, its sums in the params' shapes); None otherwise."""
    if len({g.dtype for g in grads}) != 1:
        return None
    specs = []
    for g, shape in zip(grads, shapes, strict=True):
        gshape, shape = g.shape, tuple(shape)
        if len(gshape) < len(shape) or gshape == shape:
            return None
        axes = _summed_axes(gshape, shape)
        if not axes:
            return None
        specs.append((gshape, axes, shape))
    return sums_plan(specs, grads[0].dtype)


_SUMS: dict[tuple[Any, ...], Any] = {}
"""``_sums_of`` by the gradients' shapes and dtypes and the params' shapes."""
_UNKNOWN = object()


def _shaped(summed: Any, shape: Shape) -> Any:
    out = summed.reshape(shape)
    return out[()] if shape == () else out


def _summed_axes(gshape: Shape, shape: Shape) -> tuple[int, ...]:
    """The axes a gradient of shape ``gshape`` is summed over to ``shape``'s (worked out
    once per pair): the leading axes ``shape`` lacks, and those where it has 1 and
    ``gshape`` not."""
    key = (gshape, shape)
    axes = _SUMMED_AXES.get(key)
    if axes is None:
        if len(_SUMMED_AXES) >= 256:
            _SUMMED_AXES.clear()
        lead = len(gshape) - len(shape)
        axes = _SUMMED_AXES[key] = tuple(range(lead)) + tuple(
            i for i in range(lead, len(gshape)) if shape[i - lead] == 1 and gshape[i] != 1
        )
    return axes


_SUMMED_AXES: dict[tuple[Shape, Shape], tuple[int, ...]] = {}
"""The axes ``unbroadcast`` sums, by (the gradient's shape, the argument's), worked out once."""


# ----- the array ops' shape rules (OpRule.shape) ---------------------------------------


def matmul_shape(shapes: tuple[Shape, ...]) -> Shape:
    """``@`` of 1-D or 2-D arrays, as NumPy and torch: (n, k) @ (k, m) -> (n, m); a 1-D
    operand is a row on the left, a column on the right, and its axis is dropped."""
    a, b = shapes
    product = f"{shape_text(a)} @ {shape_text(b)} cannot be multiplied"
    for s in (a, b):
        if len(s) == 0:
            return _refuse(f"{product} (a number has no axes: use *)")
        if len(s) > 2:
            return _refuse(f"{product} (@ takes 1-D or 2-D arrays)")
    k_left = a[-1]
    k_right = b[0] if len(b) == 1 else b[-2]
    if k_left != k_right:
        return _refuse(f"{product} ({k_left} ≠ {k_right})")
    return a[:-1] + b[1:]


def transpose_shape(shapes: tuple[Shape, ...]) -> Shape:
    """``x.T`` of a matrix: (n, m) -> (m, n)."""
    (a,) = shapes
    if len(a) != 2:
        return _refuse(f"{{0}} has {axes_text(len(a))}: .T swaps the 2 axes of a matrix")
    return (a[1], a[0])


def _refuse(message: str) -> Shape:
    raise ShapeError(message)


def check_axis(a: Shape, axis: int) -> int:
    """``axis`` of an array of shape ``a``, counted from 0 (``-1`` is the last).

    Raises:
        ShapeError: ``{0} has 2 axes (0 and 1)``.
    """
    if not -len(a) <= axis < len(a):
        raise ShapeError(f"{{0}} has {axes_text(len(a))}")
    return axis % len(a)


def reduce_shape(axis: int | None) -> Any:
    """The shape rule of ``sum``/``mean`` over ``axis`` (None: the whole array -> ())."""

    def shape(shapes: tuple[Shape, ...]) -> Shape:
        (a,) = shapes
        if axis is None:
            return ()
        k = check_axis(a, axis)
        return a[:k] + a[k + 1 :]

    return shape


def softmax_shape(axis: int) -> Any:
    """The shape rule of ``softmax``/``log_softmax`` over ``axis``: the argument's own shape."""

    def shape(shapes: tuple[Shape, ...]) -> Shape:
        (a,) = shapes
        if len(a) == 0:
            raise ShapeError("{0} is a number: a softmax needs a vector of scores")
        check_axis(a, axis)
        return a

    return shape


def pair_loss_shape(shapes: tuple[Shape, ...]) -> Shape:
    """``mse``/``bce``: prediction and target of one shape -> a number. torch refuses
    (bce) or warns and broadcasts (mse) where they differ: a (4, 1) column against (4,)
    labels would compare every prediction with every label."""
    a, b = shapes
    if a != b:
        raise ShapeError(
            f"{{0}} is {shape_text(a)} but {{1}} is {shape_text(b)}: they must have the same shape"
        )
    return ()


def cross_entropy_shape(shapes: tuple[Shape, ...]) -> Shape:
    """``cross_entropy(logits, labels)``: logits (N, C) with labels (N,), or one sample's
    scores (C,) with its label a number -> a number."""
    a, b = shapes
    if len(a) == 2:
        if b != (a[0],):
            # Labels written as rows ([[0], [2], [1]], or a CSV column in a list) is the usual
            # slip: say what the file should hold, not only the shapes.
            raise ShapeError(
                f"{{1}} is {shape_text(b)}, but the labels of {{0}} {shape_text(a)} are "
                f"({a[0]},): one class number a sample (y: [2, 0, 1]; from a CSV, one column: y: 2)"
            )
        return ()
    if len(a) == 1:
        if b != ():
            raise ShapeError("the label must be a number for one sample's logits (C,)")
        return ()
    raise ShapeError(f"logits must be (N, C) or (C,), not {shape_text(a)}")
