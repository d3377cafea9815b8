"""What the engine runs: a graph plus the numbers and the training plan around it."""

from __future__ import annotations

from dataclasses import dataclass, field

from stepgrad.engine.graph import Graph


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
    """

    graph: Graph
    dtype: str = "float64"
    inputs: dict[str, float] = field(default_factory=dict)
    params: dict[str, float] = field(default_factory=dict)
    data: dict[str, tuple[float, ...]] | None = None
    epochs: int = 1
    lr: float | None = None
    zero_grad: bool = True
    predict: dict[str, float] | None = None

    @property
    def n_samples(self) -> int:
        """Samples per epoch (1 without data)."""
        if not self.data:
            return 1
        return len(next(iter(self.data.values())))

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
