"""The sympy job: ``derive`` runs sympy in a worker thread, bounded in size and time.

sympy is imported lazily, inside a worker thread, and only for models small enough.
``derive`` answers ``TooLarge`` (shown as "too large to show symbolically: <reason>")
when the graph has more than ``MAX_NODES`` operations or its written-out loss more than
``MAX_SIZE`` (both checked at once, without sympy), when a derivative comes out longer
than ``MAX_SHOWN_OPS`` operations (checked before it is printed or simplified), and when
sympy has not finished after ``TIMEOUT_S`` seconds: the worker is then stopped, so a
caller never waits longer than the bound (plus, on the first call in a process, the
one-time import of sympy, about 0.3 s). ``cached`` never waits at all.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from stepgrad.engine.graph import Const, Graph
from stepgrad.symbolic.convert import derive_sympy as _derive_sympy
from stepgrad.symbolic.result import Derivation, TooLarge

#: Op nodes a graph may have for ``derive`` to try sympy at all.
MAX_NODES = 100
#: Operations the loss may have when written out as one formula (shared nodes repeated).
MAX_SIZE = 400
#: Seconds of sympy work before ``derive`` gives up (not counting sympy's first import).
TIMEOUT_S = 2.0

_LOCK = threading.Lock()
_DONE: OrderedDict[tuple[Any, ...], Derivation | TooLarge] = OrderedDict()
_RUNNING: dict[tuple[Any, ...], _Job] = {}
_CACHE_SIZE = 64


_STOPPED = TooLarge("stopped")


class _Cancelled(BaseException):
    """Raised inside an abandoned sympy worker to stop it (BaseException: sympy catches Exception)."""


@dataclass
class _Job:
    thread: threading.Thread | None = None
    imported: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    result: Derivation | TooLarge | None = None
    cancelled: bool = False


def _structure(graph: Graph) -> tuple[Any, ...]:
    """A hashable key that two graphs share exactly when they are the same model."""
    nodes = tuple(
        (n.name, n.op, tuple(("c", a.text, a.value) if isinstance(a, Const) else a for a in n.args))
        for n in graph.nodes
    )
    return (nodes, graph.loss)


def _tree_size(graph: Graph, cap: int) -> int:
    """Operations in the loss written out as one formula, counted up to ``cap + 1``."""
    size = [0] * len(graph.nodes)
    for i in graph.order:
        size[i] = min(cap + 1, 1 + sum(size[a] for a in graph.nodes[i].inputs))
    return size[graph.loss]


def derive(
    graph: Graph,
    *,
    timeout_s: float = TIMEOUT_S,
    max_nodes: int = MAX_NODES,
    max_size: int = MAX_SIZE,
) -> Derivation | TooLarge:
    """Every param's closed-form ∂loss/∂param, or why there is none.

    Cached per model (two graphs of the same model share the answer); safe to call
    from several threads. The size checks are instant; the sympy work runs in a
    daemon thread that is stopped (by an asynchronous exception) once ``timeout_s`` has
    passed, so the call returns within ``timeout_s`` of sympy work, plus, once per
    process, sympy's import (about 0.3 s).

    Args:
        graph: a compiled model (scalar values).
        timeout_s: seconds of sympy work allowed.
        max_nodes: op nodes the graph may have.
        max_size: operations the written-out loss may have (shared nodes repeated).

    Returns:
        A ``Derivation``, or ``TooLarge`` with the reason.
    """
    n_ops = len(graph.order)
    if n_ops > max_nodes:
        return TooLarge(f"the model has {n_ops} operations (at most {max_nodes})")
    size = _tree_size(graph, max_size)
    if size > max_size:
        return TooLarge(f"written out as one formula, the loss has more than {max_size} operations")
    key = _structure(graph)
    limits = (timeout_s,)
    with _LOCK:
        hit = _DONE.get(key) or _DONE.get((*key, limits))
        if hit is not None:
            return hit
        job = _RUNNING.get(key)
        if job is None:
            job = _Job()
            job.thread = threading.Thread(
                target=_work, args=(graph, job), name="stepgrad-sympy", daemon=True
            )
            _RUNNING[key] = job
            job.thread.start()
    job.imported.wait()
    if job.done.wait(timeout_s):
        result = job.result
        assert result is not None
        with _LOCK:
            _RUNNING.pop(key, None)
            if result != _STOPPED:  # every other answer is what sympy gives every time
                _remember(key, result)
        return result
    out = TooLarge(f"sympy did not finish within {timeout_s:g} s")
    with _LOCK:
        if _RUNNING.get(key) is job:
            del _RUNNING[key]
        _remember((*key, limits), out)
        if not job.done.is_set() and not job.cancelled:
            job.cancelled = True
            _interrupt(job.thread)
    return out


def cached(
    graph: Graph,
    *,
    timeout_s: float = TIMEOUT_S,
    max_nodes: int = MAX_NODES,
    max_size: int = MAX_SIZE,
) -> Derivation | TooLarge | None:
    """``derive``'s answer if it is known already (or instant), else None; never blocks.

    For a UI thread: show "deriving…" on None and call ``derive`` (same limits) in a worker.
    """
    if len(graph.order) > max_nodes or _tree_size(graph, max_size) > max_size:
        # Refused by size, at once.
        return derive(graph, timeout_s=timeout_s, max_nodes=max_nodes, max_size=max_size)
    key = _structure(graph)
    with _LOCK:
        return _DONE.get(key) or _DONE.get((*key, (timeout_s,)))


def _remember(key: tuple[Any, ...], value: Derivation | TooLarge) -> None:
    _DONE[key] = value
    _DONE.move_to_end(key)
    while len(_DONE) > _CACHE_SIZE:
        _DONE.popitem(last=False)


def _interrupt(thread: threading.Thread | None) -> None:
    """Raise ``_Cancelled`` inside ``thread`` at its next bytecode (CPython)."""
    if thread is None or thread.ident is None or not thread.is_alive():
        return
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(_Cancelled))


def clear_cache() -> None:
    """Forget every derivation (for tests and benchmarks)."""
    with _LOCK:
        _DONE.clear()


def _work(graph: Graph, job: _Job) -> None:
    # The caller interrupts only while ``done`` is unset, checked under _LOCK; the result is
    # published under the same lock, so the interruption always lands inside this try.
    try:
        result: Derivation | TooLarge | None = None
        try:
            # Never interrupted here: a half-finished import would leave sympy broken.
            import sympy  # noqa: F401
        except ImportError:
            result = TooLarge("sympy is not installed")
        finally:
            job.imported.set()
        if result is None:
            result = _compute(graph)
        with _LOCK:
            job.result = result
            job.done.set()
    except _Cancelled:
        with _LOCK:
            job.result = _STOPPED
            job.done.set()


def _compute(graph: Graph) -> Derivation | TooLarge:
    start = time.perf_counter()
    try:
        result = _derive_sympy(graph)
    except RecursionError:
        return TooLarge("the formula is nested too deeply for sympy")
    except Exception as e:  # sympy failing is not the caller's problem: say so, don't crash
        first = (str(e).splitlines() or [""])[0][:80]
        what = f"{type(e).__name__}: {first}" if first else type(e).__name__
        return TooLarge(f"sympy failed ({what})")
    if isinstance(result, Derivation):
        result = Derivation(result.loss, result.texts, result.formulas, time.perf_counter() - start)
    return result


def closed_forms(graph: Graph, **limits: Any) -> dict[str, str] | TooLarge:
    """Each param's closed-form ∂loss/∂param as text, or ``TooLarge``.

    Args:
        graph: a compiled model.
        **limits: ``timeout_s``, ``max_nodes``, ``max_size`` as for ``derive``.
    """
    d = derive(graph, **limits)
    return d if isinstance(d, TooLarge) else dict(d.texts)
