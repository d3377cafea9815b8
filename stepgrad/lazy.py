"""A module imported on first use, so that start-up does not pay for it.

NumPy costs about 40 ms to import: a third of the way to the app's first frame, which
needs no number computed yet. Modules that need NumPy only inside functions name it through
``LazyModule``; the first attribute read imports it and puts the real module in the caller's
namespace, so later reads cost nothing extra.
"""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """Stands for a module in a namespace until the first attribute is read.

    Args:
        name: the module to import (``numpy``).
        namespace: the globals the stand-in lives in.
        alias: its name there (``np``).
    """

    def __init__(self, name: str, namespace: dict[str, Any], alias: str):
        self._name = name
        self._namespace = namespace
        self._alias = alias

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self._name)
        self._namespace[self._alias] = module
        return getattr(module, attr)
