"""How each op is written elsewhere: sympy's derivatives of the custom functions, the
forms torch and sympy compute an op with (functions of the module, so that the engine
imports neither), and the formula texts of a power.

Read through the op registry (``engine.ops.RULES``), like ``engine.rules``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

TorchForm = Callable[[Any], Callable[..., Any]]
SympyForm = Callable[[Any, Mapping[str, Any]], Callable[..., Any]]


# ----- sympy's custom functions ---------------------------------------------------------


def sigmoid_fdiff(sp: Any, f: Mapping[str, Any], x: Any, this: Any) -> Any:
    return this * (1 - this)


def relu_fdiff(sp: Any, f: Mapping[str, Any], x: Any, this: Any) -> Any:
    return sp.Heaviside(x, 0)


def softplus_fdiff(sp: Any, f: Mapping[str, Any], x: Any, this: Any) -> Any:
    return f["sigmoid"](x)


def log1p_fdiff(sp: Any, f: Mapping[str, Any], x: Any, this: Any) -> Any:
    return 1 / (1 + x)


def sympy_own(name: str) -> SympyForm:
    """sympy's own function ``name`` (``exp``, ``Abs``)."""
    return lambda sp, f: getattr(sp, name)


def sympy_custom(name: str) -> SympyForm:
    """The custom sympy function made for op ``name`` (see ``SympyFunction``)."""
    return lambda sp, f: f[name]


def torch_function(name: str) -> TorchForm:
    return lambda t: getattr(t, name)


def operator_form(fn: Callable[..., Any]) -> Any:
    """A Python operator, for torch and sympy alike: a constant on either side stays a
    Python number, as in the lecture's code."""
    return lambda module, *_: fn


def identity(a: Any) -> Any:
    return a


def torch_clone(a: Any) -> Any:
    # A distinct tensor, so that `z: y_hat` gets its own .grad like the engine's node.
    return a.clone()


def fold_pow(a: float, b: float) -> float:
    return a**b


def pow_formula(exponent_text: str, base: str) -> str:
    """The lecture's text for ∂(base**k)/∂base when k is a written constant.

    ``2`` gives ``2*s``, ``3`` gives ``3*s**2``, anything else ``k*s**(k-1)``.
    """
    try:
        k = float(exponent_text)
    except ValueError:
        return f"{exponent_text}*{base}**({exponent_text}-1)"
    if k.is_integer():
        n = int(k)
        if n == 0:
            # torch's rule: the power is constant 1, its gradient exactly 0 even at base 0.
            return "0"
        if n == 2:
            return f"2*{base}"
        if n == 1:
            return "1"
        return f"{n}*{base}**{n - 1}"
    return f"{exponent_text}*{base}**({exponent_text}-1)"


def _number(text: str) -> float | None:
    """The number a substituted argument text shows (``0.0``, ``(-1.5)``, ``2``), or None
    for a name (``w``): names never start with a digit, a sign or a point."""
    t = text[1:-1] if text.startswith("(") and text.endswith(")") else text
    if not t or not (t[0].isdigit() or t[0] in "-+."):
        return None
    try:
        return float(t)
    except ValueError:
        return None


def pow_text(k: int, texts: list[str], out: str) -> str | None:
    """pow's local gradient text where torch puts an exact 0 (``pow_zero_text``), else None."""
    return pow_zero_text(k, texts)


def pow_zero_text(arg: int, texts: list[str]) -> str | None:
    """The text of ∂(base**exponent)/∂arg where torch's rule puts an exact 0, else None.

    With numbers substituted, ``log(0.0)*0.0`` or ``0.0*0.0**(0.0-1)`` would read as
    NaN where the value is 0: say which rule gave the 0 instead. With names (nothing
    known yet) the lecture's formula stands.

    Args:
        arg: 0 for the base, 1 for the exponent.
        texts: the base's and the exponent's texts (numbers, or names).
    """
    base, exp = _number(texts[0]), _number(texts[1])
    if arg == 0 and exp == 0:
        return "0 (torch: exponent 0)"
    if arg == 1 and base == 0 and exp is not None and exp >= 0:
        return "0 (torch: base 0, exponent ≥ 0)"
    return None


# ----- the array ops' torch forms (a keyword closed over, as ``specialize`` makes them) -----


def torch_transpose(t: Any) -> Callable[..., Any]:
    return lambda a: a.T


def torch_reduce(method: str, axis: int | None) -> TorchForm:
    """``a.sum()``/``a.mean()`` over every element, or over ``dim=axis``."""
    if axis is None:
        return lambda t: lambda a: getattr(a, method)()
    return lambda t: lambda a: getattr(a, method)(dim=axis)


def torch_softmax(name: str, axis: int) -> TorchForm:
    """``torch.softmax(a, dim=axis)`` (or ``log_softmax``)."""
    return lambda t: lambda a: getattr(t, name)(a, dim=axis)


def torch_loss(name: str, reduction: str) -> TorchForm:
    """``torch.nn.functional.<name>(input, target, reduction=...)``: ``mse_loss``,
    ``binary_cross_entropy``, ``cross_entropy`` (whose labels torch wants as int64)."""

    def form(t: Any) -> Callable[..., Any]:
        fn = getattr(t.nn.functional, name)

        def loss(a: Any, b: Any) -> Any:
            if name == "cross_entropy" and b.is_floating_point():
                b = b.long()
            return fn(a, b, reduction=reduction)

        return loss

    return form


def keyword_text(attrs: tuple[tuple[str, int | str], ...]) -> str:
    """``, axis=0`` or ``, reduction="sum"``: keywords as a call writes them after its arguments."""
    return "".join(f', {k}="{v}"' if isinstance(v, str) else f", {k}={v}" for k, v in attrs)
