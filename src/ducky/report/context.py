"""What every report section shares: the Section record and the ReportContext.

Kept apart from builder.py so section modules import it without importing the builder (which
imports them back to list its providers): no import circle.

The context also caches the results several sections read (the cohort result, business facts,
the bench document, the segmentation summary), so the brief and the evidence pages show numbers
from one computation, never two runs that could disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ducky.cohort import CohortResult
    from ducky.datasets import DataDir
    from ducky.datasets.datadir import Manifest
    from ducky.report.business import Business


@dataclass
class Section:
    """One part of the page. `ran` is False when the section only says what to run."""

    id: str
    title: str
    html: str
    order: int = 50
    ran: bool = True


@dataclass
class ReportContext:
    datadir: DataDir
    engine: str = "duckdb"
    compute: bool = True  # compute missing pieces on demand (cheap ones: metrics, cohort)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # On a postgresql:// source the default engine name means "in place": the page names
        # the engine that actually runs the queries.
        from ducky.engines.registry import engine_that_runs

        self.engine = engine_that_runs(self.engine, self.datadir)

    @property
    def is_source(self) -> bool:
        """--data postgresql://...: a database read in place, no manifest, no Parquet files."""
        return bool(getattr(self.datadir, "pg_source", False))

    def source_tables(self) -> dict[str, Any]:
        """A source's canonical tables as pyarrow Tables, read once per report."""
        if "tables" not in self._cache:
            self._cache["tables"] = self.datadir.read_tables(self.engine)  # type: ignore[attr-defined]
        return self._cache["tables"]

    def manifest(self) -> Manifest:
        """The data directory's manifest, or a source's summary of the same figures."""
        if "manifest" not in self._cache:
            self._cache["manifest"] = (
                self.datadir.summary(self.source_tables())  # type: ignore[attr-defined]
                if self.is_source
                else self.datadir.manifest()
            )
        return self._cache["manifest"]

    def cohort(self) -> CohortResult | None:
        """The cohort result, computed once per report (None when computing is off)."""
        if "cohort" not in self._cache:
            from ducky.cohort import compute

            self._cache["cohort"] = (
                compute(self.datadir, engine=self.engine) if self.compute else None
            )
        return self._cache["cohort"]

    def business(self) -> Business:
        if "business" not in self._cache:
            from ducky.report.business import business_facts

            frames = self.source_tables() if self.is_source else None
            self._cache["business"] = business_facts(self.datadir, frames)
        return self._cache["business"]

    def bench_doc(self) -> dict[str, Any] | None:
        """The latest `ducky bench` document, or None when the bench was not run here."""
        if "bench" not in self._cache:
            latest = self.datadir.path / "bench" / "latest.json"
            doc: dict[str, Any] | None = None
            if latest.is_file():
                raw = json.loads(latest.read_text())
                doc = raw if isinstance(raw, dict) else {"records": raw}
            self._cache["bench"] = doc
        return self._cache["bench"]

    def segments(self) -> dict[str, Any] | None:
        """The last `ducky segment` summary (written by the segment plugin), or None."""
        if "segments" not in self._cache:
            path = self.datadir.path / "segments" / "summary.json"
            doc = None
            if path.is_file():
                try:
                    raw = json.loads(path.read_text())
                    doc = raw if isinstance(raw, dict) else None
                except (OSError, ValueError):
                    doc = None  # a half-written or foreign file: the brief says "not run"
            self._cache["segments"] = doc
        return self._cache["segments"]
