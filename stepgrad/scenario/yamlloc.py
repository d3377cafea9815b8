"""YAML loading that remembers where every value came from, using PyYAML's safe loader.

``yaml.safe_load`` returns plain values without positions; a scenario error must name
the line and column, so we compose the node tree with the safe loader and build the
values ourselves, keeping each node's start mark.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from stepgrad.errors import ScenarioError


@dataclass(slots=True)
class Loc:
    """A YAML value with its 1-based position.

    Attributes:
        value: a str/int/float/bool/None, a ``dict[str, Loc]`` or a ``list[Loc]``.
        line: 1-based line of the value.
        col: 1-based column of the value.
        keys: for mappings, the position of each key.
        style: the scalar's YAML style (None plain, ``'`` or ``"`` quoted, ``|``/``>`` block).
    """

    value: Any
    line: int
    col: int
    keys: dict[str, tuple[int, int]] = field(default_factory=dict)
    style: str | None = None

    def plain(self) -> Any:
        """The value with positions stripped."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


def load_located(text: str, path: str) -> Loc:
    """Parse YAML text into a ``Loc`` tree.

    Raises:
        ScenarioError: invalid YAML, duplicate or non-string keys.
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError(path, "the file is empty; a scenario needs params and model", 1, 1)
        return _build(loader, node, path, 0)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = e.problem or e.context or "invalid YAML"
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise ScenarioError(path, f"invalid YAML: {problem}", line, col) from None
    except yaml.YAMLError as e:
        raise ScenarioError(path, f"invalid YAML: {e}", 1, 1) from None
    finally:
        loader.dispose()


_MAX_DEPTH = 32


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: str, depth: int) -> Loc:
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    if depth > _MAX_DEPTH:
        raise ScenarioError(path, "the YAML is nested too deeply", line, col)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[str, Loc] = {}
        keys: dict[str, tuple[int, int]] = {}
        for knode, vnode in node.value:
            kline, kcol = knode.start_mark.line + 1, knode.start_mark.column + 1
            key = loader.construct_object(knode, deep=True)
            if not isinstance(key, str):
                raise ScenarioError(path, f"keys must be names, not {key!r}", kline, kcol)
            if key in out:
                first = keys[key][0]
                raise ScenarioError(
                    path, f"duplicate key '{key}' (first given on line {first})", kline, kcol
                )
            keys[key] = (kline, kcol)
            out[key] = _build(loader, vnode, path, depth + 1)
        return Loc(out, line, col, keys)
    if isinstance(node, yaml.SequenceNode):
        return Loc([_build(loader, v, path, depth + 1) for v in node.value], line, col)
    value = loader.construct_object(node, deep=True)
    return Loc(value, line, col, style=getattr(node, "style", None))
