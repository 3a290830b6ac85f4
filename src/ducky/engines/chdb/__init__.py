"""chDB engine: embedded ClickHouse (the `chdb` package) over the Parquet data directory.

Registered as `chdb` in the `ducky.engines` entry-point group; install with
`pip install 'ducky[bench]'`. See docs/CHDB.md for how a ClickHouse server or cluster plugs in.
"""

from __future__ import annotations

from ducky.engines.chdb.engine import ChdbEngine

__all__ = ["ChdbEngine"]
