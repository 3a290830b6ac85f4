"""The data directory contract: layout, manifest, atomic writes and validation."""

from __future__ import annotations

from ducky.datasets.datadir import DataDir, Manifest
from ducky.datasets.writer import DatasetWriter

__all__ = ["DataDir", "DatasetWriter", "Manifest"]
