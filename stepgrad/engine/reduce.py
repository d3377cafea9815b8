"""Sums in torch's order, so that a sum (a loss's mean, a bias's gradient summed over the
batch) has torch's very bits, not just nearly its value.

Floating-point addition is not associative: NumPy sums a row pairwise, torch (CPU,
``cascade_sum`` in ATen's SumKernel.cpp) in vector lanes, four interleaved partial sums and
chunks of 16 summed level by level. The same numbers in another order differ in the last
bits, and a gradient summed over 759 rows drifts from torch's step after step. This module
repeats torch's order with NumPy operations (a running sum is ``cumsum``'s last row, which
NumPy computes strictly in order).

The order depends only on the shape, the axes summed and the dtype, never on the numbers,
so it is worked out once for each: the same code that sums numbers (``_ordered``) runs on
symbols (``_Leaf``, ``_Add``), and the sums it writes down become a ``_Plan``, a few levels
of in-order sums of one gather and one ``np.add.reduce`` each. A bias's gradient over 759
rows is then a dozen NumPy calls, not some fifty: lecture7's four sums a step (three
biases, the loss) take 30 µs, they took 87 µs.

The order depends on the CPU's vector width: ``LANES`` is AVX2's (torch's default kernels
on x86-64 without AVX-512).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stepgrad.lazy import LazyModule

np: Any = LazyModule("numpy", globals(), "np")

#: Elements per vector register by itemsize (AVX2: 256 bits; float32 8, float64 4).
LANES = {4: 8, 8: 4}
#: Partial sums torch's row_sum keeps side by side (its ``ilp_factor``).
_ILP = 4
#: Levels of the cascade (``num_levels`` in multi_row_sum).
_LEVELS = 4


def _running(x: Any) -> Any:
    """x[0] + x[1] + ... strictly in order along axis 0 (0 for an empty axis)."""
    if x.shape[0] == 0:
        return np.zeros(x.shape[1:], dtype=x.dtype)
    return x.cumsum(axis=0)[-1]


def _chunks(x: Any, step: int) -> Any:
    """The running sum of each chunk of ``step`` rows of ``x`` (whole chunks only)."""
    k = x.shape[0] // step
    return x[: k * step].reshape(k, step, *x.shape[1:]).cumsum(axis=1)[:, -1]


def _cascade(rows: Any) -> Any:
    """torch's ``multi_row_sum``: the sum over axis 0 of ``rows`` (every other axis a
    column of its own), in chunks of 16 rows, chunk sums gathered 16 at a time per level.
    Levels that hold nothing are skipped: adding their 0 changes no sum but a -0.0, which
    ``torch_sum`` makes +0.0 at the end as torch does."""
    n = rows.shape[0]
    step = 1 << max(4, (n - 1).bit_length() // _LEVELS) if n > 1 else 16
    k = n // step
    if k == 0:
        return _running(rows)
    out = _running(rows[k * step :]) if n % step else None
    level = _chunks(rows, step)
    for _ in range(_LEVELS - 2):
        groups = level.shape[0] // step
        rest = level[groups * step :]
        if rest.shape[0]:
            part = _running(rest)
            out = part if out is None else out + part
        if groups == 0:
            return out
        level = _chunks(level, step)
    part = _running(level)
    return part if out is None else out + part


def _row_sum(rows: Any) -> Any:
    """torch's ``row_sum``: the sum over axis 0 as four interleaved partial sums (rows 0, 4,
    8, ... in the first), the rows left over added to the first, then the four in order."""
    n = rows.shape[0]
    whole = n // _ILP
    if not whole:
        return _running(rows)
    partial = _cascade(rows[: whole * _ILP].reshape(whole, _ILP, *rows.shape[1:]))
    # first partial, the rows left over, then the other three partials: in that order.
    order = np.concatenate([partial[:1], rows[whole * _ILP :], partial[1:]])
    return _running(order)


def _inner(x: Any, lanes: int) -> Any:
    """Sum of each row of the 2-D ``x`` (its last, contiguous axis), as torch reduces it."""
    rows, n = x.shape
    if n < lanes:
        return _row_sum(x.T)
    whole = n // lanes
    vectors = x[:, : whole * lanes].reshape(rows, whole, lanes).transpose(1, 0, 2)
    partials = _row_sum(vectors)  # (rows, lanes)
    # 0, then the elements past the last whole vector, then the lanes: in that order.
    order = np.concatenate([x[:, whole * lanes :], partials], axis=1)
    return _running(order.T)


def _outer(x: Any, lanes: int) -> Any:
    """Sum over axis 0 of the 2-D ``x`` (rows summed, each column on its own), as torch
    reduces it: columns in blocks of 4 vectors (or of 4, for fewer columns than a vector
    holds) by the cascade, the others by row_sum."""
    cols = x.shape[1]
    block = 4 * lanes if cols >= lanes else 4
    split = cols // block * block
    if split == cols:
        return _cascade(x)
    if split == 0:
        return _row_sum(x)
    return np.concatenate([_cascade(x[:, :split]), _row_sum(x[:, split:])])


Kinds = list[tuple[bool, int]]


def _layout(
    shape: tuple[int, ...], axes: tuple[int, ...] | int | None, keepdims: bool
) -> tuple[tuple[int, ...], tuple[int, ...], Kinds]:
    """The axes summed (counted from 0, sorted), the output's shape, and the kinds of axes
    torch's iterator sees: size-1 axes dropped, neighbours of one kind (summed or kept) merged."""
    nd = len(shape)
    if axes is None:
        axes = tuple(range(nd))
    elif isinstance(axes, int):
        axes = (axes,)
    axes = tuple(sorted(a % nd for a in axes)) if nd else ()
    out_shape = tuple(1 if i in axes else s for i, s in enumerate(shape)) if keepdims else tuple(
        s for i, s in enumerate(shape) if i not in axes
    )
    kinds: Kinds = []
    for i, s in enumerate(shape):
        if s == 1:
            continue
        reduced = i in axes
        if kinds and kinds[-1][0] == reduced:
            kinds[-1] = (reduced, kinds[-1][1] * s)
        else:
            kinds.append((reduced, s))
    return axes, out_shape, kinds


