"""Parsed scenario files kept on disk, as Python keeps compiled modules in ``__pycache__``.

Importing PyYAML and parsing a file take about a twentieth of the way to the app's first
frame, yet most files are opened again unchanged: the lecture's scenario every class, one's
own file after every edit but the last. So once a file's YAML has parsed without error, its
``Loc`` tree is written here, one cache file per scenario file, and read back while the
text is the same, byte for byte, and so are stepgrad and PyYAML.

Only a tree that parsed is kept: a file with a mistake is parsed every time, by the parser
that words the mistake. Anything wrong with the cache (no home, a read-only disk, a file
cut short or from another version) is a miss, never an error: the file is parsed as if
there were no cache. ``STEPGRAD_CACHE_DIR`` moves the cache, and set empty turns it off.

A cache file is ``marshal`` data (which builds no objects but numbers, strings and
containers, unlike pickle): what the tree depends on (the versions, the file's path and its
whole text, compared as they are: no digest to collide), then the tree's nodes as tuples. Aliases stay
shared (``&a`` used by ``*a`` many times is one node), so a file of nested aliases costs
what its parse cost, never the size of its expansion.
"""

from __future__ import annotations

import importlib.util
import marshal
import os
import zlib
from pathlib import Path
from typing import Any

from stepgrad import __version__
from stepgrad.scenario.yamlloc import Loc, Source

FORMAT = 1
"""Changes with the layout of a cache file (and of ``Loc``)."""

KEEP = 256
"""Cache files kept at most: past that, a new one replaces the least recently written (a
file opened from many temporary folders would otherwise leave one behind from each)."""

_SCALARS = (str, int, float, bool, type(None))
_SCALAR, _MAPPING, _SEQUENCE = 0, 1, 2

_parser_stamp: str | None = None


def cache_dir() -> Path | None:
    """Where cache files go: ``$STEPGRAD_CACHE_DIR``, else ``$XDG_CACHE_HOME/stepgrad``, else
    ``~/.cache/stepgrad``; None when turned off or when there is no home."""
    chosen = os.environ.get("STEPGRAD_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) if chosen else None
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base) / "stepgrad"
    try:
        return Path.home() / ".cache" / "stepgrad"
    except (RuntimeError, KeyError, OSError):  # no HOME and no passwd entry
        return None


def _stamp() -> str:
    """What a parsed tree depends on besides the text: stepgrad's version and the files of
    the parser and of PyYAML as installed (their sizes and times, as ``__pycache__`` does)."""
    global _parser_stamp
    if _parser_stamp is None:
        parts = [f"stepgrad {__version__}", f"format {FORMAT}"]
        spec = importlib.util.find_spec("yaml")
        here = Path(__file__).parent
        for file in (
            here / "yamlparse.py",
            here / "yamlloc.py",
            Path(spec.origin) if spec and spec.origin else None,
        ):
            if file is not None:
                st = file.stat()
                parts.append(f"{file.name} {st.st_size} {st.st_mtime_ns}")
        _parser_stamp = "; ".join(parts)
    return _parser_stamp


def _cache_file(scenario: Path) -> tuple[Path, str] | None:
    """The cache file of a scenario file, and the scenario's full path."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        where = str(scenario.resolve())
    except (OSError, RuntimeError):
        return None
    # A short name for the path (hashlib would cost 5 ms of start-up to import); two paths
    # sharing a name only take turns in it: the path itself is compared on reading.
    b = where.encode("utf-8", "surrogateescape")
    return folder / f"{zlib.crc32(b):08x}{zlib.adler32(b):08x}.tree", where


def get(scenario: Path, text: str, source: Source) -> Loc | None:
    """The tree of ``text`` as parsed before from ``scenario``, or None."""
    try:
        found = _cache_file(scenario)
        if found is None:
            return None
        file, where = found
        stamp, path, kept, nodes = marshal.loads(file.read_bytes())
        if stamp != _stamp() or path != where or kept != text:
            return None
        return _decode(nodes, source)
    except Exception:  # any unreadable cache is a miss: the file is parsed
        return None


def put(scenario: Path, text: str, root: Loc) -> None:
    """Keep ``root``, the tree just parsed from ``text``, for the next open of ``scenario``."""
    try:
        found = _cache_file(scenario)
        if found is None:
            return
        file, where = found
        nodes = _encode(root)
        if nodes is None:
            return
        data = marshal.dumps((_stamp(), where, text, nodes))
        file.parent.mkdir(parents=True, exist_ok=True)
        # Written whole beside its place, then moved there: a reader never sees half a file.
        part = file.with_name(f"{file.name}.{os.getpid()}.part")
        part.write_bytes(data)
        os.replace(part, file)
        _prune(file.parent)
    except (OSError, ValueError):
        return


def _prune(folder: Path) -> None:
    kept = [f for f in folder.iterdir() if f.suffix == ".tree"]
    if len(kept) > KEEP:
        kept.sort(key=lambda f: f.stat().st_mtime_ns)
        for f in kept[: len(kept) - KEEP]:
            f.unlink(missing_ok=True)


def _encode(root: Loc) -> tuple[tuple[Any, ...], ...] | None:
    """The tree as a tuple of nodes, children before parents, the root last; None when a
    value is of a kind marshal and the decoder do not keep (a YAML date, say)."""
    index: dict[int, int] = {}
    out: list[tuple[Any, ...]] = []

    def visit(loc: Loc) -> int | None:
        done = index.get(id(loc))
        if done is not None:
            return done
        value = loc.value
        if isinstance(value, dict):
            kids = []
            for k, v in value.items():
                i = visit(v)
                if i is None:
                    return None
                kids.append((k, i))
            node: tuple[Any, ...] = (
                _MAPPING,
                tuple(kids),
                loc.line,
                loc.col,
                tuple(loc.keys.items()),
                None,
                None,
            )
        elif isinstance(value, list):
            items = []
            for v in value:
                i = visit(v)
                if i is None:
                    return None
                items.append(i)
            node = (_SEQUENCE, tuple(items), loc.line, loc.col, (), None, None)
        elif type(value) in _SCALARS:
            node = (_SCALAR, value, loc.line, loc.col, (), loc.style, loc.span)
        else:
            return None
        index[id(loc)] = len(out)
        out.append(node)
        return len(out) - 1

    return tuple(out) if visit(root) is not None else None


def _decode(nodes: tuple[tuple[Any, ...], ...], source: Source) -> Loc:
    built: list[Loc] = []
    for kind, payload, line, col, keys, style, span in nodes:
        if kind == _MAPPING:
            loc = Loc({k: built[i] for k, i in payload}, line, col, dict(keys))
        elif kind == _SEQUENCE:
            loc = Loc([built[i] for i in payload], line, col)
        else:
            loc = Loc(payload, line, col, style=style, span=span, source=source)
        built.append(loc)
    return built[-1]
