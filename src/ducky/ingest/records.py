"""What a source reader hands to validation: the records as read, and those that failed before
typing. A module of its own so every reader (files, APIs, a PostgreSQL snapshot) builds on it
without importing the others."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa


@dataclass
class Reject:
    """A record that failed before typing: unparseable line, bad encoding, not an object."""

    record: int
    check: str
    reason: str
    raw: str


@dataclass
class SourceData:
    table: str
    source: str
    fmt: str
    data: pa.Table  # source column names, strings for text formats
    record: np.ndarray  # int64 line number (text) or 1-based record index (arrays, APIs)
    digest: str  # sha256 of the bytes read: names the quarantine file, so re-runs rewrite it
    rejects: list[Reject] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        return self.data.num_rows + len(self.rejects)