def _ordered(c: Any, kinds: Kinds, lanes: int) -> Any:
    """The sum of the C-contiguous ``c`` in torch's order (before torch's 0 is added): a
    whole sum, rows or columns; None for axes of three kinds or more (NumPy's order) and
    for nothing summed (a copy). The same code sums numbers and, for a ``_Plan``, symbols."""
    if not any(r for r, _ in kinds):
        return None
    if len(kinds) == 1:  # the whole array
        return _inner(c.reshape(1, -1), lanes)[0]
    if len(kinds) == 2 and not kinds[0][0]:  # rows
        return _inner(c.reshape(kinds[0][1], kinds[1][1]), lanes)
    if len(kinds) == 2:  # columns
        return _outer(c.reshape(kinds[0][1], kinds[1][1]), lanes)
    return None


def _direct(x: Any, axes: tuple[int, ...] | int | None, keepdims: bool) -> Any:
    """``torch_sum`` computed on the numbers themselves, without a plan (any dtype, any size)."""
    axes, out_shape, kinds = _layout(x.shape, axes, keepdims)
    c = np.ascontiguousarray(x)
    out = _ordered(c, kinds, LANES.get(x.dtype.itemsize, 1))
    if out is None:
        out = c.reshape(out_shape) if not any(r for r, _ in kinds) else np.sum(c, axis=axes)
    out = np.zeros((), dtype=x.dtype) + np.reshape(out, out_shape)  # torch's output starts at 0
    return out[()] if out_shape == () else out


def torch_sum(x: Any, axes: tuple[int, ...] | int | None = None, keepdims: bool = False) -> Any:
    """``x.sum(axes, keepdim=keepdims)`` with torch's bits (CPU): the whole array for None.

    Axes of size 1 are dropped and neighbouring axes of one kind merged, as torch's
    iterator does; a reduction that is neither a whole sum, rows nor columns (axes of
    three kinds or more) falls back to NumPy's order.
    """
    x = np.asarray(x)
    if isinstance(axes, list):
        axes = tuple(axes)
    key = (x.shape, x.dtype, axes, keepdims)
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        plan = _PLANS[key] = _plan(x.shape, x.dtype, axes, keepdims)
    return plan(x)


