"""``train:``: epochs, the learning rate, zero_grad, and for the tensor lectures the
batches (``batch_size``, ``shuffle: {seed: N}``) and the optimizer (``sgd``, ``adam``,
``{name: sgd, momentum: 0.9}``, ``{name: adam, betas: [0.9, 0.999], eps: 1.0e-8}``)."""

from __future__ import annotations

import decimal
import struct
from dataclasses import dataclass
from typing import Any

from stepgrad.engine.program import Optimizer
from stepgrad.language.suggest import did_you_mean
from stepgrad.scenario.fields import Fields
from stepgrad.scenario.words import kind, shorten
from stepgrad.scenario.yamlloc import Loc

TRAIN_KEYS = ("epochs", "lr", "zero_grad", "batch_size", "shuffle", "optimizer")
OPTIMIZERS = ("sgd", "adam")
_OPTIMIZER_KEYS = {"sgd": ("name", "momentum"), "adam": ("name", "betas", "eps")}
_OPTIMIZER_FORMS = "sgd, adam, {name: sgd, momentum: 0.9} or {name: adam, betas: [0.9, 0.999], eps: 1.0e-8}"

# torch.optim.Adam's defaults.
_ADAM = Optimizer(name="adam")

# The smallest positive (subnormal) value of each dtype.
_TINY = {"float64": 5e-324, "float32": 1.401298464324817e-45}


@dataclass(frozen=True)
class Training:
    """What ``train:`` says (None: not written, the loader's default applies)."""

    epochs: int = 1
    lr: float | None = None
    zero_grad: bool = True
    batch_size: int | None = None
    shuffle_seed: int | None = None
    optimizer: Optimizer | None = None


