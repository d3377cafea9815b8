"""``did you mean`` for a name that is not known: the one the user most likely meant.

difflib alone misses what a newcomer types most: a name in the wrong case (``W`` for
``w``: no letters in common) and a short name one keystroke off (``lw`` for ``wl``:
ratio 0.5, under difflib's usual 0.6 cutoff).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, names: Iterable[str]) -> str | None:
    """The known name ``name`` was most likely meant to be, or None.

    In order: the same name in another case (``W`` → ``w``, ``Loss`` → ``loss``); the
    closest by difflib's ratio, case ignored, from 0.6 (``los`` → ``loss``, ``y_ht`` →
    ``y_hat``); for a name of 2 to 4 characters, one typed with a single slip (a letter
    wrong, missing, extra, or two swapped: ``lw`` → ``wl``). A one-letter name gets no
    guess beyond its case: any other letter is one slip away, and a guess would be noise.
    """
    known = list(dict.fromkeys(n for n in names if n != name))
    folded = name.casefold()
    for n in known:
        if n.casefold() == folded:
            return n
    by_fold = {n.casefold(): n for n in reversed(known)}  # the first spelling of each
    close = difflib.get_close_matches(folded, list(by_fold), n=1, cutoff=0.6)
    if close:
        return by_fold[close[0]]
    if 2 <= len(name) <= 4:
        for n in known:
            if _one_slip(folded, n.casefold()):
                return n
    return None


def did_you_mean(name: str, names: Iterable[str]) -> str:
    """``; did you mean 'x'?`` for ``closest``, or nothing."""
    close = closest(name, names)
    return f"; did you mean '{close}'?" if close is not None else ""


def _one_slip(a: str, b: str) -> bool:
    """``a`` and ``b`` differ by one substitution, insertion, deletion or swap of two
    neighbouring letters (and are not equal)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        i = diff[0]
        return len(diff) == 2 and diff[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))
