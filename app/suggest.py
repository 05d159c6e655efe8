"""'Did you mean' for names a client got wrong (body fields, ``?fields=`` entries)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence


def closest(name: str, allowed: Sequence[str]) -> str | None:
    """The allowed name ``name`` most likely meant: the same but for case (X for x), else a close spelling."""
    same_but_case = [a for a in allowed if a.lower() == name.lower()]
    if same_but_case:
        return same_but_case[0]
    found = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    return found[0] if found else None


def unknown(name: str, allowed: Sequence[str], what: str = "field") -> str:
    """``X: unknown field (not allowed here); did you mean x?``, else the list of allowed names."""
    guess = closest(name, allowed)
    hint = f"did you mean {guess}?" if guess is not None else f"allowed: {', '.join(allowed)}"
    return f"{name}: unknown {what} (not allowed here); {hint}"
