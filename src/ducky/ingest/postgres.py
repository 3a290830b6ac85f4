"""`--to-postgres`: hand the data directory to the PostgreSQL helper's loader, with retries.

The loader (ducky.engines.postgres.loader.load_datadir) is transactional and idempotent, so a
failed load leaves the previous tables intact and retrying after a dropped connection is safe.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ducky.errors import ConnectionFailed, EngineUnavailable

if TYPE_CHECKING:
    from ducky.datasets import DataDir


def load_to_postgres(
    datadir: DataDir, dsn: str | None = None, attempts: int = 3, backoff: float = 1.0
) -> Any:
    try:
        from ducky.engines.postgres.loader import load_datadir
    except ImportError as e:
        raise EngineUnavailable(
            "--to-postgres needs the PostgreSQL loader (ducky.engines.postgres.loader), "
            f"not available: {e}"
        ) from None
    delay = backoff
    for attempt in range(attempts):
        try:
            report = load_datadir(datadir, dsn=dsn)
            return report.to_dict() if hasattr(report, "to_dict") else report
        except ConnectionFailed:
            if attempt == attempts - 1:
                raise
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")