# ----- plans: torch's order worked out once per shape ------------------------------------

#: Largest array whose order is traced into a plan (a symbol per element and per sum, once);
#: a larger one is summed directly.
_TRACE_LIMIT = 1 << 15
_MAX_PLANS = 256
_PLANS: dict[tuple[Any, ...], Any] = {}


class _Sym:
    """A number in a traced sum: an element of the array (``_Leaf``) or a sum (``_Add``)."""

    __slots__ = ()

    def __add__(self, other: Any) -> _Add:
        return _Add(self, _sym(other))

    def __radd__(self, other: Any) -> _Add:
        return _Add(_sym(other), self)


class _Leaf(_Sym):
    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index


class _Add(_Sym):
    __slots__ = ("left", "right")

    def __init__(self, left: _Sym, right: _Sym):
        self.left = left
        self.right = right


_ZERO = _Leaf(-1)
"""A 0 the traced code adds (none today; NumPy's empty sums): the plan's zero slot."""


def _sym(v: Any) -> _Sym:
    if isinstance(v, _Sym):
        return v
    if v == 0:
        return _ZERO
    raise TypeError(f"not a traced number: {v!r}")  # pragma: no cover - the traced code adds symbols only


class _Plan:
    """torch's order of one sum (a shape, its axes, a dtype) as levels of in-order sums.

    Every sum torch forms is a running sum ``((a + b) + c) + ...`` of elements and of
    earlier sums. The plan keeps the elements and every sum in one buffer (the elements
    first, then a 0, then the sums level by level) and computes a level at once: its sums'
    terms gathered into a (terms, sums) matrix, a shorter sum's missing terms the 0, and
    ``np.add.reduce`` over axis 0, which adds a C-contiguous matrix of two columns or more
    row after row, each column in order (one column would be summed pairwise: a level of
    one sum gets a second column of zeros). Adding 0 changes no sum but a -0.0 to +0.0,
    and a zero's sign changes no later sum but a zero's, which torch's 0 added at the end
    makes +0.0 anyway: the plan's numbers are ``_direct``'s to the bit.
    """

    __slots__ = ("dtype", "levels", "n", "out_shape", "roots", "tail", "zero")

    def __init__(self, shape: tuple[int, ...], dtype: Any, kinds: Kinds, out_shape: tuple[int, ...]):
        n = 1
        for s in shape:
            n *= s
        leaves = np.empty(n, dtype=object)
        leaves[:] = [_Leaf(i) for i in range(n)]
        out = _ordered(leaves.reshape(shape), kinds, LANES.get(dtype.itemsize, 1))
        roots = np.empty(np.shape(out), dtype=object)
        roots[...] = out
        self.n = n
        self.dtype = dtype
        self.out_shape = out_shape
        self.zero = np.zeros((), dtype=dtype)
        self.levels, slots, size = _levels(list(roots.ravel()), n)
        self.tail = np.zeros(size - n, dtype=dtype)
        self.roots = np.array(slots, dtype=np.intp).reshape(out_shape)

    def __call__(self, x: Any) -> Any:
        # The elements, then zeros: the 0 and the sums' places (one call: 1.2 µs for 759 × 6,
        # where np.empty and two assignments took 2.1).
        buf = np.concatenate((x.reshape(-1), self.tail))
        add = np.add.reduce
        for terms, lo, hi in self.levels:
            add(buf.take(terms), axis=0, out=buf[lo:hi])
        out = self.zero + buf.take(self.roots)  # torch's output starts at 0
        return out[()] if self.out_shape == () else out


