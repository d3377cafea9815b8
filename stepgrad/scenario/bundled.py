"""The scenarios that ship with stepgrad, by short name, in the lecture's order."""

from __future__ import annotations

from pathlib import Path


def bundled_dir() -> Path:
    """Where the bundled scenarios live: inside the wheel, or the checkout's ``scenarios/``."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_scenarios"
    if packaged.is_dir():
        return packaged
    return here.parent / "scenarios"


_ORDER = (
    "lecture4", "ex4-1", "ex4-2", "ex4-3", "ex4-4", "ex4-4-wrong", "ex4-5", "lecture4-torch", "no-zero-grad",
    "lecture5", "lecture6", "lecture7", "lecture8", "lecture9", "xor", "adam",
)


def bundled() -> dict[str, Path]:
    """Bundled scenarios by short name: the lecture's order first, then any others by name."""
    d = bundled_dir()
    if not d.is_dir():
        return {}
    files = {p.stem: p for p in d.glob("*.yaml")}
    rank = {n: i for i, n in enumerate(_ORDER)}
    return {n: files[n] for n in sorted(files, key=lambda n: (rank.get(n, len(rank)), n))}


def resolve(spec: str) -> tuple[Path, str | None]:
    """A path or a bundled short name to a file path (and the short name if it was one)."""
    names = bundled()
    if spec in names and not Path(spec).exists():
        return names[spec], spec
    return Path(spec), None
