"""Query plans as the bench reports them: operators with exclusive time, flags (spills, heap
fetches) and the engine's own execution time, summarised into a one-line bottleneck note.

Each engine captures and parses its own plan (`Engine.capture_plan`); these are the shapes they
return and the helpers they share.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MB = 1024 * 1024


@dataclass
class Operator:
    label: str
    seconds: float  # exclusive time (summed over loops / workers)
    rows: int | None = None


@dataclass
class PlanSummary:
    operators: list[Operator] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # spills, heap fetches, ...
    total_s: float | None = None  # the engine's own execution time, when it reports one

    def note(self, top: int = 1) -> str:
        parts = []
        ops = [o for o in self.operators if o.seconds > 0]
        spent = sum(o.seconds for o in ops)
        if spent > 0:
            for o in sorted(ops, key=lambda o: -o.seconds)[:top]:
                parts.append(f"{o.label}: {100 * o.seconds / spent:.0f}% of time")
        parts.extend(self.flags)
        return "; ".join(parts) if parts else "no operator timings in plan"


@dataclass
class CapturedPlan:
    path: Path | None
    text_path: Path | None
    summary: PlanSummary
    error: str | None = None

    @property
    def note(self) -> str:
        if self.error:
            return f"plan unavailable: {self.error}"
        return self.summary.note()


def mb(n_bytes: float) -> str:
    return f"{n_bytes / MB:,.0f} MB" if n_bytes >= MB else f"{n_bytes / 1024:,.0f} kB"


def scalar(table: Any) -> Any:
    """The last column of the first row of an Arrow table (EXPLAIN output's plan cell)."""
    return table.column(table.num_columns - 1)[0].as_py()


def as_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def with_suffix(stem: Path, suffix: str) -> Path:
    # Not Path.with_suffix: stems look like `wau.baseline`, whose ".baseline" is no suffix.
    return stem.parent / (stem.name + suffix)