class _Plans:
    """Several sums in torch's order computed together, as one plan: their elements laid
    end to end in one buffer, and each level of every sum in one gather and one
    ``np.add.reduce`` (lecture7's three bias gradients a step: 13 µs, were 30 as three
    plans). Each sum's terms are its own plan's, in its order; a level only pads a shorter
    sum with more of the 0 at its end, which changes no sum but a -0.0 to +0.0 (see
    ``_Plan``), so every result is ``torch_sum``'s to the bit."""

    __slots__ = ("levels", "outs", "tail", "zero")

    def __init__(self, specs: list[tuple[tuple[int, ...], Kinds, tuple[int, ...]]], dtype: Any):
        lanes = LANES.get(dtype.itemsize, 1)
        roots: list[_Sym] = []
        parts: list[tuple[int, int, tuple[int, ...]]] = []
        n = 0
        for shape, kinds, out_shape in specs:
            size = 1
            for s in shape:
                size *= s
            leaves = np.empty(size, dtype=object)
            leaves[:] = [_Leaf(n + i) for i in range(size)]
            out = _ordered(leaves.reshape(shape), kinds, lanes)
            mine = np.empty(np.shape(out), dtype=object)
            mine[...] = out
            parts.append((len(roots), mine.size, out_shape))
            roots.extend(mine.ravel())
            n += size
        self.zero = np.zeros((), dtype=dtype)
        self.levels, slots, size = _levels(roots, n)
        self.tail = np.zeros(size - n, dtype=dtype)
        self.outs = [
            (np.array(slots[lo : lo + k], dtype=np.intp).reshape(out_shape), out_shape == ())
            for lo, k, out_shape in parts
        ]

    def __call__(self, xs: list[Any]) -> list[Any]:
        buf = np.concatenate([*(x.reshape(-1) for x in xs), self.tail])
        add = np.add.reduce
        for terms, lo, hi in self.levels:
            add(buf.take(terms), axis=0, out=buf[lo:hi])
        zero = self.zero
        take = buf.take
        out = []
        for roots, scalar in self.outs:
            s = zero + take(roots)  # torch's output starts at 0
            out.append(s[()] if scalar else s)
        return out


class _Each:
    """Sums that cannot share a plan (another dtype, a sum without a plan): one by one."""

    __slots__ = ("specs",)

    def __init__(self, specs: list[tuple[tuple[int, ...] | int | None, bool]]):
        self.specs = specs

    def __call__(self, xs: list[Any]) -> list[Any]:
        return [torch_sum(x, axes, keepdims) for x, (axes, keepdims) in zip(xs, self.specs, strict=True)]


def torch_sums(
    xs: list[Any], axes: list[tuple[int, ...] | int | None], keepdims: bool = False
) -> list[Any]:
    """``torch_sum(x, a, keepdims)`` for each array ``x`` of ``xs`` and its axes ``a``, the
    same bits, computed together (one plan for all of them) where they are of one float
    dtype and each has a plan of its own.

    Args:
        xs: NumPy arrays.
        axes: for each, the axes summed (None: all of them).
        keepdims: summed axes kept as 1.

    Returns:
        The sums, in the order of ``xs``.
    """
    axes = [tuple(a) if isinstance(a, list) else a for a in axes]
    key = ("many", keepdims, *((x.shape, x.dtype, a) for x, a in zip(xs, axes, strict=True)))
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        plan = _PLANS[key] = _plans(xs, axes, keepdims)
    result: list[Any] = plan(xs)
    return result


def sums_plan(
    specs: list[tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]], dtype: Any
) -> Callable[[list[Any]], list[Any]] | None:
    """One plan for several sums of arrays of ``dtype``, each given as (its array's shape,
    the axes summed, the shape its sum is given in, of as many numbers as ``keepdims``
    keeps): called with the arrays, it returns their sums, each ``torch_sum(x, axes,
    keepdims=True)`` to the bit, in its shape. None where one of them has no plan (as
    ``torch_sum`` would sum it directly).
    """
    dtype = np.dtype(dtype)
    planned = []
    total = 0
    for shape, axes, out_shape in specs:
        _, kept, kinds = _layout(shape, axes, True)
        size = 1
        for d in shape:
            size *= d
        if not _traced(size, dtype, kinds) or _count(kept) != _count(out_shape):
            return None
        planned.append((shape, kinds, out_shape))
        total += size
    if not planned or total > _TRACE_LIMIT:
        return None
    return _Plans(planned, dtype)


