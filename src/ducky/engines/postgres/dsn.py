"""DSN resolution and password-free descriptions of a DSN for error messages."""

from __future__ import annotations

import os
import re

ENV_DSN = "DUCKY_PG_DSN"
SCHEMES = ("postgresql://", "postgres://")


def is_pg_url(value: object) -> bool:
    """A `postgresql://` URL (as --data / DUCKY_DATA may be), not a path."""
    return isinstance(value, str) and value.strip().lower().startswith(SCHEMES)


def env_dsn() -> str | None:
    value = os.environ.get(ENV_DSN, "").strip()
    return value or None


def describe(dsn: str) -> str:
    """`user@host:port/dbname` for messages: never the password, whatever the DSN's form."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        parts = conninfo_to_dict(dsn)
    except Exception:  # an unparsable DSN is reported as such, without echoing it
        return "the given DSN"
    user = str(parts.get("user") or "")
    host = str(parts.get("host") or parts.get("hostaddr") or "localhost")
    port = str(parts.get("port") or "5432")
    db = str(parts.get("dbname") or user or "")
    return f"{user + '@' if user else ''}{host}:{port}/{db}"


def scrub(message: str, dsn: str | None) -> str:
    """Remove any password from a driver message (URIs and key=value forms alike)."""
    text = re.sub(r"(postgres(?:ql)?://[^:/@\s]*:)[^@\s]*@", r"\1***@", message)
    text = re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", text, flags=re.IGNORECASE)
    if dsn:
        try:
            from psycopg.conninfo import conninfo_to_dict

            pw = conninfo_to_dict(dsn).get("password")
        except Exception:
            pw = None
        if pw:
            text = text.replace(str(pw), "***")
    return text


def first_line(exc: BaseException) -> str:
    """The first non-empty line of a driver error, without libpq's 'connection failed:' noise."""
    for line in str(exc).splitlines():
        line = line.strip()
        if line:
            return line
    return type(exc).__name__
