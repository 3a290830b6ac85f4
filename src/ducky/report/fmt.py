"""Number formats shared by the brief and the evidence tables, so a number in the brief is the
same string as the cell it comes from (the cross-check test relies on that)."""

from __future__ import annotations


def money(x: float) -> str:
    return f"{x:,.2f}"


def count(n: int) -> str:
    return f"{n:,}"


def pct(rate: float) -> str:
    """A rate (0..1) as a percentage with one decimal, the cohort insights' format."""
    return f"{100 * rate:.1f} %"


def dur(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def speed(x: float) -> str:
    return f"{x:,.1f}x"


def size(n: int | float | None) -> str:
    if n is None:
        return "n/a"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{int(n)} B"


def currency(c: str | None) -> str:
    return c or "(one currency, not recorded)"
