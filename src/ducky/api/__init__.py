"""HTTP API (FastAPI): `create_app(datadir, engine)`; served by `ducky serve`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI


def create_app(datadir: Any, engine: str = "duckdb", **engine_options: Any) -> FastAPI:
    """The audience API over `datadir` on `engine` (see ducky.api.app)."""
    from ducky.api.app import create_app as _create

    return _create(datadir, engine, **engine_options)


__all__ = ["create_app"]
