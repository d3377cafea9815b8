"""What the engine runs: a graph plus the numbers and the training plan around it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stepgrad.engine.graph import Graph


@dataclass(frozen=True, slots=True)
class Optimizer:
    """How params are updated after each backward pass (torch's formulas and defaults).

    Attributes:
        name: ``lecture`` (``w.data = w.data - lr * w.grad.data``, the slides' loop),
            ``sgd`` (``torch.optim.SGD``, with ``momentum``) or ``adam`` (``torch.optim.Adam``).
        momentum: SGD's momentum (0: plain SGD, no velocity kept).
        beta1, beta2, eps: Adam's.
    """

    name: str = "lecture"
    momentum: float = 0.0
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    @property
    def state_names(self) -> tuple[str, ...]:
        """The optimizer's state an ``update`` event carries after its own fields, in order."""
        if self.name == "adam":
            return ("m", "v", "bias_correction1", "bias_correction2")
        if self.name == "sgd" and self.momentum:
            return ("velocity",)
        return ()


@dataclass(frozen=True)
class Program:
    """A compiled scenario, free of any file format.

    Attributes:
        graph: the computational graph.
        dtype: ``float64`` or ``float32``; every number is converted to it.
        inputs: fixed input values by name (inputs fed from ``data`` are absent).
        params: initial param values by name.
        data: per-sample values by input name; all lists have one length.
        epochs: passes over ``data``.
        lr: the SGD learning rate; None for a single forward/backward pass with no update.
        zero_grad: True to zero every param's gradient after its update.
        predict: input values to evaluate the model at, before and after training.
        batch_size: rows of ``data`` per step, stacked along a new first axis; None: one
            sample per step, not stacked (the scalar lectures).
        shuffle_seed: with batches, the rows are shuffled every epoch by this seed
            (``numpy.random.default_rng(seed)``, one permutation per epoch, in order).
        optimizer: how params are updated.

    A value (an input, a param, a data row, a prediction input) is a Python float or
    int, or a nested list of them for an array (class labels are ints).
    """

    graph: Graph
    dtype: str = "float64"
    inputs: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    data: dict[str, tuple[Any, ...]] | None = None
    epochs: int = 1
    lr: float | None = None
    zero_grad: bool = True
    predict: dict[str, Any] | None = None
    batch_size: int | None = None
    shuffle_seed: int | None = None
    optimizer: Optimizer = field(default_factory=Optimizer)

    @property
    def n_rows(self) -> int:
        """Rows (samples) of ``data`` (1 without data)."""
        if not self.data:
            return 1
        return len(next(iter(self.data.values())))

    @property
    def n_samples(self) -> int:
        """Steps per epoch: one per sample, or one per batch (the last may be smaller, as
        torch's DataLoader makes it)."""
        rows = self.n_rows
        if self.batch_size is None or not self.data:
            return rows
        return -(-rows // self.batch_size)

    @property
    def arrays(self) -> bool:
        """True when some value is an array or steps take batches: the tensor lectures."""
        if self.batch_size is not None:
            return True
        values = [*self.inputs.values(), *self.params.values()]
        values += [col[0] for col in (self.data or {}).values() if col]
        return any(isinstance(v, (list, tuple)) for v in values)

    @property
    def grad_to_none(self) -> bool:
        """True when ``zero_grad`` leaves each ``.grad`` None, not zeros: torch's optimizers
        clear it so (``optimizer.zero_grad()``, ``set_to_none=True`` since torch 2.0), the
        lecture's ``w.grad.data.zero_()`` writes zeros. The next pass starts afresh either way."""
        return self.zero_grad and self.optimizer.name != "lecture"

    @property
    def n_steps(self) -> int:
        """Forward/backward passes in the whole run."""
        return self.n_samples * self.epochs

    @property
    def training(self) -> bool:
        """True when params are updated after each pass.

        Without training every sample is evaluated with the initial params, nothing is
        updated, and each pass starts from no gradient (nothing carries ``w.grad`` from
        one pass to the next), like a torch loop that sets ``w.grad = None`` and never
        steps an optimizer.
        """
        return self.lr is not None