def _count(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _plans(xs: list[Any], axes: list[tuple[int, ...] | int | None], keepdims: bool) -> _Plans | _Each:
    dtypes = {x.dtype for x in xs}
    specs = []
    for x, a in zip(xs, axes, strict=True):
        _, out_shape, kinds = _layout(x.shape, a, keepdims)
        if not _traced(x.size, x.dtype, kinds):
            break
        specs.append((x.shape, kinds, out_shape))
    if len(dtypes) != 1 or len(specs) != len(xs) or sum(x.size for x in xs) > _TRACE_LIMIT:
        return _Each([(a, keepdims) for a in axes])
    return _Plans(specs, dtypes.pop())


def _levels(roots: list[_Sym], n: int) -> tuple[list[tuple[Any, int, int]], list[int], int]:
    """The levels of a plan whose elements are slots 0 .. n - 1 and whose 0 is slot n:
    (terms, first slot, end slot) per level, the slot of each root, the buffer's size."""
    # A sum used once as the first term of another is a running sum's earlier part: it
    # joins that sum's terms. A sum used twice or more is a term of its own.
    uses: dict[int, int] = {}
    stack: list[_Sym] = list(roots)
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if not isinstance(node, _Add) or id(node) in seen:
            continue
        seen.add(id(node))
        for child in (node.left, node.right):
            if isinstance(child, _Add):
                uses[id(child)] = uses.get(id(child), 0) + 1
                stack.append(child)
    height: dict[int, int] = {}
    terms_of: dict[int, list[_Sym]] = {}
    by_height: dict[int, list[_Add]] = {}

    def visit(node: _Sym) -> int:
        if not isinstance(node, _Add):
            return 0
        h = height.get(id(node))
        if h is not None:
            return h
        terms: list[_Sym] = []
        at: _Sym = node
        while isinstance(at, _Add) and (at is node or uses.get(id(at), 0) == 1):
            terms.append(at.right)
            at = at.left
        terms.append(at)
        terms.reverse()
        h = 1 + max(visit(t) for t in terms)
        height[id(node)] = h
        terms_of[id(node)] = terms
        by_height.setdefault(h, []).append(node)
        return h

    for r in roots:
        visit(r)
    slot: dict[int, int] = {}
    next_slot = n + 1

    def slot_of(t: _Sym) -> int:
        if isinstance(t, _Leaf):
            return n if t is _ZERO else t.index
        return slot[id(t)]

    levels = []
    for h in sorted(by_height):
        sums = by_height[h]
        width = max(len(terms_of[id(s)]) for s in sums)
        cols = max(len(sums), 2)
        terms = np.full((width, cols), n, dtype=np.intp)
        for j, s in enumerate(sums):
            slot[id(s)] = next_slot + j
            for i, t in enumerate(terms_of[id(s)]):
                terms[i, j] = slot_of(t)
        levels.append((terms, next_slot, next_slot + cols))
        next_slot += cols
    return levels, [slot_of(r) for r in roots], next_slot


class _Direct:
    """A sum without a plan: summed directly (nothing summed, NumPy's order, another dtype,
    a large array)."""

    __slots__ = ("axes", "keepdims")

    def __init__(self, axes: tuple[int, ...] | int | None, keepdims: bool):
        self.axes = axes
        self.keepdims = keepdims

    def __call__(self, x: Any) -> Any:
        return _direct(x, self.axes, self.keepdims)


def _plan(shape: tuple[int, ...], dtype: Any, axes: tuple[int, ...] | int | None, keepdims: bool) -> Any:
    _, out_shape, kinds = _layout(shape, axes, keepdims)
    n = 1
    for s in shape:
        n *= s
    if not _traced(n, dtype, kinds):
        return _Direct(axes, keepdims)
    return _Plan(shape, dtype, kinds, out_shape)


def _traced(n: int, dtype: Any, kinds: Kinds) -> bool:
    """Whether a sum of ``n`` numbers of ``dtype`` over axes of ``kinds`` has a plan."""
    return dtype.kind == "f" and 0 < n <= _TRACE_LIMIT and any(r for r, _ in kinds) and len(kinds) <= 2
