"""Project settings: the `DUCKY_*` environment variables and the `ducky.toml` project file.

Precedence, for every option: command-line flag > environment variable > ducky.toml > built-in
default. `ducky.toml` is looked for in the working directory and then each parent, so a project
folder can pin its data directory, engine and PostgreSQL DSN:

    # ducky.toml
    data = "warehouse/data"        # relative to this file
    engine = "duckdb"
    dsn = "postgresql://analytics@db.internal/shop"
    mapping = "mapping.yaml"       # ingest column mapping, relative to this file
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ducky.errors import UserError

CONFIG_NAME = "ducky.toml"

# Every DUCKY_* variable ducky reads, with what it does (`ducky env`, docs/CLI.md; a test greps
# the source tree and fails when one is missing here).
ENV_VARS: dict[str, str] = {
    "DUCKY_DATA": "data directory (the global --data); default ./data",
    "DUCKY_ENGINE": "engine for query, cohort, audience, serve, bench (--engine); default duckdb",
    "DUCKY_DEBUG": "any value: print tracebacks for errors (as --debug)",
    "DUCKY_CONFIG": "project file to use instead of the nearest ducky.toml; empty = none",
    "DUCKY_LOAD_PLUGINS": "comma list of plugins to load; unset = all installed, empty = none",
    "DUCKY_QUERY_TIMEOUT": "seconds a DuckDB/PostgreSQL query may run (-o timeout=); default none",
    "DUCKY_DUCKDB_MEMORY_LIMIT": "DuckDB memory_limit, e.g. 4GB (-o memory_limit=)",
    "DUCKY_FUZZ_EXAMPLES": "tests: schemathesis examples per API operation and mode (default 20)",
    "DUCKY_TEST_PAUSE_AT": "tests: WINDOW:FILE pauses a write at a crash window (kill -9 tests)",
    "DUCKY_API_SLOTS": "queries the audience API runs at once; more waits 2 s then 503 (default 4)",
    "DUCKY_PG_DSN": "PostgreSQL DSN (--dsn); default: the local server under <data>/.ducky/pg",
    "DUCKY_SPARK_MASTER": "Spark master or sc:// Spark Connect URL (-o master=...)",
    "DUCKY_SPARK_CONF": "extra Spark settings, KEY=VALUE pairs separated by commas",
    "DUCKY_ES_URL": "Elasticsearch/OpenSearch URL for segment and es load (--es-url)",
    "DUCKY_ES_USER": "Elasticsearch user name (--es-user)",
    "DUCKY_ES_PASSWORD": "Elasticsearch password (--es-password; never printed)",
    "DUCKY_ES_API_KEY": "Elasticsearch API key (--es-api-key; never printed)",
    "DUCKY_HF_ENDPOINT": "Hugging Face feature-extraction endpoint URL (--hf-endpoint)",
    "DUCKY_EMBED_BACKEND": "local embedding backend for segment: onnx or torch",
    "DUCKY_CACHE_DIR": "folder for exported embedding models (default: the user cache)",
    "DUCKY_SEGMENT_THREADS": "threads for clustering in segment",
    "DUCKY_HTTP_TIMEOUT": "ingest from JSON APIs: seconds per request",
    "DUCKY_HTTP_RETRIES": "ingest from JSON APIs: retries per request",
    "DUCKY_HTTP_BACKOFF": "ingest from JSON APIs: first retry delay in seconds",
    "DUCKY_PG_SCHEMA": "PostgreSQL schema ducky owns and writes to (-o schema=); default ducky",
    "DUCKY_PG_ALLOW_DDL": "1: bench may create its optimizations on a database ducky does not own",
    "DUCKY_PG_KEEP_OPTIMIZATIONS": "1: keep what bench created there (default: removed)",
    "DUCKY_STOP_SERVER": "1: stop the local PostgreSQL server this command started (--stop-server)",
    "DUCKY_MAPPING": "mapping file (YAML/TOML) for a postgresql:// --data source (--mapping)",
    "DUCKY_CHROMIUM": "path to Chromium/Chrome for report --pdf",
    "DUCKY_NARRATE_MODEL": "chat model for report --narrate hf",
    "DUCKY_NARRATE_ENDPOINT": "chat endpoint URL for report --narrate hf (default: Inference API)",
}
SECRET_VARS = frozenset({"DUCKY_ES_PASSWORD", "DUCKY_ES_API_KEY"})

# ducky.toml keys -> option (parameter) names they give a default to.
CONFIG_KEYS = {"data": "data", "engine": "engine", "dsn": "dsn", "mapping": "mapping"}


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ducky.toml in `start` (default: the working directory) or a parent, or the
    file DUCKY_CONFIG names (an empty DUCKY_CONFIG: no project file at all)."""
    chosen = os.environ.get("DUCKY_CONFIG")
    if chosen is not None:
        if not chosen:
            return None
        if not Path(chosen).is_file():
            raise UserError(f"DUCKY_CONFIG: {chosen} is not a file")
        return Path(chosen)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path | None = None) -> dict[str, Any]:
    """The settings of `path` (default: the nearest ducky.toml), paths made absolute."""
    path = path or find_config()
    if path is None:
        return {}
    import tomllib  # only with a file to read: ~5 ms of every CLI call without one

    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise UserError(f"{path}: not a valid ducky.toml: {e}") from None
    unknown = sorted(set(doc) - set(CONFIG_KEYS))
    if unknown:
        raise UserError(f"{path}: unknown setting {unknown[0]!r} (known: {', '.join(CONFIG_KEYS)})")
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if not isinstance(value, str):
            raise UserError(f"{path}: {key} must be a string")
        from ducky.engines.postgres.dsn import is_pg_url  # light: no driver import

        # A path is relative to the file; a postgresql:// URL is no path (normpath would
        # fold its "//" and the source would not be recognised).
        if key in ("data", "mapping") and not (key == "data" and is_pg_url(value)):
            value = os.path.normpath(path.parent / Path(value).expanduser())
        out[CONFIG_KEYS[key]] = value
    return out


def redact(name: str, value: str | None) -> str | None:
    """A variable's value fit to print: secrets masked, a DSN's password removed."""
    if value is None:
        return None
    if name in SECRET_VARS:
        return "****"
    from ducky.redact import redact as scrub

    return scrub(value)  # URL passwords and password=... (a key=value DSN) alike


def environment() -> list[tuple[str, str | None, str]]:
    """(name, value fit to print or None when unset, description) for every DUCKY_* variable."""
    return [(k, redact(k, os.environ.get(k)), v) for k, v in ENV_VARS.items()]
