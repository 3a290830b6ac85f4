"""The data directory contract: layout, manifest, atomic writes and validation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ducky.datasets.datadir import DataDir, Manifest
    from ducky.datasets.writer import DatasetWriter

__all__ = ["DataDir", "DatasetWriter", "Manifest"]

# Loaded on first use: a `ducky query` reads a DataDir but never writes one, and importing the
# writer (hashing, shutil, tempfile) up front costs a few ms of every CLI call.
_LAZY = {
    "DataDir": "ducky.datasets.datadir",
    "Manifest": "ducky.datasets.datadir",
    "DatasetWriter": "ducky.datasets.writer",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