class TrainSection(Fields):
    """Reads ``train:``."""

    def train(self, loc: Loc, data: dict[str, tuple[Any, ...]] | None) -> Training:
        """``train:``; lr positive and not rounding to 0 in the dtype."""
        m = self.mapping(loc, "train")
        if "momentum" in m and "momentum" in loc.keys:
            raise self.fail(
                loc.keys["momentum"],
                "momentum belongs to the optimizer: write optimizer: {name: sgd, momentum: 0.9}",
            )
        self.keys(loc, TRAIN_KEYS, "train")
        if data is None:
            raise self.fail(loc, "train needs data: add a 'data:' section with one list per input")
        epochs = self.whole(m["epochs"], "epochs", 1) if "epochs" in m else 1
        if "lr" not in m:
            raise self.fail(loc, "train needs a learning rate 'lr', e.g. lr: 0.01")
        lr = self.number(m["lr"], "lr")
        rounded = _as_float32(lr) if self.dtype == "float32" else lr
        if rounded == 0.0 and (lr > 0.0 or _written_positive(m["lr"])):
            # The updates would silently do nothing.
            raise self.fail(
                m["lr"],
                f"lr = {shorten(_written(m['lr']), 20)} rounds to 0 in {self.dtype} "
                f"(the smallest positive is {_TINY[self.dtype]:.4g})",
            )
        if lr <= 0:
            raise self.fail(m["lr"], f"lr must be positive, not {m['lr'].value}")
        zero_grad = True
        if "zero_grad" in m:
            z = m["zero_grad"]
            if not isinstance(z.value, bool):
                unquote = "; remove the quotes" if str(z.value).lower() in ("true", "false") else ""
                raise self.fail(z, f"zero_grad must be true or false, not {z.value!r}{unquote}")
            zero_grad = z.value
        batch_size = self.whole(m["batch_size"], "batch_size", 1) if "batch_size" in m else None
        shuffle = self._shuffle(m["shuffle"]) if "shuffle" in m else None
        optimizer = self._optimizer(m["optimizer"]) if "optimizer" in m else None
        return Training(epochs, lr, zero_grad, batch_size, shuffle, optimizer)

    def _shuffle(self, loc: Loc) -> int:
        """``shuffle: {seed: N}``: a new order of the rows every epoch, the same every run."""
        if not isinstance(loc.value, dict):
            raise self.fail(
                loc, f"shuffle must be {{seed: N}} (a whole number, so every run takes the same order), "
                f"not {kind(loc.value)}"
            )
        self.keys(loc, ("seed",), "shuffle")
        if "seed" not in loc.value:
            raise self.fail(loc, "shuffle needs a seed, e.g. shuffle: {seed: 0}")
        return self.whole(loc.value["seed"], "shuffle seed", 0)

    def _optimizer(self, loc: Loc) -> Optimizer:
        v = loc.value
        if isinstance(v, str):
            return Optimizer(name=self._optimizer_name(loc))
        if not isinstance(v, dict):
            raise self.fail(loc, f"optimizer must be {_OPTIMIZER_FORMS}, not {kind(v)}")
        if "name" not in v:
            example = "{name: sgd, momentum: 0.9}"
            raise self.fail(loc, f"optimizer needs a name: {' or '.join(OPTIMIZERS)}, e.g. {example}")
        name = self._optimizer_name(v["name"])
        for key, pos in loc.keys.items():
            if key not in _OPTIMIZER_KEYS[name]:
                other = next((o for o, keys in _OPTIMIZER_KEYS.items() if key in keys and o != name), None)
                if other is not None:
                    takes = ", ".join(_OPTIMIZER_KEYS[name][1:])
                    raise self.fail(pos, f"'{key}' is {other}'s; {name} takes {takes}")
        self.keys(loc, _OPTIMIZER_KEYS[name], f"optimizer {name}")
        if name == "sgd":
            momentum = self.number(v["momentum"], "momentum") if "momentum" in v else 0.0
            if momentum < 0:
                raise self.fail(v["momentum"], f"momentum must not be negative, not {momentum:g}")
            return Optimizer(name="sgd", momentum=momentum)
        beta1, beta2 = _ADAM.beta1, _ADAM.beta2
        if "betas" in v:
            b = v["betas"]
            if not isinstance(b.value, list) or len(b.value) != 2:
                raise self.fail(b, f"betas must be two numbers like [0.9, 0.999], not {kind(b.value)}")
            beta1, beta2 = (self.number(x, "beta") for x in b.value)
            for x, beta in zip(b.value, (beta1, beta2), strict=True):
                if not 0.0 <= beta < 1.0:
                    raise self.fail(x, f"a beta must be at least 0 and below 1, not {beta:g}")
        eps = self.number(v["eps"], "eps") if "eps" in v else _ADAM.eps
        if eps <= 0:
            raise self.fail(v["eps"], f"eps must be positive, not {eps:g}")
        return Optimizer(name="adam", beta1=beta1, beta2=beta2, eps=eps)

    def _optimizer_name(self, loc: Loc) -> str:
        name = loc.value
        if isinstance(name, str) and name in OPTIMIZERS:
            return name
        shown = f"'{shorten(name, 20)}'" if isinstance(name, str) else kind(name)
        close = did_you_mean(name, OPTIMIZERS) if isinstance(name, str) else ""
        raise self.fail(loc, f"unknown optimizer {shown}{close} (allowed: {', '.join(OPTIMIZERS)})")



def _written(loc: Loc) -> str:
    """A scalar as written in the file (for numbers YAML reads as 0.0 or inf)."""
    if loc.span is not None and loc.source is not None and loc.style is None:
        return loc.source.text[loc.span[0] : loc.span[1]].strip()
    return str(loc.value).strip()


def _written_positive(loc: Loc) -> bool:
    """True when the number was written positive although it reads as 0 (``1e-400``)."""
    try:
        return decimal.Decimal(_written(loc).replace("_", "")) > 0
    except (decimal.InvalidOperation, ValueError):
        return False


def _as_float32(x: float) -> float:
    """``x`` rounded to float32 and back, without importing NumPy."""
    return float(struct.unpack("<f", struct.pack("<f", x))[0])
